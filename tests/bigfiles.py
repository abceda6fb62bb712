"""Large input files for the memory tests, written a chunk at a time (never held in memory), and the peak
RSS of an ``ecrcost`` command run on them in a fresh process.

    uv run python tests/bigfiles.py images OUT_FOLDER --gb 2 [--bad-last-row]
    uv run python tests/bigfiles.py scenario OUT.csv --gb 2
    uv run python tests/bigfiles.py [--cap-gb 13] peak estimate OUT_FOLDER --month 2026-11

Rows look like what ``collect`` writes (images.csv) and what a person writes (a scenario): random
sha256 digests, ~100 images per repository under a few accounts and regions, a tag on one image in
five, timestamps over 2026.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

GB = 10**9
CHUNK = 200_000
REGIONS = ["us-east-1", "eu-west-1", "us-west-2"]
ACCOUNTS = ["111122223333", "444455556666", "777788889999"]
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
START = np.datetime64("2026-01-01T00:00:00", "s")


def _hex_digests(rng: np.random.Generator, n: int) -> pa.Array:
    raw = rng.integers(0, 256, size=32 * n, dtype=np.uint8).tobytes().hex().encode()
    offsets = pa.py_buffer(np.arange(0, 64 * n + 1, 64, dtype=np.int32).tobytes())
    hexes = pa.StringArray.from_buffers(n, offsets, pa.py_buffer(raw))
    return pc.binary_join_element_wise("sha256:", hexes, "")


def _pick(values: list[str], codes: np.ndarray) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(values)).cast(pa.string())


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _iso(seconds: np.ndarray) -> pa.Array:
    stamps = pa.array((START + seconds.astype("timedelta64[s]")).astype("datetime64[s]"))
    return pc.strftime(stamps, "%Y-%m-%dT%H:%M:%SZ")


def images_chunk(rng: np.random.Generator, first: int, n: int) -> pa.Table:
    """``n`` image rows numbered from ``first``: every column collect writes for an image."""
    row = np.arange(first, first + n)
    repo = row // 100
    tagged = rng.random(n) < 0.2
    tags = pc.if_else(pa.array(tagged), _join("v", pa.array(row % 1000).cast(pa.string())), "")
    pushed = rng.integers(0, 300 * 86400, n)
    pulled = pushed + rng.integers(0, 30 * 86400, n)
    return pa.table(
        {
            "account_id": _pick(ACCOUNTS, repo % len(ACCOUNTS)),
            "region": _pick(REGIONS, (repo // 7) % len(REGIONS)),
            "repository": _join(
                "team-", pa.array(repo // 50).cast(pa.string()), "/service-", pa.array(repo).cast(pa.string())
            ),
            "image_digest": _hex_digests(rng, n),
            "image_tags": tags,
            "size_bytes": pa.array(rng.integers(10**6, 10**9, n)).cast(pa.string()),
            "pushed_at": _iso(pushed),
            "last_pulled_at": _iso(pulled),
            "image_status": _pick(["ACTIVE", "ARCHIVED"], (rng.random(n) < 0.1).astype(np.int32)),
            "manifest_media_type": _pick([MANIFEST], np.zeros(n, dtype=np.int32)),
            "parent_digest": _pick([""], np.zeros(n, dtype=np.int32)),
        }
    )


def scenario_chunk(rng: np.random.Generator, first: int, n: int) -> pa.Table:
    """``n`` scenario rows (one repository each) numbered from ``first``, with storage and transfer."""
    row = np.arange(first, first + n)
    region = (row // 7) % len(REGIONS)

    def gb(high: int) -> pa.Array:
        cents = rng.integers(0, high * 100, n)
        return _join(
            pa.array(cents // 100).cast(pa.string()),
            ".",
            pc.utf8_lpad(pa.array(cents % 100).cast(pa.string()), 2, "0"),
        )

    return pa.table(
        {
            "account_id": _pick(ACCOUNTS, row % len(ACCOUNTS)),
            "region": _pick(REGIONS, region),
            "repository": _join(
                "team-", pa.array(row // 50).cast(pa.string()), "/service-", pa.array(row).cast(pa.string())
            ),
            "storage_gb": gb(500),
            "internet_out_gb": gb(2000),
            "cross_region_out_gb": gb(300),
            "destination_region": _pick(REGIONS, (region + 1) % len(REGIONS)),
        }
    )


def write_csv(
    path: Path, size: int, chunk: Callable[[np.random.Generator, int, int], pa.Table], tail: str = ""
) -> int:
    """Write chunks of rows to ``path`` until it holds at least ``size`` bytes, then ``tail`` (a last
    line, verbatim); returns the number of data rows written (``tail`` aside)."""
    rng = np.random.default_rng(1)
    rows = 0
    with path.open("wb") as fh:
        while fh.tell() < size:
            table = chunk(rng, rows, CHUNK)
            pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=rows == 0, quoting_style="none"))
            rows += table.num_rows
        fh.write(tail.encode())
    return rows


def write_images(folder: Path, size: int, bad_last_row: bool = False) -> int:
    """An inventory folder whose images.csv holds about ``size`` bytes; ``bad_last_row`` appends a row
    with too few fields."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_csv(
        folder / "images.csv", size, images_chunk, "111122223333,us-east-1,oops\n" if bad_last_row else ""
    )


