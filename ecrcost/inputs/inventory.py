"""Inventory folder: images (and optionally layers and transfer) as `collect` writes them (CONTRACT.md,
input 2). CSV or Parquet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import sql
from ..errors import InputError
from ..pricebook import PriceBook
from ..usage import IMAGE_COLUMNS, LAYER_COLUMNS, TRANSFER_COLUMNS, TRANSFER_GB, Usage
from . import checks
from .tables import RawTable, read_table

IMAGES_REQUIRED = ["repository", "image_digest", "size_bytes", "pushed_at"]
IMAGES_OPTIONAL = [
    "region",
    "account_id",
    "image_tags",
    "last_pulled_at",
    "image_status",
    "manifest_media_type",
    "parent_digest",
    # ecrcost extension: when the image stopped being stored (what-ifs, history)
    "deleted_at",
]
LAYERS_REQUIRED = ["repository", "image_digest", "layer_digest", "size_bytes"]
LAYERS_OPTIONAL = ["region", "account_id", "media_type"]
TRANSFER_REQUIRED = ["repository"]
TRANSFER_OPTIONAL = ["region", "account_id", "registry", "destination_region", *TRANSFER_GB]
DEFAULT_REGION = "us-east-1"
IMAGE_STATUS = ["ACTIVE", "ARCHIVED", "ACTIVATING"]


def find_table(folder: Path, name: str, required: bool) -> Path | None:
    found = [p for p in (folder / f"{name}.parquet", folder / f"{name}.csv") if p.is_file()]
    if len(found) > 1:
        raise InputError(f"both {name}.parquet and {name}.csv are present: keep one", file=folder)
    if not found and required:
        raise InputError(f"not an inventory folder: no {name}.csv or {name}.parquet", file=folder)
    return found[0] if found else None


def read_inventory(folder: Path, prices: PriceBook) -> Usage:
    images_raw = read_table(find_table(folder, "images", True), IMAGES_REQUIRED, IMAGES_OPTIONAL)  # type: ignore[arg-type]
    images = _images(images_raw, prices)
    layers_path = find_table(folder, "layers", False)
    layers = (
        _layers(read_table(layers_path, LAYERS_REQUIRED, LAYERS_OPTIONAL), images) if layers_path else None
    )
    transfer_path = find_table(folder, "transfer", False)
    usage = Usage(images=images, layers=layers, source=str(folder))
    if transfer_path:
        usage = Usage(
            images=images,
            layers=layers,
            source=str(folder),
            transfer=_transfer(read_table(transfer_path, TRANSFER_REQUIRED, TRANSFER_OPTIONAL), prices),
        )
    return usage


def _images(raw: RawTable, prices: PriceBook) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.frame.index)
    out["account_id"] = checks.optional_pattern(raw, "account_id", checks.ACCOUNT, "12-digit account id")
    out["region"] = checks.region(raw, "region", prices.regions.keys(), DEFAULT_REGION)
    out["repository"] = checks.repository(raw)
    out["image_digest"] = checks.required_text(raw, "image_digest", checks.DIGEST, "digest (algorithm:hex)")
    out["size_bytes"] = checks.byte_count(raw, "size_bytes")
    out["pushed_at"] = checks.timestamp(raw, "pushed_at", required=True)
    out["deleted_at"] = checks.timestamp(raw, "deleted_at", required=False)
    out["image_status"] = checks.enum(raw, "image_status", IMAGE_STATUS, "ACTIVE", casefold=True)
    out["image_tags"] = checks.text(raw, "image_tags")
    out["last_pulled_at"] = checks.timestamp(raw, "last_pulled_at", required=False)
    out["manifest_media_type"] = checks.text(raw, "manifest_media_type")
    out["parent_digest"] = checks.optional_pattern(
        raw, "parent_digest", checks.DIGEST, "digest (algorithm:hex)"
    )
    bad = out["deleted_at"].notna() & (out["deleted_at"] < out["pushed_at"])
    if bool(bad.any()):
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise raw.error(
            f"deleted ({_iso(out['deleted_at'].iloc[i])}) before it was pushed "
            f"({_iso(out['pushed_at'].iloc[i])})",
            i,
            "deleted_at",
        )
    keys = ["account_id", "region", "repository", "image_digest"]
    dup = out.duplicated(keys)
    if bool(dup.any()):
        i = int(np.flatnonzero(dup.to_numpy())[0])
        first = int(np.flatnonzero((out[keys] == out[keys].iloc[i]).all(axis=1).to_numpy())[0])
        raise raw.error(
            f"image '{out['image_digest'].iloc[i]}' of repository '{out['repository'].iloc[i]}' "
            f"is listed twice (also at {_where(raw, first)})",
            i,
            "image_digest",
        )
    return out[IMAGE_COLUMNS]


def _iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _where(raw: RawTable, index: int) -> str:
    error = raw.error("", index)
    return f"{error.row_label} {error.row}"


def _layers(raw: RawTable, images: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.frame.index)
    for column in ("account_id", "region"):
        if column in raw.frame:
            continue
        values = images[column].unique()
        if len(values) > 1:
            raise raw.error(
                f"layers need a {column} column: the images span several ({', '.join(values[:3])})",
                None,
                column,
            )
        out[column] = values[0] if len(values) else ""
    if "account_id" in raw.frame:
        out["account_id"] = checks.optional_pattern(raw, "account_id", checks.ACCOUNT, "12-digit account id")
    if "region" in raw.frame:
        out["region"] = checks.text(raw, "region", DEFAULT_REGION)
    out["repository"] = checks.repository(raw)
    out["image_digest"] = checks.required_text(raw, "image_digest", checks.DIGEST, "digest (algorithm:hex)")
    out["layer_digest"] = checks.required_text(raw, "layer_digest", checks.DIGEST, "digest (algorithm:hex)")
    out["size_bytes"] = checks.byte_count(raw, "size_bytes")
    out = out[LAYER_COLUMNS]
    orphan = _first_orphan(out, images)
    if orphan is not None:
        raise raw.error(
            f"image '{out['image_digest'].iloc[orphan]}' is not in images of repository "
            f"'{out['repository'].iloc[orphan]}' ({out['region'].iloc[orphan]})",
            orphan,
            "image_digest",
        )
    return out


def _first_orphan(layers: pd.DataFrame, images: pd.DataFrame) -> int | None:
    """Row position of the first layer row whose image is not in ``images`` (a join, not a loop)."""
    con = sql.connect()
    keys = ["account_id", "region", "repository", "image_digest"]
    con.register("l", layers[keys].assign(_pos=np.arange(len(layers), dtype=np.int64)))
    con.register("i", images[keys])
    row = con.execute(
        "SELECT min(_pos) FROM l ANTI JOIN i USING (account_id, region, repository, image_digest)"
    ).fetchone()
    con.close()
    return None if row is None or row[0] is None else int(row[0])


def _transfer(raw: RawTable, prices: PriceBook) -> pd.DataFrame:
    known = prices.regions.keys()
    out = pd.DataFrame(index=raw.frame.index)
    out["account_id"] = checks.optional_pattern(raw, "account_id", checks.ACCOUNT, "12-digit account id")
    out["region"] = checks.region(raw, "region", known, DEFAULT_REGION)
    out["registry"] = checks.enum(raw, "registry", ["private", "public"], "private", casefold=True)
    out["repository"] = checks.repository(raw)
    out["destination_region"] = checks.region(raw, "destination_region", known, "")
    for col in TRANSFER_GB:
        out[col] = checks.decimal(raw, col)
    return out[TRANSFER_COLUMNS]


def _first(raw: RawTable, bad: pd.Series, column: str, message: str) -> None:
    if bool(bad.any()):
        raise raw.error(message, int(np.flatnonzero(bad.to_numpy())[0]), column)
