"""Where stored bytes sit idle: a month's stored GB-month by image age and by tagged / untagged /
archived. Pure: Usage in, DataFrame out.

Each billed blob is stored once per repository (per registry with blob mounting), yet several images
may hold it. Its standard byte-time (while any holder is in standard storage) goes to the **newest**
standard image holding it (the latest push), its archive byte-time (while only archived images hold
it) to the newest archived one, in state "archived". Deleting an older image would not free a blob
that a newer one still holds, so the age of the newest holder is how long that money has sat there.
The figures sum to what the estimate bills, to the byte-microsecond, class by class.

Tagged means the image (or, for a child manifest of a multi-arch index, its index) carries a tag.
The blobs and their holders come from the metering kernel (:mod:`ecrcost.core.metering.blobs`): an
estimate and storage by age of the same month share one pass over the layers.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from ..core.metering.blobs import bounds, microseconds
from ..core.money import CONTEXT, ZERO
from ..core.period import Month
from ..core.sql import connect
from ..core.units import GB, US_PER_SECOND
from ..core.usage import Usage

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
    month: Month | str | date | None = None,
    blob_mounting: bool | str = "collected",
    now: datetime | None = None,
) -> pd.DataFrame:
    """Stored volume in ``month`` by image age × state, one row per (age bucket, state), all 15 present.

    Columns: ``age_bucket`` (ordered categorical, youngest first; the age of the newest image holding
    each blob at the month's end, or at ``now`` if earlier), ``state`` (``tagged`` | ``untagged`` |
    ``archived``), ``gb_month`` (Decimal GB-month, GB = 2^30 bytes), ``byte_us`` (int, bytes ×
    microseconds, exact), ``blobs`` (unique blobs). Empty when ``usage`` has no images (a scenario).
    """
    period = Month.of(month)
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
    usage: Usage, period: Month, blob_mounting: bool | str, now: datetime | None
) -> list[tuple[int, int, int, int]]:
    """(age bucket index, state index, byte_us, blobs) rows: each blob the kernel meters, with its
    byte-time, goes to the age and state of the image it is attributed to."""
    images = usage.images
    assert images is not None
    parent = usage.keys.parent
    _, me = bounds(period)
    pushed = microseconds(images["pushed_at"], me)
    # State and age per image row; a child manifest takes its index's tags.
    tagged = _has_text(images["image_tags"])
    child = parent >= 0
    tagged[child] = tagged[child] | tagged[parent[child]]
    reference = me if now is None else min(me, int(now.timestamp()) * US_PER_SECOND)
    age_days = (reference - pushed) / (86_400 * US_PER_SECOND)
    limits = np.array([d for _, d in AGE_BUCKETS[1:]], dtype=float)
    per_image = pd.DataFrame(
        {
            "img": np.arange(len(images), dtype=np.int64),
            "bucket": np.searchsorted(limits, age_days, side="right").astype(np.int64),
            "tag_state": np.where(tagged, 0, 1).astype(np.int64),
        }
    )
    stored = usage.metering.attributed(period, blob_mounting)
    con = connect()
    try:
        con.register("stored", stored)
        con.register("per_image", per_image)
        # A blob's standard byte-time goes to its newest standard holder (tagged or untagged by that
        # image's tags), its archive byte-time to its newest archived holder (state "archived").
        found = con.execute("""
            SELECT bucket, state, sum(byte_us) AS byte_us, count(*) AS blobs FROM (
                SELECT p.bucket, p.tag_state AS state, s.size_bytes::HUGEINT * s.us_standard AS byte_us
                FROM stored s JOIN per_image p ON p.img = s.holder_standard WHERE s.us_standard > 0
                UNION ALL
                SELECT p.bucket, 2, s.size_bytes::HUGEINT * s.us_archive
                FROM stored s JOIN per_image p ON p.img = s.holder_archive WHERE s.us_archive > 0)
            GROUP BY ALL ORDER BY ALL""").fetchall()
    finally:
        con.close()
    return [(int(b), int(st), int(v), int(c)) for b, st, v, c in found]


def _has_text(col: pd.Series) -> np.ndarray:
    """Per row, whether ``col`` holds text that is not blank; a categorical is decided once per
    category (a million tag lists are not made Python strings)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        per = np.asarray(col.cat.categories.astype(str).str.strip() != "", dtype=bool)
        codes = col.cat.codes.to_numpy()
        return np.where(codes >= 0, per[np.maximum(codes, 0)], False)
    return np.array(col.fillna("").astype(str).str.strip() != "", dtype=bool)  # a copy: written to
