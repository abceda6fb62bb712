"""Every command on one inventory against the DuckDB yardstick, as a user runs them: each command is a
fresh ``python -m ecrcost ...`` process, timed (wall) and measured (peak RSS from ``wait4``), alternating
with the yardstick query of ``bench_estimate.py`` so that a busy machine slows both alike. The table
shows medians and the ratio of each command's median wall time to the yardstick's.

    uv run python benchmarks/bench_scale.py --folder benchmarks/out/inventory-1000000-seed1 --repeat 3
    uv run python benchmarks/bench_scale.py --folder PATH --commands estimate export --markdown

Commands: ``estimate`` (``-o out.json``), ``export`` (FOCUS CSV), ``report`` (``--html --charts``),
``lifecycle`` (the two-rule policy of ``bench_outputs.py``, ``-o out.json``). Outputs go to a temporary
folder removed at the end. ``ECRCOST_DUCKDB_MEMORY`` / ``ECRCOST_DUCKDB_TEMP`` pass through to the
children (docs/scale.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_estimate import _env  # noqa: E402
from bench_outputs import POLICY  # noqa: E402


def _argv(command: str, folder: Path, out: Path, month: str) -> list[str]:
    run = [sys.executable, "-m", "ecrcost"]
    if command == "estimate":
        return [*run, "estimate", str(folder), "--month", month, "-q", "-o", str(out / "estimate.json")]
    if command == "export":
        return [*run, "export", str(folder), "--month", month, "-q", "-o", str(out / "focus.csv")]
    if command == "report":
        return [
            *run, "report", str(folder), "--month", month, "-q",
            "--html", str(out / "report.html"), "--charts", str(out / "charts"),
        ]  # fmt: skip
    if command == "lifecycle":
        policy = out / "policy.json"
        policy.write_text(json.dumps(POLICY))
        return [
            *run, "lifecycle", str(folder), "--month", month, "--as-of", "2026-11-30T00:00:00Z",
            "--policy", str(policy), "-q", "-o", str(out / "lifecycle.json"),
        ]  # fmt: skip
    if command == "duckdb":
        return [
            sys.executable, str(HERE / "bench_estimate.py"), "--phase", "duckdb",
            "--folder", str(folder), "--month", month,
        ]  # fmt: skip
    raise ValueError(command)


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _run(
    argv: list[str], max_rss_mb: float | None = None, package: Path | None = None
) -> tuple[float, float]:
    """(wall s, peak RSS MiB) of one child process; exits on failure. With ``max_rss_mb``, a child
    whose RSS passes it is killed (a shared machine must not run out of memory) and reported as such."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(argv, env=_env(package), stdout=subprocess.DEVNULL, stderr=err_file)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if max_rss_mb is not None and _rss_mb(proc.pid) > max_rss_mb:
                proc.kill()
                proc.wait()
                sys.exit(
                    f"{' '.join(argv[2:5])}: killed above {max_rss_mb:,.0f} MiB "
                    f"after {time.perf_counter() - t0:.0f} s"
                )
            time.sleep(0.2)
        wall = time.perf_counter() - t0
        err_file.seek(0)
        err = err_file.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(argv[2:5])} failed (exit {code}):\n{err[-3000:]}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--commands", nargs="+", default=["estimate", "export", "report", "lifecycle"], help="which commands"
    )
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument(
        "--ecrcost-path", type=Path, help="measure the ecrcost package in this folder (first on PYTHONPATH)"
    )
    parser.add_argument("--max-rss-gb", type=float, help="kill (and stop at) a child whose RSS passes this")
    args = parser.parse_args()
    meta = args.folder / "generator.json"
    images = json.loads(meta.read_text())["images"] if meta.is_file() else None
    out = Path(tempfile.mkdtemp(prefix="ecrcost-scale-"))
    runs: dict[str, list[tuple[float, float]]] = {c: [] for c in ["duckdb", *args.commands]}
    try:
        for _ in range(args.repeat):
            for command in runs:
                limit = args.max_rss_gb * 1024 if args.max_rss_gb else None
                argv = _argv(command, args.folder, out, args.month)
                runs[command].append(_run(argv, limit, args.ecrcost_path))
                print(
                    f"  {command}: {runs[command][-1][0]:.2f} s, {runs[command][-1][1]:,.0f} MiB", flush=True
                )
    finally:
        shutil.rmtree(out, ignore_errors=True)
    duck = statistics.median(w for w, _ in runs["duckdb"])
    label = f"{images:,}" if images else str(args.folder)
    print()
    print("| images | command | median wall s | × DuckDB | peak RSS MiB (max) |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for command, measured in runs.items():
        wall = statistics.median(w for w, _ in measured)
        peak = max(p for _, p in measured)
        ratio = "1.00" if command == "duckdb" else f"{wall / duck:.2f}"
        print(f"| {label} | {command} | {wall:.2f} | {ratio} | {peak:,.0f} |")
    if args.json:
        args.json.write_text(
            json.dumps({"folder": str(args.folder), "images": images, "runs": runs}, indent=2)
        )


if __name__ == "__main__":
    main()
