"""Cost over time: several months of one inventory (priced from its push and delete history), several
estimates side by side, or a projection from push history. Pure: Usage in, DataFrames out; every
amount is priced by :func:`ecrcost.estimate`, never here.

A projection is flagged in its rows (``kind == "projection"``) and carries its method as text, so a
chart or a table can say how it was made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from ..core.estimate import Estimate
from ..core.metering.blobs import microseconds
from ..core.money import CENT
from ..core.options import PricingOptions, options_for
from ..core.period import Month
from ..core.pricebook import PriceBook
from ..core.pricing import estimate
from ..core.quantities import storage_rows
from ..core.sql import connect
from ..core.units import GB
from ..core.usage import KEY, STORAGE_COLUMNS, Usage

COLUMNS = ["month", "kind", "storage_gb_month", "storage_usd", "transfer_usd", "total_usd"]
PROJECTED_REPOSITORY = "(projected growth)"
When = PricingOptions | Month | str | date | None


@dataclass(frozen=True)
class Timeline:
    """``table``: one row per month, oldest first, with ``COLUMNS``: month (``YYYY-MM``), kind
    (``estimate`` | ``projection``), storage_gb_month (Decimal GB-month), storage_usd, transfer_usd,
    total_usd (Decimal USD to the cent). ``method``: how projected rows were made ("" if none).
    ``notes``: caveats a reader needs (e.g. past months miss images deleted before the inventory)."""

    table: pd.DataFrame
    method: str = ""
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        months = list(self.table["month"])
        span = f"{months[0]}–{months[-1]}" if months else "no months"
        return f"<Timeline {span}: {len(months)} month(s){', projected' if self.projected else ''}>"

    @property
    def projected(self) -> bool:
        return bool((self.table["kind"] == "projection").any())


def shift(month: Month, by: int) -> Month:
    """The month ``by`` months after (negative: before) ``month``."""
    return month.shift(by)


def row(est: Estimate, kind: str = "estimate", label: str | None = None) -> dict[str, Any]:
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
    names: Sequence[str | None] = list(labels) if labels is not None else [None] * len(estimates)
    rows = [row(e, label=lab) for e, lab in zip(estimates, names, strict=True)]
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
    when: When = None,
    months: int = 6,
    *,
    prices: PriceBook | None = None,
    free_internet_gb: Decimal | int | str = 0,
    blob_mounting: bool | str = "collected",
    now: datetime | None = None,
) -> Timeline:
    """The ``months`` months ending with ``when`` (a month, or PricingOptions), each priced from the
    inventory's push (and delete) history. Transfer is what the input gives for one month, so it is
    held at that level."""
    options = options_for(when, prices=prices, free_internet_gb=free_internet_gb, blob_mounting=blob_mounting)
    estimates = [
        estimate(usage, options=options.but(month=options.month.shift(-k)), now=now)
        for k in range(months - 1, -1, -1)
    ]
    return replace(from_estimates(estimates), notes=_history_notes(usage))


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
    when: When = None,
    horizon: int = 6,
    window: int = 3,
    *,
    prices: PriceBook | None = None,
    free_internet_gb: Decimal | int | str = 0,
    blob_mounting: bool | str = "collected",
    now: datetime | None = None,
    current: Estimate | None = None,
) -> Timeline:
    """The month of ``when`` (estimated; pass ``current`` when you already have that estimate) and the
    ``horizon`` months after it (projected).

    Method: in each registry (account + region), the average of the new unique bytes (blobs a
    repository did not hold before) first pushed in each of the ``window`` months before the month is
    added again at the start of every projected month, on top of what the inventory stores after
    the month (metered as for the month after it); nothing else is deleted (lifecycle policies would
    lower it) and transfer stays at the month's level. The projected usage (storage rows, as a scenario
    has) is priced by the model like any other.
    """
    options = options_for(when, prices=prices, free_internet_gb=free_internet_gb, blob_mounting=blob_mounting)
    period = options.month
    now = now or datetime.now(UTC)
    if current is None or current.period != period:
        current = estimate(usage, options=options, now=now)
    rows = [row(current)]
    if usage.images is None or not len(usage.images) or horizon <= 0:
        return Timeline(pd.DataFrame(rows, columns=COLUMNS))
    growth = new_bytes(usage, period.shift(-window), window, options.blob_mounting)
    per_registry = growth.groupby(["account_id", "region"], sort=True)["new_bytes"].sum() // window
    stored = _stored_after(usage, options)
    for k in range(1, horizon + 1):
        grown = _grown(usage, stored, per_registry, k)
        est = estimate(grown, options=options.but(month=period.shift(k)), now=now)
        rows.append(row(est, kind="projection"))
    monthly_gb = float(per_registry.sum()) / GB
    first, last = period.shift(-window), period.shift(-1)
    method = (
        f"Projection: {monthly_gb:,.1f} GB of new unique layers a month (the average of {first}–{last}) "
        f"added each month; nothing deleted; transfer held at {period}'s level."
    )
    return Timeline(pd.DataFrame(rows, columns=COLUMNS), method=method)


def new_bytes(
    usage: Usage, first: Month, months: int, blob_mounting: bool | str = "collected"
) -> pd.DataFrame:
    """Bytes of blobs first pushed in each of ``months`` months from ``first``: account_id, region,
    month (``YYYY-MM``), new_bytes (int). A blob counts in the month a repository (a registry, with
    blob mounting) first held it; without layer rows, whole image sizes count."""
    assert usage.images is not None
    metering, keys = usage.metering, usage.keys
    h = metering.holdings
    repo = h.image_repo
    # The holdings as they are and the images' own columns (zero-copy: DuckDB scans the numpy
    # buffers and joins them on the image row; no column as long as the holdings is made here).
    holdings = h.table()
    images = pa.table(
        {
            "img": np.arange(len(repo), dtype=np.int32),
            "scope": metering.scopes(blob_mounting)[repo],
            "registry": keys.registry[repo],
            "pushed": microseconds(usage.images["pushed_at"], 0),
        }
    )
    start = int(first.start.timestamp()) * 1_000_000
    end = int(first.shift(months).start.timestamp()) * 1_000_000
    con = connect()
    try:
        con.register("holdings", holdings)
        con.register("images", images)
        found = con.execute(
            """
            SELECT registry, strftime(make_timestamp(first), '%Y-%m') AS month, sum(size_bytes::HUGEINT)
            FROM (SELECT min(i.registry) AS registry, max(h.size_bytes) AS size_bytes, min(i.pushed) AS first
                  FROM holdings h JOIN images i ON h.img = i.img GROUP BY i.scope, h.blob)
            WHERE first >= ? AND first < ? GROUP BY ALL ORDER BY ALL""",
            [start, end],
        ).fetchall()
    finally:
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


def _stored_after(usage: Usage, options: PricingOptions) -> pd.DataFrame:
    """GB stored through the month after ``options.month`` per repository and class, as scenario storage
    rows (what the inventory holds, with the deletions it already records)."""
    after = options.month.shift(1)
    rows = storage_rows(usage.metering.storage(after, options.blob_mounting), after)
    klass = {"standard_gb_month": "standard", "archive_gb_month": "archive"}
    return rows[KEY].assign(storage_class=rows["measure"].map(klass), storage_gb=rows["amount"])[
        STORAGE_COLUMNS
    ]


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
            for (account, region), nbytes in cast(
                "Iterable[tuple[tuple[str, str], Any]]", per_registry.items()
            )
            if nbytes > 0
        ],
        columns=STORAGE_COLUMNS,
    )
    parts = [p for p in (stored, usage.storage, growth) if len(p)]
    storage = pd.concat([p[STORAGE_COLUMNS] for p in parts], ignore_index=True) if parts else stored
    return Usage(storage=storage, transfer=usage.transfer, source=usage.source)
