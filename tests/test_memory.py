"""Peak memory of ``ecrcost estimate`` on large CSV inputs, each run in a fresh process (its own VmHWM):
an ``images.csv``, the same with one bad last row, and a scenario CSV. The files are written a chunk at
a time into ``tmp_path`` (``bigfiles.py``), never held in memory.

Bounds, as multiples of the file size above what a run on the bundled sample takes (the interpreter and
its libraries; here the model grows with every row, so the file size stands in for what the model
needs). Before the CSV reader streamed, a 2 GB file peaked at 4.8 × (valid), 6.1 × (bad last row: the
error locator read the whole file again) and over 6.5 × (the scenario, killed at 13 GB); now at
2.2 ×, 1.1 × and a fixed 434 MiB.

``ECRCOST_MEMORY_TEST_GB`` sets the size: 0.5 by default (a minute), 2 for the figures above.
"""

from __future__ import annotations

import os
from pathlib import Path

import bigfiles
import pytest

SIZE = int(float(os.environ.get("ECRCOST_MEMORY_TEST_GB", "0.5")) * bigfiles.GB)


def _memory_total() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc (Linux)"),
    pytest.mark.skipif(_memory_total() < 5 * SIZE, reason="needs memory for the 'before' safety cap"),
]


def _estimate(target: Path, out: Path) -> tuple[str, int, int]:
    """stderr, exit code and peak RSS of ``ecrcost estimate TARGET`` (killed past 4 × the file size:
    a regression fails the test instead of exhausting the machine)."""
    done, peak = bigfiles.peak_rss(
        ["estimate", str(target), "--month", "2026-11", "--format", "json", "--output", str(out)],
        cap=4 * SIZE,
    )
    assert peak is not None, f"killed: RSS passed {4 * SIZE / 2**30:.1f} GiB"
    print(
        f"{target}: exit {done.returncode}, peak RSS {peak / 2**20:,.0f} MiB ({peak / SIZE:.2f} × the file)"
    )
    return done.stderr, done.returncode, peak


def test_an_images_csv_and_its_bad_last_row_stay_within_a_small_multiple(tmp_path):
    sample = Path(__file__).parents[1] / "data" / "sample-registry"  # a few images: the fixed cost
    stderr, code, base = _estimate(sample, tmp_path / "sample.json")
    assert code == 0, stderr[-2000:]
    folder = tmp_path / "inventory"
    rows = bigfiles.write_images(folder, SIZE)
    path = folder / "images.csv"
    stderr, code, peak = _estimate(folder, tmp_path / "out.json")
    assert code == 0, stderr[-2000:]
    assert peak - base < 3 * SIZE
    with path.open("a") as fh:  # the same file with one bad last row
        fh.write("111122223333,us-east-1,oops\n")
    stderr, code, peak = _estimate(folder, tmp_path / "bad.json")
    assert (code, stderr) == (2, f"error: {path}, line {rows + 2}: row has 3 fields, the header has 11\n")
    assert not (tmp_path / "bad.json").exists()
    assert peak - base < 2 * SIZE  # 1.1 × at 2 GB, 1.5 × at 0.5 GB (fixed costs weigh more)


def test_a_scenario_csv_stops_at_its_row_limit(tmp_path):
    path = tmp_path / "scenario.csv"
    bigfiles.write_scenario(path, SIZE)
    stderr, code, peak = _estimate(path, tmp_path / "out.json")
    assert (code, stderr) == (2, f"error: {path}, line 100002: too many rows: at most 100,000 are allowed\n")
    assert peak < 2**30  # the first 100,000 rows, whatever the file size
