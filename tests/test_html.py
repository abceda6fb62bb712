"""The HTML report: one self-contained file with the totals, the terminal report's tables and the
charts; user text escaped; nothing fetched."""

from __future__ import annotations

import base64
import re
from decimal import Decimal
from html import escape

import pandas as pd
import pytest

import ecrcost
from ecrcost import aging, breakdown, timeline
from ecrcost.core.money import CENT
from ecrcost.core.usage import STORAGE_COLUMNS, Usage
from ecrcost.outputs.html import report_html

MONTH = "2026-11"


@pytest.fixture(scope="module")
def sample():
    usage = ecrcost.load(ecrcost.sample_path())
    est = ecrcost.estimate(usage, month=MONTH)
    stored = aging.stored_by_age(usage, est.period)
    over_time = timeline.projection(usage, est.period, horizon=3)
    return est, stored, over_time, report_html(est, aging=stored, timeline=over_time)


def test_nothing_is_fetched(sample):
    page = sample[3]
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page
    assert re.findall(r'src="([^"]+)"', page) and all(
        s.startswith("data:image/svg+xml;base64,") for s in re.findall(r'src="([^"]+)"', page)
    )


def test_every_chart_is_embedded_as_svg(sample):
    page = sample[3]
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert len(images) == 5
    for data in images:
        assert b"<svg" in base64.b64decode(data)


def test_the_totals_and_every_table_row_are_there(sample):
    est, stored, over_time, page = sample
    totals = est.totals(CENT)
    for key in ("total_usd", "storage_usd", "transfer_usd"):
        assert f"${totals[key]:,.2f}" in page
    for r in est.rounded(CENT).itertuples():
        assert f'<td class="name">{r.repository}</td>' in page
        assert f"${r.total_usd:,.2f}" in page
    for column in ("namespace", "region"):
        for value in breakdown.by(est, column)[column]:
            assert f'<td class="name">{value}</td>' in page
    for r in est.tiers(CENT).itertuples():
        assert f"${r.usd_per_gb}/GB" in page
    for month in over_time.table["month"]:
        assert month in page
    for bucket in {str(b) for b, v in zip(stored["age_bucket"], stored["byte_us"], strict=True) if v}:
        assert escape(bucket) in page
    for note in est.notes:
        assert escape(note) in page
    assert "All 9 repositories" in page and "By namespace (depth 1)" in page and "By region" in page


def test_projected_months_are_marked(sample):
    page = sample[3]
    assert page.count('<tr class="projection">') == 3
    assert "Projection:" in page and "hatched bars are a projection" in page


def test_a_hostile_repository_name_is_escaped():
    hostile = '<script>alert("x")</script>/a&b'
    storage = pd.DataFrame(
        [["123456789012", "us-east-1", "private", hostile, "standard", Decimal("12.5")]],
        columns=STORAGE_COLUMNS,
    )
    est = ecrcost.estimate(Usage(storage=storage, source="data/<b>folder"), month=MONTH)
    page = report_html(est)
    assert "<script>" not in page and "<b>folder" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;/a&amp;b" in page
    assert "&lt;b&gt;folder" in page and "data/" not in page  # the input's last path part, escaped


def test_a_scenario_report_has_no_age_or_time_sections(tmp_path):
    from factories import write_csv

    rows = [{"repository": "team-a/web", "storage_gb": "10", "internet_out_gb": "5"}]
    est = ecrcost.estimate(ecrcost.load(write_csv(tmp_path / "s.csv", rows)), month=MONTH)
    page = report_html(est)
    assert "Storage by image age" not in page and "Over time" not in page
    assert len(re.findall(r"data:image/svg\+xml", page)) == 3
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_print_friendly(sample):
    page = sample[3]
    assert "@media print" in page and "break-inside: avoid" in page
