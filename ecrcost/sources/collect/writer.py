"""Writing the inventory folder atomically: every table goes into a temporary folder next to the
target, which is then renamed into place — a failed run never leaves a half-written folder."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from ...core.errors import InputError
from ...core.usage import IMAGE_COLUMNS, LAYER_COLUMNS
from ..inventory import REPOSITORIES_TABLE

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
]
INTEGERS = {"size_bytes", "image_count", "pull_count"}
MARKERS = ("collection.json", "images.parquet", "images.csv")


def check_inventory_folder(folder: Path) -> None:
    """Refuse to replace a folder that is not an earlier inventory (it may hold someone's files)."""
    if folder.exists() and not folder.is_dir():
        raise InputError("exists and is not a folder", file=folder, field="output")
    if folder.is_dir() and any(folder.iterdir()) and not any((folder / m).exists() for m in MARKERS):
        raise InputError("folder is not empty and not an inventory: choose another", file=folder)


def write_inventory(
    folder: Path, tables: dict[str, list[dict[str, Any]]], collection: dict[str, Any], fmt: str
) -> None:
    """Write ``tables`` (images, layers, repositories, pulls, transfer) and ``collection.json``."""
    check_inventory_folder(folder)
    columns = {
        "images": IMAGES,
        "layers": LAYERS,
        "repositories": REPOSITORIES,
        "pulls": PULLS,
        "transfer": TRANSFER,
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        for name, cols in columns.items():
            frame = pd.DataFrame(tables.get(name, []), columns=cols)
            for c in cols:
                frame[c] = frame[c].astype("int64") if c in INTEGERS else frame[c].fillna("").astype(str)
            if fmt == "csv":
                frame.to_csv(tmp / f"{name}.csv", index=False)
            else:
                frame.to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "collection.json").write_text(json.dumps(collection, indent=2) + "\n", encoding="utf-8")
        _swap(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap(tmp: Path, folder: Path) -> None:
    if not folder.exists():
        tmp.rename(folder)
        return
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
