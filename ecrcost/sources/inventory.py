"""Inventory folder: images (and optionally layers and transfer) as `collect` writes them (docs/formats.md).
CSV or Parquet. ``collect`` also writes ``repositories``, ``pulls`` (kept for people, not priced) and
``collection.json``, whose coverage becomes notes."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from ..core.errors import InputError
from ..core.metering.keys import StorageKeys, keys_from_frames
from ..core.pricebook import PriceBook
from ..core.usage import (
    IMAGE_COLUMNS,
    LAYER_COLUMNS,
    REGISTRY_COLUMNS,
    REPOSITORY_COLUMNS,
    TRANSFER_COLUMNS,
    TRANSFER_GB,
    Usage,
)
from . import checks
from .files import RawTable, concatenated, read_table
from .layer_keys import keyed_from, keyed_layers, layer_rows
from .objectstore import Folder, LocalFolder, S3File, s3_call
from .select import EVERYTHING, Select, narrowed, nothing_selected
from .summary import NAME as SUMMARY
from .summary import read_summary

IMAGES_REQUIRED = ["repository", "image_digest", "size_bytes", "pushed_at"]
IMAGES_OPTIONAL = [
    "region",
    "account_id",
    "image_tags",
    "last_pulled_at",
    "image_status",
    "manifest_media_type",
    "parent_digest",
    "subject_digest",
    "last_archived_at",
    "last_activated_at",
    # ecrcost extension: when the image stopped being stored (what-ifs, history)
    "deleted_at",
]
LAYERS_REQUIRED = ["repository", "image_digest", "layer_digest", "size_bytes"]
LAYERS_OPTIONAL = ["region", "account_id", "media_type"]
TRANSFER_REQUIRED = ["repository"]
# basis: estimate (collect's pull-count model) or cloudtrail (ecrcost pulls): shown, not priced
TRANSFER_OPTIONAL = ["region", "account_id", "registry", "destination_region", *TRANSFER_GB, "basis"]
# What collect writes per repository; only the repository is required of a person.
REPOSITORIES_TABLE = [
    "account_id",
    "region",
    "repository",
    "repository_arn",
    "repository_uri",
    "created_at",
    "image_tag_mutability",
    "encryption_type",
    "image_count",
    "tags",
    "lifecycle_policy",
    # blob mounting shares layers only among repositories with one encryption key, never with those a
    # pull-through cache rule created
    "kms_key",
    "pull_through_cache",
]
REPOSITORIES_REQUIRED = ["repository"]
REPOSITORIES_OPTIONAL = [c for c in REPOSITORIES_TABLE if c not in REPOSITORIES_REQUIRED]
DEFAULT_REGION = "us-east-1"
LayerForm = Literal["auto", "text", "keyed"]
IMAGE_STATUS = ["ACTIVE", "ARCHIVED", "ACTIVATING"]


def find_table(folder: Path, name: str, required: bool) -> Path | None:
    # A broken link or a folder under a table's name is there (and an error when read), not absent.
    candidates = (folder / f"{name}.parquet", folder / f"{name}.csv")
    found = [p for p in candidates if p.exists() or p.is_symlink()]
    if len(found) > 1:
        raise InputError(f"both {name}.parquet and {name}.csv are present: keep one", file=folder)
    if not found and required:
        raise InputError(f"not an inventory folder: no {name}.csv or {name}.parquet", file=folder)
    return found[0] if found else None


PARTITION = re.compile(r"^(account_id|region)=(.+)$")
# The tables at an inventory's top besides images and layers: small, fetched whole from object storage.
TOP = ("repositories", "transfer", "pulls", "workloads")


def partitions(folder: Path | Folder, select: Select = EVERYTHING) -> list[tuple[dict[str, str], Folder]]:
    """The partition folders of a hive-partitioned inventory (``account_id=…/region=…/``, either level
    optional), each with the values its path names; [] for a plain inventory folder. A folder whose
    value ``select`` leaves out is neither listed nor read."""
    top = LocalFolder(folder) if isinstance(folder, Path) else folder
    found: list[tuple[dict[str, str], Folder]] = []

    def walk(where: Folder, values: dict[str, str]) -> None:
        folders, files = where.entries()
        if values and any(f.startswith("images.") and Path(f).suffix.lower() in SUFFIXES for f in files):
            found.append((values, where))
        for name in folders if len(values) < 2 else ():
            m = PARTITION.match(name)
            if m and m.group(1) not in values and select.wants(m.group(1), m.group(2)):
                walk(where.child(name), {**values, m.group(1): m.group(2)})

    walk(top, {})
    return found


SUFFIXES = (".parquet", ".csv")


def _find(folder: Folder, name: str, required: bool) -> Path | S3File | None:
    """Table ``name`` of ``folder`` (as :func:`find_table`, for a folder in object storage too)."""
    if isinstance(folder, LocalFolder):
        return find_table(folder.path, name, required)
    files = folder.entries()[1]
    found = [f for f in (f"{name}.parquet", f"{name}.csv") if f in files]
    if len(found) > 1:
        raise InputError(f"both {name}.parquet and {name}.csv are present: keep one", file=str(folder))
    if not found and required:
        raise InputError(f"not an inventory folder: no {name}.csv or {name}.parquet", file=str(folder))
    return folder.file(found[0]) if found else None


def _read(
    folder: Folder,
    name: str,
    required: bool,
    columns: tuple[list[str], list[str]],
    split: list[tuple[dict[str, str], Folder]],
    lists: tuple[str, ...] = (),
    only: Iterable[str] | None = None,
) -> RawTable | None:
    """Table ``name`` of the inventory: its one file, or with ``split`` (partitions) one file per
    partition folder holding it, read one after the other (``only``: just these columns)."""
    if not split:
        path = _find(folder, name, required)
        return read_table(path, *columns, lists=lists, only=only) if path else None
    tables, constants = [], []
    for values, where in split:
        path = _find(where, name, required)
        if path:
            tables.append(read_table(path, *columns, lists=lists, only=only))
            constants.append(values)
    return concatenated(tables, folder.named(), constants) if tables else None


def read_inventory(
    folder: Path, prices: PriceBook, select: Select = EVERYTHING, layers: LayerForm = "auto"
) -> Usage:
    """The inventory in ``folder`` (plain or partitioned): only the partitions and image columns
    ``select`` names are read, and only its accounts' and regions' rows are kept. ``layers``: "text",
    "keyed" (Parquet layers only: image rows and blob ids, docs/scale.md) or "auto" (keyed from
    :func:`~ecrcost.sources.layer_keys.keyed_from` layer rows)."""
    return _inventory(LocalFolder(folder), folder, prices, select, str(folder), layers)


def read_remote_inventory(url: str, prices: PriceBook, select: Select = EVERYTHING) -> Usage:
    """The inventory under ``s3://bucket/prefix``: images and layers read in place (only the partitions
    and columns needed: Parquet only), the small tables at the top and ``collection.json`` fetched
    whole. Errors name each file by its URL."""
    from .remote import s3_folder

    top = s3_folder(url)
    folders, files = top.entries()
    if not folders and not files:
        raise InputError("no inventory here: nothing under this prefix (or no such bucket)", file=url)
    with tempfile.TemporaryDirectory(prefix="ecrcost-inventory-") as tmp:
        small = [f for f in files if f == SUMMARY or (Path(f).stem in TOP and Path(f).suffix in SUFFIXES)]
        for name in small:
            source = top.file(name)
            data = s3_call(lambda s=source: s.fs.open_input_stream(s.key).read(), source.url)
            (Path(tmp) / name).write_bytes(data)
        try:
            return _inventory(top, Path(tmp), prices, select, url)
        except InputError as exc:  # the fetched copies are named by where they came from
            if exc.file and exc.file.startswith(tmp):
                exc.file = f"{str(top).rstrip('/')}/{exc.file[len(tmp) :].lstrip('/')}"
            raise


def _inventory(
    big: Folder, folder: Path, prices: PriceBook, select: Select, source: str, form: LayerForm = "auto"
) -> Usage:
    """Images and layers from ``big`` (partitioned or not), the other tables from ``folder``."""
    split = [] if _find(big, "images", False) else partitions(big, select)
    # every partition left out: say so rather than "not an inventory folder"
    if select.narrows and not split and _find(big, "images", False) is None and partitions(big):
        raise nothing_selected(select, source)
    only = select.image_columns
    raw = _read(big, "images", True, (IMAGES_REQUIRED, IMAGES_OPTIONAL), split, ("image_tags",), only)
    assert raw is not None  # required: found or an error
    # The raw table goes as soon as it is checked: the layers are read next, the largest table.
    images = _images(raw, prices)
    del raw
    keyed = _keyed(big, split, images, form)
    # only the columns metering uses (media_type, if present, is kept for people)
    raw_layers = (
        None
        if keyed
        else _read(big, "layers", False, (LAYERS_REQUIRED, LAYERS_OPTIONAL), split, only=LAYER_COLUMNS)
    )
    if keyed:
        layers, keys = keyed
    elif raw_layers is not None:  # the integer keys that the orphan check builds are the ones metering needs
        layers, keys = _layers(raw_layers, images)
        del raw_layers
    else:
        layers, keys = None, keys_from_frames(images, None)
    transfer_path = find_table(folder, "transfer", False)
    repositories_path = find_table(folder, "repositories", False)
    repositories = (
        _repositories(read_table(repositories_path, REPOSITORIES_REQUIRED, REPOSITORIES_OPTIONAL), prices)
        if repositories_path
        else None
    )
    notes, assumptions = collection_summary(folder)
    pulls_path = find_table(folder, "pulls", False)
    from .workloads import read_workloads

    usage = Usage(
        images=images,
        layers=layers,
        repositories=repositories,
        workloads=read_workloads(folder),
        registries=registry_settings(folder),
        source=source,
        notes=notes,
        assumptions=assumptions,
        pulls=_pulls(read_table(pulls_path, ["repository"], PULLS_OPTIONAL)) if pulls_path else None,
    )
    if transfer_path:
        transfer = _transfer(read_table(transfer_path, TRANSFER_REQUIRED, TRANSFER_OPTIONAL), prices)
        usage = replace(usage, transfer=transfer)
    usage.adopt_keys(keys)  # the orphan check built them: metering needs the same
    return narrowed(usage, select)


def _keyed(
    big: Folder, split: list[tuple[dict[str, str], Folder]], images: pd.DataFrame, form: LayerForm
) -> tuple[pd.DataFrame, StorageKeys] | None:
    """The layers keyed in DuckDB (:mod:`~ecrcost.sources.layer_keys`) when ``form`` asks for it or they
    are that many rows, stored as local Parquet, and every row is one the text path would take as it is."""
    if form == "text":
        return None
    found = (
        [(_find(where, "layers", False), values) for values, where in split]
        if split
        else [(_find(big, "layers", False), {})]
    )
    files = [(path, values) for path, values in found if path is not None]
    if not files or not all(isinstance(p, Path) and p.suffix.lower() == ".parquet" for p, _ in files):
        return None
    local = [(cast(Path, p), values) for p, values in files]
    if form == "auto" and layer_rows(local) < keyed_from():
        return None
    return keyed_layers(local, LAYERS_REQUIRED, LAYERS_OPTIONAL, images, keys_from_frames(images, None))


def registry_settings(folder: Path) -> pd.DataFrame | None:
    """What ``collection.json`` recorded per registry: account_id, region, blob_mounting (ENABLED,
    DISABLED or unknown). None without a collection summary."""
    summary = read_summary(folder)
    if summary is None:
        return None
    return pd.DataFrame(list(summary.registries), columns=REGISTRY_COLUMNS)


def collection_summary(folder: Path) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Coverage and transfer basis from ``collection.json`` (written by ``collect``): notes to show next
    to the totals, and the assumptions the estimate carries (``transfer_estimate``: collect's pull-size
    model, when transfer was estimated from pull counts)."""
    summary = read_summary(folder)
    if summary is None:
        return (), {}
    if not summary.transfer:
        return summary.notes(), {}
    measured = str(summary.transfer.get("basis", "")).startswith("cloudtrail")
    return summary.notes(), {"transfer_measured" if measured else "transfer_estimate": summary.transfer}


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
    out["subject_digest"] = checks.optional_pattern(
        raw, "subject_digest", checks.DIGEST, "digest (algorithm:hex)"
    )
    out["last_archived_at"] = checks.timestamp(raw, "last_archived_at", required=False)
    out["last_activated_at"] = checks.timestamp(raw, "last_activated_at", required=False)
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


