"""Where stored bytes sit idle: a month's stored GB-month by image age and by tagged / untagged /
archived. Pure: Usage in, DataFrame out.

Each billed blob is stored once per repository (per registry with blob mounting), yet several images
may hold it. Its whole byte-time is attributed to the **newest** image holding it (the latest push),
among the images it is billed as standard storage for (an archived image never keeps a blob in
standard storage; a blob is archive storage only when every image holding it is archived, and then
goes to the newest archived image). Deleting an older image would not free a blob that a newer one
still holds, so the age of the newest holder is how long that money has sat there. The figures sum to
what :func:`ecrcost.storage.meter` bills, to the byte-microsecond.

Tagged means the image (or, for a child manifest of a multi-arch index, its index) carries a tag.
Runs as one DuckDB query over integer columns, like metering.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from ..core import sql
from ..core.metering.keys import keys_from_frames
from ..core.metering.storage import _us
from ..core.money import CONTEXT, ZERO
from ..core.period import Month
from ..core.usage import Usage

GB = 2**30
US_PER_SECOND = 1_000_000
# (label, lower bound in days) — ages of the newest image holding a blob, at the month's end (or now).
AGE_BUCKETS = [
    ("< 1 month", 0),
    ("1–3 months", 30),
    ("3–6 months", 90),
    ("6–12 months", 180),
    ("> 1 year", 365),
]
STATES = ["tagged", "untagged", "archived"]
COLUMNS = ["age_bucket", "state", "gb_month", "byte_us", "blobs"]


def stored_by_age(
    usage: Usage,
    month: Month | str | None = None,
    blob_mounting: bool = False,
    now: datetime | None = None,
) -> pd.DataFrame:
    """Stored volume in ``month`` by image age × state, one row per (age bucket, state), all 15 present.

    Columns: ``age_bucket`` (ordered categorical, youngest first; the age of the newest image holding
    each blob at the month's end, or at ``now`` if earlier), ``state`` (``tagged`` | ``untagged`` |
    ``archived``), ``gb_month`` (Decimal GB-month, GB = 2^30 bytes), ``byte_us`` (int, bytes ×
    microseconds, exact), ``blobs`` (unique blobs). Empty when ``usage`` has no images (a scenario).
    """
    period = month if isinstance(month, Month) else Month.parse(month)
    cells = [(b, s) for b, _ in AGE_BUCKETS for s in STATES]
    byte_us = [0] * len(cells)
    blobs = [0] * len(cells)
    if usage.images is not None and len(usage.images):
        for bucket, state, volume, count in _attributed(usage, period, blob_mounting, now):
            byte_us[bucket * len(STATES) + state] = volume
            blobs[bucket * len(STATES) + state] = count
    frame = pd.DataFrame(cells, columns=["age_bucket", "state"])
    frame["byte_us"] = pd.Series(byte_us, dtype=object)
    frame["blobs"] = blobs
    if usage.images is None or not len(usage.images):
        frame = frame.iloc[0:0]
    return _finish(frame, period)


def _finish(frame: pd.DataFrame, period: Month) -> pd.DataFrame:
    frame = frame.copy()
    denominator = Decimal(GB * period.seconds * US_PER_SECOND)
    frame["gb_month"] = pd.Series(
        [CONTEXT.divide(Decimal(v), denominator) if v else ZERO for v in frame["byte_us"]],
        index=frame.index,
        dtype=object,
    )
    frame["age_bucket"] = pd.Categorical(
        frame["age_bucket"], categories=[b for b, _ in AGE_BUCKETS], ordered=True
    )
    frame["blobs"] = frame["blobs"].astype(np.int64)
    return frame[COLUMNS].reset_index(drop=True)


def _attributed(
    usage: Usage, period: Month, blob_mounting: bool, now: datetime | None
) -> list[tuple[int, int, int, int]]:
    """(age bucket index, state index, byte_us, blobs) rows, metered exactly as storage.meter does."""
    images, layers = usage.images, usage.layers
    assert images is not None
    keys = usage.keys
    if keys is None or len(keys.repo) != len(images) or (layers is not None and keys.layer_image is None):
        keys = keys_from_frames(images, layers)
    ms = int(period.start.timestamp()) * US_PER_SECOND
    me = int(period.end.timestamp()) * US_PER_SECOND
    n = len(images)
    pushed = _us(images["pushed_at"], ms)
    s = np.clip(pushed, ms, me)
    e = np.clip(_us(images["deleted_at"], me), ms, me)
    archived = (images["image_status"] == "ARCHIVED").to_numpy(dtype=bool)
    has_children = np.zeros(n, dtype=bool)
    has_children[keys.parent[keys.parent >= 0]] = True

    # State and age per image row; a child manifest takes its index's tags.
    tagged = images["image_tags"].fillna("").astype(str).str.strip().to_numpy() != ""
    parent = keys.parent
    child = parent >= 0
    tagged[child] = tagged[child] | tagged[parent[child]]
    reference = me if now is None else min(me, int(now.timestamp()) * US_PER_SECOND)
    age_days = (reference - pushed) / (86_400 * US_PER_SECOND)
    bounds = np.array([d for _, d in AGE_BUCKETS[1:]], dtype=float)
    bucket = np.searchsorted(bounds, age_days, side="right").astype(np.int64)
    state = np.where(archived, 2, np.where(tagged, 0, 1)).astype(np.int64)

    size = images["size_bytes"].to_numpy(dtype=np.int64)
    if layers is not None:
        rows = keys.layer_image
        has_layers = np.bincount(rows[rows >= 0], minlength=n) > 0
        bare = np.flatnonzero(~has_layers & ~has_children)
        live = (rows >= 0) & (e[np.maximum(rows, 0)] > s[np.maximum(rows, 0)])
        rows_l, blob_l = rows[live], keys.blob[live]
        bare = bare[e[bare] > s[bare]]
        n_blob = int(keys.blob.max(initial=-1)) + 1
        img = np.concatenate([rows_l, bare]).astype(np.int64)
        blob = np.concatenate([blob_l.astype(np.int64), n_blob + bare.astype(np.int64)])
        nbytes = np.concatenate([layers["size_bytes"].to_numpy(dtype=np.int64)[live], size[bare]])
    else:
        img = np.flatnonzero(~has_children & (e > s)).astype(np.int64)
        blob = img.copy()
        nbytes = size[img]
    mounting = blob_mounting and layers is not None
    # Images ranked by push time (ties by row): the newest holder of a blob has the highest rank.
    newness = np.empty(n, dtype=np.int64)
    newness[np.lexsort((np.arange(n), pushed))] = np.arange(n, dtype=np.int64)
    blobs = pd.DataFrame(
        {
            "scope": keys.registry[keys.repo[img]].astype(np.int64) if mounting else keys.repo[img],
            "blob": blob,
            "size_bytes": nbytes,
            "s": s[img],
            "e": e[img],
            "archived": archived[img],
            "newness": newness[img],
            "img": img,
        }
    )
    per_image = pd.DataFrame({"img": np.arange(n, dtype=np.int64), "bucket": bucket, "state": state})
    con = sql.connect()
    con.register("blobs", blobs)
    con.register("per_image", per_image)
    # The same union of storage intervals per blob as storage.meter; the blob goes to its newest holder
    # among the images it is billed for (standard unless every holder is archived).
    if (blobs["e"].to_numpy() == me).all():
        # Nothing deleted within the month: each blob is stored from its earliest push to the month's end.
        stored, source = "max(e) - min(s)", "blobs"
    else:
        stored = "sum(greatest(e - greatest(s, coalesce(prev_e, s)), 0))"
        source = """(SELECT *, max(e) OVER (PARTITION BY scope, blob ORDER BY s, e
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_e
                     FROM blobs)"""
    found = con.execute(f"""
        WITH unique_blobs AS (
            SELECT max(size_bytes) AS size_bytes,
                   {stored} AS us,
                   CASE WHEN bool_and(archived) THEN arg_max(img, newness)
                        ELSE arg_max(img, newness) FILTER (WHERE NOT archived) END AS img
            FROM {source} GROUP BY scope, blob)
        SELECT p.bucket, p.state, sum(u.size_bytes::HUGEINT * u.us) AS byte_us, count(*) AS blobs
        FROM unique_blobs u JOIN per_image p USING (img)
        GROUP BY ALL ORDER BY ALL""").fetchall()
    con.close()
    return [(int(b), int(st), int(v), int(c)) for b, st, v, c in found]
