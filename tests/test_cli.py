"""The CLI on valid input: every format, the report, the price book, atomic output."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal as D

import pytest
from factories import write_csv
from typer.testing import CliRunner

from ecrcost.cli import app

runner = CliRunner()

ROWS = [
    {
        "repository": "team-a/web",
        "region": "us-east-1",
        "storage_gb": "100",
        "internet_out_gb": "10300",
        "cross_region_out_gb": "1000",
        "destination_region": "eu-west-1",
        "account_id": "123456789012",
    },
    {
        "repository": "team-b/api",
        "region": "us-east-1",
        "storage_gb": "50.5",
        "cross_region_out_gb": "1000",
        "destination_region": "us-east-2",
        "account_id": "123456789012",
    },
    {
        "repository": "tool",
        "region": "us-east-1",
        "storage_gb": "120",
        "internet_out_gb": "7168",
        "registry": "public",
        "account_id": "123456789012",
    },
    {
        "repository": "team-a/old",
        "region": "eu-west-1",
        "storage_gb": "204800",
        "storage_class": "archive",
        "account_id": "123456789012",
    },
]


@pytest.fixture
def scenario_file(tmp_path):
    return write_csv(tmp_path / "s.csv", ROWS)


def run(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def test_json_has_the_contract_keys_and_sums_to_the_cent(scenario_file):
    doc = json.loads(
        run(
            "estimate", scenario_file, "--format", "json", "--month", "2026-10", "--free-internet-gb", "100"
        ).stdout
    )
    assert doc["period"] == "2026-10" and doc["currency"] == "USD"
    keys = {
        "account_id",
        "region",
        "repository",
        "storage_gb_month",
        "storage_usd",
        "internet_out_gb",
        "cross_region_out_gb",
        "same_region_out_gb",
        "transfer_usd",
        "total_usd",
    }
    assert all(keys <= set(r) for r in doc["repositories"])
    # 917.70 internet (EX-23) + 30 cross-region + 191.32 public + 18,944 archive + 15.05 standard storage
    assert D(str(doc["total_usd"])) == D("917.70") + D("30") + D("191.32") + D("18944") + D("15.05")
    repos = doc["repositories"]
    assert abs(sum(r["total_usd"] for r in repos) - doc["total_usd"]) < 0.005
    assert abs(doc["storage_usd"] + doc["transfer_usd"] - doc["total_usd"]) < 0.005


def test_json_amounts_carry_at_least_four_decimals(scenario_file):
    text = run("estimate", scenario_file, "--format", "json", "--month", "2026-10").stdout
    assert '"total_usd": 20107.070000' in text


def test_csv_output_lines_sum_to_the_json_total(scenario_file):
    rows = list(
        csv.DictReader(io.StringIO(run("estimate", scenario_file, "-f", "csv", "--month", "2026-10").stdout))
    )
    doc = json.loads(run("estimate", scenario_file, "-f", "json", "--month", "2026-10").stdout)
    assert len(rows) == 4
    assert sum(D(r["total_usd"]) for r in rows) == D(str(doc["total_usd"])).quantize(D("0.000001"))


def test_markdown_and_table_show_the_total(scenario_file):
    md = run("estimate", scenario_file, "-f", "markdown", "--month", "2026-10").stdout
    assert "**Total: $20,107.07**" in md
    table = run("estimate", scenario_file, "--month", "2026-10").stdout
    assert "$20,107.07" in table and "team-a/web" in table


def test_output_file_is_written(scenario_file, tmp_path):
    out = tmp_path / "deep" / "est.json"
    assert run("estimate", scenario_file, "-f", "json", "-o", out).stdout == ""
    assert json.loads(out.read_text())["repositories"]
    assert [p.name for p in out.parent.iterdir()] == ["est.json"]  # no temporary file left behind


def test_prices_override_patches_one_figure(scenario_file, tmp_path):
    override = tmp_path / "prices.json"
    override.write_text(json.dumps({"regions": {"us-east-1": {"storage": {"value": "0.05"}}}}))
    doc = json.loads(
        run("estimate", scenario_file, "-f", "json", "--prices", override, "--month", "2026-10").stdout
    )
    web = next(r for r in doc["repositories"] if r["repository"] == "team-a/web")
    assert web["storage_usd"] == 5.0
    shown = run("prices", "--region", "us-east-1", "--prices", override, "-f", "json").stdout
    storage = next(r for r in json.loads(shown) if r["item"] == "storage" and r["region"] == "us-east-1")
    assert (
        storage["price"] == "0.05" and storage["confidence"] == "user" and str(override) in storage["source"]
    )


def test_prices_can_add_a_region(tmp_path):
    override = tmp_path / "prices.json"
    import ecrcost

    region = json.loads(json.dumps(ecrcost.load_pricebook().doc["regions"]["eu-central-1"]))
    region["billing_code"] = "EUC2"
    override.write_text(json.dumps({"regions": {"eu-central-2": region}}))
    path = write_csv(
        tmp_path / "s.csv", [{"repository": "app", "region": "eu-central-2", "storage_gb": "10"}]
    )
    doc = json.loads(run("estimate", path, "-f", "json", "--prices", override).stdout)
    assert doc["total_usd"] == 1.0


def test_prices_lists_every_region_with_sources_and_marks_unverified():
    text = run("prices").stdout
    for region in ("us-east-1", "eu-west-1", "ap-northeast-1", "sa-east-1", "us-gov-west-1"):
        assert region in text
    rows = json.loads(run("prices", "-f", "json").stdout)
    assert {r["region"] for r in rows} >= {"us-east-1", "public"} and len({r["region"] for r in rows}) >= 26
    assert all(r["source"] and r["as_of"] and r["confidence"] in {"V", "S", "R"} for r in rows)
    assert any(r["confidence"] == "R" for r in rows)


def test_report_on_the_bundled_sample():
    text = run("report", "--month", "2026-11").stdout
    for expected in (
        "All 9 repositories",
        "By namespace",
        "By region",
        "Internet egress tiers used",
        "team-a",
        "(root)",
        "eu-west-1",
        "Network (NAT",
    ):
        assert expected in text


def test_report_namespace_depth(tmp_path):
    path = write_csv(
        tmp_path / "s.csv",
        [
            {"repository": "org/team-a/web", "storage_gb": "1"},
            {"repository": "org/team-b/api", "storage_gb": "2"},
        ],
    )

    def namespaces(*options: str) -> list[list[str]]:
        text = run("report", path, *options).stdout
        section = text.split("By namespace")[1].split("By region")[0]
        return [line.split() for line in section.splitlines() if line.strip().startswith("org")]

    assert namespaces("--namespace-depth", "2") == [
        ["org/team-b", "1", "2.000", "$0.20", "$0.00", "$0.20"],
        ["org/team-a", "1", "1.000", "$0.10", "$0.00", "$0.10"],
    ]
    assert namespaces() == [["org", "2", "3.000", "$0.30", "$0.00", "$0.30"]]


def test_version_and_help_list_the_commands():
    assert run("--version").stdout.startswith("ecrcost ")
    text = run("--help").stdout
    for command in ("estimate", "report", "prices"):
        assert command in text


def test_python_api_as_the_readme_shows_it():
    import ecrcost

    est = ecrcost.estimate(ecrcost.load(ecrcost.sample_path()), month="2026-11")
    teams = ecrcost.breakdown.by(est, "namespace", depth=1)
    assert sum(teams["total_usd"]) == est.totals(D("0.01"))["total_usd"]
    assert {"team-a", "team-b", "(root)"} <= set(teams["namespace"])


def test_output_files_get_the_permissions_open_would_give(scenario_file, tmp_path):
    import os

    old = os.umask(0o022)
    try:
        out = tmp_path / "e.json"
        run("estimate", scenario_file, "--format", "json", "--output", out)
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644  # shareable, not mkstemp's private 0600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
