"""What a workloads table costs on a large inventory: matching workloads to images, the chargeback by
workload (report --by workload) and a lifecycle what-if that keeps the running images.

    uv run python benchmarks/bench_workloads.py --images 1000000 --workloads 20000

A synthetic workloads table (``--workloads`` rows: ECS tasks by digest, spread over one service per 10
rows, 3 tasks each) is drawn from the generated inventory's images; the chargeback is checked to sum
to the estimate to the cent.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
WEEK = {"countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7}
UNTAGGED_WEEK = {
    "rules": [
        {"rulePriority": 1, "selection": {"tagStatus": "untagged", **WEEK}, "action": {"type": "expire"}}
    ]
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--workloads", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folder = OUT / f"inventory-{args.images}-seed{args.seed}"
    if not (folder / "images.parquet").exists():
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), str(folder), "--images", str(args.images), "--seed",
             str(args.seed)],
            check=True,
        )  # fmt: skip

    import ecrcost
    from ecrcost.analysis.chargeback import by_workload
    from ecrcost.analysis.lifecycle import simulate
    from ecrcost.analysis.lifecycle.policy import parse_policy
    from ecrcost.analysis.workloads import uses
    from ecrcost.sources.workloads import COLUMNS

    usage = ecrcost.load(folder)
    images = usage.images
    assert images is not None
    rng = np.random.default_rng(args.seed)
    pick = rng.choice(len(images), min(args.workloads, len(images)), replace=False)
    table = pd.DataFrame({c: "" for c in COLUMNS}, index=range(len(pick)))
    for c in ("account_id", "region", "repository", "image_digest"):
        table[c] = images[c].astype(str).to_numpy()[pick]
    table = table.assign(kind="ecs-task", cluster="prod", container="app", image="x", tasks=3)
    table["workload"] = [f"service-{i // 10}" for i in range(len(pick))]
    usage = replace(usage, workloads=table)
    timings: list[tuple[str, float]] = []

    def timed(name: str, call):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        value = call()
        timings.append((name, time.perf_counter() - start))
        return value

    pairs = timed("match workloads to images", lambda: uses(images, table))
    est = timed("estimate", lambda: ecrcost.estimate(usage, month="2026-11"))
    charged = timed("chargeback by workload", lambda: by_workload(est, usage))
    assert sum(charged["total_usd"], Decimal(0)) == est.totals(Decimal("0.01"))["total_usd"]
    policy = parse_policy(json.dumps(UNTAGGED_WEEK), "untagged-week")
    sim = timed("lifecycle what-if (keeps running)", lambda: simulate(usage, policy, month="2026-11"))
    bare = replace(usage, workloads=None)
    timed("the same what-if without workloads", lambda: simulate(bare, policy, month="2026-11"))
    print(f"{len(images):,} images, {len(table):,} workload rows, {len(pairs):,} image uses")
    print(f"{len(charged):,} chargeback rows; what-if: {sim.running[0]:,} running images kept")
    for name, seconds in timings:
        print(f"{name:40} {seconds:8.2f} s")


if __name__ == "__main__":
    main()
