"""The FOCUS 1.2 cost-and-usage layout of an estimate: one row per line item (repository, charge, price
tier and destination), at list prices, with costs to the cent that sum to the estimate."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, cast

import pandas as pd

from ...analysis.breakdown import namespace
from ...core.charges import REGISTRY, Charge
from ...core.errors import InputError
from ...core.estimate import Estimate
from ...core.money import CENT, ZERO, allocate, round_half_up
from ...core.pricebook import PUBLIC, PriceBook, Ref
from ...core.usage import Usage
from ..rows import ArnRow, LineRow
from .tags import repository_table

QUANTITY = Decimal("0.000000001")  # GB and GB-month to the byte, near enough
COLUMNS = [
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingCurrency",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
    "x_Namespace",
    "x_Registry",
    "x_Charge",
    "x_PriceTier",
    "x_DestinationRegion",
    "x_UsageType",
    "x_Product",
    "x_PriceBook",
]
MONEY = ["BilledCost", "EffectiveCost", "ListCost", "ContractedCost"]
TIMESTAMPS = ["BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"]
DECIMALS = [*MONEY, "ListUnitPrice", "ContractedUnitPrice", "PricingQuantity", "ConsumedQuantity"]


@cache
def billing() -> dict[str, Any]:
    """The services a charge is invoiced under: names and FOCUS categories (``billing.json``, with
    sources)."""
    return json.loads(resources.files(__package__).joinpath("billing.json").read_text(encoding="utf-8"))


def focus_frame(
    est: Estimate,
    usage: Usage,
    account_id: str = "",
    namespace_depth: int = 1,
    discount_percent: Decimal = ZERO,
) -> pd.DataFrame:
    """FOCUS 1.2 rows of ``est`` (text columns; decimals as exact Decimal). ``account_id`` fills
    repositories whose account the input does not name (FOCUS needs a BillingAccountId).

    Without a discount, costs are list prices: BilledCost = EffectiveCost = ListCost = ContractedCost,
    summing to the estimate's total. ``discount_percent`` (a negotiated discount off list, e.g. an
    EDP) lowers ContractedUnitPrice, ContractedCost, EffectiveCost and BilledCost; ListCost stays."""
    prices = est.options.prices
    lines = est.billed_lines(CENT)
    lines = lines[(lines["cost_rounded"] != 0) | (lines["quantity"] != 0)].reset_index(drop=True)
    factor = 1 - discount_percent / 100
    if discount_percent:  # the discounted total rounded once, shared over the lines by largest remainder
        exact = [u * factor for u in lines["cost"]]
        billed = allocate(round_half_up(sum(exact, ZERO)), exact, CENT)
    else:
        billed = list(lines["cost_rounded"])
    lines = _fill_account(lines, account_id, est)
    repos = repository_table(usage, lines)
    vocab = billing()
    rows = []
    book = " ".join(
        v for v in (prices.identity["version"], prices.identity["date"], prices.identity["hash"]) if v
    )
    start, end = _iso(est.period.start), _iso(est.period.end)
    for line, repo, cost in zip(
        cast("Iterable[LineRow]", lines.itertuples(index=False)),
        cast("Iterable[ArnRow]", repos.itertuples(index=False)),
        billed,
        strict=True,
    ):
        charge = REGISTRY[line.charge]
        service = vocab["services"][charge.service]
        region = prices.region(line.region)
        usage_type = line.usage_type
        ref = _price_ref(prices, charge, line)
        quantity = line.quantity.quantize(QUANTITY)
        product = "Amazon ECR Public" if line.registry == "public" else "Amazon ECR"
        rows.append(
            {
                "BilledCost": cost,
                "BillingAccountId": line.account_id,
                "BillingAccountName": None,
                "BillingCurrency": est.currency,
                "BillingPeriodEnd": end,
                "BillingPeriodStart": start,
                "ChargeCategory": "Usage",
                "ChargeClass": None,
                "ChargeDescription": _description(charge.description, line),
                "ChargeFrequency": "Usage-Based",
                "ChargePeriodEnd": end,
                "ChargePeriodStart": start,
                "ConsumedQuantity": quantity,
                "ConsumedUnit": line.pricing_unit,
                "ContractedCost": cost,
                "ContractedUnitPrice": line.unit_price * factor,
                "EffectiveCost": cost,
                "InvoiceId": None,  # an estimate is on no invoice (docs/export.md: validator false positive)
                "InvoiceIssuerName": vocab["provider"],
                "ListCost": line.cost_rounded,
                "ListUnitPrice": line.unit_price,
                "PricingCategory": "Standard",
                "PricingCurrency": est.currency,
                "PricingQuantity": quantity,
                "PricingUnit": line.pricing_unit,
                "ProviderName": vocab["provider"],
                "PublisherName": vocab["provider"],
                "RegionId": line.region,
                "RegionName": region.name,
                "ResourceId": repo.repository_arn,
                "ResourceName": line.repository,
                "ResourceType": "ECR Public Repository" if line.registry == "public" else "ECR Repository",
                "ServiceCategory": service["category"],
                "ServiceName": service["name"],
                "ServiceSubcategory": service["subcategory"],
                "SkuId": ref.sku if ref else usage_type,
                "SkuPriceId": ref.rate_code if ref else None,
                "SubAccountId": line.account_id,
                "SubAccountName": None,
                "Tags": json.dumps(repo.tags, sort_keys=True, ensure_ascii=False) if repo.tags else None,
                "x_Namespace": namespace(line.repository, namespace_depth),
                "x_Registry": line.registry,
                "x_Charge": line.charge,
                "x_PriceTier": line.tier or None,
                "x_DestinationRegion": line.destination_region or None,
                "x_UsageType": usage_type,
                "x_Product": product,
                "x_PriceBook": book,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _price_ref(prices: PriceBook, charge: Charge, line: LineRow) -> Ref | None:
    """The Price List SKU and rate code of a line's price, when the book's figure came from the Price
    List and is this line's usage type (else None: ``SkuId`` falls back to the usage type)."""
    if not charge.item or line.tier == "free":
        return None
    section = prices.section(PUBLIC if charge.section == PUBLIC else line.region)
    item = section.items.get(charge.item)
    ref = item.ref(line.destination_region, int(line.tier) if line.tier.isdigit() else 1) if item else None
    return ref if ref is not None and ref.usage_type == line.usage_type else None


def _fill_account(lines: pd.DataFrame, account_id: str, est: Estimate) -> pd.DataFrame:
    missing = lines["account_id"] == ""
    if bool(missing.any()):
        if not account_id:
            first = lines.loc[missing, "repository"].iloc[0]
            raise InputError(
                f"repository '{first}' has no account_id, which FOCUS needs (BillingAccountId): add an "
                "account_id column to the input or pass --account-id",
                file=est.assumptions.get("source") or None,
                column="account_id",
            )
        lines = lines.assign(account_id=lines["account_id"].where(~missing, account_id))
    return lines


def _description(description: str, line: LineRow) -> str:
    parts = [description]
    if line.tier == "free":
        parts.append("free allowance")
    elif line.tier:
        parts.append(f"price tier {line.tier}")
    if line.destination_region:
        parts.append(f"to {line.destination_region}")
    usage = f" ({line.usage_type})" if line.usage_type else ""  # the bill's name for the line
    return f"{', '.join(parts)}{usage}: {line.repository}"  # FOCUS wants ASCII descriptions


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")
