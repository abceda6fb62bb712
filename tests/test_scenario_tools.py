"""Starting a what-if: ``scenario init`` (a commented starter file) and ``scenario from`` (the scenario
that reproduces an inventory's estimate), and the scenario features they rely on: a comment block
before the header, and one row per destination region."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from factories import GiB, Inventory, write_csv
from typer.testing import CliRunner

import ecrcost
from ecrcost.app.scenario import GUIDE
from ecrcost.cli import app
from ecrcost.sources.scenario import OPTIONAL, REQUIRED

runner = CliRunner()
X, TO = "cross_region_out_gb", "destination_region"


def run(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def total(path: Path, month: str = "2026-04") -> D:
    result = run("estimate", path, "--month", month, "-f", "json")
    assert result.exit_code == 0, result.output
    return D(str(json.loads(result.stdout, parse_float=D)["total_usd"]))


def test_init_writes_a_commented_scenario_that_prices(tmp_path):
    path = tmp_path / "scenario.csv"
    result = run("scenario", "init", path)
    assert result.exit_code == 0 and f"wrote {path}" in result.stderr
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# ") and all(f"#   {name} " in text for name in GUIDE)
    bare = tmp_path / "bare.csv"  # the comments change nothing
    bare.write_text(
        "".join(line for line in text.splitlines(True) if not line.startswith("#")), encoding="utf-8"
    )
    assert total(path, "2026-10") == total(bare, "2026-10") > 0
    again = run("scenario", "init", path)
    assert again.exit_code == 2 and "--force" in again.stderr
    assert run("scenario", "init", path, "--force").exit_code == 0


def test_the_guide_lists_every_scenario_column():
    assert set(GUIDE) == set(REQUIRED) | set(OPTIONAL)


def test_comment_lines_before_the_header_are_skipped_and_lines_still_counted(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        '# a guide, with "quotes", and, commas\n\n#  more\n\n'
        "repository,storage_gb\nteam-a/web,10\nteam-a/api,x\n"
    )
    result = run("estimate", path)
    assert result.exit_code == 2 and "line 7, column 'storage_gb'" in result.stderr  # the file's own line
    path.write_text(
        "\ufeff# with a byte-order mark\nrepository,storage_gb\nteam-a/web,10\n", encoding="utf-8"
    )
    assert total(path, "2026-10") == D("1")  # 10 GB-month x $0.10
    path.write_text("# only a comment\n")
    result = run("estimate", path)
    assert result.exit_code == 2 and "line 2: no header row after the comments" in result.stderr


def test_a_repository_takes_a_row_per_destination_region(tmp_path):
    path = write_csv(tmp_path / "s.csv", [
        {"repository": "web", "storage_gb": "100", X: "300", TO: "eu-west-1",
         "internet_out_gb": "50"},
        {"repository": "web", "storage_gb": "0", X: "200", TO: "ap-south-1"},
    ])  # fmt: skip
    est = ecrcost.estimate(path, month="2026-10")
    cross = est.lines[est.lines["charge"] == "cross_region"]
    assert sorted(zip(cross["destination_region"], cross["quantity"], strict=True)) == [
        ("ap-south-1", 200), ("eu-west-1", 300)
    ]  # fmt: skip
    storage = est.lines[est.lines["charge"] == "standard_storage"]
    assert list(storage["quantity"]) == [100]  # stored once, not once per row
    # 100 x $0.10 + 50 x $0.09 + 500 x $0.02 (us-east-1 to any region, by the source region)
    assert est.totals(D("0.01"))["total_usd"] == D("24.50")


def test_storage_on_two_rows_of_a_repository_is_named(tmp_path):
    path = write_csv(tmp_path / "s.csv", [
        {"repository": "web", "storage_gb": "100", X: "1", TO: "eu-west-1"},
        {"repository": "web", "storage_gb": "100", X: "1", TO: "ap-south-1"},
    ])  # fmt: skip
    result = run("estimate", path)
    assert (
        result.exit_code == 2 and "line 3, column 'storage_gb'" in result.stderr and "once" in result.stderr
    )
    same = write_csv(tmp_path / "same.csv", [{"repository": "web", "storage_gb": "1"}] * 2)
    result = run("estimate", same)
    assert result.exit_code == 2 and "appears twice" in result.stderr


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    """Two regions, an archived image deleted early, transfer to two destinations and the internet."""
    inv = Inventory(tmp_path / "inventory")
    inv.repository("team-a/web", tags={"Team": "team-a"}, account=inv.account)
    inv.push("team-a/web", "v1", "2026-03-01T00:00:00Z", {"base": 3 * GiB, "app": GiB // 3})
    inv.push("team-a/web", "v2", "2026-04-10T06:00:00Z", {"base": 3 * GiB, "app2": GiB // 7})
    inv.push("team-a/web", "old", "2026-01-01T00:00:00Z", {"old": 20 * GiB}, status="ARCHIVED",
             last_archived_at="2026-04-01T00:00:00Z", deleted_at="2026-04-16T00:00:00Z")  # fmt: skip
    inv.push("tools", "v1", "2026-02-01T00:00:00Z", {"t": 123_456_789}, region="eu-west-1")
    folder = inv.write()
    write_csv(folder / "transfer.csv", [
        {"account_id": inv.account, "region": "us-east-1", "repository": "team-a/web",
         "internet_out_gb": "850.5", "same_region_out_gb": "3200", X: "300", TO: "eu-west-1"},
        {"account_id": inv.account, "region": "us-east-1", "repository": "team-a/web",
         X: "120.25", TO: "ap-south-1"},
        {"account_id": inv.account, "region": "eu-west-1", "repository": "tools", "internet_out_gb": "12000",
         "nat_gateway_gb": "40"},
    ])  # fmt: skip
    return folder


def test_from_inventory_reproduces_the_estimate_except_what_a_scenario_cannot_hold(estate, tmp_path):
    out = tmp_path / "from.csv"
    result = run("scenario", "from", estate, "--month", "2026-04", "-o", out, "--free-internet-gb", "100")
    assert result.exit_code == 0, result.output
    inventory = ecrcost.estimate(estate, month="2026-04", free_internet_gb=100)
    scenario = ecrcost.estimate(out, month="2026-04", free_internet_gb=100)
    early = sum(inventory.lines[inventory.lines["charge"] == "archive_early_deletion"]["cost"], D(0))
    assert early == D("5.00")  # 50 GB-month of the 90-day minimum at $0.10 (test_billing_rules)
    # everything but the early deletion, to the micro-dollar, line by line
    keep = ["account_id", "region", "repository", "charge", "destination_region", "quantity", "cost"]

    def lines(est: ecrcost.Estimate) -> list[tuple[object, ...]]:
        rows = est.lines[est.lines["charge"] != "archive_early_deletion"][keep]
        return sorted((*r[:5], round(r[5], 9), round(r[6], 9)) for r in rows.itertuples(index=False))

    assert lines(scenario) == lines(inventory)
    assert inventory.total_usd - scenario.total_usd == early
    assert (
        "priced back: $-5.00 from the inventory's" in result.stderr
        and "archive early deletion" in result.stderr
    )
    text = out.read_text(encoding="utf-8")
    assert "# Not in this scenario: archive early deletion, 50 GB-month, $5.00" in text
    header = next(line for line in text.splitlines() if not line.startswith("#"))
    assert header.split(",")[3] == "team"  # the Team tag, for chargeback
    assert ",team-a," in text


def test_from_the_sample_comes_to_the_same_total(tmp_path):
    out = tmp_path / "sample.csv"
    result = run("scenario", "from", ecrcost.sample_path(), "--month", "2026-10", "-o", out)
    assert result.exit_code == 0 and "as the inventory" in result.stderr
    assert total(out, "2026-10") == ecrcost.estimate(ecrcost.sample_path(), month="2026-10").total_usd


def test_from_refuses_a_scenario_file(tmp_path):
    result = run("scenario", "from", Path(__file__).parent.parent / "data" / "examples" / "scenario.csv")
    assert result.exit_code == 2 and "not an inventory folder" in result.stderr
