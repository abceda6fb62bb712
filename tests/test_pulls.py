"""``ecrcost pulls``: CloudTrail's ECR events in AWS's record format (tests/fixtures/trail), from a
local folder, from moto's S3 over HTTP (an organization trail) and from LookupEvents through the test
front (paged, throttled), into the inventory's transfer and pulls tables that estimate prices."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import boto3
import pandas as pd
import pytest
from typer.testing import CliRunner

import ecrcost
from ecrcost.cli import app
from ecrcost.core.pricebook import load_pricebook
from ecrcost.sources.trail import Options, read_trail
from tests import trailfiles as tf
from tests.collect_seed import aws_env

runner = CliRunner()
GB = D(2**30)
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def run(inventory: Path, trail: str | Path, *extra: str):
    args = ["pulls", str(inventory), "--month", tf.MONTH, "--trail", str(trail)]
    return runner.invoke(app, [*args, "--ip-ranges", str(tf.IP_RANGES), "--quiet", *extra])


def by_class(inventory: Path) -> dict[tuple[str, str, str], D]:
    """GB per (repository, class, destination) read back from the transfer and pulls tables: the
    transfer table has internet and cross-region; the pulls table splits same region from AWS services."""
    transfer = pd.read_csv(inventory / "transfer.csv", dtype=str, keep_default_na=False)
    mine = transfer[transfer["basis"] == "cloudtrail"]
    out: dict[tuple[str, str, str], D] = {}
    for row in mine.itertuples():
        for cls, col in (("internet", "internet_out_gb"), ("cross_region", "cross_region_out_gb")):
            if D(getattr(row, col)):
                out[(row.repository, cls, row.destination_region)] = D(getattr(row, col))
    pulls = pd.read_csv(inventory / "pulls.csv", dtype={"image_digest": str}, keep_default_na=False)
    for cls in ("same_region", "aws_service"):
        sums = pulls.groupby("repository")[f"{cls}_bytes"].sum()
        for repo, n in sums.items():
            if n:
                out[(str(repo), cls, "")] = D(int(n)) / GB
    return out


@pytest.fixture
def month(tmp_path):
    inventory = tf.inventory(tmp_path)
    return inventory, tf.write_trail(tmp_path / "trail")


def test_a_fixture_month_gives_the_hand_computed_gb_per_repository_and_class_and_estimate_prices_it(month):
    inventory, trail = month
    result = run(inventory, trail)
    assert result.exit_code == 0, result.output
    assert by_class(inventory) == {k: D(v) / GB for k, v in tf.EXPECTED.items()}
    transfer = pd.read_csv(inventory / "transfer.csv", dtype=str, keep_default_na=False)
    web = transfer[(transfer["repository"] == "team-a/web") & (transfer["destination_region"] == "")]
    # the same-region column holds the endpoint pull, the cached-base pull (and AWS services' bytes)
    assert D(web["same_region_out_gb"].item()) == D(tf.V1 + tf.C2 + tf.A4) / GB
    tool = transfer[transfer["repository"] == "team-a/tool"]
    assert D(tool["same_region_out_gb"].item()) == D(tf.C3 + tf.T1 + tf.T1) / GB
    # the registry the trail has nothing for keeps collect's estimate
    kept = transfer[transfer["region"] == "eu-west-1"]
    assert kept["basis"].tolist() == ["estimate"] and kept["internet_out_gb"].tolist() == ["0.25"]

    est = ecrcost.estimate(ecrcost.load(inventory), month=tf.MONTH)
    web_exact = est.exact.set_index("repository").loc["team-a/web"]
    assert web_exact["internet_out_gb"] == D(tf.V2 + tf.A3) / GB
    assert web_exact["cross_region_out_gb"] == D(tf.V1) / GB
    assert web_exact["same_region_out_gb"] == D(tf.V1 + tf.C2 + tf.A4) / GB
    # priced at the first internet tier (far below 10 TB), to the exact dollar
    rate = load_pricebook().region("us-east-1").tiers("internet_out")[0].usd_per_gb
    assert web_exact["internet_usd"] == D(tf.V2 + tf.A3) / GB * rate
    items = est.line_items()
    cross = items[(items["repository"] == "team-a/web") & (items["charge"] == "cross_region")]
    assert cross["destination_region"].tolist() == ["eu-west-1"] and float(cross["cost_usd"].item()) > 0
    assert any("measured from CloudTrail" in n for n in est.notes)
    assert not any("estimate from pull counts: bytes per pull" in n for n in est.notes)


def test_the_pulls_table_counts_pulls_per_image_and_reports_what_it_could_not_size_or_place(month):
    inventory, trail = month
    result = run(inventory, trail)
    assert result.exit_code == 0, result.output
    pulls = pd.read_csv(inventory / "pulls.csv", dtype=str, keep_default_na=False).set_index("image_digest")
    v1, v2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    assert pulls.loc[v1, "pull_count"] == "2" and int(pulls.loc[v1, "bytes"]) == 2 * tf.V1
    # the second pull of v2 reuses the cached base layers: two downloads, not four
    assert pulls.loc[v2, "pull_count"] == "2" and pulls.loc[v2, "layer_downloads"] == "7"
    assert int(pulls.loc[v2, "bytes"]) == tf.V2 + tf.C2 + tf.A4
    assert pulls.loc[v2, "top_class"] == "internet"
    assert pulls.loc[v1, "first_pull_at"] == "2026-10-03T10:00:00Z"
    summary = json.loads((inventory / "collection.json").read_text())["pulls"]
    assert summary["unknown_layer_events"] == 1
    assert summary["unknown_layers"][0]["layer_digest"] == "sha256:" + "9" * 64
    assert summary["skipped_events"] == {"failed call (errorCode)": 1}
    assert summary["unclassified_bytes"] == tf.UNCLASSIFIED
    assert summary["ip_ranges"]["syncToken"] == "1793000000"
    assert summary["coverage"]["complete"] is True
    assert "1 download(s) of layers the inventory does not hold" in result.stderr
    assert "1793000000" in result.stderr


def test_a_truncated_file_and_a_missing_day_are_gaps_exit_3_not_extrapolated(tmp_path):
    inventory = tf.inventory(tmp_path)
    trail = tf.write_trail(tmp_path / "trail", missing=("2026-10-20",), truncated="2026-10-09")
    result = run(inventory, trail)
    assert result.exit_code == 3, result.output
    assert "not a complete gzip file" in result.stderr
    assert "MissingDays (2026-10-09, 2026-10-20)" in result.stderr
    # the internet pull was in the truncated file: its bytes are missing, not guessed
    got = by_class(inventory)
    assert ("team-a/web", "internet", "") in got and got[("team-a/web", "internet", "")] == D(tf.A3) / GB
    doc = json.loads((inventory / "collection.json").read_text())
    assert doc["pulls"]["coverage"]["complete"] is False
    assert doc["pulls"]["files_unreadable"] == 1
    est = ecrcost.estimate(ecrcost.load(inventory), month=tf.MONTH)
    assert any("Partial trail coverage, not extrapolated" in n for n in est.notes)


def test_an_inventory_without_the_trails_month_or_ip_ranges_is_one_line_exit_2(month, tmp_path, monkeypatch):
    inventory, trail = month
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    no_ranges = runner.invoke(app, ["pulls", str(inventory), "--month", tf.MONTH, "--trail", str(trail)])
    assert no_ranges.exit_code == 2 and "ip-ranges.json" in no_ranges.stderr
    other = (
        run(inventory, trail).exit_code,
        runner.invoke(
            app,
            [
                "pulls",
                str(inventory),
                "--month",
                "2026-09",
                "--trail",
                str(trail),
                "--ip-ranges",
                str(tf.IP_RANGES),
            ],
        ),
    )
    assert other[1].exit_code == 2 and "no trail files for 2026-09" in other[1].stderr
    bad = tmp_path / "ranges.json"
    bad.write_text('{"prefixes": [{"ip_prefix": "3.248.0.0/33", "region": "eu-west-1"}]}')
    wrong = runner.invoke(
        app, ["pulls", str(inventory), "--month", tf.MONTH, "--trail", str(trail), "--ip-ranges", str(bad)]
    )
    assert (
        wrong.exit_code == 2 and "prefixes[0].ip_prefix" in wrong.stderr and "Traceback" not in wrong.output
    )


@pytest.fixture(scope="module")
def front():
    from tests.fakeaws import Server

    server = Server()
    yield server
    server.stop()


def test_an_organization_trail_in_s3_is_read_like_the_folder(front, tmp_path, monkeypatch):
    aws_env(monkeypatch, front.url)
    front.front.reset()
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="org-trail")
    for key, data in tf.trail_files(org="o-a1b2c3d4e5").items():
        s3.put_object(Bucket="org-trail", Key=f"logs/{key}", Body=data)
    # another month and the trail's digest files are not read
    s3.put_object(Bucket="org-trail", Key="logs/" + tf.key("2026-09-30", "o-a1b2c3d4e5"), Body=b"not read")
    digest = "logs/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail-Digest/us-east-1/2026/10/03/x.json.gz"
    s3.put_object(Bucket="org-trail", Key=digest, Body=b"not read")
    inventory = tf.inventory(tmp_path)
    result = run(inventory, "s3://org-trail/logs/")
    assert result.exit_code == 0, result.output
    assert by_class(inventory) == {k: D(v) / GB for k, v in tf.EXPECTED.items()}
    assert json.loads((inventory / "collection.json").read_text())["pulls"]["files_read"] == 31


def test_lookup_events_are_paged_and_throttled_and_cover_the_last_90_days(front, tmp_path, monkeypatch):
    aws_env(monkeypatch, front.url)
    front.front.reset()
    records = [r for recs in tf.day_records().values() for r in recs]
    front.front.trail_events["us-east-1"] = records
    front.front.page_size = 10
    front.front.throttle_every = 4
    inventory = tf.inventory(tmp_path)
    result = read_trail(
        Options(
            inventory=inventory,
            trail="lookup-events",
            month=tf.MONTH,
            ip_ranges=tf.IP_RANGES,
            quiet=True,
            now=NOW,
        )
    )
    assert not result.partial, result.gaps
    assert by_class(inventory) == {k: D(v) / GB for k, v in tf.EXPECTED.items()}
    pages_us = -(-len(records) // 10)
    assert front.front.throttled >= 1
    # every page of us-east-1, eu-west-1's one empty page, and each throttled call again
    assert front.front.requests["LookupEvents"] == pages_us + 1 + front.front.throttled
    # both regions answered for the whole month: eu-west-1 measured (nothing pulled), not estimated
    transfer = pd.read_csv(inventory / "transfer.csv", dtype=str, keep_default_na=False)
    assert set(transfer["basis"]) == {"cloudtrail"}


def test_lookup_events_no_longer_hold_a_month_older_than_90_days(front, tmp_path, monkeypatch):
    aws_env(monkeypatch, front.url)
    front.front.reset()
    late = datetime(2027, 1, 20, tzinfo=UTC)  # 90 days back is 2026-10-22 at midnight
    result = read_trail(
        Options(
            inventory=tf.inventory(tmp_path),
            trail="lookup-events",
            month=tf.MONTH,
            ip_ranges=tf.IP_RANGES,
            quiet=True,
            now=late,
        )
    )
    assert result.partial
    missing = [g for g in result.gaps if g.error_code == "MissingDays"]
    assert [g.message for g in missing] == ["2026-10-01..2026-10-21"] * 2  # both regions


def test_the_iam_policy_adds_exactly_what_pulls_reads_with():
    def actions(*args: str) -> set[str]:
        doc = json.loads(runner.invoke(app, ["iam-policy", *args]).stdout)
        return {a for s in doc["Statement"] for a in s["Action"]}

    assert actions("--pulls") - actions() == {
        "s3:GetObject",
        "s3:ListBucket",
        "cloudtrail:LookupEvents",
        "ec2:DescribeNatGateways",
    }


def test_a_json_trail_file_anywhere_in_a_folder_is_read_and_dated_by_its_events(tmp_path):
    inventory = tf.inventory(tmp_path)
    folder = tmp_path / "downloaded" / "deep"
    folder.mkdir(parents=True)
    for day, recs in tf.day_records().items():
        (folder / f"{day}.json").write_text(json.dumps({"Records": recs}))
    (folder / "notes.txt").write_text("not a trail file")
    result = run(inventory, tmp_path / "downloaded")
    assert result.exit_code == 0, result.output
    assert by_class(inventory) == {k: D(v) / GB for k, v in tf.EXPECTED.items()}
    gz = tmp_path / "g"
    gz.mkdir()
    (gz / "one.json.gz").write_bytes(gzip.compress(b'{"Records": [}'))
    bad = run(tf.inventory(tmp_path / "x"), gz)
    assert bad.exit_code == 2 and "no events or files for 2026-10" in bad.stderr


def test_a_trail_file_of_another_shape_is_read_the_slow_way_and_a_broken_array_costs_only_its_file(
    tmp_path,
):
    """AWS's files, {"Records":[…]}, have their array cut out for DuckDB's fast reader; a file of
    another shape (a key before Records, pretty-printed) gives the same bytes by the slower way; a file
    whose array is not JSON is one unreadable file, and the rest of its batch still counts."""
    inventory = tf.inventory(tmp_path)
    folder = tmp_path / "shapes"
    folder.mkdir()
    days = tf.day_records()
    for i, (day, recs) in enumerate(days.items()):
        doc = {"Records": recs} if i % 2 else {"note": "pretty-printed", "Records": recs}
        text = json.dumps(doc, separators=(",", ":")) if i % 2 else json.dumps(doc, indent=2)
        (folder / f"{day}.json.gz").write_bytes(gzip.compress(text.encode()))
    result = run(inventory, folder)
    assert result.exit_code == 0, result.output
    assert by_class(inventory) == {k: D(v) / GB for k, v in tf.EXPECTED.items()}

    broken = folder / "2026-10-31-broken.json.gz"
    broken.write_bytes(gzip.compress(b'{"Records":[{"eventVersion" "1.10"}]}'))
    (folder / "2026-10-31-notgzip.json.gz").write_bytes(b'{"Records":[]}')
    again = run(tf.inventory(tmp_path / "again"), folder)
    assert again.exit_code == 3, again.output
    assert "2026-10-31-broken.json.gz: not a CloudTrail file" in again.stderr
    assert "2026-10-31-notgzip.json.gz: not a complete gzip file" in again.stderr
    assert by_class(tmp_path / "again" / "inventory") == by_class(inventory)


def test_the_readme_example_data_is_the_fixture_month():
    """data/examples/pulls is built from these fixtures (uv run python -m tests.trailfiles)."""
    on_disk = {
        p.relative_to(tf.SAMPLE).as_posix(): p.read_bytes() for p in tf.SAMPLE.rglob("*") if p.is_file()
    }
    assert on_disk == tf.sample_files()


def test_the_report_shows_where_pulls_go_and_the_most_pulled_images(month, tmp_path):
    inventory, trail = month
    assert run(inventory, trail).exit_code == 0
    page = tmp_path / "report.html"
    html = runner.invoke(app, ["report", str(inventory), "--month", tf.MONTH, "--html", str(page)])
    assert html.exit_code == 0, html.output
    text = page.read_text()
    assert "<h2>Where pulls go</h2>" in text and "Most-pulled images" in text
    assert 'alt="Where pulls go' in text  # the chart
    shown = runner.invoke(app, ["report", str(inventory), "--month", tf.MONTH])
    assert "Where pulls go, GB measured from CloudTrail" in shown.stdout

    from ecrcost.analysis.pulls import where_pulls_go

    usage = ecrcost.load(inventory)
    est = ecrcost.estimate(usage, month=tf.MONTH)
    where = where_pulls_go(usage.pulls, est).set_index("repository")
    web = sum(v for (repo, _, _), v in tf.EXPECTED.items() if repo == "team-a/web")
    assert where.loc["team-a/web", "total_gb"] == D(web) / GB
    assert where.loc["team-a/tool", "aws_service_gb"] == D(tf.T1) / GB
    # the dollars are the estimate's, rounded so that the rows add up to the report's transfer
    assert sum(where["transfer_usd"]) == sum(
        est.rounded(D("0.01")).set_index("repository").loc[["team-a/web", "team-a/tool"], "transfer_usd"]
    )


def test_a_parquet_inventory_gets_parquet_tables_and_a_second_run_gives_the_same(tmp_path):
    from ecrcost.sources.collect.writer import write_table

    source = tf.inventory(tmp_path / "csv")
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    for name in ("images", "layers", "transfer"):
        write_table(
            pd.read_csv(source / f"{name}.csv", dtype=str, keep_default_na=False), inventory, name, "parquet"
        )
    (inventory / "collection.json").write_bytes((source / "collection.json").read_bytes())
    trail = tf.write_trail(tmp_path / "trail")
    first = run(inventory, trail)
    assert first.exit_code == 0, first.output
    assert {p.name for p in inventory.iterdir()} == {
        "images.parquet",
        "layers.parquet",
        "transfer.parquet",
        "pulls.parquet",
        "collection.json",
    }
    once = pd.read_parquet(inventory / "transfer.parquet")
    assert run(inventory, trail).exit_code == 0
    again = pd.read_parquet(inventory / "transfer.parquet")
    pd.testing.assert_frame_equal(once, again)
    assert sorted(again["basis"]) == ["cloudtrail"] * 3 + ["estimate"]
    est = ecrcost.estimate(ecrcost.load(inventory), month=tf.MONTH)
    web = est.exact.set_index("repository").loc["team-a/web"]
    # Parquet holds GB as decimals of 9 places (a nano-GB is about a byte); CSV keeps every digit
    assert abs(web["cross_region_out_gb"] - D(tf.V1) / GB) < D("1e-9")


def test_downloads_from_a_nat_gateway_count_as_nat_processing(front, tmp_path, monkeypatch):
    aws_env(monkeypatch, front.url)
    front.front.reset()
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")
    ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation["AllocationId"])
    ip = allocation["PublicIp"]
    # the cached-base pull of v2 comes from the NAT gateway's address, one of us-east-1's
    ranges = json.loads(tf.IP_RANGES.read_text())
    ranges["prefixes"].append({"ip_prefix": f"{ip}/32", "region": "us-east-1", "service": "EC2"})
    ranges_file = tmp_path / "ip-ranges.json"
    ranges_file.write_text(json.dumps(ranges))
    trail = tf.write_trail(tmp_path / "trail")
    day = trail / tf.key("2026-10-12")
    text = gzip.decompress(day.read_bytes()).decode().replace('"18.34.5.6"', json.dumps(ip))
    day.write_bytes(gzip.compress(text.encode()))
    inventory = tf.inventory(tmp_path)
    args = [
        "pulls",
        str(inventory),
        "--month",
        tf.MONTH,
        "--trail",
        str(trail),
        "--ip-ranges",
        str(ranges_file),
    ]
    result = runner.invoke(app, [*args, "--nat-gateways", "--quiet"])
    assert result.exit_code == 0, result.output
    assert by_class(inventory) == {k: D(v) / GB for k, v in tf.EXPECTED.items()}  # still same region
    est = ecrcost.estimate(ecrcost.load(inventory), month=tf.MONTH)
    network = est.network.set_index("repository")
    assert network.loc["team-a/web", "nat_gateway_gb"] == D(tf.C2 + tf.A4) / GB
    assert est.network_usd > 0
