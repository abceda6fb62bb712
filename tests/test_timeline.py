"""Cost over time: past months priced from push history, and a projection flagged as one."""

from __future__ import annotations

from decimal import Decimal

from factories import GiB, Inventory, MiB

import ecrcost
from ecrcost import timeline
from ecrcost.core.money import CENT
from ecrcost.core.period import Month

MONTH = Month(2026, 10)
NOW = MONTH.end  # the month is over


def growing(inventory: Inventory) -> ecrcost.Usage:
    """1 GiB of new layers pushed on the 1st of July, August and September, plus a shared base."""
    for month in ("07", "08", "09"):
        inventory.push("app", month, f"2026-{month}-01T00:00:00Z", {"base": 10 * MiB, f"l{month}": GiB})
    return inventory.load()


def test_history_prices_each_month_with_the_model(inventory: Inventory):
    usage = growing(inventory)
    t = timeline.history(usage, MONTH, 4, now=NOW)
    assert list(t.table["month"]) == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert set(t.table["kind"]) == {"estimate"}
    for month, total in zip(t.table["month"], t.table["total_usd"], strict=True):
        assert total == ecrcost.estimate(usage, month=month, now=NOW).totals(CENT)["total_usd"]
    assert not t.projected
    assert any("lower bounds" in n for n in t.notes)


def test_new_bytes_counts_a_shared_layer_once_in_the_month_it_first_arrived(inventory: Inventory):
    usage = growing(inventory)
    found = timeline.new_bytes(usage, Month(2026, 7), 3)
    assert list(found["month"]) == ["2026-07", "2026-08", "2026-09"]
    assert list(found["new_bytes"]) == [GiB + 10 * MiB, GiB, GiB]


def test_projection_adds_the_average_growth_each_month_and_says_so(inventory: Inventory):
    usage = growing(inventory)
    t = timeline.projection(usage, MONTH, horizon=3, window=3, now=NOW)
    table = t.table
    assert list(table["kind"]) == ["estimate", "projection", "projection", "projection"]
    assert list(table["month"]) == ["2026-10", "2026-11", "2026-12", "2027-01"]
    assert t.projected
    growth = Decimal((3 * GiB + 10 * MiB) // 3) / GiB
    base = table["storage_gb_month"].iloc[0]
    for k in (1, 2, 3):
        assert abs(table["storage_gb_month"].iloc[k] - (base + k * growth)) < Decimal("1e-20")
    assert t.method.startswith("Projection:") and "2026-07–2026-09" in t.method
    assert "nothing deleted" in t.method


def test_projection_of_a_registry_that_stopped_growing_is_flat(inventory: Inventory):
    inventory.push("app", "old", "2025-01-01T00:00:00Z", {"l": GiB})
    t = timeline.projection(inventory.load(), MONTH, horizon=2, now=NOW)
    assert len(set(t.table["total_usd"])) == 1
    assert t.projected


def test_estimates_side_by_side(inventory: Inventory):
    usage = growing(inventory)
    ests = [ecrcost.estimate(usage, month=m, now=NOW) for m in ("2026-08", "2026-09")]
    t = timeline.from_estimates(ests, labels=["inventory A", "inventory B"])
    assert list(t.table["month"]) == ["inventory A", "inventory B"]
    assert list(t.table["total_usd"]) == [e.totals(CENT)["total_usd"] for e in ests]


def test_shift_crosses_years():
    assert timeline.shift(Month(2026, 1), -1) == Month(2025, 12)
    assert timeline.shift(Month(2026, 12), 13) == Month(2028, 1)
