"""The pricing model: usage + options → an :class:`Estimate` of line items. Pure: no I/O, no printing.

Each registered charge (:mod:`ecrcost.core.charges`) reads its measure from the usage's quantities and
prices it into line items; everything else (per-repository tables, totals, breakdowns, tier tables,
exports) is a group-by of those lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pandas as pd

from .charges import ECR, Line, charges
from .estimate import POOL_COLUMNS, Estimate
from .frames import tuples
from .money import CONTEXT
from .options import PricingOptions
from .period import Month
from .pricebook import PUBLIC, PriceBook
from .quantities import Quantities, measure
from .usage import Usage


def estimate(
    usage: Usage | str | Path,
    month: Month | str | date | None = None,
    prices: PriceBook | str | Path | None = None,
    free_internet_gb: Decimal | int | str = 0,
    blob_mounting: bool | str = "collected",
    *,
    billing: str = "organization",
    other_internet_gb: Iterable[str] | str = (),
    options: PricingOptions | None = None,
    now: datetime | None = None,
) -> Estimate:
    """Price one month of ``usage`` (a :class:`Usage`, or the path of a scenario CSV or inventory
    folder).

    Either ``options`` or the loose values: ``month`` (``"2026-10"``, a date; default the current
    month), ``prices`` (a PriceBook or a price file patching the bundled book), ``free_internet_gb``
    (the account-wide free internet allowance to apply; AWS grants 100 GB shared by all services,
    default 0), ``blob_mounting`` (``on``/True: layers shared across repositories of one registry are
    stored once; ``off``/False; ``collected``: as collect found each registry, off where unknown),
    ``billing`` (``organization``: tiers and free allowances pooled over every account; ``account``:
    each account billed alone), ``other_internet_gb`` (other services' internet egress on the same bill:
    ``"5000"``, ``"us-east-1=5000"`` or ``"123456789012/us-east-1=5000"``; it shares ECR's tiers).
    ``now`` (default: the clock) only decides whether the month is still running, which the notes say.
    """
    if options is None:
        options = PricingOptions.of(
            month,
            prices=prices,
            free_internet_gb=free_internet_gb,
            blob_mounting=blob_mounting,
            billing=billing,
            other_internet_gb=other_internet_gb,
        )
    if not isinstance(usage, Usage):
        from ..sources.load import load

        usage = load(usage, options.prices)
    with localcontext(CONTEXT):
        est = price(measure(usage, options), options, usage)
    now = now or datetime.now(UTC)
    if usage.images is not None and est.period.start <= now < est.period.end:
        note = f"{est.period} is not over: storage is projected to the month's end as if every image stays."
        est = replace(est, notes=(note, *est.notes))
    return est


def price(quantities: Quantities, options: PricingOptions, usage: Usage) -> Estimate:
    """Line items of ``quantities`` under ``options``; ``usage`` lends its source, notes and
    assumptions (and its regions are checked against the price book)."""
    for region in sorted(usage.regions):
        options.prices.region(region)
    rows = quantities.rows
    lines: list[Line] = []
    pools: list[dict[str, Any]] = []
    notes: list[str] = [*quantities.notes]
    with localcontext(CONTEXT):
        for charge in charges():
            mine = rows[(rows["measure"] == charge.measure) & rows["registry"].isin(charge.registries)]
            priced = charge.pricing.price(charge, mine, options)
            lines += priced.lines
            pools += priced.pools
            if charge.notes is not None:
                notes += charge.notes(mine, options, priced)
    notes += scope_notes(lines, options)
    frame = pd.DataFrame(lines, columns=Line._fields)
    for c in ("quantity", "unit_price", "cost"):
        frame[c] = frame[c].astype(object)
    unverified = _unverified(frame, options.prices)
    if unverified:
        notes.append(
            "Unverified (R) prices used: " + ", ".join(unverified) + ". Override them with --prices."
        )
    return Estimate(
        options=options,
        lines=frame,
        roster=quantities.roster,
        pools=pd.DataFrame(pools, columns=POOL_COLUMNS),
        notes=(*usage.notes, *notes),  # what the source says first (e.g. collect's partial coverage)
        assumptions={
            **options.describe(),
            **quantities.assumptions,
            "storage_basis": quantities.basis,
            "source": usage.source,
            **usage.assumptions,
        },
    )


def scope_notes(lines: list[Line], options: PricingOptions) -> list[str]:
    """Say how the bill was scoped when the input holds several accounts."""
    accounts = {line.account_id for line in lines if line.account_id}
    if len(accounts) < 2:
        return []
    if options.billing == "account":
        return [f"Each of {len(accounts)} accounts is priced as a bill of its own (--billing account)."]
    return [
        f"One consolidated bill: volume tiers and free allowances are pooled over {len(accounts)} accounts "
        "(--billing account prices each alone)."
    ]


def _unverified(lines: pd.DataFrame, prices: PriceBook) -> list[str]:
    """ "region item" of every R-confidence figure that a billed line with a quantity relied on."""
    used = set()
    billed = {c.name: c for c in charges(bill=ECR) if c.item}
    for name, region, quantity in tuples(lines, ["charge", "region", "quantity"]):
        charge = billed.get(name)
        if charge is not None and quantity > 0:
            used.add((PUBLIC if charge.section == PUBLIC else region, charge.item))
    return sorted(f"{region} {item}" for region, item in prices.unverified() & used)
