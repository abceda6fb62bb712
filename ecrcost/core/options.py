"""Pricing options, parsed once at the edge (the CLI's option parsers, or ``ecrcost.estimate(...)`` in
Python) and carried typed on every :class:`~ecrcost.core.estimate.Estimate`."""

from __future__ import annotations

from collections.abc import Iterable
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
BILLING = ("organization", "account")
MOUNTING = ("on", "off", "collected")


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


def billing_scope(value: str) -> str:
    """``organization`` (every account of the input on one consolidated bill) or ``account``."""
    scope = str(value).strip().lower()
    if scope not in BILLING:
        raise InputError(f"'{value}' is not one of {', '.join(BILLING)}", field="billing")
    return scope


def mounting(value: bool | str) -> str:
    """``on``, ``off`` or ``collected`` (what collect recorded per registry; off where unknown); a bool
    means on or off."""
    if isinstance(value, bool):
        return "on" if value else "off"
    setting = str(value).strip().lower()
    if setting not in MOUNTING:
        raise InputError(f"'{value}' is not one of {', '.join(MOUNTING)}", field="blob_mounting")
    return setting


@dataclass(frozen=True)
class OtherEgress:
    """Internet egress of other services on the same bill, GB in the month: ``region`` "" = the one
    region where ECR sends data to the internet; ``account_id`` "" = the bill's (the only account)."""

    gb: Decimal
    region: str = ""
    account_id: str = ""

    @classmethod
    def parse(cls, text: str) -> OtherEgress:
        """``N``, ``REGION=N`` or ``ACCOUNT/REGION=N``."""
        where, _, amount = str(text).strip().rpartition("=")
        account, _, region = where.rpartition("/")
        if (account and not account.isdigit()) or (where and not region):
            raise InputError(f"'{text}' is not N, REGION=N or ACCOUNT/REGION=N", field="other_internet_gb")
        return cls(gigabytes(amount, "other_internet_gb"), region.strip(), account.strip())


@dataclass(frozen=True)
class PricingOptions:
    """Everything besides the usage that decides the price of a month.

    ``month``: the billing month (UTC). ``prices``: the price book. ``free_internet_gb``: the free
    internet allowance to apply per bill (AWS grants 100 GB a month shared by all services and regions;
    default 0 because other services usually use it up). ``blob_mounting``: ``on`` (a layer shared across
    repositories of one registry is stored and billed once), ``off``, or ``collected`` (as ``collect``
    recorded each registry's setting; off where unknown). ``billing``: ``organization`` (every account
    on one consolidated bill: tiers and free allowances pooled over them) or ``account`` (each account
    billed alone). ``other_internet``: other services' internet egress on the same bill, which shares
    the volume tiers and the free allowance with ECR's.
    """

    month: Month
    prices: PriceBook = field(default_factory=load_pricebook, repr=False)
    free_internet_gb: Decimal = ZERO
    blob_mounting: str = "collected"
    billing: str = "organization"
    other_internet: tuple[OtherEgress, ...] = ()

    @classmethod
    def of(
        cls,
        month: Month | str | date | None = None,
        *,
        prices: PriceBook | str | Path | None = None,
        free_internet_gb: Decimal | int | str = 0,
        blob_mounting: bool | str = "collected",
        billing: str = "organization",
        other_internet_gb: Iterable[str | Decimal | int | OtherEgress] = (),
    ) -> PricingOptions:
        """Options from loose values (``"2026-10"``, a ``date``, ``"100"``, a price file's path,
        ``other_internet_gb=["us-east-1=5000"]``)."""
        return cls(
            month=Month.of(month),
            prices=price_book(prices),
            free_internet_gb=gigabytes(free_internet_gb, "free_internet_gb"),
            blob_mounting=mounting(blob_mounting),
            billing=billing_scope(billing),
            other_internet=other_egress(other_internet_gb),
        )

    def but(self, **changes: Any) -> PricingOptions:
        """The same options with some changed (loose values are parsed as in :meth:`of`)."""
        if "month" in changes:
            changes["month"] = Month.of(changes["month"])
        if "prices" in changes:
            changes["prices"] = price_book(changes["prices"])
        if "free_internet_gb" in changes:
            changes["free_internet_gb"] = gigabytes(changes["free_internet_gb"], "free_internet_gb")
        if "blob_mounting" in changes:
            changes["blob_mounting"] = mounting(changes["blob_mounting"])
        if "billing" in changes:
            changes["billing"] = billing_scope(changes["billing"])
        if "other_internet_gb" in changes:
            changes["other_internet"] = other_egress(changes.pop("other_internet_gb"))
        return replace(self, **changes)

    def describe(self) -> dict[str, Any]:
        """The options as the JSON ``assumptions`` name them."""
        return {
            "free_internet_gb": self.free_internet_gb,
            "blob_mounting": self.blob_mounting,
            "billing": self.billing,
            "other_internet_gb": [
                {"account_id": o.account_id, "region": o.region, "gb": o.gb} for o in self.other_internet
            ],
            "prices": self.prices.origin,
            "price_book": {k: v for k, v in self.prices.identity.items() if k != "origin"},
        }


def other_egress(values: Iterable[str | Decimal | int | OtherEgress]) -> tuple[OtherEgress, ...]:
    if isinstance(values, str | Decimal | int):
        values = [values]
    out = [v if isinstance(v, OtherEgress) else OtherEgress.parse(str(v)) for v in values]
    seen = [(o.account_id, o.region) for o in out]
    if len(set(seen)) < len(seen):
        raise InputError(
            "other internet egress is given twice for one account and region", field="other_internet_gb"
        )
    return tuple(o for o in out if o.gb)


def options_for(
    when: PricingOptions | Month | str | date | None = None,
    *,
    prices: PriceBook | str | Path | None = None,
    free_internet_gb: Decimal | int | str = 0,
    blob_mounting: bool | str = "collected",
) -> PricingOptions:
    """``when`` as options: PricingOptions as they are, anything else as the month of new options
    built from the loose values (what functions that take "a month or options" call)."""
    if isinstance(when, PricingOptions):
        return when
    return PricingOptions.of(
        when, prices=prices, free_internet_gb=free_internet_gb, blob_mounting=blob_mounting
    )
