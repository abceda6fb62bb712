"""Writing the inventory folder atomically: every table goes into a temporary folder next to the
target, which is then swapped into place (:mod:`ecrcost.outputs.folders`) — the folder's name always
holds a complete inventory, the previous one or the new one."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from ...core.errors import InputError
from ...core.usage import IMAGE_COLUMNS, LAYER_COLUMNS
from ...outputs import folders, temps
from ...outputs.failures import output_failure
from ..inventory import PULLS_COUNTS, REPOSITORIES_TABLE
from ..workloads import COLUMNS as WORKLOADS

# What collect knows of each image: the inventory columns, less deleted_at (a live registry only
# lists what is stored).
IMAGES = [c for c in IMAGE_COLUMNS if c != "deleted_at"]
LAYERS = [*LAYER_COLUMNS, "media_type"]
REPOSITORIES = REPOSITORIES_TABLE
PULLS = ["account_id", "region", "repository", "pull_count"]
TRANSFER = [
    "account_id",
    "region",
    "registry",
    "repository",
    "destination_region",
    "internet_out_gb",
    "cross_region_out_gb",
    "same_region_out_gb",
    "basis",  # estimate (collect: pull counts × bytes per pull) or cloudtrail (ecrcost pulls)
]
INTEGERS = {
    "size_bytes",
    "image_count",
    "pull_count",
    "tasks",
    *PULLS_COUNTS,  # ecrcost pulls' per-image table
}
# Typed in Parquet (CSV holds their text): timestamps as UTC timestamps, GB as exact decimals.
TIMESTAMPS = {"pushed_at", "last_pulled_at", "first_pull_at", "last_pull_at"}
DECIMALS = {"internet_out_gb", "cross_region_out_gb", "same_region_out_gb", "nat_gateway_gb"}
NANO = Decimal("1e-9")
MARKERS = ("collection.json", "images.parquet", "images.csv")


def check_inventory_folder(folder: Path) -> None:
    """Refuse to replace a folder that is not an earlier inventory (it may hold someone's files)."""
    if folder.exists() and not folder.is_dir():
        raise InputError("exists and is not a folder", file=folder, field="output")
    if folder.is_dir() and any(folder.iterdir()) and not any((folder / m).exists() for m in MARKERS):
        raise InputError("folder is not empty and not an inventory: choose another", file=folder)
    if folder.is_dir() and folders.is_mount_point(folder):
        raise InputError(
            "is a mount point, which cannot be swapped for a new inventory in one step: "
            "collect into a folder inside it (e.g. its inventory/) or mount the folder above",
            file=folder,
        )


def previous_images(folder: Path) -> int | None:
    """How many images the inventory in ``folder`` holds; None when there is none to read."""
    parquet, csv = folder / "images.parquet", folder / "images.csv"
    try:
        if parquet.is_file():
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(parquet).metadata.num_rows)
        summary = folder / "collection.json"
        if summary.is_file():
            count = json.loads(summary.read_text(encoding="utf-8")).get("images")
            if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
                return count
        if csv.is_file():
            import pyarrow.csv as pcsv

            options = pcsv.ParseOptions(newlines_in_values=True)
            with pcsv.open_csv(csv, parse_options=options) as reader:
                return sum(batch.num_rows for batch in reader)
    except Exception:  # an unreadable inventory is nothing to protect
        return None
    return None


def write_inventory(
    folder: Path, tables: dict[str, list[dict[str, Any]]], collection: dict[str, Any], fmt: str
) -> None:
    """Write ``tables`` (images, layers, repositories, pulls, transfer; workloads when given) and
    ``collection.json`` into ``folder``, replacing an earlier inventory there in one step. Call while holding
    :func:`ecrcost.outputs.folders.locked` for ``folder``."""
    check_inventory_folder(folder)
    columns = {
        "images": IMAGES,
        "layers": LAYERS,
        "repositories": REPOSITORIES,
        "pulls": PULLS,
        "transfer": TRANSFER,
    }
    if "workloads" in tables:  # collect --workloads: what runs where
        columns["workloads"] = WORKLOADS
    with staged(folder) as tmp:
        for name, cols in columns.items():
            write_table(pd.DataFrame(tables.get(name, []), columns=cols), tmp, name, fmt)
        (tmp / "collection.json").write_text(json.dumps(collection, indent=2) + "\n", encoding="utf-8")


@contextmanager
def staged(folder: Path) -> Iterator[Path]:
    """A new folder beside ``folder`` to write an inventory into; when the block ends, its files are
    synced and it replaces ``folder`` in one step. On any failure it is removed and ``folder`` stays as
    it was (an OS error becomes one line naming the folder)."""
    existed = folder.is_dir()
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = temps.new_folder(folder.parent, folder.name)
    except OSError as exc:
        raise output_failure(exc, folder, kept=existed) from None
    try:
        yield tmp
        sync_files(tmp)
        folders.swap_in(tmp, folder)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise output_failure(exc, folder, kept=existed) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_table(frame: pd.DataFrame, folder: Path, name: str, fmt: str) -> None:
    """One table as ``folder/name.csv`` or ``.parquet``: :data:`INTEGERS` as integers, the rest as
    text (typed in Parquet, see :func:`_typed_parquet`)."""
    frame = frame.copy()
    for c in frame.columns:
        frame[c] = frame[c].astype("int64") if c in INTEGERS else frame[c].fillna("").astype(str)
    if fmt == "csv":
        frame.to_csv(folder / f"{name}.csv", index=False)
    else:
        _typed_parquet(frame, folder / f"{name}.parquet")


def _typed_parquet(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` (text, and integers) as Parquet with :data:`TIMESTAMPS` as UTC timestamps and
    :data:`DECIMALS` as exact decimals (a blank cell is null)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {}
    for c in frame.columns:
        if c in TIMESTAMPS:
            columns[c] = pa.array(
                pd.to_datetime(frame[c].replace("", None), utc=True), pa.timestamp("us", "UTC")
            )
        elif c in DECIMALS:
            exact = [Decimal(v).quantize(NANO) if v else None for v in frame[c]]  # GB to the byte
            columns[c] = pa.array(exact, pa.decimal128(38, 9))
        else:
            columns[c] = pa.array(frame[c])
    pq.write_table(pa.table(columns), path)


def sync_files(tmp: Path) -> None:
    """Every table on disk before the swap: after a crash the name never holds empty files."""
    for path in [*tmp.iterdir(), tmp]:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
