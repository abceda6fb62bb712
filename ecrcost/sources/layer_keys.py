"""Layers keyed in DuckDB: for an inventory whose layers' text would not fit beside everything else.

At 100M layer rows the text path (:func:`ecrcost.sources.inventory._layers`) holds the layers as
pandas categoricals: 21M distinct digests alone are 1.7 GB, and building their dictionary copies it.
Metering needs none of that text: per layer row, the image row, a blob id and the size. Here DuckDB
reads the Parquet files and computes exactly those, spilling to disk under its memory limit
(docs/scale.md); Python never holds a layer digest.

Every input check keeps its meaning by construction: this path accepts a row only when the text path
would accept it unchanged (its text equal to a checked image's, its digest a valid one, its size a
whole number of bytes in range). Anything else, even text the checks would merely trim, sends the
whole table down the text path, which reads it as before and names the first bad row (file, row,
column). That costs memory only for inputs the text path would reject or clean up."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..core.memory import COMMAND_LINE
from ..core.metering.keys import StorageKeys
from ..core.sql import connect
from ..core.usage import KEYED_LAYER_COLUMNS
from . import checks
from .files import check_unread, parquet_with_header

# Layer rows from which an inventory's layers are keyed rather than read as text (ECRCOST_KEYED_LAYERS_FROM).
KEYED_FROM = 20_000_000
KEYED = ("account_id", "region", "repository", "image_digest", "layer_digest", "size_bytes")
BATCH = 1 << 20  # result rows fetched at a time


def keyed_from() -> int:
    """The layer row count from which layers are keyed: ``ECRCOST_KEYED_LAYERS_FROM``, else 0 on the
    command line (:data:`~ecrcost.core.memory.COMMAND_LINE`) and 20 million in the Python API."""
    given = os.environ.get("ECRCOST_KEYED_LAYERS_FROM", "").strip().replace("_", "")
    if given.isdigit():
        return int(given)
    return 0 if COMMAND_LINE.get() else KEYED_FROM


def layer_rows(files: Sequence[tuple[Path, dict[str, str]]]) -> int:
    """The layer rows of these Parquet files, from their footers."""
    return sum(pq.ParquetFile(path).metadata.num_rows for path, _ in files)


def keyed_layers(
    files: Sequence[tuple[Path, dict[str, str]]],
    required: list[str],
    optional: list[str],
    images: pd.DataFrame,
    image_keys: StorageKeys,
) -> tuple[pd.DataFrame, StorageKeys] | None:
    """The layers of these Parquet files (each with the values its partition folder names) keyed to
    ``images``: a frame of :data:`~ecrcost.core.usage.KEYED_LAYER_COLUMNS` and the storage keys with
    its layer rows. None when a row is not one the text path would take as it is (that path then
    reads the table and names the row). A header the text path would reject raises the same error."""
    schemas, rows = [], 0
    for path, _ in files:
        parquet = parquet_with_header(path, required, optional)
        schema = parquet.schema_arrow
        schemas.append(schema)
        rows += parquet.metadata.num_rows
        if not all(_simple(schema.field(c).type, c) for c in KEYED if c in schema.names):
            return None  # text stored as binary, sizes as text or floats: the text path converts them
        check_unread(parquet, path, KEYED)
    columns = set(schemas[0].names) & set(KEYED)
    if any(set(s.names) & set(KEYED) != columns for s in schemas):
        return None  # the text path names the file that differs
    account = _placed("account_id", "account_id" in columns, files, images)
    region = _placed("region", "region" in columns, files, images)
    if account is None or region is None:
        return None
    return _keyed(files, rows, account, region, images, image_keys)


def _simple(kind: pa.DataType, column: str) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if column == "size_bytes":
        return pa.types.is_integer(kind)
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _placed(
    column: str, in_file: bool, files: Sequence[tuple[Path, dict[str, str]]], images: pd.DataFrame
) -> tuple[str, str] | None:
    """SQL for a layer row's account or region, and the SQL that is true when it contradicts its
    partition folder; None when the text path must decide (the column absent and the images span
    several values)."""
    named = [values.get(column) for _, values in files]
    if in_file:
        if all(v is None for v in named):
            return f"l.{column}", "false"
        return f"l.{column}", f"(p.{column} IS NOT NULL AND l.{column} IS DISTINCT FROM p.{column})"
    if all(v is not None for v in named):
        return f"p.{column}", "false"
    if any(v is not None for v in named):
        return None
    values = images[column].unique()
    if len(values) > 1:
        return None
    return _literal(str(values[0]) if len(values) else ""), "false"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _keyed(
    files: Sequence[tuple[Path, dict[str, str]]],
    n: int,
    placed_account: tuple[str, str],
    placed_region: tuple[str, str],
    images: pd.DataFrame,
    image_keys: StorageKeys,
) -> tuple[pd.DataFrame, StorageKeys] | None:
    """The two DuckDB passes (digest ids, then the ``n`` keyed rows); None at the first batch with a row
    the text path must judge."""
    (account, account_odd), (region, region_odd) = placed_account, placed_region
    paths = [str(path) for path, _ in files]
    # hive_partitioning off: DuckDB would otherwise put the folder's account_id=… over the file's own
    # column (and type it as a number); the folders' values are joined from ``parts`` instead.
    listed = ", ".join(_literal(p) for p in paths)
    source = f"read_parquet([{listed}], filename = true, union_by_name = true, hive_partitioning = false)"
    rows = np.empty(n, dtype=np.int32)
    blob = np.empty(n, dtype=np.int32)
    size = np.empty(n, dtype=np.int64)
    con = connect()
    try:
        con.register(
            "parts",
            pa.table(
                {
                    "file": paths,
                    "account_id": [values.get("account_id") for _, values in files],
                    "region": [values.get("region") for _, values in files],
                },
                schema=pa.schema(
                    [("file", pa.string()), ("account_id", pa.string()), ("region", pa.string())]
                ),
            ),
        )
        repos = image_keys.repos.reset_index(drop=True)
        con.register(
            "repos",
            pa.table(
                {
                    "account_id": repos["account_id"].astype(str).to_numpy(),
                    "region": repos["region"].astype(str).to_numpy(),
                    "repository": repos["repository"].astype(str).to_numpy(),
                    "repo": np.arange(len(repos), dtype=np.int32),
                }
            ),
        )
        con.register(
            "imgs",
            pa.table(
                {
                    "repo": image_keys.repo,
                    "image_digest": pa.Array.from_pandas(images["image_digest"]),
                    "img": np.arange(len(images), dtype=np.int32),
                }
            ),
        )
        # Each distinct layer digest once: its id, and whether it is a valid digest.
        con.execute(f"""
            CREATE TEMP TABLE blob_ids AS
            SELECT layer_digest AS digest, (row_number() OVER () - 1)::INTEGER AS blob,
                   coalesce(regexp_full_match(layer_digest, {_literal(checks.DIGEST)}), false) AS ok
            FROM (SELECT DISTINCT layer_digest FROM {source})""").fetchall()
        reader = con.sql(f"""
            SELECT i.img, b.blob, try_cast(l.size_bytes AS BIGINT) AS size,
                   (i.img IS NULL OR NOT coalesce(b.ok, false) OR l.size_bytes IS NULL OR l.size_bytes < 0
                    OR l.size_bytes > {checks.MAX_BYTES} OR {account_odd} OR {region_odd}) AS odd
            FROM {source} l
            JOIN parts p ON p.file = l.filename
            LEFT JOIN repos r
                   ON r.account_id = {account} AND r.region = {region} AND r.repository = l.repository
            LEFT JOIN imgs i ON i.repo = r.repo AND i.image_digest = l.image_digest
            LEFT JOIN blob_ids b ON b.digest = l.layer_digest""").to_arrow_reader(BATCH)
        at = 0
        for batch in reader:
            if batch.column(3).true_count:
                reader.close()
                return None  # the text path names the first such row
            k = batch.num_rows
            rows[at : at + k] = batch.column(0).to_numpy()
            blob[at : at + k] = batch.column(1).to_numpy()
            size[at : at + k] = batch.column(2).to_numpy()
            at += k
        if at != n:
            raise RuntimeError(f"keyed {at:,} layer rows of {n:,}")
    finally:
        con.close()  # and its temporary table with it
    layers = pd.DataFrame(dict(zip(KEYED_LAYER_COLUMNS, (rows, blob, size), strict=True)), copy=False)
    return layers, replace(image_keys, layer_image=rows, blob=blob)
