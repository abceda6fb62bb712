"""What reading only the needed partitions and columns saves: a generated inventory split into
``account_id=…/region=…/`` partitions, read with every image column, with only the columns pricing
uses, and with one region selected; each in a fresh process (wall time and peak RSS). With ``--s3``,
the partitioned copy is uploaded to a local moto S3 (behind the tests' WSGI front, which logs each
request) and read in place: the bytes fetched against the bytes stored.

    uv run python benchmarks/bench_partitions.py --images 1000000
    uv run python benchmarks/bench_partitions.py --images 100000 --s3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
from bench_estimate import _rss_mb  # noqa: E402


def split(plain: Path, into: Path) -> list[tuple[str, str]]:
    """``plain``'s images and layers as one folder per (account, region), a row group at a time."""
    if (into / "done.json").is_file():
        return [tuple(p) for p in json.loads((into / "done.json").read_text())]
    seen: set[tuple[str, str]] = set()
    for table in ("images", "layers"):
        writers: dict[tuple[str, str], pq.ParquetWriter] = {}
        source = pq.ParquetFile(plain / f"{table}.parquet")
        for batch in source.iter_batches(batch_size=1_000_000):
            rows = pa.Table.from_batches([batch])
            keys = pc.unique(pc.binary_join_element_wise(rows["account_id"], rows["region"], "/")).to_pylist()
            for key in keys:
                account, region = key.split("/")
                mine = pc.and_(pc.equal(rows["account_id"], account), pc.equal(rows["region"], region))
                part = rows.filter(mine).drop_columns(["account_id", "region"])
                if (account, region) not in writers:
                    folder = into / f"account_id={account}" / f"region={region}"
                    folder.mkdir(parents=True, exist_ok=True)
                    writers[account, region] = pq.ParquetWriter(folder / f"{table}.parquet", part.schema)
                writers[account, region].write_table(part)
                seen.add((account, region))
        for writer in writers.values():
            writer.close()
    (into / "done.json").write_text(json.dumps(sorted(seen)))
    return sorted(seen)


def phase(folder: str, columns: str, region: str) -> dict:
    """One load in this process (run as a child): seconds, peak RSS, rows read."""
    import ecrcost
    from ecrcost.sources.select import PRICED_IMAGE_COLUMNS

    t0 = time.perf_counter()
    usage = ecrcost.load(
        folder,
        regions=[region] if region else (),
        image_columns=PRICED_IMAGE_COLUMNS if columns == "priced" else None,
    )
    seconds = time.perf_counter() - t0
    assert usage.images is not None
    return {
        "seconds": seconds,
        "peak_mb": _rss_mb(),  # VmHWM: ru_maxrss would carry this bench's own peak into the child
        "images": len(usage.images),
        "layers": len(usage.layers) if usage.layers is not None else 0,
    }


def child(folder: Path | str, columns: str, region: str = "", env: dict[str, str] | None = None) -> dict:
    cmd = [sys.executable, __file__, "--phase", str(folder), columns, region]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if proc.returncode:
        sys.exit(f"{cmd} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def s3(folder: Path, region: str) -> None:
    import boto3

    from tests.fakeaws import Server

    server = Server()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": server.url,
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }
    os.environ.update(env)
    client = boto3.client("s3")
    client.create_bucket(Bucket="bench")
    stored: dict[str, int] = {}
    for path in sorted(folder.rglob("*.parquet")):
        key = f"inv/{path.relative_to(folder).as_posix()}"
        client.upload_file(str(path), "bench", key)
        stored[f"/bench/{key}"] = path.stat().st_size
    for columns, where in (("every", ""), ("priced", ""), ("priced", region)):
        server.front.reset()
        got = child("s3://bench/inv", columns, where, env)
        fetched = {"images": 0, "layers": 0}
        for method, path, span in server.front.rest:
            if method == "GET" and span.startswith("bytes="):
                first, last = (int(n) for n in span.removeprefix("bytes=").split("-"))
                table = "images" if path.endswith("images.parquet?") else "layers"
                fetched[table] += min(last, stored[path.rstrip("?")] - 1) - first + 1
        label = f"{columns} columns" + (f", --region {where}" if where else "")
        sizes = []
        for table, got_bytes in fetched.items():
            total = sum(n for k, n in stored.items() if k.endswith(f"{table}.parquet"))
            sizes.append(f"fetched {table} {got_bytes / 2**20:,.1f} of {total / 2**20:,.1f} MiB")
        print(f"s3 {label:<43} {got['seconds']:7.1f} s {got['peak_mb']:8,.0f} MB   ", ", ".join(sizes))
    server.stop()


def main() -> None:
    if sys.argv[1:2] == ["--phase"]:
        print(json.dumps(phase(*sys.argv[2:5])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--s3", action="store_true", help="also read the partitions from a local moto S3")
    args = parser.parse_args()
    plain = OUT / f"inventory-{args.images}-seed{args.seed}"
    if not (plain / "generator.json").is_file():
        cmd = [sys.executable, str(HERE / "generate.py"), str(plain), "--images", str(args.images)]
        subprocess.run([*cmd, "--seed", str(args.seed)], check=True, stdout=subprocess.DEVNULL)
    parts = OUT / f"partitioned-{args.images}-seed{args.seed}"
    found = split(plain, parts)
    rows: dict[str, int] = {}
    for _, region in found:  # the region with the fewest images is the one selected
        rows[region] = rows.get(region, 0) + sum(
            pq.ParquetFile(p).metadata.num_rows for p in parts.glob(f"*/region={region}/images.parquet")
        )
    smallest = min(rows, key=lambda r: rows[r])
    print(f"{len(found)} partitions ({', '.join(f'{a}/{r}' for a, r in found)})")
    for folder, columns, region in (
        (plain, "every", ""),
        (parts, "every", ""),
        (parts, "priced", ""),
        (parts, "priced", smallest),
    ):
        got = child(folder, columns, region)
        label = ("plain folder, " if folder == plain else "") + f"{columns} columns"
        label += f", --region {region}" if region else ""
        print(
            f"local {label:<40} {got['seconds']:7.1f} s {got['peak_mb']:8,.0f} MB   "
            f"{got['images']:,} images, {got['layers']:,} layer rows"
        )
    if args.s3:
        s3(parts, smallest)


if __name__ == "__main__":
    main()