def _layers(raw: RawTable, images: pd.DataFrame) -> tuple[pd.DataFrame, StorageKeys]:
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
    # No pattern check: every layer row must name an image of images.csv, whose digests are checked
    # (the orphan check below); a digest that is not one is named as such there.
    out["image_digest"] = checks.required_text(raw, "image_digest")
    out["layer_digest"] = checks.required_text(raw, "layer_digest", checks.DIGEST, "digest (algorithm:hex)")
    out["size_bytes"] = checks.byte_count(raw, "size_bytes")
    out = out[LAYER_COLUMNS]
    keys = keys_from_frames(images, out)
    assert keys.layer_image is not None  # keys built with layers place every layer row
    orphans = np.flatnonzero(keys.layer_image < 0)
    if len(orphans):
        orphan = int(orphans[0])
        value = str(out["image_digest"].iloc[orphan])
        if not re.fullmatch(checks.DIGEST, value):
            raise raw.error(
                f"'{checks.show(value)}' is not a valid digest (algorithm:hex)", orphan, "image_digest"
            )
        raise raw.error(
            f"image '{out['image_digest'].iloc[orphan]}' is not in images of repository "
            f"'{out['repository'].iloc[orphan]}' ({out['region'].iloc[orphan]})",
            orphan,
            "image_digest",
        )
    digest = images["image_digest"]
    if isinstance(digest.dtype, pd.CategoricalDtype):
        # Each layer row's image digest is its image's: one dictionary for both (a million digests less).
        codes = digest.cat.codes.to_numpy()[keys.layer_image]
        out["image_digest"] = pd.Categorical.from_codes(codes, dtype=digest.dtype)
    return out, keys


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
    for col in ("account_id", "region", "repository", "destination_region"):
        out[col] = checks.plain(out[col])  # compared and concatenated with scenario rows downstream
    return out[TRANSFER_COLUMNS]


