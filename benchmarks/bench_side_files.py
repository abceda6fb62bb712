"""What the input hardening of issue 10 (section 5) costs on large inputs: checking a collection.json of
100,000 coverage gaps against json.loads alone, and reading 1M-row images.parquet files whose
image_tags are text or a list of text, or whose repository is binary.

    uv run python benchmarks/bench_side_files.py
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecrcost.sources.files import read_table
from ecrcost.sources.inventory import IMAGES_OPTIONAL, IMAGES_REQUIRED
from ecrcost.sources.summary import read_summary


def best(run: Callable[[], object], times: int = 3) -> float:
    out = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        out.append(time.perf_counter() - start)
    return min(out)


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    gap = {"account_id": "111122223333", "region": "us-east-1", "operation": "DescribeImages"}
    gaps = [
        {**gap, "repository": f"r{i}", "error_code": "AccessDenied", "message": "x"} for i in range(100_000)
    ]
    summary = folder / "collection.json"
    summary.write_text(json.dumps({"month": "2026-10", "coverage": {"gaps": gaps}}))
    loads = best(lambda: json.loads(summary.read_text()))
    checked = best(lambda: read_summary(folder))
    print(f"collection.json, 100k gaps: read_summary {checked:.3f}s, json.loads {loads:.3f}s")

    n = 1_000_000
    tags = [[f"v{i % 1000}", "latest"] if i % 3 else None for i in range(n)]
    base = {
        "repository": pa.array(["team-a/web"] * n),
        "image_digest": pa.array([f"sha256:{i:064x}" for i in range(n)]),
        "size_bytes": pa.array(np.ones(n, dtype="int64")),
        "pushed_at": pa.array(["2026-09-01T00:00:00Z"] * n),
    }
    variants = {
        "no tags": base,
        "text tags": {**base, "image_tags": pa.array([" ".join(t) if t else None for t in tags])},
        "list tags": {**base, "image_tags": pa.array(tags, pa.list_(pa.string()))},
        "binary repository": {**base, "repository": pa.array([b"team-a/web"] * n, pa.binary())},
    }
    for name, columns in variants.items():
        path = folder / f"{name.replace(' ', '-')}.parquet"
        pq.write_table(pa.table(columns), path)
        took = best(lambda p=path: read_table(p, IMAGES_REQUIRED, IMAGES_OPTIONAL, lists=["image_tags"]))
        print(f"read_table, 1M rows, {name}: {took:.3f}s")


if __name__ == "__main__":
    main()
