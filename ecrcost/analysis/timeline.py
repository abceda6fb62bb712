"""Cost over time: several months of one inventory (priced from its push and delete history), several
estimates side by side, or a projection from push history. Pure: Usage in, DataFrames out; every
amount is priced by :func:`ecrcost.model.estimate`, never here.

A projection is flagged in its rows (``kind == "projection"``) and carries its method as text, so a
chart or a table can say how it was made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal, localcontext

import numpy as np
import pandas as pd

from ..core import sql
from ..core.estimate import Estimate
from ..core.metering.keys import keys_from_frames
from ..core.metering.storage import _us, meter
from ..core.money import CENT, CONTEXT
from ..core.period import Month
from ..core.pricebook import PriceBook
from ..core.pricing import estimate
from ..core.usage import STORAGE_COLUMNS, Usage

GB = 2**30
COLUMNS = ["month", "kind", "storage_gb_month", "storage_usd", "transfer_usd", "total_usd"]
PROJECTED_REPOSITORY = "(projected growth)"


@dataclass(frozen=True)
class Timeline:
    """``table``: one row per month, oldest first, with ``COLUMNS``: month (``YYYY-MM``), kind
    (``estimate`` | ``projection``), storage_gb_month (Decimal GB-month), storage_usd, transfer_usd,
    total_usd (Decimal USD to the cent). ``method``: how projected rows were made ("" if none).
    ``notes``: caveats a reader needs (e.g. past months miss images deleted before the inventory)."""

    table: pd.DataFrame
    method: str = ""
    notes: tuple[str, ...] = ()

    @property
    def projected(self) -> bool:
        return bool((self.table["kind"] == "projection").any())


def shift(month: Month, by: int) -> Month:
    """The month ``by`` months after (negative: before) ``month``."""
    index = month.year * 12 + month.month - 1 + by
    return Month(index // 12, index % 12 + 1)


def row(est: Estimate, kind: str = "estimate", label: str | None = None) -> dict:
    totals = est.totals(CENT)
    return {
        "month": label or str(est.period),
        "kind": kind,
        "storage_gb_month": sum(est.exact["storage_gb_month"], Decimal(0)),
        "storage_usd": totals["storage_usd"],
        "transfer_usd": totals["transfer_usd"],
        "total_usd": totals["total_usd"],
    }


def from_estimates(estimates: Sequence[Estimate], labels: Sequence[str] | None = None) -> Timeline:
    """Several estimates (e.g. one inventory per month) as a timeline, in the order given."""
    labels = list(labels) if labels is not None else [None] * len(estimates)  # type: ignore[list-item]
    rows = [row(e, label=lab) for e, lab in zip(estimates, labels, strict=True)]
    return Timeline(pd.DataFrame(rows, columns=COLUMNS))


def from_snapshots(snapshots: Sequence[tuple[str, Estimate]]) -> Timeline:
    """Several inventories (name, estimate), oldest month first, each priced for its own month; a
    month that repeats is told apart by the inventory's name."""
    ordered = sorted(snapshots, key=lambda s: (str(s[1].period), s[0]))
    months = [str(e.period) for _, e in ordered]
    labels = [
        m if months.count(m) == 1 else f"{m} ({name[:20]})"
        for m, (name, _) in zip(months, ordered, strict=True)
    ]
    note = "Each inventory is priced for its own month (collection.json), with the same options."
    return replace(from_estimates([e for _, e in ordered], labels), notes=(note,))


def history(
    usage: Usage,
    month: Month | str | None = None,
    months: int = 6,
    prices: PriceBook | None = None,
    free_internet_gb: Decimal | int | str = 0,
    blob_mounting: bool = False,
    now: datetime | None = None,
) -> Timeline:
    """The ``months`` months ending with ``month``, each priced from the inventory's push (and delete)
    history. Transfer is what the input gives for one month, so it is held at that level."""
    period = month if isinstance(month, Month) else Month.parse(month)
    estimates = [
        estimate(usage, shift(period, -k), prices, free_internet_gb, blob_mounting, now)
        for k in range(months - 1, -1, -1)
    ]
    timeline = from_estimates(estimates)
    return replace(timeline, notes=_history_notes(usage))


