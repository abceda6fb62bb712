"""Time of what people see on a large inventory: the finance export, the report's charts and HTML, and
the lifecycle what-if. One process, the inventory loaded once; each phase timed on its own.

    uv run python benchmarks/bench_outputs.py --images 1000000      # generates benchmarks/out/... if needed
    uv run python benchmarks/bench_outputs.py --folder PATH --month 2026-11

Phases: ``load``, ``estimate``, ``export focus`` (FOCUS rows + Parquet bytes), ``export simple``,
``aging`` (stored GB by image age), ``projection`` (six priced months from push history), ``charts +
html`` (every figure rendered to SVG, the HTML page), ``report --html`` (all of the report as the
command runs it, after its load: estimate, storage by age and projection sharing one metering pass,
charts and HTML), ``lifecycle`` (one two-rule policy: untagged images older than 14 days expire, tagged
images beyond the newest 20 expire). Peak RSS is the process's high-water mark at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                          "countNumber": 14},
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20},
            "action": {"type": "expire"},
        },
    ]
}  # fmt: skip


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--month", default="2026-11")
    args = parser.parse_args()
    folder = args.folder or OUT / f"inventory-{args.images}-seed{args.seed}"
    if not (folder / "images.parquet").exists() and not args.folder:
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), str(folder), "--images", str(args.images), "--seed",
             str(args.seed)],
            check=True,
        )  # fmt: skip

    import ecrcost
    from ecrcost import aging, charts, timeline
    from ecrcost.analysis.lifecycle import read_policy, simulate
    from ecrcost.app.report import report
    from ecrcost.outputs.export import focus, focus_frame, simple_frame
    from ecrcost.outputs.export.encode import parquet_bytes
    from ecrcost.outputs.html import report_html

    times: dict[str, float] = {}

    def timed(name, fn):
        start = time.perf_counter()
        value = fn()
        times[name] = time.perf_counter() - start
        print(f"{name:<14} {times[name]:7.1f} s", flush=True)
        return value

    options = ecrcost.PricingOptions.of(args.month)
    usage = timed("load", lambda: ecrcost.load(folder, options.prices))
    est = timed("estimate", lambda: ecrcost.estimate(usage, options=options))
    frame = timed("export focus", lambda: focus_frame(est, usage))
    timed("  parquet", lambda: parquet_bytes(frame, focus.DECIMALS, focus.TIMESTAMPS))
    timed("export simple", lambda: simple_frame(est, usage))
    stored = timed("aging", lambda: aging.stored_by_age(usage, est.period))
    future = timed("projection", lambda: timeline.projection(usage, options, current=est))

    def page() -> str:
        figs = charts.figures(est, aging=stored, timeline=future)
        for fig in figs.values():
            charts.render(fig, "svg")
        return report_html(est, figs, stored, future)

    timed("charts + html", page)
    fresh = ecrcost.load(folder, options.prices)  # the report as the command runs it, on a new inventory
    timed("report --html", lambda: report(fresh, options, html=Path("report.html")))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(POLICY, fh)
    try:
        policy = read_policy(Path(fh.name))
        sim = timed(
            "lifecycle", lambda: simulate(usage, policy, as_of=f"{args.month}-27T00:00:00Z", month=args.month)
        )
    finally:
        os.unlink(fh.name)
    layers = 0 if usage.layers is None else len(usage.layers)
    print(
        f"\n{len(usage.images):,} images, {layers:,} layer rows; FOCUS rows {len(frame):,}; "
        f"lifecycle expires {len(sim.expired):,} images, saves ${sim.monthly_savings_usd:,.2f}/month; "
        f"peak RSS {_peak_mb() / 1024:.2f} GB"
    )


if __name__ == "__main__":
    main()