PULLS_COUNTS = [
    "pull_count",
    "layer_downloads",
    "bytes",
    "same_region_bytes",
    "cross_region_bytes",
    "internet_bytes",
    "aws_service_bytes",
]
PULLS_OPTIONAL = [
    "account_id",
    "region",
    "image_digest",
    *PULLS_COUNTS,
    "top_class",
    "first_pull_at",
    "last_pull_at",
]


def _pulls(raw: RawTable) -> pd.DataFrame | None:
    """``ecrcost pulls``' per-image table, for the report; collect's per-repository pull counts (no
    ``same_region_bytes``) are not shown: None."""
    if "same_region_bytes" not in raw.frame:
        return None
    out = pd.DataFrame(index=raw.frame.index)
    for column in ("account_id", "region", "repository", "image_digest", "top_class"):
        out[column] = checks.plain(checks.text(raw, column))
    for column in PULLS_COUNTS:
        out[column] = checks.byte_count(raw, column) if column in raw.frame else 0
    for column in ("first_pull_at", "last_pull_at"):
        stamps = checks.timestamp(raw, column, required=False)
        out[column] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("")
    return out.reset_index(drop=True)


def _repositories(raw: RawTable, prices: PriceBook) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.frame.index)
    out["account_id"] = checks.optional_pattern(raw, "account_id", checks.ACCOUNT, "12-digit account id")
    out["region"] = checks.region(raw, "region", prices.regions.keys(), DEFAULT_REGION)
    out["repository"] = checks.repository(raw)
    out["repository_arn"] = checks.text(raw, "repository_arn")
    # pandas-stubs allow no dict cells, which this object column holds
    out["tags"] = _tags(raw, checks.text(raw, "tags"))  # type: ignore[assignment]
    out["lifecycle_policy"] = checks.text(raw, "lifecycle_policy")
    out["encryption_type"] = checks.text(raw, "encryption_type").str.upper()
    out["kms_key"] = checks.text(raw, "kms_key")
    out["pull_through_cache"] = (
        checks.enum(raw, "pull_through_cache", ["true", "false"], "false", casefold=True) == "true"
    )
    for col in ("account_id", "region", "repository", "repository_arn", "lifecycle_policy", "kms_key"):
        out[col] = checks.plain(out[col])  # one row per repository: thousands at most
    keys = ["account_id", "region", "repository"]
    dup = out.duplicated(keys).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise raw.error(f"repository '{out['repository'].iloc[i]}' is listed twice", i, "repository")
    return out[REPOSITORY_COLUMNS].reset_index(drop=True)


def _tags(raw: RawTable, col: pd.Series) -> list[dict[str, str]]:
    """Repository tags as collect writes them: a JSON object of text keys and values (blank: none)."""
    out = []
    for i, text in enumerate(col):  # one row per repository: thousands at most
        try:
            tags = json.loads(text) if text else {}
        except (ValueError, RecursionError):  # RecursionError: nesting deep enough to exhaust the parser
            tags = None
        if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
            raise raw.error('not a JSON object of text tags (like {"team": "a"})', i, "tags")
        out.append(tags)
    return out


def _first(raw: RawTable, bad: pd.Series, column: str, message: str) -> None:
    if bool(bad.any()):
        raise raw.error(message, int(np.flatnonzero(bad.to_numpy())[0]), column)
