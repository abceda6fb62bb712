"""Time and memory of ``ecrcost.load`` + ``ecrcost.estimate`` on a large inventory folder, against a
pure-DuckDB yardstick reading the same Parquet files.

    uv run python benchmarks/bench_estimate.py --images 1000000            # generates benchmarks/out/...
    uv run python benchmarks/bench_estimate.py --folder PATH --month 2026-11

Every measurement runs in a fresh subprocess, so peak RSS (``ru_maxrss``: native DuckDB and Arrow
allocations included, unlike tracemalloc) belongs to that measurement alone:

* ``load``      — ``ecrcost.load(folder)`` (after ``import ecrcost``, which is timed on its own);
* ``estimate``  — loads the folder, resets the process high-water mark (``/proc/self/clear_refs``),
  then times ``ecrcost.estimate(usage, month=...)``; its peak includes the loaded ``Usage`` it holds,
  and the process peak over both steps is the end-to-end figure a CLI run would see. The rounding
  that every report does afterwards (``Estimate.totals()``) is timed separately;
* ``duckdb``    — the yardstick: one DuckDB query straight on the Parquet files computing what the
  storage meter computes (unique layer bytes × time stored per repository and storage class: the
  same join of layers to images, a blob stored for the union of its images' intervals, multi-arch
  indexes and layer-less images handled the same way). Its total GB-month must equal ecrcost's,
  which checks both.

Child processes get ``PYTHONPYCACHEPREFIX=benchmarks/out/pycache`` (bytecode is cached there, not in
the virtualenv), so import times are those of a normal install.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
GB = 2**30


def _rss_mb() -> float:
    """Peak RSS of this process so far, MiB.

    ``VmHWM`` from /proc/self/status where there is one: it is the kernel's RSS high-water mark of this
    process's own address space. ``ru_maxrss`` is the same figure, except that Linux carries the
    parent's high-water mark into a child across fork/exec, so a child of a big parent would report
    the parent's peak. Elsewhere, ``ru_maxrss`` (KiB on Linux, bytes on macOS)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _reset_peak() -> bool:
    """Reset the kernel's RSS high-water mark (VmHWM, ru_maxrss) to the current RSS (Linux ≥ 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _month_bounds(month: str) -> tuple[int, int, int]:
    """(start µs, end µs, seconds) of a YYYY-MM month in UTC."""
    from datetime import UTC, datetime

    year, mon = (int(p) for p in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp()) * 10**6, int(end.timestamp()) * 10**6, int((end - start).total_seconds())


# ---------------------------------------------------------------------------------------------------------
# Phases (run in child processes; each prints one JSON line).


def phase_load(folder: Path, month: str) -> dict:
    t0, c0 = time.perf_counter(), _cpu_s()
    import ecrcost

    t1, c1 = time.perf_counter(), _cpu_s()
    rss_import = _rss_mb()
    usage = ecrcost.load(folder)
    t2, c2 = time.perf_counter(), _cpu_s()
    return {
        "ecrcost": str(Path(ecrcost.__file__).parent),
        "import_s": t1 - t0,
        "import_cpu_s": c1 - c0,
        "import_peak_mb": rss_import,
        "load_s": t2 - t1,
        "load_cpu_s": c2 - c1,
        "peak_mb": _rss_mb(),
        "images": len(usage.images),
        "layer_rows": 0 if usage.layers is None else len(usage.layers),
    }


def phase_estimate(folder: Path, month: str) -> dict:
    import ecrcost

    t0, c0 = time.perf_counter(), _cpu_s()
    usage = ecrcost.load(folder)
    t1, c1 = time.perf_counter(), _cpu_s()
    load_peak = _rss_mb()
    reset = _reset_peak()
    held = _rss_mb()
    result = ecrcost.estimate(usage, month=month)
    t2, c2 = time.perf_counter(), _cpu_s()
    estimate_peak = _rss_mb()
    totals = result.totals()
    t3 = time.perf_counter()
    return {
        "load_s": t1 - t0,
        "load_cpu_s": c1 - c0,
        "estimate_s": t2 - t1,
        "estimate_cpu_s": c2 - c1,
        "totals_s": t3 - t2,
        "load_peak_mb": load_peak,
        "held_after_load_mb": held if reset else None,
        "estimate_peak_mb": estimate_peak if reset else None,
        "peak_mb": max(load_peak, _rss_mb()),
        "storage_gb_month": str(sum(result.exact["storage_gb_month"], Decimal(0))),
        "repositories": len(result.exact),
        "total_usd": str(totals["total_usd"]),
        "notes": list(result.notes),
    }


YARDSTICK = """
WITH img AS (
    SELECT account_id, region, repository, image_digest, size_bytes,
           greatest(least(epoch_us(pushed_at), {me}), {ms}) AS s,
           greatest(least(coalesce(epoch_us({deleted_at}), {me}), {me}), {ms}) AS e,
           image_status = 'ARCHIVED' AS archived
    FROM read_parquet('{images}')),
