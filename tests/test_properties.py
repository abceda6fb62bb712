"""Property tests: the invariants that must hold for every input, not just the worked examples."""

from __future__ import annotations

from decimal import Decimal as D
from decimal import localcontext

import pandas as pd
import pytest
from factories import RANDOM_MONTH, Inventory, instants, inventories
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ecrcost
from ecrcost.core.money import CENT, CONTEXT, MICRO, allocate, round_half_up, round_lines, share
from ecrcost.core.pricebook import load_pricebook
from ecrcost.core.tiers import tiered_cost
from ecrcost.core.usage import Usage

TIERS = load_pricebook().region("us-east-1").internet_tiers
BOUNDS = [t.up_to_gb for t in TIERS if t.up_to_gb is not None]
gb = st.decimals(min_value=0, max_value=500_000, places=3, allow_nan=False, allow_infinity=False)
free_gb = st.decimals(min_value=0, max_value=200, places=1)


@given(st.sampled_from(BOUNDS), st.decimals(min_value=D("0.001"), max_value=1, places=3), free_gb)
def test_tier_cost_is_continuous_at_the_bounds(bound, eps, free):
    below, at, above = (tiered_cost(x, TIERS, free) for x in (bound - eps, bound, bound + eps))
    rate_below = next(t.usd_per_gb for t in TIERS if t.up_to_gb is not None and bound <= t.up_to_gb)
    rate_above = next(t.usd_per_gb for t in TIERS if t.up_to_gb is None or bound < t.up_to_gb)
    assert at - below == eps * rate_below
    assert above - at == eps * rate_above


@given(gb, gb, free_gb)
def test_tier_cost_never_decreases_with_volume(a, b, free):
    lo, hi = sorted((a, b))
    assert tiered_cost(lo, TIERS, free) <= tiered_cost(hi, TIERS, free)


@given(gb, st.decimals(min_value=D("0.001"), max_value=100, places=3), free_gb)
def test_marginal_rate_is_the_rate_of_the_tier(x, delta, free):
    lower = 0
    for tier in TIERS:
        upper = tier.up_to_gb
        if x >= max(lower, free) and (upper is None or x + delta <= upper):
            assert (
                tiered_cost(x + delta, TIERS, free) - tiered_cost(x, TIERS, free) == delta * tier.usd_per_gb
            )
        lower = upper


@given(st.decimals(min_value=0, max_value=10**7, places=6), st.lists(gb, min_size=1, max_size=30))
def test_shares_sum_to_the_amount_exactly(amount, weights):
    shares = share(amount, weights)
    with localcontext(CONTEXT):  # 60 significant digits, as the model sums
        if sum(weights) == 0:
            assert all(s == 0 for s in shares)
        else:
            assert sum(shares) == amount
            assert all(s >= 0 for s in shares)


@given(
    st.lists(st.decimals(min_value=0, max_value=10**6, places=9), min_size=1, max_size=40),
    st.sampled_from([CENT, MICRO]),
)
def test_rounded_lines_sum_to_the_rounded_total(amounts, quantum):
    rounded = round_lines(amounts, quantum)
    assert sum(rounded) == round_half_up(sum(amounts), quantum)
    assert all(abs(r - a) < quantum for r, a in zip(rounded, amounts, strict=True))
    assert allocate(sum(rounded), rounded, quantum) == rounded


@pytest.mark.slow
@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=5000, places=4),
            st.decimals(min_value=0, max_value=20000, places=4),
            st.decimals(min_value=0, max_value=300, places=4),
            st.sampled_from(["standard", "archive"]),
            st.sampled_from(["us-east-1", "eu-west-1", "ap-northeast-1"]),
        ),
        min_size=1,
        max_size=12,
    ),
    free_gb,
)
def test_every_breakdown_sums_to_its_total(rows, free):
    storage = pd.DataFrame(
        [
            {
                "account_id": "",
                "region": r,
                "registry": "private",
                "repository": f"r{i}",
                "storage_class": c,
                "storage_gb": s,
            }
            for i, (s, _, _, c, r) in enumerate(rows)
        ]
    )
    transfer = pd.DataFrame(
        [
            {
                "account_id": "",
                "region": r,
                "registry": "private",
                "repository": f"r{i}",
                "destination_region": "",
                "internet_out_gb": n,
                "cross_region_out_gb": x,
                "same_region_out_gb": D(0),
                "nat_gateway_gb": D(0),
                "interface_endpoint_gb": D(0),
            }
            for i, (_, n, x, _, r) in enumerate(rows)
        ]
    )
    est = ecrcost.estimate(Usage(storage=storage, transfer=transfer), month="2026-10", free_internet_gb=free)
    for quantum in (CENT, MICRO):
        table = est.rounded(quantum)
        totals = est.totals(quantum)
        with localcontext(CONTEXT):  # the model's precision: 28 digits can land on the wrong side of a half
            exact_total = sum(
                est.exact[c].sum()
                for c in ["standard_storage_usd", "archive_storage_usd", "internet_usd", "cross_region_usd"]
            )
        assert totals["total_usd"] == round_half_up(exact_total, quantum)
        assert totals["storage_usd"] + totals["transfer_usd"] == totals["total_usd"]
        assert all(table["storage_usd"] + table["transfer_usd"] == table["total_usd"])
        tiers = est.tiers(quantum)
        assert sum(tiers["usd"]) == totals["internet_usd"] or quantum == CENT


MONTH = RANDOM_MONTH


@pytest.mark.slow
@given(inventories(), st.booleans())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_deduplicated_storage_never_exceeds_the_naive_sum(inventory, blob_mounting):
    dedup = ecrcost.estimate(inventory.usage(), month=MONTH, blob_mounting=blob_mounting)
    naive = ecrcost.estimate(inventory.usage(with_layers=False), month=MONTH)
    assert sum(dedup.exact["storage_gb_month"]) <= sum(naive.exact["storage_gb_month"])


@pytest.mark.slow
@given(st.integers(min_value=0, max_value=2**40), instants, st.none() | instants)
def test_proration_is_between_zero_and_one(size, pushed, deleted):
    if deleted is not None and deleted < pushed:
        pushed, deleted = deleted, pushed
    inventory = Inventory(account="")
    inventory.push("svc-a", "x", pushed, size_bytes=size, deleted_at=deleted)
    est = ecrcost.estimate(inventory.usage(with_layers=False), month=MONTH)
    gb_month = sum(est.exact["storage_gb_month"])
    fraction = gb_month / (D(size) / 2**30) if size else D(0)
    assert 0 <= fraction <= 1
    if size and pushed <= MONTH.start and deleted is None:
        assert fraction == 1
