"""The two export layouts reconcile reads from files: AWS Data Exports' CUR 2.0 table and its FOCUS
1.2 table, with the column names of AWS's table dictionaries (docs/reconcile.md lists them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...core.errors import InputError
from ...core.period import Month
from ...core.pricebook import PriceBook
from .frame import Bill, kind_of_cur, kind_of_focus, normalise
from .locate import bill_files
from .table import Layout, first_of, read_part, text


def _cur_region(types: dict[str, str]) -> str:
    parts = []
    if "product_region_code" in types:
        parts.append(text("product_region_code", types))
    if "product" in types:
        if types["product"].startswith("MAP"):
            parts.append("CAST(map_extract(\"product\", 'region')[1] AS VARCHAR)")
        else:  # CSV writes the map as JSON
            parts.append(
                'CASE WHEN json_valid(CAST("product" AS VARCHAR)) '
                "THEN json_extract_string(CAST(\"product\" AS VARCHAR), '$.region') END"
            )
    return f"nullif(coalesce({', '.join(parts)}, ''), '')" if parts else "CAST(NULL AS VARCHAR)"


CUR = Layout(
    name="CUR 2.0",
    required=(
        "bill_billing_period_start_date",
        "line_item_usage_account_id",
        "line_item_product_code",
        "line_item_usage_type",
        "line_item_line_item_type",
        "line_item_usage_amount",
        "line_item_unblended_cost",
    ),
    exprs=lambda t: {
        "period": text("bill_billing_period_start_date", t),
        "account_id": text("line_item_usage_account_id", t),
        "region": _cur_region(t),
        "usage_type": text("line_item_usage_type", t),
        "resource_id": text("line_item_resource_id", t),
        "product": text("line_item_product_code", t),
        "detail": text("line_item_line_item_type", t),
        "currency": text("line_item_currency_code", t),
        "quantity": text("line_item_usage_amount", t),
        "cost": text("line_item_unblended_cost", t),
        "list_cost": "CAST(NULL AS VARCHAR)",
        "net_cost": text("line_item_net_unblended_cost", t),
    },
    numbers={
        "quantity": "line_item_usage_amount",
        "cost": "line_item_unblended_cost",
        "net_cost": "line_item_net_unblended_cost",
    },
)

# ServiceName → product code, for FOCUS files without AWS's x_ServiceCode column.
SERVICES = {
    "Amazon EC2 Container Registry (ECR)": "AmazonECR",
    "Amazon Elastic Container Registry": "AmazonECR",
    "Amazon Elastic Container Registry Public": "AmazonECRPublic",
    "AWS Data Transfer": "AWSDataTransfer",
}


def _focus_product(t: dict[str, str]) -> str:
    if "x_ServiceCode" in t:
        return text("x_ServiceCode", t)
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in SERVICES.items())
    return f"CASE {text('ServiceName', t)} {cases} ELSE {text('ServiceName', t)} END"


FOCUS = Layout(
    name="FOCUS 1.2",
    required=(
        "BillingPeriodStart",
        "SubAccountId",
        "x_ServiceCode|ServiceName",
        "x_UsageType|SkuMeter",
        "ChargeCategory",
        "BilledCost",
        "BillingCurrency",
    ),
    exprs=lambda t: {
        "period": text("BillingPeriodStart", t),
        "account_id": text("SubAccountId", t),
        "region": text("RegionId", t),
        "usage_type": first_of(("x_UsageType", "SkuMeter"), t),
        "resource_id": text("ResourceId", t),
        "product": _focus_product(t),
        "detail": text("ChargeCategory", t),
        "currency": text("BillingCurrency", t),
        "quantity": text("ConsumedQuantity", t),
        "cost": text("BilledCost", t),
        "list_cost": text("ListCost", t),
        "net_cost": "CAST(NULL AS VARCHAR)",
    },
    numbers={"quantity": "ConsumedQuantity", "cost": "BilledCost", "list_cost": "ListCost"},
)


LAYOUTS = {"cur": (CUR,), "focus": (FOCUS,), "auto": (CUR, FOCUS)}


def read_export(
    location: str, layout_name: str, month: Month, prices: PriceBook, profile: str | None = None
) -> Bill:
    """ECR's rows of ``month`` in a CUR 2.0 (``cur``) or FOCUS (``focus``) export, or either (``auto``,
    told apart by their columns): a file, a folder of parts, or ``s3://bucket/prefix``. A file of
    another layout, another currency or with no row of the month is an :class:`InputError`."""
    groups, others, kinds, nets = [], set(), set(), []
    with bill_files(location, profile) as parts:
        for part in parts:
            read = read_part(part, LAYOUTS[layout_name], month)
            others.update(read.other_months)
            kinds.add(read.layout.name)
            nets.append(read.net_cost)
            groups += [_kind(g, read.layout) for g in read.groups]
    if not groups and others:
        raise InputError(
            f"the bill covers {', '.join(sorted(others))}, not {month}: no ECR row of {month}", file=location
        )
    if len(kinds) > 1:
        raise InputError("the folder mixes CUR 2.0 and FOCUS files: give one export", file=location)
    rows = []
    for g in groups:
        rows.append(g)
        if g["kind"] == "usage" and g["list_cost"] != g["cost"] and g.get("focus"):
            # FOCUS carries a negotiated discount as BilledCost below ListCost
            discount = g["cost"] - g["list_cost"]
            rows[-1] = {**g, "cost": g["list_cost"]}
            rows.append(
                {**g, "kind": "discount", "detail": "ListCost - BilledCost", "free": False,
                 "quantity": Decimal(0), "cost": discount, "rows": 0}
            )  # fmt: skip
    notes = (
        (f"{len(others)} other month(s) in the export left out: {', '.join(sorted(others))}",)
        if others
        else ()
    )
    source = "focus" if kinds == {FOCUS.name} else "cur"
    net = sum((n for n in nets if n is not None), Decimal(0)) if any(n is not None for n in nets) else None
    return Bill(source, location, month, normalise(rows, prices), files=len(parts), notes=notes, net_usd=net)


def _kind(group: dict[str, Any], layout: Layout) -> dict[str, Any]:
    if layout is CUR:
        return {**group, "kind": kind_of_cur(group["detail"])}
    return {**group, "kind": kind_of_focus(group["detail"]), "focus": True}