parents AS (
    SELECT DISTINCT account_id, region, repository, parent_digest AS image_digest
    FROM read_parquet('{images}') WHERE coalesce(parent_digest, '') <> ''),
lay AS (SELECT account_id, region, repository, image_digest, layer_digest, size_bytes
        FROM read_parquet('{layers}')),
blobs AS (
    SELECT l.account_id, l.region, l.repository, l.layer_digest AS blob, l.size_bytes, i.s, i.e, i.archived
    FROM lay l JOIN img i USING (account_id, region, repository, image_digest)
    UNION ALL
    SELECT i.account_id, i.region, i.repository, i.image_digest, i.size_bytes, i.s, i.e, i.archived
    FROM img i
    ANTI JOIN (SELECT DISTINCT account_id, region, repository, image_digest FROM lay) l
        USING (account_id, region, repository, image_digest)
    ANTI JOIN parents p USING (account_id, region, repository, image_digest)),
uniq AS (  -- each blob stored for the union of the intervals of the images holding it
    SELECT account_id, region, repository, blob, max(size_bytes) AS size_bytes,
           sum(greatest(e - greatest(s, coalesce(prev_e, s)), 0)) AS us, bool_and(archived) AS archived
    FROM (SELECT *, max(e) OVER (PARTITION BY account_id, region, repository, blob ORDER BY s, e
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_e
          FROM blobs WHERE e > s)
    GROUP BY account_id, region, repository, blob)
SELECT account_id, region, repository, CASE WHEN archived THEN 'archive' ELSE 'standard' END AS storage_class,
       sum(size_bytes::HUGEINT * us) AS byte_us, count(*) AS blobs
FROM uniq GROUP BY ALL ORDER BY ALL
"""


def phase_duckdb(folder: Path, month: str) -> dict:
    import duckdb

    ms, me, seconds = _month_bounds(month)
    t0, c0 = time.perf_counter(), _cpu_s()
    con = duckdb.connect()
    for setting, variable in (
        ("memory_limit", "ECRCOST_DUCKDB_MEMORY"),
        ("temp_directory", "ECRCOST_DUCKDB_TEMP"),
    ):
        if os.environ.get(variable):  # the same limit as ecrcost's, when one is set (bench_scale.py)
            con.execute(f"SET {setting} = '{os.environ[variable]}'")
    images = folder / "images.parquet"
    columns = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{images}')").fetchall()}
    deleted_at = "deleted_at" if "deleted_at" in columns else "NULL::TIMESTAMPTZ"
    sql = YARDSTICK.format(
        images=images, layers=folder / "layers.parquet", ms=ms, me=me, deleted_at=deleted_at
    )
    rows = con.execute(sql).fetchall()
    t1, c1 = time.perf_counter(), _cpu_s()
    byte_us = sum(r[4] for r in rows)
    gb_month = Decimal(byte_us) / Decimal(GB * seconds * 10**6)
    return {
        "query_s": t1 - t0,
        "query_cpu_s": c1 - c0,
        "peak_mb": _rss_mb(),
        "lines": len(rows),
        "repositories": len({r[:3] for r in rows}),
        "storage_gb_month": str(gb_month),
        "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
    }


def phase_profile(folder: Path, month: str) -> dict:
    """load + estimate under pyinstrument (``uv run --with pyinstrument ...``); the text report goes to
    ``ECRCOST_BENCH_PROFILE``."""
    from pyinstrument import Profiler

    import ecrcost

    profiler = Profiler(interval=0.005)
    with profiler:
        ecrcost.estimate(ecrcost.load(folder), month=month)
    out = Path(os.environ["ECRCOST_BENCH_PROFILE"])
    out.write_text(profiler.output_text(unicode=False, color=False))
    return {"profile": str(out)}


PHASES = {"load": phase_load, "estimate": phase_estimate, "duckdb": phase_duckdb, "profile": phase_profile}


# ---------------------------------------------------------------------------------------------------------
# Driver.


def _child(
    phase: str, folder: Path, month: str, ecrcost_path: Path | None, profile: Path | None = None
) -> dict:
    env = _env(ecrcost_path)
    if profile is not None:
        env["ECRCOST_BENCH_PROFILE"] = str(profile.resolve())
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--phase",
        phase,
        "--folder",
        str(folder),
        "--month",
        month,
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"phase {phase} failed (exit {proc.returncode}):\n{proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - t0
    return out


def _env(ecrcost_path: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
    if ecrcost_path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(ecrcost_path), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _git_state(repo: Path) -> str:
    """' (git <commit>[, uncommitted changes])' when ``repo`` is a git checkout."""
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "ecrcost"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f" (git {head}{', with uncommitted changes to ecrcost/' if dirty else ''})"


def _folder_for(images: int, seed: int) -> Path:
    """The cached generated inventory for (images, seed); generated by a child process (so this
    parent, whose memory children inherit in ru_maxrss, stays small)."""
    folder = OUT / f"inventory-{images}-seed{seed}"
    if not (folder / "generator.json").is_file():
        print(f"generating {images:,} images into {folder} ...", flush=True)
        cmd = [
            sys.executable,
            str(HERE / "generate.py"),
            str(folder),
            "--images",
            str(images),
            "--seed",
            str(seed),
        ]
        subprocess.run(cmd, env=_env(), check=True, stdout=subprocess.DEVNULL)
        summary = json.loads((folder / "generator.json").read_text())
        print(f"  done in {summary['seconds']} s: {summary['layer_rows']:,} layer rows", flush=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = parser.add_mutually_exclusive_group()
    src.add_argument(
        "--images",
        type=int,
        default=1_000_000,
        help="generate (once, cached under benchmarks/out/) an inventory of this many images",
    )
    src.add_argument("--folder", type=Path, help="an existing inventory folder (Parquet) instead")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--month", default="2026-11", help="billing month (default 2026-11, the generator's last month)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each phase; the table shows the fastest"
    )
    parser.add_argument("--json", type=Path, help="also write all measurements to this JSON file")
    parser.add_argument(
        "--ecrcost-path",
        type=Path,
        help="measure the ecrcost package found in this folder (put first on PYTHONPATH), e.g. a prototype",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="also profile load + estimate with pyinstrument into this text file "
        "(run with `uv run --with pyinstrument ...`)",
    )
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:  # child process
        print(json.dumps(PHASES[args.phase](args.folder, args.month)))
        return

    folder = args.folder or _folder_for(args.images, args.seed)
    meta_path = folder / "generator.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    size_mb = sum(p.stat().st_size for p in folder.glob("*.parquet")) / 2**20
    load_avg = os.getloadavg()[0]
    print(
        f"folder {folder} ({size_mb:.0f} MiB Parquet), month {args.month}, {os.cpu_count()} CPUs, "
        f"load average {load_avg:.2f}"
    )
    if load_avg > 0.5:
        print("  warning: the machine is busy; timings include that contention")

    parquet = all((folder / f"{t}.parquet").is_file() for t in ("images", "layers"))
    phases = ("load", "estimate", "duckdb") if parquet else ("load", "estimate")
    if not parquet:
        print("  no images.parquet + layers.parquet: the DuckDB yardstick is skipped")
    runs: dict[str, list[dict]] = {name: [] for name in phases}
    for _ in range(args.repeat):
        for name in runs:
            runs[name].append(_child(name, folder, args.month, args.ecrcost_path))
    if args.profile:
        _child("profile", folder, args.month, args.ecrcost_path, args.profile)
        print(f"profile of load + estimate written to {args.profile}")
    load, est, duck = runs["load"], runs["estimate"], runs.get("duckdb", [])
    first = est[0]
    print(f"ecrcost measured: {load[0]['ecrcost']}{_git_state(Path(load[0]['ecrcost']).parent)}")
    print(
        f"{load[0]['images']:,} images, {load[0]['layer_rows']:,} layer rows, {first['repositories']:,} "
        f"repositories"
    )

    def col(runs_: list[dict], key: str) -> list[float]:
        return [r[key] for r in runs_]

    rows = [
        (
            "import ecrcost",
            col(load, "import_s"),
            col(load, "import_cpu_s"),
            max(col(load, "import_peak_mb")),
        ),
        ("ecrcost.load(folder)", col(load, "load_s"), col(load, "load_cpu_s"), max(col(load, "peak_mb"))),
        (
            "ecrcost.estimate(usage) *",
            col(est, "estimate_s"),
            col(est, "estimate_cpu_s"),
            max((r["estimate_peak_mb"] or 0) for r in est) or None,
        ),
        (
            "load + estimate, one process",
            [r["load_s"] + r["estimate_s"] for r in est],
            [r["load_cpu_s"] + r["estimate_cpu_s"] for r in est],
            max(col(est, "peak_mb")),
        ),
        ("Estimate.totals() (rounding)", col(est, "totals_s"), None, None),
    ]
    if duck:
        rows.append(
            (
                "DuckDB yardstick on Parquet",
                col(duck, "query_s"),
                col(duck, "query_cpu_s"),
                max(col(duck, "peak_mb")),
            )
        )
    print()
    print(f"{'phase':<30} {'wall s':>8} {'median':>8} {'CPU s':>8} {'peak RSS MiB':>13}")
    print("-" * 71)
    for label, wall, cpu, peak in rows:
        best = min(range(len(wall)), key=wall.__getitem__)
        median = f"{statistics.median(wall):8.2f}" if len(wall) > 1 else ""
        cpu_s = "" if cpu is None else f"{cpu[best]:8.2f}"
        peak_s = "" if peak is None else f"{peak:13,.0f}"
        print(f"{label:<30} {wall[best]:8.2f} {median:>8} {cpu_s:>8} {peak_s:>13}")
    print("* peak while estimating, counting the loaded Usage it holds (high-water mark reset after load)")
    print()
    print(
        f"estimate phase holds {first['held_after_load_mb'] or float('nan'):,.0f} MiB after load; "
        f"total ${Decimal(first['total_usd']):,.2f}"
    )
    ours = Decimal(first["storage_gb_month"])
    if duck:
        theirs = Decimal(duck[0]["storage_gb_month"])
        verdict = "match" if abs(ours - theirs) < Decimal("1e-9") else "MISMATCH"
        print(f"storage GB-month: ecrcost {ours:.6f}, yardstick {theirs:.6f} ({verdict})")
        best = min(r["load_s"] + r["estimate_s"] for r in est)
        print(f"load + estimate / yardstick: {best / min(r['query_s'] for r in duck):.1f}x")
    else:
        print(f"storage GB-month: ecrcost {ours:.6f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "folder": str(folder),
                    "month": args.month,
                    "generator": meta,
                    "load_average": load_avg,
                    "runs": runs,
                    "ecrcost": load[0]["ecrcost"] + _git_state(Path(load[0]["ecrcost"]).parent),
                },
                indent=2,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
