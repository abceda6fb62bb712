"""The Python API as a notebook uses it: loose inputs, numeric frames that plot and describe, exact
Decimal beside them, short reprs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

import ecrcost
from ecrcost.core.money import ZERO

matplotlib.use("Agg")
SAMPLE = ecrcost.sample_path()


@pytest.mark.parametrize("source", [str(SAMPLE), SAMPLE, "usage"])
@pytest.mark.parametrize(
    "month", ["2026-10", date(2026, 10, 15), datetime(2026, 10, 31, 23), ecrcost.Month(2026, 10)]
)
def test_estimate_takes_a_path_or_a_usage_and_any_form_of_month(source, month):
    est = ecrcost.estimate(ecrcost.load(SAMPLE) if source == "usage" else source, month=month)
    assert str(est.period) == "2026-10"
    assert est.total_usd == ecrcost.estimate(ecrcost.load(SAMPLE), month="2026-10").total_usd


def test_options_travel_typed_on_the_estimate():
    options = ecrcost.PricingOptions.of("2026-10", free_internet_gb="100", blob_mounting=True)
    est = ecrcost.estimate(SAMPLE, options=options)
    assert est.options is options
    assert est.options.free_internet_gb == Decimal(100) and est.options.blob_mounting
    assert est.assumptions["free_internet_gb"] == Decimal(100) and est.assumptions["blob_mounting"] == "on"
    assert est.assumptions["blob_mounting_in_effect"] == "on"


def test_a_bad_value_names_the_parameter_not_a_command_line_option():
    with pytest.raises(ecrcost.InputError) as err:
        ecrcost.estimate(SAMPLE, month="2026-13")
    assert str(err.value).startswith("month: ") and "--" not in str(err.value)
    with pytest.raises(ecrcost.InputError, match="free_internet_gb"):
        ecrcost.PricingOptions.of("2026-10", free_internet_gb="lots")
    with pytest.raises(ecrcost.InputError, match="no such file"):
        ecrcost.estimate(Path("no-such-inventory"), month="2026-10")


def test_repository_frame_is_numeric_and_exact_beside():
    est = ecrcost.estimate(SAMPLE, month="2026-10")
    repos = est.repositories()
    for column in ("storage_gb_month", "storage_usd", "transfer_usd", "total_usd"):
        assert pd.api.types.is_float_dtype(repos[column]), column
    described = repos.describe()
    assert "total_usd" in described.columns and described.loc["count", "total_usd"] == len(repos)
    assert repos["total_usd_exact"].map(type).eq(Decimal).all()
    assert sum(repos["total_usd_exact"], ZERO) == est.total_usd  # exact, to the micro-dollar
    assert repos["total_usd"].sum() == pytest.approx(float(est.total_usd), abs=1e-6)
    by_region = repos.groupby("region")["total_usd_exact"].sum()
    assert sum(by_region, ZERO) == est.total_usd
    ax = repos.plot.barh(x="repository", y="total_usd")  # would raise on object columns
    assert len(ax.patches) == len(repos)
    # GB-month reads as 6 decimals, not 45 digits
    assert all(len(repr(v).split(".")[-1]) <= 6 for v in repos["storage_gb_month"])


def test_line_items_are_the_bill_and_sum_to_the_total():
    est = ecrcost.estimate(SAMPLE, month="2026-10", free_internet_gb=100)
    items = est.line_items()
    assert sum(items["cost_usd_exact"], ZERO) == est.total_usd
    assert {"usage_type", "pricing_unit", "tier", "destination_region", "quantity", "unit_price_usd"} <= set(
        items.columns
    )
    assert items["usage_type"].str.match(r"^[A-Z0-9]+-").all()  # region-prefixed, as AWS names them
    assert pd.api.types.is_float_dtype(items["cost_usd"])


def test_reprs_summarise_instead_of_dumping_tables():
    usage = ecrcost.load(SAMPLE)
    est = ecrcost.estimate(usage, month="2026-10")
    sim = ecrcost.lifecycle.simulate(usage, ecrcost.lifecycle.stored_policies(usage), month="2026-10")
    over = ecrcost.timeline.projection(usage, est.options, current=est, horizon=2)
    for thing in (usage, est, sim, over):
        text = repr(thing)
        assert "\n" not in text and len(text) < 300, text
    assert "$99.37" in repr(est) and "8 repositories" in repr(est)
