"""The inventory folder's name always holds a complete inventory: a writer is killed (SIGKILL) at every
step of its swap in turn, and after each kill the name still holds the previous inventory or the new
one; the next run removes what the killed one left. With RENAME_EXCHANGE that holds at every instant;
the fallback (two renames, for file systems without it) leaves the previous folder parked for an
instant, and the next run puts it back.

The steps are the renames and removals the writer makes once its new folder is complete, observed with
a Python audit hook in the writer's own process (the exchange, a C library call, falls between two of
them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ecrcost.outputs import folders
from ecrcost.sources.collect.writer import IMAGES, previous_images, write_inventory

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent
TABLES = ("images", "layers", "repositories", "pulls", "transfer")

WRITER = """
import os, shutil, signal, sys
from pathlib import Path
from ecrcost.outputs import folders, temps

new, folder, kill_at, mode = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if mode == "fallback":  # a file system without RENAME_EXCHANGE
    folders.exchange = lambda a, b: False
tmp = temps.new_folder(folder.parent, folder.name)  # as write_inventory: the tables, then the swap
for table in new.iterdir():
    shutil.copy(table, tmp)
seen = 0

def hook(event, args):
    global seen
    if event in ("os.rename", "shutil.rmtree", "os.remove", "os.rmdir"):
        seen += 1
        if seen == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

sys.addaudithook(hook)
folders.swap_in(tmp, folder)
print(f"steps={seen}")
"""


WHEN = {"pushed_at": "2026-10-01T00:00:00Z", "last_pulled_at": ""}  # typed in Parquet: real timestamps


def previous(folder: Path) -> None:
    rows = [
        dict.fromkeys(IMAGES, "x") | {"size_bytes": 1, "image_digest": f"sha256:{i}", **WHEN}
        for i in range(3)
    ]
    write_inventory(folder, {"images": rows}, {"images": 3}, "parquet")


def kill_at(new: Path, folder: Path, step: int, mode: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-c", WRITER, str(new), str(folder), str(step), mode]
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True)


def complete(folder: Path) -> int:
    """The image count of the complete inventory under ``folder`` (every table and collection.json)."""
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(["collection.json", *(f"{t}.parquet" for t in TABLES)]), names
    count = json.loads((folder / "collection.json").read_text())["images"]
    assert len(pd.read_parquet(folder / "images.parquet")) == count
    return int(count)


@pytest.mark.parametrize("mode", ["exchange", "fallback"])
def test_a_kill_at_any_step_leaves_a_complete_inventory_under_the_name(tmp_path, mode):
    if mode == "exchange" and not probe_exchange(tmp_path):
        pytest.skip("this file system cannot RENAME_EXCHANGE")
    new = tmp_path / "new" / "inv"
    rows = [
        dict.fromkeys(IMAGES, "x") | {"size_bytes": 1, "image_digest": f"sha256:{i}", **WHEN}
        for i in range(5)
    ]
    write_inventory(new, {"images": rows}, {"images": 5}, "parquet")
    folder = tmp_path / "inv"
    finished, missing = None, 0
    for step in range(1, 60):
        previous(folder)
        run = kill_at(new, folder, step, mode)
        if run.returncode == 0:
            finished = int(run.stdout.split("=")[1])
            assert complete(folder) == 5
            break
        assert run.returncode == -9, run.stderr
        missing += not folder.exists()
        if mode == "exchange":
            assert complete(folder) in (3, 5), f"killed at step {step}"
        with folders.locked(folder):  # what the next collect does first
            folders.recover(folder)
        assert complete(folder) in (3, 5), f"killed at step {step}, after recovery"
        assert sorted(p.name for p in tmp_path.iterdir() if p.name not in ("probe", "new")) == ["inv"], step
    # The kills covered every step of a whole swap: before it, between the renames (fallback), after
    # the exchange, during the removal of the previous tree.
    assert finished is not None and finished >= 3
    assert missing == (1 if mode == "fallback" else 0)  # fallback: killed between its two renames


def probe_exchange(tmp: Path) -> bool:
    a, b = tmp / "probe" / "a", tmp / "probe" / "b"
    a.mkdir(parents=True)
    b.mkdir()
    (a / "x").touch()
    return folders.exchange(a, b) and (b / "x").exists()


def test_previous_image_count_reads_parquet_csv_and_collection_json(tmp_path):
    assert previous_images(tmp_path / "none") is None
    parquet = tmp_path / "p"
    previous(parquet)
    assert previous_images(parquet) == 3
    csv = tmp_path / "c"
    csv.mkdir()
    (csv / "images.csv").write_text('repository,image_tags\na,"one\ntwo"\nb,\n')  # a quoted newline
    assert previous_images(csv) == 2
    (csv / "collection.json").write_text('{"images": 7}')
    assert previous_images(csv) == 7
