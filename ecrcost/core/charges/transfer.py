"""Transfer charges: data transfer out to the internet (tiered per region, with the account-wide free
allowance), to other regions (by source and destination), and out of ECR Public; transfer inside a
region is free and reported (see docs/pricing.md)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from ..money import ZERO
from .base import Charge, Flat, PerPool, Priced, Tiered
from .registry import register

if TYPE_CHECKING:
    import pandas as pd

    from ..options import PricingOptions


def free_internet(
    totals: Mapping[tuple[str, ...], Decimal], options: PricingOptions, charge: Charge
) -> dict[tuple[str, ...], Decimal]:
    """The account-wide free allowance (``options.free_internet_gb``) goes first to the regions with the
    highest first-tier rate (the cheapest reading for the customer; AWS does not say), ties by name."""
    left = options.free_internet_gb
    out: dict[tuple[str, ...], Decimal] = {}

    def first_rate(pool: tuple[str, ...]) -> Decimal:
        return options.prices.region(pool[0]).tiers(charge.item)[0].usd_per_gb

    for pool in sorted(totals, key=lambda p: (-first_rate(p), p)):
        out[pool] = min(left, totals[pool])
        left -= out[pool]
    return out


def _free_note(rows: pd.DataFrame, options: PricingOptions, priced: Priced) -> list[str]:
    free = options.free_internet_gb
    if not free:
        return []
    used = sum((p["gb"] for p in priced.pools if p["tier"] == "free"), ZERO)
    return [f"Free internet allowance: {free} GB (account-wide), {used} GB of it used."]


def _no_destination(rows: pd.DataFrame, options: PricingOptions, priced: Priced) -> list[str]:
    n = int(((rows["destination_region"] == "") & (rows["amount"] > 0)).sum()) if len(rows) else 0
    if not n:
        return []
    return [
        f"{n} repository line(s) with cross-region transfer name no destination: priced at the source "
        "region's default inter-region rate."
    ]


def _authenticated(rows: pd.DataFrame, options: PricingOptions, priced: Priced) -> list[str]:
    if not len(rows):
        return []
    anonymous = options.prices.public.rate("anonymous_free_gb")
    return [
        "ECR Public internet transfer is taken as authenticated pulls (anonymous pulls beyond "
        f"{anonymous} GB are blocked, not billed)."
    ]


register(
    Charge(
        name="internet",
        label="Transfer to the internet",
        measure="internet_out_gb",
        registry="private",
        bill="transfer",
        reports=("internet_out_gb",),
        unit="GB",
        # Tiered per region over the whole input.
        pricing=Tiered(pool=("region",), allowance=free_internet),
        item="internet_out",
        usage_type="{code}-DataTransfer-Out-Bytes",
        service="transfer",
        description="Data transfer out to the internet",
        notes=_free_note,
    )
)
register(
    Charge(
        name="cross_region",
        label="Transfer to other regions",
        measure="cross_region_out_gb",
        registry="private",
        bill="transfer",
        reports=("cross_region_out_gb",),
        unit="GB",
        pricing=Flat(),
        item="inter_region_out",
        usage_type="{code}-{destination_code}-AWS-Out-Bytes",
        usage_type_no_destination="{code}-AWS-Out-Bytes",
        service="transfer",
        description="Data transfer to another AWS region",
        notes=_no_destination,
    )
)
register(
    Charge(
        name="public_internet",
        label="Transfer to the internet (ECR Public)",
        measure="internet_out_gb",
        registry="public",
        bill="transfer",
        reports=("internet_out_gb",),
        unit="GB",
        # Free up to the allowance per account (authenticated pulls), then tiered.
        pricing=Tiered(pool=("account_id",), allowance=PerPool("internet_free_gb")),
        section="public",
        item="internet_out",
        usage_type="{code}-DataTransfer-Out-Bytes",
        service="transfer",
        description="ECR Public data transfer out to the internet",
        notes=_authenticated,
        needs=("anonymous_free_gb",),
    )
)
register(
    Charge(
        name="public_to_aws",
        label="Transfer to AWS compute (ECR Public, free)",
        measure="cross_region_out_gb",
        registry="public",
        bill="free",
        reports=("cross_region_out_gb",),
        unit="GB",
        pricing=Flat(),
        description="ECR Public transfer to AWS compute in any region (free)",
    )
)
register(
    Charge(
        name="same_region",
        label="Transfer inside the region (free)",
        measure="same_region_out_gb",
        registry="any",
        bill="free",
        reports=("same_region_out_gb",),
        unit="GB",
        pricing=Flat(),
        description="Data transfer inside the region (free)",
    )
)