def _history_notes(usage: Usage) -> tuple[str, ...]:
    notes = []
    if usage.images is not None:
        notes.append(
            "Past months are priced from push history: images deleted before the inventory was taken "
            "are missing, so earlier months are lower bounds."
        )
    if len(usage.transfer):
        notes.append("Transfer is the input's one month, held at that level in every month.")
    return tuple(notes)


def projection(
    usage: Usage,
    month: Month | str | None = None,
    horizon: int = 6,
    window: int = 3,
    prices: PriceBook | None = None,
    free_internet_gb: Decimal | int | str = 0,
    blob_mounting: bool = False,
    now: datetime | None = None,
    current: Estimate | None = None,
) -> Timeline:
    """``month`` (estimated; pass ``current`` when you already have that estimate) and the ``horizon``
    months after it (projected).

    Method: in each registry (account + region), the average of the new unique bytes (blobs a
    repository did not hold before) first pushed in each of the ``window`` months before ``month`` is
    added again at the start of every projected month, on top of what the inventory stores after
    ``month`` (metered as for the month after it); nothing else is deleted (lifecycle policies would
    lower it) and transfer stays at ``month``'s level. The projected usage (storage rows, as a scenario
    has) is priced by the model like any other.
    """
    period = month if isinstance(month, Month) else Month.parse(month)
    now = now or datetime.now(UTC)
    if current is None or current.period != period:
        current = estimate(usage, period, prices, free_internet_gb, blob_mounting, now)
    rows = [row(current)]
    if usage.images is None or not len(usage.images) or horizon <= 0:
        return Timeline(pd.DataFrame(rows, columns=COLUMNS))
    growth = new_bytes(usage, shift(period, -window), window, blob_mounting)
    per_registry = growth.groupby(["account_id", "region"], sort=True)["new_bytes"].sum() // window
    stored = _stored_after(usage, period, blob_mounting)
    for k in range(1, horizon + 1):
        grown = _grown(usage, stored, per_registry, k)
        est = estimate(grown, shift(period, k), prices, free_internet_gb, blob_mounting, now)
        rows.append(row(est, kind="projection"))
    monthly_gb = float(per_registry.sum()) / GB
    first, last = shift(period, -window), shift(period, -1)
    method = (
        f"Projection: {monthly_gb:,.1f} GB of new unique layers a month (the average of {first}–{last}) "
        "added each month; nothing deleted; transfer held at "
        f"{period}'s level."
    )
    return Timeline(pd.DataFrame(rows, columns=COLUMNS), method=method)


