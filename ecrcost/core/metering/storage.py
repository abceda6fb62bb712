"""Storage metering: images and layers over a month → byte-microseconds per repository and class.

ECR bills compressed blob bytes per hour stored (``TimedStorage-ByteHrs``). Within a repository each
layer digest is stored once; with blob mounting, once per registry (account + region). A layer is
billed while any image holding it is stored: from the earliest push to the month's end, less any gap
when every image holding it had been deleted.
A multi-arch index holds no layers of its own; its children's layers count.

Runs as one DuckDB query over whole columns; byte-time sums are 128-bit integers, so exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import sql
from ..period import Month
from .keys import StorageKeys, keys_from_frames


@dataclass(frozen=True)
class Metered:
    """``lines``: account_id, region, repository, storage_class, byte_us (Python int, bytes × µs stored
    in the month), blobs (unique blobs billed). ``notes``: what the user should know about the basis."""

    lines: pd.DataFrame
    basis: str  # "layers" or "image sizes"
    notes: tuple[str, ...]


def _us(ts: pd.Series, default: int) -> np.ndarray:
    """Timestamps as integer microseconds since the epoch; NaT → ``default``."""
    values = ts.astype("datetime64[us, UTC]").to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT"))
    out = values.astype(np.int64)
    out[np.isnat(values)] = default
    return out


def meter(
    images: pd.DataFrame,
    layers: pd.DataFrame | None,
    month: Month,
    blob_mounting: bool,
    keys: StorageKeys | None = None,
) -> Metered:
    """Byte-time stored in ``month`` per (account, region, repository, storage class).

    Works on integer keys (repository id, image row of each layer row, blob id), so DuckDB only sees
    integer columns."""
    ms = int(month.start.timestamp()) * 1_000_000
    me = int(month.end.timestamp()) * 1_000_000
    if keys is None or len(keys.repo) != len(images) or (layers is not None and keys.layer_image is None):
        keys = keys_from_frames(images, layers)
    n = len(images)
    s = np.clip(_us(images["pushed_at"], ms), ms, me)
    e = np.clip(_us(images["deleted_at"], me), ms, me)
    archived = (images["image_status"] == "ARCHIVED").to_numpy(dtype=bool)
    has_children = np.zeros(n, dtype=bool)
    has_children[keys.parent[keys.parent >= 0]] = True
    size = images["size_bytes"].to_numpy(dtype=np.int64)
    notes: list[str] = []
    mounting = blob_mounting and layers is not None
    if layers is not None:
        rows = keys.layer_image
        has_layers = np.bincount(rows[rows >= 0], minlength=n) > 0
        bare = np.flatnonzero(~has_layers & ~has_children)
        if len(bare):
            notes.append(
                f"{len(bare)} image(s) had no layer rows (e.g. Docker schema 1): billed by their image size."
            )
        # Rows stored for no time this month add nothing (the union below skips them too).
        live = e[rows] > s[rows]
        rows_l, blob_l = rows[live], keys.blob[live]
        bare = bare[e[bare] > s[bare]]
        n_blob = int(keys.blob.max(initial=-1)) + 1
        blobs = pd.DataFrame(
            {
                "repo": np.concatenate([keys.repo[rows_l], keys.repo[bare]]),
                "blob": np.concatenate([blob_l.astype(np.int64), n_blob + bare.astype(np.int64)]),
                "size_bytes": np.concatenate(
                    [layers["size_bytes"].to_numpy(dtype=np.int64)[live], size[bare]]
                ),
                "s": np.concatenate([s[rows_l], s[bare]]),
                "e": np.concatenate([e[rows_l], e[bare]]),
                "archived": np.concatenate([archived[rows_l], archived[bare]]),
            }
        )
        basis = "layers"
    else:
        own = np.flatnonzero(~has_children & (e > s))
        blobs = pd.DataFrame(
            {
                "repo": keys.repo[own],
                "blob": own.astype(np.int64),
                "size_bytes": size[own],
                "s": s[own],
                "e": e[own],
                "archived": archived[own],
            }
        )
        notes.append(
            "No layer data: storage is the sum of image sizes, so layers shared between images are "
            "over-counted. Add layers.csv (or run collect) for deduplicated storage."
        )
        basis = "image sizes"
    if mounting:
        blobs["registry"] = keys.registry[blobs["repo"].to_numpy()]
    scope = "registry" if mounting else "repo"
    # With blob mounting one copy per registry is charged to the repository that pushed it first
    # (ties by name: repository ids are in name order).
    owner = "min({'s': s, 'r': repo}).r" if mounting else "repo"
    if (blobs["e"].to_numpy() == me).all():
        # Nothing deleted within the month: each blob's union of intervals is [earliest push, month end].
        stored = "max(e) - min(s)"
        source = "blobs"
    else:
        # A blob is stored while any image holding it is: the union of those images' intervals (sorted by
        # start, each interval adds what reaches past the latest end before it).
        stored = "sum(greatest(e - greatest(s, coalesce(prev_e, s)), 0))"
        source = f"""(SELECT *, max(e) OVER (PARTITION BY {scope}, blob ORDER BY s, e
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_e
                      FROM blobs)"""
    con = sql.connect()
    con.register("blobs", blobs)
    unique = f"""
        SELECT {owner} AS repo, max(size_bytes) AS size_bytes, {stored} AS us, bool_and(archived) AS archived
        FROM {source} GROUP BY {scope}, blob"""
    found = con.execute(f"""
        SELECT repo, CASE WHEN archived THEN 'archive' ELSE 'standard' END AS storage_class,
               sum(size_bytes::HUGEINT * us) AS byte_us, count(*) AS blobs
        FROM ({unique}) GROUP BY ALL ORDER BY ALL""").fetchall()  # HUGEINT sums arrive as exact Python ints
    con.close()
    ids = np.array([r[0] for r in found], dtype=np.int64)
    lines = keys.repos.iloc[ids].reset_index(drop=True)
    lines["storage_class"] = pd.Series([r[1] for r in found], dtype=object)
    lines["byte_us"] = pd.Series([r[2] for r in found], dtype=object)
    lines["blobs"] = pd.Series([r[3] for r in found], dtype=np.int64)
    if blob_mounting and layers is None:
        notes.append("--blob-mounting has no effect without layer data.")
    return Metered(lines, basis, tuple(notes))
