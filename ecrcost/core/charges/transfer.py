"""Transfer charges: data transfer out to the internet (tiered per region, with the account-wide free
allowance), to other regions (by source and destination), and out of ECR Public; transfer inside a
region is free and reported (see docs/pricing.md)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from ..errors import InputError
from ..money import ZERO
from ..pricebook import partition
from .base import Charge, Flat, PerPool, Priced, Tiered
from .registry import register

if TYPE_CHECKING:
    import pandas as pd

    from ..options import PricingOptions


def free_internet(
    totals: Mapping[tuple[str, ...], Decimal],
    options: PricingOptions,
    charge: Charge,
    columns: tuple[str, ...],
) -> dict[tuple[str, ...], Decimal]:
    """The free allowance (``options.free_internet_gb``) is one per bill — the whole input on a
    consolidated bill, each account with ``--billing account`` — "aggregated across all AWS Services and
    Regions (except China and GovCloud)". Within a bill it goes first to the regions with the highest
    first-tier rate (the cheapest reading for the customer; AWS does not say), ties by name."""
    region_at = columns.index("region")
    bill_of = (lambda pool: pool[0]) if "account_id" in columns else (lambda pool: "")
    left: dict[str, Decimal] = {}
    out = {}

    def first_rate(pool: tuple[str, ...]) -> Decimal:
        return options.prices.region(pool[region_at]).tiers(charge.item)[0].usd_per_gb

    for pool in sorted(totals, key=lambda p: (-first_rate(p), p)):
        if partition(pool[region_at]) != "aws":
            continue  # GovCloud (and China) never receive the allowance
        bill = bill_of(pool)
        left.setdefault(bill, options.free_internet_gb)
        out[pool] = min(left[bill], totals[pool])
        left[bill] -= out[pool]
    return out


def other_internet(
    ecr: Mapping[tuple[str, ...], Decimal], options: PricingOptions, columns: tuple[str, ...]
) -> dict[tuple[str, ...], Decimal]:
    """Other services' internet egress (``options.other_internet``) placed in ECR's pools. A GB figure
    without a region belongs to the one region ECR sends data to the internet from; without an account
    (``--billing account``), to the one account that does so from that region — otherwise it is
    ambiguous, and an error says how to write it."""
    region_at = columns.index("region")
    regions = sorted({pool[region_at] for pool in ecr})
    out: dict[tuple[str, ...], Decimal] = {}
    for other in options.other_internet:
        region = other.region
        if not region:
            if len(regions) != 1:
                where = ", ".join(regions) or "none"
                raise InputError(
                    f"ECR sends data to the internet from {len(regions)} regions ({where}): give other "
                    "services' GB per region, as REGION=GB",
                    field="other_internet_gb",
                )
            region = regions[0]
        pools = [
            p
            for p in ecr
            if p[region_at] == region
            and (not other.account_id or "account_id" not in columns or p[0] == other.account_id)
        ]
        if "account_id" in columns and not other.account_id and len(pools) > 1:
            raise InputError(
                f"several accounts send data to the internet from {region}: give ACCOUNT/{region}=GB",
                field="other_internet_gb",
            )
        for pool in pools[:1]:
            out[pool] = out.get(pool, ZERO) + other.gb
    return out


def _internet_notes(rows: pd.DataFrame, options: PricingOptions, priced: Priced) -> list[str]:
    notes = []
    free = options.free_internet_gb
    if free:
        used = sum((p["gb"] for p in priced.pools if p["tier"] == "free"), ZERO)
        per = "each account's" if options.billing == "account" else "the bill's"
        notes.append(
            f"Free internet allowance: {free} GB ({per}, across regions), {used} GB of it on ECR's egress."
        )
        apart = sorted({r for r in rows["region"] if partition(r) != "aws"}) if len(rows) else []
        if apart:
            notes.append(
                f"No free allowance in {', '.join(apart)}: AWS grants it 'except China and GovCloud'."
            )
    if options.other_internet:
        gb = sum((o.gb for o in options.other_internet), ZERO)
        notes.append(
            f"Other services' internet egress on the same bill ({gb:,} GB) shares ECR's volume tiers"
            f"{' and free allowance' if free else ''}: ECR pays its share of the combined cost."
        )
    return notes


def _cross_region_notes(rows: pd.DataFrame, options: PricingOptions, priced: Priced) -> list[str]:
    notes = []
    n = int(((rows["destination_region"] == "") & (rows["amount"] > 0)).sum()) if len(rows) else 0
    if n:
        notes.append(
            f"{n} repository line(s) with cross-region transfer name no destination: priced at the source "
            "region's default inter-region rate."
        )
    # AWS's documents disagree (docs/pricing.md): say what the other reading would cost.
    used = sum((line.cost for line in priced.lines), ZERO)
    both = sum(
        (
            line.quantity
            * sum(first_internet_rate(options, r) for r in (line.region, line.destination_region) if r)
            for line in priced.lines
        ),
        ZERO,
    )
    if priced.lines and both != used:
        notes.append(
            f"Cross-region transfer is priced at the source region's inter-region rate (AWS Global Network "
            f'FAQ: charged "only based on the source Region"): ${used:,.2f}. Read as the ECR pricing page\'s '
            f'"Internet Data Transfer rates on both sides of the transfer", it would be ${both:,.2f}.'
        )
    return notes


def first_internet_rate(options: PricingOptions, region: str) -> Decimal:
    return options.prices.region(region).tiers("internet_out")[0].usd_per_gb


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
        # Tiered per region over the whole bill, shared with other services' egress.
        pricing=Tiered(pool=("region",), allowance=free_internet, others=other_internet),
        item="internet_out",
        usage_type="{code}-DataTransfer-Out-Bytes",
        service="transfer",
        description="Data transfer out to the internet",
        notes=_internet_notes,
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
        notes=_cross_region_notes,
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
        # Free up to the allowance per bill (authenticated pulls), then tiered.
        pricing=Tiered(pool=(), allowance=PerPool("internet_free_gb")),
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
