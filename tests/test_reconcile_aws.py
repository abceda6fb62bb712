"""Reconcile against AWS over real HTTP: Cost Explorer's GetCostAndUsage on moto's server (results set
through moto's own API, two pages, behind the test front that throttles), and a CUR 2.0 export as a
folder of Parquet parts in moto's S3."""

from __future__ import annotations

import json
import urllib.request
from collections import defaultdict
from decimal import Decimal as D
from pathlib import Path

import boto3
import pytest
from billfiles import cur_rows, write_cur
from typer.testing import CliRunner

import ecrcost
from ecrcost.cli import app
from ecrcost.core.money import MICRO
from tests.collect_seed import reset

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample-registry"
MONTH = "2026-10"
runner = CliRunner()


@pytest.fixture(scope="module")
def est():
    return ecrcost.estimate(ecrcost.load(SAMPLE), month=MONTH)


def cli(*args: object):
    return runner.invoke(app, ["reconcile", str(SAMPLE), "--month", MONTH, *map(str, args)])


def ce_results(endpoint: str, pages: list[dict]) -> None:
    """Queue GetCostAndUsage answers in moto (each new request body takes the next one)."""
    body = json.dumps({"results": pages}).encode()
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/ce/cost-and-usage-results", data=body, method="POST"
    )
    urllib.request.urlopen(request).close()


def ce_pages(est) -> list[dict]:
    """The estimate as Cost Explorer would sum it (account × usage type), storage on page one and
    transfer on page two."""
    sums: dict[tuple[str, str], list[D]] = defaultdict(lambda: [D(0), D(0)])
    for line in est.billed_lines(MICRO).itertuples(index=False):
        s = sums[(line.account_id, line.usage_type)]
        s[0] += line.quantity
        s[1] += line.cost_rounded

    def group(key, v):
        return {
            "Keys": list(key),
            "Metrics": {
                "UnblendedCost": {"Amount": str(v[1]), "Unit": "USD"},
                "UsageQuantity": {"Amount": str(v[0]), "Unit": "N/A"},
            },
        }

    storage = [group(k, v) for k, v in sums.items() if "ByteHrs" in k[1]]
    transfer = [group(k, v) for k, v in sums.items() if "ByteHrs" not in k[1]]
    period = {"Start": "2026-10-01", "End": "2026-11-01"}
    return [
        {
            "ResultsByTime": [{"TimePeriod": period, "Total": {}, "Groups": storage, "Estimated": False}],
            "DimensionValueAttributes": [],
            "NextPageToken": "page-2",
        },
        {
            "ResultsByTime": [{"TimePeriod": period, "Total": {}, "Groups": transfer, "Estimated": False}],
            "DimensionValueAttributes": [],
        },
    ]


def test_cost_explorer_pages_and_throttling_are_followed_and_requests_counted(env, est):
    reset(env.server.url)
    ce_results(env.server.url, ce_pages(est))
    env.front.throttle_every = 2
    result = cli("--cost-explorer", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["billed_usd"] == doc["estimated_usd"] and doc["unexplained_usd"] == 0
    assert doc["source"]["resource_ids"] == "none" and {r["repository"] for r in doc["repositories"]} == {""}
    assert set(env.front.requests) == {"GetCostAndUsage"}  # the one declared call, nothing else
    sent = env.front.requests["GetCostAndUsage"]
    assert env.front.throttled_ops["GetCostAndUsage"] >= 1 and sent >= 3  # two pages, one retried at least
    assert doc["source"]["requests"] == sent
    assert f"Cost Explorer: {sent} request(s), ${D('0.01') * sent} charged by AWS" in doc["notes"]


def test_cost_explorer_pages_the_front_cuts_are_all_read(env, est):
    reset(env.server.url)
    pages = ce_pages(est)
    whole = pages[0]
    whole["ResultsByTime"][0]["Groups"] += pages[1]["ResultsByTime"][0]["Groups"]
    del whole["NextPageToken"]
    ce_results(env.server.url, [whole])
    env.front.page_size = 2
    groups = len(whole["ResultsByTime"][0]["Groups"])
    result = cli("--cost-explorer", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["billed_usd"] == doc["estimated_usd"] and doc["unexplained_usd"] == 0
    assert doc["source"]["requests"] == env.front.requests["GetCostAndUsage"] == -(-groups // 2) >= 3


def test_a_bad_cost_explorer_answer_is_a_gap_exit_3_never_a_zero(env, est):
    reset(env.server.url)
    env.front.faults["GetCostAndUsage"] = lambda body, request: b"{}"
    result = cli("--cost-explorer", "--format", "json")
    assert result.exit_code == 3, result.output
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert "GetCostAndUsage: bad answer (ResultsByTime missing" in result.stderr


def test_a_cur_export_in_s3_is_read_from_every_part_under_the_prefix(env, est, tmp_path):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="billing-exports")
    rows = cur_rows(est)
    prefix = "cur2/ecr/data/BILLING_PERIOD=2026-10"
    for i, part in enumerate((rows[:7], rows[7:])):
        path = write_cur(tmp_path / f"part-{i}.snappy.parquet", part)
        s3.upload_file(str(path), "billing-exports", f"{prefix}/part-{i}.snappy.parquet")
    s3.put_object(Bucket="billing-exports", Key="cur2/ecr/metadata/manifest.json", Body=b"{}")
    result = cli("--cur", "s3://billing-exports/cur2/ecr/", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (
        doc["source"]["files"] == 2
        and doc["unexplained_usd"] == 0
        and doc["billed_usd"] == float(est.total_usd)
    )
    missing = cli("--cur", "s3://no-such-bucket/x/")
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1 and "NoSuchBucket" in missing.stderr
