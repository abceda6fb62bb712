"""How fast ``ecrcost pulls`` reads a month of CloudTrail: N synthetic ECR events (9 in 10
GetDownloadUrlForLayer, 1 in 10 BatchGetImage; records shaped like AWS's, with userIdentity and
request parameters; 50 repositories, 2,000 layers, 5,000 source addresses, a third through a VPC
endpoint) written by DuckDB as gzipped trail files of 20,000 records under benchmarks/out/, then
the whole ``pulls`` run (read, size, classify, write the tables) and, in the same run, a plain DuckDB
``read_json`` over the same files (unnest and count per event name) as the yardstick. Peak memory is
the process's maximum resident set.

    uv run python benchmarks/bench_pulls.py --events 10000000
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd

from ecrcost.sources.trail import Options, read_trail
from ecrcost.sources.trail.events import STRUCTURE

OUT = Path(__file__).resolve().parent / "out"
ACCOUNT = "111122223333"
REPOS, LAYERS, ADDRESSES, PER_FILE = 50, 2000, 5000, 20_000


def digest(i: str) -> str:
    return f"'sha256:' || lpad(lower(to_hex({i})), 64, '0')"


def generate(events: int) -> Path:
    trail = OUT / f"trail-{events}"
    if trail.exists():
        return trail
    tmp = OUT / f"trail-{events}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    con = duckdb.connect()
    LAYER = digest(f"(i % {REPOS}) * 1000 + (i // 7) % ({LAYERS} // {REPOS})")
    # Addresses: a fifth in us-east-1's EC2 range (18.34.0.0/19), a fifth in eu-west-1's
    # (3.248.0.0/13), the rest outside AWS (198.51.100.0/24-like 100.64.x.y), one in 50 an AWS service.
    con.execute(f"""
        COPY (
          SELECT i // {PER_FILE} AS part, list({{
            eventVersion: '1.10',
            userIdentity: {{type: 'AssumedRole', principalId: 'AROAEXAMPLEID:i-0abc123def4567890',
              arn: 'arn:aws:sts::{ACCOUNT}:assumed-role/node-role/i-0abc123def4567890',
              accountId: '{ACCOUNT}', accessKeyId: 'ASIAEXAMPLEKEY',
              sessionContext: {{sessionIssuer: {{type: 'Role', principalId: 'AROAEXAMPLEID',
                arn: 'arn:aws:iam::{ACCOUNT}:role/node-role', accountId: '{ACCOUNT}',
                userName: 'node-role'}},
                attributes: {{creationDate: '2026-10-01T00:00:00Z',
                mfaAuthenticated: 'false'}}}}}},
            eventTime: strftime(TIMESTAMP '2026-10-01' + to_seconds((i * 7919) % 2678400),
              '%Y-%m-%dT%H:%M:%SZ'),
            eventSource: 'ecr.amazonaws.com',
            eventName: CASE WHEN i % 10 = 0 THEN 'BatchGetImage' ELSE 'GetDownloadUrlForLayer' END,
            awsRegion: 'us-east-1',
            sourceIPAddress: CASE WHEN i % 50 = 1 THEN 'ecr.amazonaws.com'
              WHEN (i % {ADDRESSES}) % 5 = 0
                THEN '18.34.' || ((i % {ADDRESSES}) // 256 % 32) || '.' || (i % 256)
              WHEN (i % {ADDRESSES}) % 5 = 1 THEN '3.248.' || ((i % {ADDRESSES}) // 256) || '.' || (i % 256)
              ELSE '100.64.' || ((i % {ADDRESSES}) // 256) || '.' || (i % 256) END,
            userAgent: 'containerd/1.7.22',
            requestParameters: {{registryId: '{ACCOUNT}', repositoryName: 'repo-' || (i % {REPOS}),
              layerDigest: CASE WHEN i % 10 <> 0 THEN {LAYER} END,
              imageIds: CASE WHEN i % 10 = 0 THEN [{{imageTag: 'v' || ((i // 10) % 4)}}] END}},
            responseElements: NULL,
            requestID: uuid()::VARCHAR, eventID: uuid()::VARCHAR, readOnly: true,
            resources: [{{accountId: '{ACCOUNT}',
              ARN: 'arn:aws:ecr:us-east-1:{ACCOUNT}:repository/repo-' || (i % {REPOS})}}],
            eventType: 'AwsApiCall', managementEvent: true, recipientAccountId: '{ACCOUNT}',
            vpcEndpointId: CASE WHEN i % 3 = 0 THEN 'vpce-0a1b2c3d4e5f60789' END,
            eventCategory: 'Management'
          }}) AS Records
          FROM range({events}) t(i) GROUP BY part
        ) TO '{tmp}' (FORMAT json, COMPRESSION gzip, PARTITION_BY (part))
    """)
    tmp.rename(trail)
    return trail


def inventory(folder: Path) -> Path:
    """Images v0..v3 per repository, each with the repository's 40 layers of 1–50 MB."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    per = LAYERS // REPOS
    images, layers = [], []
    for r in range(REPOS):
        for v in range(4):
            image = f"sha256:{(10**9 + r * 10 + v):064x}"
            images.append((ACCOUNT, "us-east-1", f"repo-{r}", image, 0, "2026-09-01T00:00:00Z", f"v{v}"))
            for j in range(per):
                layers.append(
                    (
                        ACCOUNT,
                        "us-east-1",
                        f"repo-{r}",
                        image,
                        f"sha256:{r * 1000 + j:064x}",
                        1_000_000 * (1 + (j * 7) % 50),
                    )
                )
    cols = ["account_id", "region", "repository", "image_digest", "size_bytes", "pushed_at", "image_tags"]
    pd.DataFrame(images, columns=cols).to_csv(folder / "images.csv", index=False)
    lcols = ["account_id", "region", "repository", "image_digest", "layer_digest", "size_bytes"]
    pd.DataFrame(layers, columns=lcols).to_csv(folder / "layers.csv", index=False)
    return folder


def ip_ranges(path: Path) -> Path:
    """AWS's layout with about as many prefixes as the real file (the benchmark's two real ones, and
    8,000 more /24s elsewhere)."""
    prefixes = [
        {
            "ip_prefix": "18.34.0.0/19",
            "region": "us-east-1",
            "service": "EC2",
            "network_border_group": "us-east-1",
        },
        {
            "ip_prefix": "3.248.0.0/13",
            "region": "eu-west-1",
            "service": "EC2",
            "network_border_group": "eu-west-1",
        },
    ]
    regions = ["us-west-2", "eu-central-1", "ap-southeast-1", "GLOBAL"]
    for i in range(8000):
        prefixes.append(
            {
                "ip_prefix": f"52.{i // 256}.{i % 256}.0/24",
                "region": regions[i % 4],
                "service": "AMAZON",
                "network_border_group": regions[i % 4],
            }
        )
    path.write_text(
        json.dumps(
            {"syncToken": "1", "createDate": "2026-10-28-00-00-00", "prefixes": prefixes, "ipv6_prefixes": []}
        )
    )
    return path


def plain(trail: Path) -> tuple[float, int]:
    start = time.perf_counter()
    files = [str(p) for p in trail.rglob("*.json.gz")]
    rows = duckdb.sql(
        f"""SELECT r.eventName, count(*) FROM (SELECT unnest(from_json(json, '{STRUCTURE}').Records) AS r
        FROM read_json_objects({files}, maximum_object_size=536870912)) GROUP BY ALL"""
    ).fetchall()
    return time.perf_counter() - start, sum(n for _, n in rows)


class Scratch(threading.Thread):
    """The peak size of the unzipped record arrays waiting in memory for DuckDB (``/dev/shm``, which
    the process's resident set does not count), sampled every 20 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.done, self.peak = False, 0

    def run(self) -> None:
        root = Path("/dev/shm")
        while not self.done:
            size = sum(p.stat().st_size for d in root.glob("ecrcost-trail-*") for p in d.glob("*"))
            self.peak = max(self.peak, size)
            time.sleep(0.02)


def measure(what: str, events: int) -> dict[str, float]:
    """Run one side in a fresh process: its time and its own peak resident memory."""
    out = subprocess.run(
        [sys.executable, __file__, "--events", str(events), "--phase", what],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def phase(what: str, events: int) -> None:
    trail = OUT / f"trail-{events}"
    if what == "generate":
        start = time.perf_counter()
        generate(events)
        print(json.dumps({"seconds": time.perf_counter() - start}))
        return
    if what == "plain":
        seconds, counted = plain(trail)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"seconds": seconds, "records": counted, "rss_mib": rss}))
        return
    folder = inventory(OUT / "pulls-inventory")
    ranges = ip_ranges(OUT / "ip-ranges.json")
    scratch = Scratch()
    scratch.start()
    start = time.perf_counter()
    result = read_trail(
        Options(inventory=folder, trail=str(trail), month="2026-10", ip_ranges=ranges, quiet=True)
    )
    seconds = time.perf_counter() - start
    scratch.done = True
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = result.summary
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rss_mib": rss,
                "scratch_mib": scratch.peak / 2**20,
                "downloads": s["download_events"],
                "pulls": s["pull_events"],
                "bytes": s["bytes"],
                "by_class": s["bytes_by_class"],
                "unclassified": s["unclassified_bytes"],
                "unknown": s["unknown_layer_events"],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--phase", choices=["generate", "plain", "pulls"])
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, args.events)
        return
    made = measure("generate", args.events)["seconds"]
    trail = OUT / f"trail-{args.events}"
    files = list(trail.rglob("*.json.gz"))
    size = sum(p.stat().st_size for p in files)
    ours = measure("pulls", args.events)
    yard = measure("plain", args.events)
    total = ours["bytes"]
    print(
        f"events {args.events:,} in {len(files)} files, {size / 2**20:.0f} MiB gzipped "
        f"(generated in {made:.1f} s)"
    )
    print(
        f"ecrcost pulls: {ours['seconds']:.1f} s ({args.events / ours['seconds'] / 1e6:.2f} M events/s), "
        f"peak RSS {ours['rss_mib']:.0f} MiB + {ours['scratch_mib']:.0f} MiB of unzipped records in /dev/shm"
    )
    print(
        f"plain DuckDB read_json_objects + from_json + unnest + count: {yard['seconds']:.1f} s "
        f"({yard['records']:,} records), peak RSS {yard['rss_mib']:.0f} MiB; "
        f"ratio {ours['seconds'] / yard['seconds']:.2f}"
    )
    print(
        f"downloads {ours['downloads']:,}, pulls {ours['pulls']:,}, bytes {total / 2**30:,.1f} GB: "
        + ", ".join(f"{c} {100 * n / total:.1f}%" for c, n in ours["by_class"].items())
        + f"; unclassified {100 * ours['unclassified'] / total:.2f}%; "
        + f"unknown-layer events {ours['unknown']:,}"
    )


if __name__ == "__main__":
    main()
