"""The bill as every source gives it to reconcile: ECR's rows of one month, summed per account, region,
usage type, resource and kind of line, with exact Decimal quantities and USD.

Readers (CUR 2.0, FOCUS, Cost Explorer) only find their columns; what a usage type, a resource id or a
line-item type means is decided here, once, for all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from ...core.charges import charges
from ...core.period import Month
from ...core.pricebook import PriceBook

# AWS's product codes for ECR, and the data-transfer product ECR's egress may be billed under.
ECR_PRODUCTS = ("AmazonECR", "AmazonECRPublic")
TRANSFER_PRODUCT = "AWSDataTransfer"
# Transfer usage types ECR causes (after the region code), from the charge units: other
# AWSDataTransfer rows are another service's and are left out.
TRANSFER_SUFFIXES = tuple(
    sorted({c.usage_type.rsplit("}-", 1)[-1] for c in charges(bill="transfer") if c.usage_type})
)
# Line-item kinds. ``usage`` is metered at the rate of its row; the others adjust the amount.
KINDS = ("usage", "credit", "discount", "savings_plan", "tax", "other")
COLUMNS = [
    "account_id",
    "region",
    "usage_type",
    "repository",  # "" when the row names no ECR repository
    "resource_kind",  # "arn" | "name" | "other" (another service's resource) | ""
    "product",
    "kind",
    "detail",  # the bill's own word for the line (line-item type, charge category)
    "free",  # usage at no cost (a free allowance)
    "quantity",
    "cost",
    "rows",
]
_ECR_ARN = re.compile(r"^arn:aws[a-z-]*:ecr(?:-public)?:[^:]*:[^:]*:repository/(.+)$")


@dataclass(frozen=True)
class Bill:
    """One month of a bill's ECR rows (``rows``: ``COLUMNS``, Decimal quantity and USD) and where they
    came from: ``source`` (cur, focus, cost-explorer), ``location``, files read, AWS requests made
    (Cost Explorer charges $0.01 each); ``net_usd``: the net unblended
    cost of the same rows (after discounts), when the export carries it."""

    source: str
    location: str
    period: Month
    rows: pd.DataFrame
    files: int = 0
    requests: int = 0
    notes: tuple[str, ...] = field(default=())
    net_usd: Decimal | None = None  # CUR's line_item_net_unblended_cost summed, when the export has it

    @property
    def resource_ids(self) -> str:
        """What the bill's resource ids hold for ECR rows: arn, name, mixed or none."""
        kinds = set(self.rows.loc[self.rows["resource_kind"].isin(["arn", "name"]), "resource_kind"])
        return "mixed" if len(kinds) > 1 else (kinds.pop() if kinds else "none")


def kind_of_cur(item_type: str) -> str:
    """A CUR ``line_item_line_item_type`` as one of ``KINDS``."""
    if item_type in ("Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"):
        return "usage"
    if item_type in ("Credit", "Refund"):
        return "credit"
    if item_type == "SavingsPlanNegation":
        return "savings_plan"
    if item_type == "Tax":
        return "tax"
    if item_type.endswith("Discount"):  # Discount, EdpDiscount, PrivateRateDiscount, BundledDiscount …
        return "discount"
    return "other"


def kind_of_focus(category: str) -> str:
    """A FOCUS ``ChargeCategory`` as one of ``KINDS`` (a discount is ListCost − BilledCost of usage)."""
    return {"Usage": "usage", "Credit": "credit", "Adjustment": "credit", "Tax": "tax"}.get(category, "other")


def in_scope(product: str, usage_type: str) -> bool:
    """An ECR row, or a data-transfer row of a kind ECR causes."""
    if product in ECR_PRODUCTS:
        return True
    return product == TRANSFER_PRODUCT and usage_type.endswith(TRANSFER_SUFFIXES)


def resource(resource_id: str) -> tuple[str, str]:
    """(repository, kind) of a resource id: an ECR repository ARN, a repository name, another
    service's ARN (``other``), or nothing."""
    text = resource_id.strip()
    if not text:
        return "", ""
    if m := _ECR_ARN.match(text):
        return m.group(1), "arn"
    if text.startswith("arn:"):
        return "", "other"
    return text, "name"


def normalise(groups: list[dict[str, Any]], prices: PriceBook) -> pd.DataFrame:
    """Rows summed by a reader (keys: account_id, region, usage_type, resource_id, product, kind,
    detail, free, quantity, cost, rows) as ``COLUMNS``: the region filled from the usage type's code
    where the bill has none, a usage type without a region code given its region's (AWS writes
    us-east-1's without one), the resource id read as a repository, equal keys summed again."""
    by_code = {s.billing_code: code for code, s in prices.regions.items()}
    sums: dict[tuple[Any, ...], list[Any]] = {}
    for g in groups:
        usage_type, region = g["usage_type"].strip(), g["region"].strip()
        code = usage_type.split("-", 1)[0]
        if code in by_code and (not region or by_code[code] == region):
            region = region or by_code[code]
        else:  # no region code of its own ("EU-AWS-Out-Bytes" from us-east-1 is us-east-1's)
            region = region or "us-east-1"
            if region in prices.regions:
                usage_type = f"{prices.regions[region].billing_code}-{usage_type}"
        repository, kind_of_id = resource(g["resource_id"])
        key = (
            g["account_id"].strip(),
            region,
            usage_type,
            repository,
            kind_of_id,
            g["product"],
            g["kind"],
            g["detail"],
            bool(g["free"]),
        )
        acc = sums.setdefault(key, [Decimal(0), Decimal(0), 0])
        acc[0] += g["quantity"]
        acc[1] += g["cost"]
        acc[2] += int(g["rows"])
    rows = [[*k, *v] for k, v in sums.items()]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for c in ("quantity", "cost"):
        frame[c] = frame[c].astype(object)
    return frame
