"""Bills in AWS's own layouts, built small from an estimate: a CUR 2.0 export (Data Exports table
``COST_AND_USAGE_REPORT`` with resource ids: ``line_item_*`` columns, the ``product`` map and static
``product_*`` columns; Parquet with AWS's types, or CSV) and an AWS FOCUS 1.2 export (``SkuMeter``,
``x_ServiceCode``), which reuses ecrcost's own FOCUS export and turns it into AWS's columns.

``cur_rows(est)`` is the bill that equals the estimate; tests plant differences by editing rows.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ecrcost.app.export import export
from ecrcost.core.estimate import Estimate
from ecrcost.core.money import MICRO
from ecrcost.core.usage import Usage

CUR_TEXT = [
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "bill_payer_account_id",
    "line_item_usage_account_id",
    "line_item_line_item_type",
    "line_item_product_code",
    "line_item_usage_type",
    "line_item_operation",
    "line_item_resource_id",
    "line_item_currency_code",
    "pricing_unit",
    "product_region_code",
    "product_from_location",
    "product_to_location",
    "product_product_family",
]
CUR_NUMBERS = [
    "line_item_usage_amount",
    "line_item_unblended_rate",
    "line_item_unblended_cost",
    "line_item_net_unblended_cost",
]
LOCATIONS = {"us-east-1": "US East (N. Virginia)", "eu-west-1": "EU (Ireland)", "us-east-2": "US East (Ohio)"}


def arn(account: str, region: str, repository: str) -> str:
    return f"arn:aws:ecr:{region}:{account}:repository/{repository}"


def cur_rows(
    est: Estimate, *, resource: str = "arn", transfer_product: str = "AmazonECR"
) -> list[dict[str, Any]]:
    """One CUR 2.0 ``Usage`` row per line item of ``est``, amounts as AWS writes them (doubles).
    ``resource``: arn, name or none (``line_item_resource_id``); ``transfer_product``: the product
    code of transfer rows (AmazonECR or AWSDataTransfer)."""
    lines = est.billed_lines(MICRO)
    start, end = est.period.start, est.period.end
    rows = []
    for line in lines.itertuples(index=False):
        transfer = line.pricing_unit == "GB"
        rid = {
            "arn": arn(line.account_id, line.region, line.repository),
            "name": line.repository,
            "none": "",
        }[resource]
        rows.append(
            {
                "bill_billing_period_start_date": start,
                "bill_billing_period_end_date": end,
                "bill_payer_account_id": line.account_id,
                "line_item_usage_account_id": line.account_id,
                "line_item_line_item_type": "Usage",
                "line_item_product_code": transfer_product if transfer else "AmazonECR",
                "line_item_usage_type": line.usage_type,
                "line_item_operation": "TimedStorage" if not transfer else "PullImage",
                "line_item_resource_id": rid,
                "line_item_currency_code": "USD",
                "pricing_unit": line.pricing_unit,
                "product_region_code": line.region,
                "product_from_location": LOCATIONS.get(line.region, line.region),
                "product_to_location": "External" if transfer else "",
                "product_product_family": "Data Transfer" if transfer else "EC2 Container Registry",
                "line_item_usage_amount": float(line.quantity),
                "line_item_unblended_rate": float(line.unit_price),
                "line_item_unblended_cost": float(line.cost_rounded),
                "line_item_net_unblended_cost": float(line.cost_rounded),
                "product": {"region": line.region, "product_name": "Amazon Elastic Container Registry"},
            }
        )
    return rows


def adjustment(row: dict[str, Any], item_type: str, usd: float) -> dict[str, Any]:
    """A row like ``row`` of another line-item type (Credit, EdpDiscount, Tax …) for ``usd``."""
    return {
        **row,
        "line_item_line_item_type": item_type,
        "line_item_usage_amount": 0.0,
        "line_item_unblended_rate": 0.0,
        "line_item_unblended_cost": usd,
        "line_item_net_unblended_cost": usd,
    }


def write_cur(path: Path, rows: list[dict[str, Any]]) -> Path:
    """``rows`` as AWS writes them: Parquet (timestamps, doubles, a map<string,string> ``product``) or
    CSV (the map as JSON), chosen by the suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [*CUR_TEXT, *CUR_NUMBERS, "product"]
    if path.suffix == ".parquet":
        arrays = {}
        for c in columns:
            values = [r.get(c) for r in rows]
            if c.endswith("_date"):
                arrays[c] = pa.array(values, type=pa.timestamp("ms", "UTC"))
            elif c in CUR_NUMBERS:
                arrays[c] = pa.array(values, type=pa.float64())
            elif c == "product":
                arrays[c] = pa.array(
                    [list(v.items()) for v in values], type=pa.map_(pa.string(), pa.string())
                )
            else:
                arrays[c] = pa.array(values, type=pa.string())
        pq.write_table(pa.table(arrays), path)
        return path
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(r.get(c)) for c in columns])
    return path


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps(value)
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def focus_frame(est: Estimate, usage: Usage) -> pd.DataFrame:
    """ecrcost's own FOCUS export of ``est`` with AWS's FOCUS 1.2 columns: ``SkuMeter`` and
    ``x_ServiceCode`` instead of ecrcost's ``x_`` columns."""
    frame = export(est, usage, "focus").frame
    codes = {
        "Amazon Elastic Container Registry": "AmazonECR",
        "AWS Data Transfer": "AWSDataTransfer",
        "Amazon Elastic Container Registry Public": "AmazonECRPublic",
    }
    out = frame.drop(columns=[c for c in frame.columns if c.startswith("x_")])
    return out.assign(SkuMeter=frame["x_UsageType"], x_ServiceCode=frame["ServiceName"].map(codes))


def write_focus(path: Path, frame: pd.DataFrame) -> Path:
    """FOCUS rows as Parquet (doubles and timestamps, as AWS writes them) or CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    money = [
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ContractedCost",
        "ConsumedQuantity",
        "PricingQuantity",
        "ListUnitPrice",
        "ContractedUnitPrice",
    ]
    if path.suffix == ".parquet":
        out = frame.copy()
        for c in money:
            out[c] = [None if v is None else float(Decimal(v)) for v in out[c]]
        for c in ["BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"]:
            out[c] = pd.to_datetime(out[c], utc=True)
        pq.write_table(pa.Table.from_pandas(out, preserve_index=False), path)
        return path
    frame.to_csv(path, index=False)
    return path
