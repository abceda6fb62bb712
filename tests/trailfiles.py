"""CloudTrail in AWS's own layout, built from the readable records under tests/fixtures/trail/records
(each file one day's ECR calls, in the record format of AWS's CloudTrail examples for ECR): gzipped
trail files under ``AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/``, one credential
helper token call on every day so that each day of the month has a file, and the inventory the
events refer to. ``EXPECTED`` holds the hand-computed bytes per repository and destination."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "trail"
RECORDS = FIXTURES / "records"
IP_RANGES = FIXTURES / "ip-ranges.json"
ACCOUNT = "123456789012"
REGION = "us-east-1"
MONTH = "2026-10"

# Layer sizes as layers.csv lists them (config blobs c*, shared base layers b*).
C1, C2, C3, B1, B2, A3, A4, T1 = 1000, 1200, 500, 50_000_000, 20_000_000, 5_000_000, 6_000_000, 30_000_000
V1 = C1 + B1 + B2 + A3  # image v1 of team-a/web, every blob
V2 = C2 + B1 + B2 + A4
# (repository, class, destination region) → bytes, from the records by hand:
EXPECTED = {
    ("team-a/web", "same_region", ""): V1 + (C2 + A4),  # endpoint pull of v1; the cached-base pull of v2
    ("team-a/web", "cross_region", "eu-west-1"): V1,  # an EC2 address of eu-west-1
    ("team-a/web", "internet", ""): V2 + A3,  # 203.0.113.50, and a3 to a CloudFront (GLOBAL) address
    ("team-a/tool", "same_region", ""): C3 + T1,  # an IPv6 address of us-east-1
    ("team-a/tool", "aws_service", ""): T1,  # ecr.amazonaws.com
}
UNCLASSIFIED = A3  # the GLOBAL address: priced as internet, reported as unclassified


def records(name: str) -> list[dict[str, Any]]:
    return json.loads((RECORDS / f"{name}.json").read_text())["Records"]


def day_records(month: str = MONTH) -> dict[str, list[dict[str, Any]]]:
    """Every day of the month → its records: the pull files on their days, a token call on each."""
    year, mon = map(int, month.split("-"))
    days = 31
    out: dict[str, list[dict[str, Any]]] = {}
    token = records("token")[0]
    for d in range(1, days + 1):
        day = f"{year:04d}-{mon:02d}-{d:02d}"
        out[day] = [dict(token, eventTime=f"{day}T00:05:00Z", eventID=f"token-{day}")]
    for path in sorted(RECORDS.glob("2*.json")):
        out[path.name[:10]].extend(records(path.stem))
    return out


def key(
    day: str, org: str | None = None, account: str = ACCOUNT, region: str = REGION, suffix: str = ".json.gz"
) -> str:
    y, m, d = day.split("-")
    base = f"AWSLogs/{org + '/' if org else ''}{account}/CloudTrail/{region}/{y}/{m}/{d}/"
    return f"{base}{account}_CloudTrail_{region}_{y}{m}{d}T0005Z_{d}ab12cd34ef56{suffix}"


def trail_files(
    missing: tuple[str, ...] = (), truncated: str | None = None, org: str | None = None
) -> dict[str, bytes]:
    """Object key → gzipped trail file, every day of the month but ``missing``; ``truncated``: that
    day's file cut in half."""
    out = {}
    for day, recs in day_records().items():
        if day in missing:
            continue
        data = gzip.compress(json.dumps({"Records": recs}).encode())
        out[key(day, org)] = data[: len(data) // 2] if day == truncated else data
    return out


def write_trail(root: Path, **kw: Any) -> Path:
    for name, data in trail_files(**kw).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def inventory(tmp: Path) -> Path:
    """A fresh copy of the fixture inventory (collect's estimate in transfer.csv)."""
    target = tmp / "inventory"
    shutil.copytree(FIXTURES / "inventory", target)
    return target


SAMPLE = Path(__file__).parent.parent / "data" / "examples" / "pulls"


def sample_files() -> dict[str, bytes]:
    """data/examples/pulls, the README's example: the fixture inventory, ip-ranges.json and the month's
    trail as plain .json files in AWS's layout."""
    out = {f"inventory/{p.name}": p.read_bytes() for p in sorted((FIXTURES / "inventory").iterdir())}
    out["ip-ranges.json"] = IP_RANGES.read_bytes()
    for day, recs in day_records().items():
        out[f"trail/{key(day, suffix='.json')}"] = (json.dumps({"Records": recs}, indent=1) + "\n").encode()
    return out


if __name__ == "__main__":  # uv run python -m tests.trailfiles: rewrite data/examples/pulls
    shutil.rmtree(SAMPLE, ignore_errors=True)
    for name, data in sample_files().items():
        (SAMPLE / name).parent.mkdir(parents=True, exist_ok=True)
        (SAMPLE / name).write_bytes(data)
