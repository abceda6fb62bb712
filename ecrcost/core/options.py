"""Pricing options, parsed once at the edge (the CLI's option parsers, or ``ecrcost.estimate(...)`` in
Python) and carried typed on every :class:`~ecrcost.core.estimate.Estimate`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .errors import InputError
from .money import ZERO, dec
from .period import Month
from .pricebook import PriceBook, load_pricebook

MAX_GB = Decimal(10**15)  # an allowance beyond this is a typo, not a plan


def gigabytes(value: Decimal | int | str, field: str) -> Decimal:
    """A number of GB (0 ≤ n ≤ 10^15) from text or a number; an InputError names ``field``."""
    try:
        gb = dec(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        gb = Decimal("NaN")
    if not gb.is_finite() or not 0 <= gb <= MAX_GB:
        text = str(value) if len(str(value)) <= 40 else f"{str(value)[:37]}..."
        raise InputError(f"'{text}' is not a number of GB between 0 and {MAX_GB:,}", field=field)
    return gb


def price_book(value: PriceBook | str | Path | None) -> PriceBook:
    """The bundled price book, or the bundled one patched by a file; a PriceBook as it is."""
    return value if isinstance(value, PriceBook) else load_pricebook(value)


@dataclass(frozen=True)
class PricingOptions:
    """Everything besides the usage that decides the price of a month.

    ``month``: the billing month (UTC). ``prices``: the price book. ``free_internet_gb``: the
    account-wide free internet allowance to apply (AWS grants 100 GB a month shared by all services;
    default 0 because other services usually use it up). ``blob_mounting``: a layer shared across
    repositories of one registry is stored (and billed) once.
    """

    month: Month
    prices: PriceBook = field(default_factory=load_pricebook, repr=False)
    free_internet_gb: Decimal = ZERO
    blob_mounting: bool = False

    @classmethod
    def of(
        cls,
        month: Month | str | date | None = None,
        *,
        prices: PriceBook | str | Path | None = None,
        free_internet_gb: Decimal | int | str = 0,
        blob_mounting: bool = False,
    ) -> PricingOptions:
        """Options from loose values (``"2026-10"``, a ``date``, ``"100"``, a price file's path)."""
        return cls(
            month=Month.of(month),
            prices=price_book(prices),
            free_internet_gb=gigabytes(free_internet_gb, "free_internet_gb"),
            blob_mounting=bool(blob_mounting),
        )

    def but(self, **changes: Any) -> PricingOptions:
        """The same options with some changed (loose values are parsed as in :meth:`of`)."""
        if "month" in changes:
            changes["month"] = Month.of(changes["month"])
        if "prices" in changes:
            changes["prices"] = price_book(changes["prices"])
        if "free_internet_gb" in changes:
            changes["free_internet_gb"] = gigabytes(changes["free_internet_gb"], "free_internet_gb")
        return replace(self, **changes)

    def describe(self) -> dict[str, Any]:
        """The options as the JSON ``assumptions`` name them."""
        return {
            "free_internet_gb": self.free_internet_gb,
            "blob_mounting": self.blob_mounting,
            "prices": self.prices.origin,
        }


def options_for(
    when: PricingOptions | Month | str | date | None = None,
    *,
    prices: PriceBook | str | Path | None = None,
    free_internet_gb: Decimal | int | str = 0,
    blob_mounting: bool = False,
) -> PricingOptions:
    """``when`` as options: PricingOptions as they are, anything else as the month of new options
    built from the loose values (what functions that take "a month or options" call)."""
    if isinstance(when, PricingOptions):
        return when
    return PricingOptions.of(
        when, prices=prices, free_internet_gb=free_internet_gb, blob_mounting=blob_mounting
    )
