"""The one way tests build an inventory: images pushed with named layers of given sizes, written in the
files ``collect`` writes (CSV or Parquet) and loaded the way users load them, or handed over in memory
exactly as the loader would return them (property tests build thousands); ``inventories`` draws random
ones. Scenario CSVs are plain rows: ``write_csv``."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import strategies as st

import ecrcost
from ecrcost.core.period import Month
from ecrcost.core.usage import IMAGE_COLUMNS, LAYER_COLUMNS, REGISTRY_COLUMNS, REPOSITORY_COLUMNS, Usage

GiB = 2**30
MiB = 2**20
ACCOUNT = "123456789012"
REGION = "us-east-1"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"

Instant = str | datetime | pd.Timestamp | None  # ISO 8601 text is written as given, even when invalid
Format = Literal["csv", "parquet"]

# push() and update() keywords → the images column each one sets
IMAGE_FIELDS = {
    "tags": "image_tags",
    "status": "image_status",
    "media_type": "manifest_media_type",
    "parent": "parent_digest",
    "subject": "subject_digest",
    "size_bytes": "size_bytes",
    "deleted_at": "deleted_at",
    "last_pulled_at": "last_pulled_at",
    "last_archived_at": "last_archived_at",
    "last_activated_at": "last_activated_at",
}
INSTANTS = ["pushed_at", "deleted_at", "last_pulled_at", "last_archived_at", "last_activated_at"]
TABLES = ("images", "layers", "repositories")


def digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def write_csv(path: Path, rows: Iterable[Mapping[str, Any]], columns: list[str] | None = None) -> Path:
    """Rows as a CSV file; the columns are ``columns`` or every key in order of appearance."""
    rows = list(rows)
    if columns is None:
        columns = []
        for row in rows:
            columns += [c for c in row if c not in columns]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        writer.writerows({c: _text(row.get(c)) for c in columns} for row in rows)
    return path


def set_cell(path: Path, column: str, row: int, value: Any, kind: pa.DataType | None = None) -> None:
    """Rewrite the Parquet file ``path`` with one cell changed (``kind``: the column's new type)."""
    table = pq.read_table(path)
    values = table[column].to_pylist()
    values[row] = value
    field = table.schema.get_field_index(column)
    kind = kind or table.schema.field(column).type
    pq.write_table(table.set_column(field, column, pa.array(values, kind)), path)


class Inventory:
    """A registry's inventory: images pushed with named layers (a layer's digest is the hash of its name,
    an image's the hash of ``repo:name``, so one image replicated to two regions keeps its digest), and
    optionally a repositories table with tags and stored lifecycle policies.

    ``write`` gives the folder, ``load`` the ``ecrcost.Usage`` read from it, ``usage`` the same Usage
    built in memory (no files), ``estimate`` a priced month."""

    def __init__(self, folder: Path | None = None, *, account: str = ACCOUNT, region: str = REGION) -> None:
        self.folder = folder
        self.account = account
        self.region = region
        self.images: list[dict[str, Any]] = []
        self.layers: list[dict[str, Any]] = []
        self.repositories: list[dict[str, Any]] = []
        self.registries: list[dict[str, str]] = []  # what collect found per registry (collection.json)
        self.names: dict[str, str] = {}  # image digest → the name it was pushed as

    def push(
        self,
        repo: str,
        name: str,
        pushed_at: Instant,
        layers: Mapping[str, int] | None = None,
        *,
        tags: str = "",
        status: str = "ACTIVE",
        media_type: str = OCI_MANIFEST,
        parent: str = "",
        subject: str = "",
        size_bytes: int | None = None,
        deleted_at: Instant = None,
        last_pulled_at: Instant = None,
        last_archived_at: Instant = None,
        last_activated_at: Instant = None,
        region: str | None = None,
        account: str | None = None,
    ) -> str:
        """Push ``repo:name`` holding ``layers`` (layer name → bytes); the image's size is their sum
        unless given. ``tags`` are space-separated; ``parent`` is the digest of the index listing this
        image, ``subject`` the digest a referrer refers to. Returns the image digest."""
        layers = layers or {}
        d = digest(f"{repo}:{name}")
        where = {"account_id": self.account if account is None else account, "region": region or self.region}
        self.images.append(
            {
                **where,
                "repository": repo,
                "image_digest": d,
                "size_bytes": sum(layers.values()) if size_bytes is None else size_bytes,
                "pushed_at": pushed_at,
                "deleted_at": deleted_at,
                "image_status": status,
                "image_tags": tags,
                "last_pulled_at": last_pulled_at,
                "manifest_media_type": media_type,
                "parent_digest": parent,
                "subject_digest": subject,
                "last_archived_at": last_archived_at,
                "last_activated_at": last_activated_at,
            }
        )
        self.layers += [
            {**where, "repository": repo, "image_digest": d, "layer_digest": digest(blob), "size_bytes": size}
            for blob, size in layers.items()
        ]
        self.names[d] = name
        return d

    def update(self, image_digest: str, **changes: Any) -> None:
        """Change an image already pushed (every region's copy), with ``push``'s keywords."""
        unknown = set(changes) - set(IMAGE_FIELDS)
        if unknown:
            raise TypeError(f"not an image field: {', '.join(sorted(unknown))}")
        rows = [row for row in self.images if row["image_digest"] == image_digest]
        if not rows:
            raise KeyError(image_digest)
        for row in rows:
            row.update({IMAGE_FIELDS[k]: v for k, v in changes.items()})

    def repository(
        self,
        name: str,
        *,
        tags: Mapping[str, str] | None = None,
        lifecycle_policy: str = "",
        region: str | None = None,
        account: str = "",
        encryption_type: str = "",
        kms_key: str = "",
        pull_through_cache: bool = False,
    ) -> None:
        """A row of the repositories table (a repository may hold no image). ``account`` is blank unless
        given, as in a hand-written table, where a blank account names any account."""
        self.repositories.append(
            {
                "account_id": account,
                "region": region or self.region,
                "repository": name,
                "repository_arn": "",
                "tags": json.dumps(dict(tags)) if tags else "",
                "lifecycle_policy": lifecycle_policy,
                "encryption_type": encryption_type,
                "kms_key": kms_key,
                "pull_through_cache": "true" if pull_through_cache else "",
            }
        )

    def registry(self, blob_mounting: str, *, region: str | None = None, account: str | None = None) -> None:
        """What collect found for a registry (collection.json): its BLOB_MOUNTING setting."""
        self.registries.append(
            {
                "account_id": account or self.account,
                "region": region or self.region,
                "blob_mounting": blob_mounting,
            }
        )

    def write(self, folder: Path | None = None, *, with_layers: bool = True, format: Format = "csv") -> Path:
        """The inventory folder: images, layers (unless ``with_layers`` is false) and repositories (when
        any was added) as ``format`` files. Tables written earlier and not written now are removed."""
        folder = folder or self.folder
        if folder is None:
            raise ValueError("Inventory(folder) or write(folder) names where to write")
        folder.mkdir(parents=True, exist_ok=True)
        for table in TABLES:
            for suffix in ("csv", "parquet"):
                (folder / f"{table}.{suffix}").unlink(missing_ok=True)
        tables: dict[str, tuple[list[dict[str, Any]], list[str]]] = {"images": (self.images, IMAGE_COLUMNS)}
        if with_layers:
            tables["layers"] = (self.layers, LAYER_COLUMNS)
        if self.repositories:
            tables["repositories"] = (self.repositories, REPOSITORY_COLUMNS)
        for table, (rows, columns) in tables.items():
            if format == "csv":
                write_csv(folder / f"{table}.csv", rows, columns)
            else:
                pq.write_table(_arrow(rows, columns), folder / f"{table}.parquet")
        summary = folder / "collection.json"
        summary.unlink(missing_ok=True)
        if self.registries:
            summary.write_text(json.dumps({"registries": self.registries}), encoding="utf-8")
        return folder

    def load(self, *, with_layers: bool = True, format: Format = "csv") -> Usage:
        """Write the folder and read it back with ``ecrcost.load``."""
        return ecrcost.load(self.write(with_layers=with_layers, format=format))

    def usage(self, *, with_layers: bool = True) -> Usage:
        """The Usage that ``load`` returns, built in memory: the same columns, types and values."""
        images = _frame(self.images, IMAGE_COLUMNS)
        for column in INSTANTS:
            images[column] = _instants(images[column])
        layers = _frame(self.layers, LAYER_COLUMNS) if with_layers else None
        repositories = None
        if self.repositories:
            repositories = _frame(self.repositories, REPOSITORY_COLUMNS)
            repositories["tags"] = [json.loads(t) if t else {} for t in repositories["tags"]]
            repositories["encryption_type"] = repositories["encryption_type"].str.upper()
            repositories["pull_through_cache"] = repositories["pull_through_cache"].str.lower() == "true"
        registries = pd.DataFrame(self.registries, columns=REGISTRY_COLUMNS) if self.registries else None
        return Usage(images=images, layers=layers, repositories=repositories, registries=registries)

    def estimate(self, month: str, *, with_layers: bool = True, **options: Any) -> ecrcost.Estimate:
        return ecrcost.estimate(self.load(with_layers=with_layers), month=month, **options)


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Rows as the loader types them: int64 byte counts, text as text (even with no rows)."""
    text = [c for c in columns if c not in INSTANTS and c != "size_bytes"]
    frame = pd.DataFrame(rows, columns=columns).fillna(dict.fromkeys(text, ""))
    if "size_bytes" in columns:
        frame["size_bytes"] = frame["size_bytes"].astype("int64")
    return frame.astype(dict.fromkeys(text, str))


def _instant(value: Instant) -> pd.Timestamp | None:
    if value is None or (isinstance(value, str) and not value):
        return None
    ts = pd.Timestamp(value)
    return ts.tz_localize(UTC) if ts.tzinfo is None else ts.tz_convert(UTC)


def _instants(values: pd.Series) -> pd.Series:
    return pd.Series([_instant(v) for v in values], index=values.index, dtype="datetime64[us, UTC]")


def _text(value: Any) -> Any:
    """A cell as CSV text: blank for nothing, ISO 8601 with Z for an instant, anything else as it is."""
    if value is None:
        return ""
    if isinstance(value, datetime):  # pd.Timestamp is one too
        ts = _instant(value)
        assert ts is not None
        return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if ts.microsecond else "%Y-%m-%dT%H:%M:%SZ")
    return value


def _arrow(rows: list[dict[str, Any]], columns: list[str]) -> pa.Table:
    """Rows as Parquet columns of the types ``collect`` writes: text, int64 bytes, UTC microseconds."""
    arrays = {}
    for column in columns:
        values = [row.get(column) for row in rows]
        if column in INSTANTS:
            arrays[column] = pa.array([_instant(v) for v in values], pa.timestamp("us", tz="UTC"))
        elif column == "size_bytes":
            arrays[column] = pa.array(values, pa.int64())
        else:
            arrays[column] = pa.array(["" if v is None else v for v in values], pa.string())
    return pa.table(arrays)


# Random inventories are pushed between April and August 2026: the month in the middle sees images
# pushed before, during and after it, and deleted within it.
RANDOM_MONTH = Month(2026, 6)
instants = st.datetimes(min_value=datetime(2026, 4, 1), max_value=datetime(2026, 8, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
)


@st.composite
def inventories(draw: st.DrawFn) -> Inventory:
    """Random repositories whose images draw layers from a small shared pool (in memory: ``usage()``)."""
    pool = draw(st.lists(st.integers(min_value=0, max_value=2**34), min_size=1, max_size=8))
    inventory = Inventory(account="")
    for i in range(draw(st.integers(min_value=1, max_value=10))):
        repo = draw(st.sampled_from(["svc-a", "svc-b", "team/c"]))
        pushed = draw(instants)
        deleted = draw(st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)))
        held = draw(st.sets(st.integers(min_value=0, max_value=len(pool) - 1), max_size=len(pool)))
        inventory.push(
            repo,
            f"image{i}",
            pushed,
            {f"layer{j}": pool[j] for j in held},
            deleted_at=pushed + deleted if deleted is not None else None,
        )
    return inventory