def new_bytes(usage: Usage, first: Month, months: int, blob_mounting: bool = False) -> pd.DataFrame:
    """Bytes of blobs first pushed in each of ``months`` months from ``first``: account_id, region,
    month (``YYYY-MM``), new_bytes (int). A blob counts in the month a repository (a registry, with
    blob mounting) first held it; without layer rows, whole image sizes count."""
    images, layers = usage.images, usage.layers
    assert images is not None
    keys = usage.keys
    if keys is None or len(keys.repo) != len(images) or (layers is not None and keys.layer_image is None):
        keys = keys_from_frames(images, layers)
    pushed = _us(images["pushed_at"], 0)
    n = len(images)
    if layers is not None:
        rows = keys.layer_image
        ok = rows >= 0
        has_layers = np.bincount(rows[ok], minlength=n) > 0
        has_children = np.zeros(n, dtype=bool)
        has_children[keys.parent[keys.parent >= 0]] = True
        bare = np.flatnonzero(~has_layers & ~has_children)
        img = np.concatenate([rows[ok], bare]).astype(np.int64)
        blob = np.concatenate(
            [keys.blob[ok].astype(np.int64), int(keys.blob.max(initial=-1)) + 1 + bare.astype(np.int64)]
        )
        size = np.concatenate(
            [layers["size_bytes"].to_numpy(dtype=np.int64)[ok], images["size_bytes"].to_numpy()[bare]]
        )
    else:
        has_children = np.zeros(n, dtype=bool)
        has_children[keys.parent[keys.parent >= 0]] = True
        img = np.flatnonzero(~has_children).astype(np.int64)
        blob, size = img.copy(), images["size_bytes"].to_numpy(dtype=np.int64)[img]
    mounting = blob_mounting and layers is not None
    repo = keys.repo[img].astype(np.int64)
    frame = pd.DataFrame(
        {
            "scope": keys.registry[repo].astype(np.int64) if mounting else repo,
            "registry": keys.registry[repo].astype(np.int64),
            "blob": blob,
            "size_bytes": size,
            "pushed": pushed[img],
        }
    )
    start = int(first.start.timestamp()) * 1_000_000
    end = int(shift(first, months).start.timestamp()) * 1_000_000
    con = sql.connect()
    con.register("blobs", frame)
    found = con.execute(
        """
        SELECT registry, strftime(make_timestamp(first), '%Y-%m') AS month, sum(size_bytes::HUGEINT)
        FROM (SELECT min(registry) AS registry, max(size_bytes) AS size_bytes, min(pushed) AS first
              FROM blobs GROUP BY scope, blob)
        WHERE first >= ? AND first < ? GROUP BY ALL ORDER BY ALL""",
        [start, end],
    ).fetchall()
    con.close()
    first_repo = pd.Series(np.arange(len(keys.repos)), dtype=np.int64).groupby(keys.registry).first()
    names = keys.repos.iloc[first_repo.to_numpy()].set_index(first_repo.index)
    return pd.DataFrame(
        [
            {
                "account_id": names.loc[r, "account_id"],
                "region": names.loc[r, "region"],
                "month": m,
                "new_bytes": int(v),
            }
            for r, m, v in found
        ],
        columns=["account_id", "region", "month", "new_bytes"],
    )


def _stored_after(usage: Usage, period: Month, blob_mounting: bool) -> pd.DataFrame:
    """GB stored through the month after ``period`` per repository and class, as scenario storage rows
    (what the inventory holds, with the deletions it already records)."""
    assert usage.images is not None
    after = shift(period, 1)
    metered = meter(usage.images, usage.layers, after, blob_mounting, usage.keys)
    lines = metered.lines.assign(registry="private")
    denominator = Decimal(GB * after.seconds * 1_000_000)
    with localcontext(CONTEXT):
        lines["storage_gb"] = [Decimal(b) / denominator for b in lines["byte_us"]]
    return lines[STORAGE_COLUMNS]


def _grown(usage: Usage, stored: pd.DataFrame, per_registry: pd.Series, k: int) -> Usage:
    """Scenario usage for the ``k``-th projected month: what is stored, plus ``k`` months of growth per
    registry (standard storage, a repository of its own), plus the same transfer."""
    growth = pd.DataFrame(
        [
            {
                "account_id": account,
                "region": region,
                "registry": "private",
                "repository": PROJECTED_REPOSITORY,
                "storage_class": "standard",
                "storage_gb": Decimal(int(nbytes) * k) / GB,
            }
            for (account, region), nbytes in per_registry.items()
            if nbytes > 0
        ],
        columns=STORAGE_COLUMNS,
    )
    parts = [p for p in (stored, usage.storage, growth) if len(p)]
    storage = pd.concat([p[STORAGE_COLUMNS] for p in parts], ignore_index=True) if parts else stored
    return Usage(storage=storage, transfer=usage.transfer, source=usage.source)
