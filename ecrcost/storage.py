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

from . import sql
from .period import Month
from .usage import INDEX_MEDIA_TYPES


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


def _image_frame(images: pd.DataFrame, month: Month) -> pd.DataFrame:
    ms = int(month.start.timestamp()) * 1_000_000
    me = int(month.end.timestamp()) * 1_000_000
    keys = ["account_id", "region", "repository"]
    parents = images.loc[images["parent_digest"] != "", [*keys, "parent_digest"]].drop_duplicates()
    parents = parents.rename(columns={"parent_digest": "image_digest"}).assign(has_children=True)
    frame = images[[*keys, "image_digest", "size_bytes"]].merge(
        parents, how="left", on=[*keys, "image_digest"]
    )
    frame["has_children"] = frame["has_children"].astype("boolean").fillna(False).astype(bool)
    frame["is_index"] = (
        images["manifest_media_type"].isin(INDEX_MEDIA_TYPES).to_numpy() | frame["has_children"]
    )
    frame["s"] = np.clip(_us(images["pushed_at"], ms), ms, me)
    frame["e"] = np.clip(_us(images["deleted_at"], me), ms, me)
    frame["archived"] = (images["image_status"] == "ARCHIVED").to_numpy()
    return frame


def meter(images: pd.DataFrame, layers: pd.DataFrame | None, month: Month, blob_mounting: bool) -> Metered:
    """Byte-time stored in ``month`` per (account, region, repository, storage class)."""
    img = _image_frame(images, month)
    con = sql.connect()
    con.register("img", img)
    notes: list[str] = []
    if layers is not None:
        con.register("lay", layers)
        # Images without layer rows (Docker schema 1, or not collected) count their own size as one blob;
        # an index whose children are listed has nothing of its own to add.
        bare = """SELECT i.account_id, i.region, i.repository, i.image_digest AS blob, i.size_bytes, i.s, i.e,
                         i.archived
                  FROM img i
                  ANTI JOIN (SELECT DISTINCT account_id, region, repository, image_digest FROM lay) l
                       USING (account_id, region, repository, image_digest)
                  WHERE NOT i.has_children"""
        blobs = f"""
            SELECT l.account_id, l.region, l.repository, l.layer_digest AS blob, l.size_bytes, i.s, i.e,
                   i.archived
            FROM lay l JOIN img i USING (account_id, region, repository, image_digest)
            UNION ALL {bare}"""
        (count,) = con.execute(f"SELECT count(*) FROM ({bare})").fetchone()  # type: ignore[misc]
        if count:
            notes.append(
                f"{count} image(s) had no layer rows (e.g. Docker schema 1): billed by their image size."
            )
        basis = "layers"
    else:
        blobs = """SELECT account_id, region, repository, image_digest AS blob, size_bytes, s, e, archived
                   FROM img WHERE NOT has_children"""
        notes.append(
            "No layer data: storage is the sum of image sizes, so layers shared between images are "
            "over-counted. Add layers.csv (or run collect) for deduplicated storage."
        )
        basis = "image sizes"
    # A blob is stored while any image holding it is: the union of those images' intervals (sorted by
    # start, each interval adds what reaches past the latest end before it).
    scope = "account_id, region" if blob_mounting and layers is not None else "account_id, region, repository"
    # With blob mounting one copy per registry is charged to the repository that pushed it first.
    owner = "min({'s': s, 'r': repository}).r" if blob_mounting and layers is not None else "repository"
    unique = f"""
        SELECT account_id, region, {owner} AS repository, blob, max(size_bytes) AS size_bytes,
               sum(greatest(e - greatest(s, coalesce(prev_e, s)), 0)) AS us, bool_and(archived) AS archived
        FROM (SELECT *, max(e) OVER (PARTITION BY {scope}, blob ORDER BY s, e
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_e
              FROM ({blobs}) WHERE e > s)
        GROUP BY {scope}, blob"""
    rows = con.execute(f"""
        SELECT account_id, region, repository,
               CASE WHEN archived THEN 'archive' ELSE 'standard' END AS storage_class,
               sum(size_bytes::HUGEINT * us) AS byte_us,
               count(*) AS blobs
        FROM ({unique}) GROUP BY ALL ORDER BY ALL""").fetchall()  # HUGEINT sums arrive as exact Python ints
    con.close()
    lines = pd.DataFrame(
        rows, columns=["account_id", "region", "repository", "storage_class", "byte_us", "blobs"]
    )
    lines["byte_us"] = lines["byte_us"].astype(object)
    if blob_mounting and layers is None:
        notes.append("--blob-mounting has no effect without layer data.")
    return Metered(lines, basis, tuple(notes))