def write_scenario(path: Path, size: int) -> int:
    """A scenario CSV of about ``size`` bytes, one repository per row."""
    return write_csv(path, size, scenario_chunk)


# Runs the CLI, then writes the process's own RSS high-water mark (VmHWM) to a file at exit. VmHWM, not
# ru_maxrss: Linux carries the parent's high-water mark into a child's ru_maxrss across fork/exec.
_CHILD = """
import atexit, sys
from pathlib import Path

OUT = Path(sys.argv[1])

def _peak():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            OUT.write_text(line.split()[1])

atexit.register(_peak)
sys.argv = ["ecrcost", *sys.argv[2:]]
from ecrcost.cli import main
main()
"""


def peak_rss(
    args: list[str], cwd: Path | None = None, cap: int | None = None
) -> tuple[subprocess.CompletedProcess[str], int | None]:
    """Run ``ecrcost ARGS`` in a fresh Python process; its result and peak RSS in bytes. With ``cap``
    (bytes), the process is killed once its RSS passes it, and the peak is None."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "peak"
        with (Path(tmp) / "stdout").open("w+") as so, (Path(tmp) / "stderr").open("w+") as se:
            proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(out), *args],
                stdout=so,
                stderr=se,
                text=True,
                cwd=cwd,
                env={**os.environ, "COLUMNS": "200"},
            )
            killed = False
            while proc.poll() is None:
                if cap is not None and _rss(proc.pid) > cap:
                    proc.kill()
                    killed = True
                    break
                time.sleep(0.2)
            code = proc.wait()
            so.seek(0)
            se.seek(0)
            done = subprocess.CompletedProcess(proc.args, code, so.read(), se.read())
        return done, None if killed else int(out.read_text()) * 1024


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["images", "scenario", "peak"])
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    parser.add_argument("--gb", type=float, default=2.0, help="file size in GB (10^9 bytes)")
    parser.add_argument("--bad-last-row", action="store_true")
    parser.add_argument("--cap-gb", type=float, help="kill the command once its RSS passes this (GB)")
    ns = parser.parse_args()
    if ns.what == "peak":
        start = time.monotonic()
        done, peak = peak_rss(ns.rest, cap=int(ns.cap_gb * GB) if ns.cap_gb else None)
        print(done.stdout[-2000:], done.stderr[-2000:], sep="\n")
        shown = f"{peak / 2**20:,.0f} MiB" if peak is not None else f"over {ns.cap_gb} GB (killed)"
        print(f"exit {done.returncode}, peak RSS {shown}, {time.monotonic() - start:,.0f} s")
        return
    size = int(ns.gb * GB)
    target = Path(ns.rest[0])
    rows = (
        write_images(target, size, ns.bad_last_row) if ns.what == "images" else write_scenario(target, size)
    )
    print(f"{rows:,} rows")


if __name__ == "__main__":
    main()
