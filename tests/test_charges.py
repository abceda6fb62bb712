"""The charge registry, walked the way cloud-custodian tests walk theirs: every registered unit is
complete, priced by the bundled book in every region, and ends up in the bill's lines and totals."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import write_csv
from typer.testing import CliRunner

import ecrcost
from ecrcost.cli import app
from ecrcost.core import charges as registry
from ecrcost.core.estimate import NETWORK, PARTS, QUANTITIES
from ecrcost.core.money import ZERO
from ecrcost.core.pricebook import load_pricebook
from ecrcost.outputs.export.focus import billing

BOOK = load_pricebook()
MEASURES = {
    "standard_gb_month",
    "archive_gb_month",
    "archive_restored_gb",
    "internet_out_gb",
    "cross_region_out_gb",
    "same_region_out_gb",
    "nat_gateway_gb",
    "interface_endpoint_gb",
    "archive_early_gb_month",
}
INVENTORY_ONLY = {"archive_early_deletion"}  # a scenario has no archive history to charge a minimum for


@pytest.mark.parametrize("charge", registry.charges(), ids=lambda c: c.name)
def test_every_charge_unit_is_complete(charge):
    assert charge.label and charge.description and charge.unit in ("GB", "GB-Months")
    assert charge.measure in MEASURES
    assert charge.bill in ("storage", "transfer", "network", "free")
    assert charge.registry in ("private", "public", "any")
    if charge.bill == "free":
        assert not charge.item and not charge.usage_type  # never on a bill
        return
    assert charge.item and charge.usage_type
    sections = [BOOK.public] if charge.section == "public" else list(BOOK.regions.values())
    for section in sections:
        for item in charge.items:
            assert item in section.items, (section.code, item)
        assert charge.usage_type_of(
            ecrcost.PricingOptions.of("2026-10"), "us-east-1", "eu-west-1"
        ).startswith(BOOK.region("us-east-1").billing_code + "-")
    if charge.bill in ("storage", "transfer"):
        assert charge.column in PARTS
        assert charge.service in billing()["services"]
    else:
        assert charge in NETWORK


def test_the_price_book_needs_exactly_what_the_units_read():
    needed = registry.required_items()
    assert set(needed["region"]) == {i for c in registry.charges() if c.section == "region" for i in c.items}
    assert set(needed["public"]) == {i for c in registry.charges() if c.section == "public" for i in c.items}
    assert QUANTITIES[0] == "storage_gb_month"


def test_every_billed_unit_reaches_the_lines_and_the_json(tmp_path):
    rows = [
        {"repository": "web", "account_id": "111122223333", "storage_gb": "100", "internet_out_gb": "20000",
         "cross_region_out_gb": "50", "destination_region": "eu-west-1", "same_region_out_gb": "7",
         "nat_gateway_gb": "3", "interface_endpoint_gb": "2", "archive_restored_gb": "4"},
        {"repository": "web", "account_id": "111122223333", "storage_gb": "300", "storage_class": "archive"},
        {"repository": "tool", "account_id": "111122223333", "storage_gb": "80", "registry": "public",
         "internet_out_gb": "6000", "cross_region_out_gb": "9"},
    ]  # fmt: skip
    path = write_csv(tmp_path / "s.csv", rows)
    est = ecrcost.estimate(path, month="2026-10", free_internet_gb=100)
    assert set(est.lines["charge"]) == {c.name for c in registry.charges()} - INVENTORY_ONLY
    doc = json.loads(CliRunner().invoke(app, ["estimate", str(path), "--month", "2026-10", "-f", "json",
                                              "--free-internet-gb", "100"]).stdout)  # fmt: skip
    items = doc["line_items"]
    billed = {c.name for c in registry.charges(bill=("storage", "transfer"))} - INVENTORY_ONLY
    assert {i["charge"] for i in items} == billed
    assert sum(Decimal(str(i["cost_usd"])) for i in items) == Decimal(str(doc["total_usd"]))
    for item in items:
        assert {"account_id", "region", "repository", "charge", "usage_type", "pricing_unit", "tier",
                "destination_region", "quantity", "unit_price_usd", "cost_usd"} <= set(item)  # fmt: skip
    tiers = {(i["charge"], i["tier"]) for i in items}
    assert {("internet", "free"), ("internet", 1), ("internet", 2), ("public_internet", "free")} <= tiers
    cross = next(i for i in items if i["charge"] == "cross_region")
    assert cross["usage_type"] == "USE1-EU-AWS-Out-Bytes" and cross["destination_region"] == "eu-west-1"
    # network processing and free transfer stay out of the ECR total but are reported
    assert est.network_usd > 0 and sum(est.exact["same_region_out_gb"], ZERO) == 7
