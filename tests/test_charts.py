"""Charts: Figures whose bars are the estimate's rounded amounts, with dollars on the axes, short
names, a colour-blind-safe palette, and the period and assumptions written on them."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from factories import GiB, Inventory, MiB, write_csv
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

import ecrcost
from ecrcost import aging, breakdown, charts, timeline
from ecrcost.core.money import CENT, ZERO
from ecrcost.outputs.charts.style import OKABE_ITO, dollars, plain, shorten

MONTH = "2026-11"


@pytest.fixture(scope="module")
def sample():
    usage = ecrcost.load(ecrcost.sample_path())
    est = ecrcost.estimate(usage, month=MONTH)
    return usage, est


def texts(fig: Figure) -> str:
    """Every string drawn on the figure: titles, tick labels, annotations, legends."""
    found = [
        t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_position"))
    ]
    return " ".join(" ".join(found).replace(r"\$", "$").split())  # wrapped lines read as one


def stacks(fig: Figure) -> dict[str, list[float]]:
    ax = fig.axes[0]
    return {c.get_label(): [round(p.get_width(), 6) for p in c.patches] for c in ax.containers}


def test_top_repositories_bars_are_the_rounded_amounts_of_the_report(sample):
    _, est = sample
    fig = charts.top_repositories(est, 5)
    top = breakdown.top_repositories(est, 5, CENT)
    bars = stacks(fig)
    assert bars["Storage"] == [
        float(a + b + c)
        for a, b, c in zip(
            top["standard_storage_usd"], top["archive_storage_usd"], top["public_storage_usd"], strict=True
        )
    ]
    assert bars["Transfer to the internet"] == [
        float(v) for v in top["internet_usd"] + top["public_internet_usd"]
    ]
    assert bars["Transfer to other regions"] == [float(v) for v in top["cross_region_usd"]]
    drawn = texts(fig)
    for total in top["total_usd"]:
        assert f"${total:,.2f}" in drawn
    assert "Top 5 repositories" in drawn and "The other 4 repositories" in drawn


def test_a_replicated_repository_says_which_region(sample):
    _, est = sample
    labels = [t.get_text() for t in charts.top_repositories(est).axes[0].get_yticklabels()]
    assert "team-a/web-app (us-east-1)" in labels and "team-a/web-app (eu-west-1)" in labels


def test_money_axes_are_dollars(sample):
    _, est = sample
    fig = charts.top_repositories(est)
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert ticks and all(t.startswith("$") for t in ticks)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "$0"),
        (0.5, "$0.50"),
        (12, "$12"),
        (1234, "$1.2k"),
        (1000, "$1k"),
        (3_400_000, "$3.4M"),
        (-20, "-$20"),
    ],
)
def test_dollar_ticks(value, text):
    assert dollars(value) == text


def test_long_names_keep_the_namespace_and_the_end():
    assert shorten("team-a/web-app") == "team-a/web-app"
    assert shorten("payments/backend/services/ledger-reconciler", 32) == "payments/…/ledger-reconciler"
    long = "a-very-long-namespace-name/services/the-service-that-identifies-it"
    short = shorten(long, 40)
    assert len(short) == 40 and short.startswith("a-very-lon") and short.endswith("that-identifies-it")
    assert shorten("checkout/payments-integration/webhooks-dispatcher-service-v2", 34) == (
        "checkout/…/…-dispatcher-service-v2"
    )
    namespaced = "search-platform-infrastructure-team/edge/proxy"
    assert shorten(namespaced, 34) == "search-platform-infrastru…/…/proxy"
    flat = "x" * 80 + "-tail"
    assert shorten(flat, 30).endswith("-tail") and len(shorten(flat, 30)) == 30


def test_period_and_assumptions_are_written_on_every_figure(sample):
    usage, _ = sample
    est = ecrcost.estimate(usage, month=MONTH, free_internet_gb="100", blob_mounting=True)
    first = est.exact.iloc[0]
    pulled = pd.DataFrame(  # what ecrcost pulls would have measured for one repository
        [
            {
                "account_id": first["account_id"],
                "region": first["region"],
                "repository": first["repository"],
                "image_digest": "sha256:" + "1" * 64,
                "pull_count": 3,
                "layer_downloads": 9,
                "bytes": 3 * 2**30,
                "same_region_bytes": 2**30,
                "cross_region_bytes": 0,
                "internet_bytes": 2 * 2**30,
                "aws_service_bytes": 0,
                "top_class": "internet",
                "first_pull_at": "",
                "last_pull_at": "",
            }
        ]
    )
    figs = charts.figures(
        est,
        aging.stored_by_age(usage, est.period, True),
        timeline.projection(usage, est.period, horizon=2),
        pulls=pulled,
    )
    assert list(figs) == charts.NAMES
    for name, fig in figs.items():
        drawn = texts(fig)
        assert "Period 2026-11" in drawn, name
        assert "free internet allowance 100 GB" in drawn, name
        assert "blob mounting on" in drawn, name
        assert "transfer as given in the input" in drawn, name


def test_the_pull_size_assumption_of_collect_is_on_the_figure(tmp_path):
    inventory = tmp_path / "inventory"
    shutil.copytree(ecrcost.sample_path(), inventory)
    transfer = {"bytes_per_pull": "full", "internet_share": "0.1", "cross_region_share": "0"}
    (inventory / "collection.json").write_text(json.dumps({"coverage": {"gaps": []}, "transfer": transfer}))
    est = ecrcost.estimate(ecrcost.load(inventory), month=MONTH)
    assert est.assumptions["transfer_estimate"] == transfer
    drawn = texts(charts.top_repositories(est))
    assert "transfer estimated from pulls: bytes per pull full, internet share 0.1" in drawn


def test_egress_tiers_show_gb_per_tier_and_the_marginal_rate(tmp_path):
    rows = [
        {"repository": "team-a/web", "storage_gb": "1", "internet_out_gb": "60000"},
        {"repository": "team-b/api", "region": "eu-west-1", "storage_gb": "1", "internet_out_gb": "500"},
    ]
    est = ecrcost.estimate(
        ecrcost.load(write_csv(tmp_path / "s.csv", rows)), month=MONTH, free_internet_gb="100"
    )
    fig = charts.egress_tiers(est)
    tiers = est.tiers(CENT)
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths == [float(v) for v in tiers["gb"]]
    drawn = texts(fig)
    for r in tiers.itertuples():
        assert f"${r.usd_per_gb}/GB = ${r.usd:,.2f}" in drawn
    last = tiers[tiers["region"] == "us-east-1"].iloc[-1]
    assert f"us-east-1 ${last['usd_per_gb']}/GB" in drawn  # the next GB's rate
    assert "free allowance" in drawn


def test_egress_tiers_name_the_account_when_each_account_is_billed_alone(tmp_path):
    rows = [
        {
            "repository": "team-a/web",
            "account_id": "111122223333",
            "storage_gb": "1",
            "internet_out_gb": "6000",
        },
        {
            "repository": "team-b/api",
            "account_id": "444455556666",
            "storage_gb": "1",
            "internet_out_gb": "12000",
        },
    ]
    usage = ecrcost.load(write_csv(tmp_path / "s.csv", rows))
    pooled = texts(charts.egress_tiers(ecrcost.estimate(usage, month=MONTH)))
    assert "over every account of the bill" in pooled and "111122223333" not in pooled
    assert "us-east-1 · tier 2 (10 TB–50 TB)" in pooled  # 18,000 GB on one bill reach the second tier
    alone = ecrcost.estimate(usage, month=MONTH, billing="account")
    drawn = texts(charts.egress_tiers(alone))
    assert "each account billed alone" in drawn and "(--billing account)" in drawn
    assert "111122223333 us-east-1 · tier 1 (first 10 TB)" in drawn
    assert "444455556666 us-east-1 · tier 2 (10 TB–50 TB)" in drawn
    assert "111122223333 us-east-1 · tier 2" not in drawn  # 6,000 GB alone stay in the first tier


def test_storage_by_age_bars_are_the_aging_table(sample):
    usage, est = sample
    frame = aging.stored_by_age(usage, est.period)
    fig = charts.idle_storage(frame, est)
    bars = {c.get_label(): [round(p.get_height(), 9) for p in c.patches] for c in fig.axes[0].containers}
    for state, label in (("tagged", "Tagged"), ("untagged", "Untagged")):
        assert bars[label] == [round(float(v), 9) for v in frame.loc[frame["state"] == state, "gb_month"]]
    assert "newest image" in texts(fig)


def test_a_projection_is_marked_as_one(inventory: Inventory):
    for month in ("07", "08", "09"):
        inventory.push("app", month, f"2026-{month}-01T00:00:00Z", {f"l{month}": GiB})
    usage = inventory.load()
    est = ecrcost.estimate(usage, month="2026-10")
    t = timeline.projection(usage, est.period, horizon=3)
    fig = charts.cost_over_time(t, est)
    drawn = texts(fig)
    ticks = [x.get_text() for x in fig.axes[0].get_xticklabels()]
    assert [x.endswith("(projected)") for x in ticks] == [False, True, True, True]
    assert "Projection" in drawn and "projection →" in drawn
    assert t.method in drawn
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == 3 * 2  # storage and transfer of each projected month


def test_history_without_projection_is_not_labelled_projected(inventory: Inventory):
    inventory.push("app", "one", "2026-07-01T00:00:00Z", {"l": 100 * MiB})
    usage = inventory.load()
    est = ecrcost.estimate(usage, month="2026-10")
    fig = charts.cost_over_time(timeline.history(usage, est.period, 3), est)
    assert "projected" not in texts(fig).lower().replace("projected to the month", "")
    assert not [p for p in fig.axes[0].patches if p.get_hatch()]


def test_colours_come_from_the_okabe_ito_palette(sample):
    usage, est = sample
    figs = charts.figures(
        est, aging.stored_by_age(usage, est.period), timeline.projection(usage, est.period, horizon=1)
    )
    allowed = {c.lower() for c in OKABE_ITO.values()}
    for name, fig in figs.items():
        for patch in fig.axes[0].patches:
            colour = to_hex(patch.get_facecolor(), keep_alpha=False)
            if colour != "#ffffff":
                assert colour in allowed, (name, colour)


def test_a_scenario_gets_the_charts_it_has_data_for(tmp_path):
    rows = [{"repository": "team-a/web", "storage_gb": "10"}]
    est = ecrcost.estimate(ecrcost.load(write_csv(tmp_path / "s.csv", rows)), month=MONTH)
    assert list(charts.figures(est)) == ["top-repositories", "namespaces"]


def test_dollar_signs_in_text_are_not_mathematics(sample):
    _, est = sample
    fig = charts.egress_tiers(est)
    charts.render(fig, "png")  # mathtext would fail or eat the text between two $
    assert plain("a $1 b $2") == r"a \$1 b \$2"


def test_rendering_is_png_and_deterministic_svg(sample):
    _, est = sample
    fig = charts.by_namespace(est)
    assert charts.render(fig, "png").startswith(b"\x89PNG")
    svg = charts.render(fig, "svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    assert svg == charts.render(fig, "svg")


def test_many_namespaces_fold_into_other(tmp_path):
    rows = [{"repository": f"team-{i:02d}/svc", "storage_gb": str(i + 1)} for i in range(20)]
    est = ecrcost.estimate(ecrcost.load(write_csv(tmp_path / "s.csv", rows)), month=MONTH)
    fig = charts.by_namespace(est, n=12)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 13 and labels[-1] == "8 other namespaces"
    assert sum(stacks(fig)["Storage"]) == pytest.approx(float(sum(est.rounded(CENT)["storage_usd"], ZERO)))


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (2.5, "2.5"), (500, "500"), (1500, "1.5k"), (8000, "8k"), (12000, "12k")]
)
def test_quantity_ticks(value, text):
    from ecrcost.outputs.charts.style import quantity

    assert quantity(value) == text


def test_a_zero_cost_input_still_draws(tmp_path):
    rows = [{"repository": "team-a/web", "storage_gb": "0"}, {"repository": "team-b/api", "storage_gb": "0"}]
    est = ecrcost.estimate(ecrcost.load(write_csv(tmp_path / "s.csv", rows)), month=MONTH)
    for fig in charts.figures(est).values():
        assert charts.render(fig, "png").startswith(b"\x89PNG")
