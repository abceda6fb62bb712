"""Internet egress by price tier: how many GB fell in each tier, at which marginal rate."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import cast

import numpy as np
from matplotlib.figure import Figure

from ...core.estimate import Estimate
from ...core.money import CENT, ZERO
from ..rows import TierRow
from .style import (
    MUTED,
    OKABE_ITO,
    QUANTITY,
    SEQUENCE,
    TEXT,
    empty,
    frame,
    new_figure,
    plain,
    tidy,
    usd,
)

TB = Decimal(1024)


def _span(lo: Decimal, hi: Decimal | None) -> str:
    def size(v: Decimal) -> str:
        return f"{v / TB:,.0f} TB" if v >= TB and v % TB == 0 else f"{v:,.0f} GB"

    if hi is None:
        return f"over {size(lo)}"
    if lo == 0:
        return f"first {size(hi)}"
    return f"{size(lo)}–{size(hi)}"


def egress_tiers(est: Estimate) -> Figure:
    """GB of internet egress in each price tier, per region (and ECR Public), each bar labelled with
    its marginal rate (USD per GB) and cost (rounded to the cent as the report's tier table)."""
    tiers = est.tiers(CENT)
    total_gb = sum(tiers["gb"], ZERO) if len(tiers) else ZERO
    total_usd = sum(tiers["usd"], ZERO) if len(tiers) else ZERO
    per_account = est.options.billing == "account"

    def pool(scope: str, account: str, region: str) -> str:
        where = "ECR Public" if scope == "public" else region
        return f"{account} {where}" if per_account and account else where

    marginal = []
    for (scope, account, region), group in tiers.groupby(["scope", "account_id", "region"], sort=True):
        marginal.append(f"{pool(str(scope), str(account), str(region))} ${group.iloc[-1]['usd_per_gb']}/GB")
    pooled = (
        "each account's own monthly internet egress per region (--billing account)"
        if per_account
        else "each region's monthly internet egress over every account of the bill"
    )
    fig = new_figure(height=max(3.6, 1.9 + 0.5 * len(tiers)))
    frame(
        fig,
        f"Internet egress by price tier — {total_gb:,.0f} GB, {usd(total_usd)}",
        est,
        f"Tiers apply to {pooled}. "
        + ("The next GB costs (marginal rate): " + ", ".join(marginal) + "." if marginal else ""),
    )
    if not len(tiers):
        empty(fig, "No internet egress in this input.")
        return fig
    ax = fig.add_subplot()
    labels, colours = [], []
    for r in cast("Iterable[TierRow]", tiers.itertuples()):
        where = pool(r.scope, r.account_id, r.region)
        if r.tier == "free":
            labels.append(f"{where} · free allowance")
            colours.append(OKABE_ITO["grey"])
        else:
            labels.append(f"{where} · tier {r.tier} ({_span(r.from_gb, r.to_gb)})")
            colours.append(SEQUENCE[(int(r.tier) - 1) % len(SEQUENCE)])
    y = np.arange(len(tiers))[::-1]
    widths = [float(v) for v in tiers["gb"]]
    ax.barh(y, widths, height=0.65, color=colours)
    ax.set_yticks(y, [plain(v) for v in labels])
    top = max(widths) or 1.0
    ax.set_xlim(0, top * 1.45)  # room for the rate labels
    for yi, r in zip(y, cast("Iterable[TierRow]", tiers.itertuples()), strict=True):
        text = f"{r.gb:,.0f} GB × ${r.usd_per_gb}/GB = {usd(r.usd)}"
        ax.text(float(r.gb) + top * 0.01, yi, plain(text), va="center", fontsize=8.5, color=TEXT)
    ax.xaxis.set_major_formatter(QUANTITY)
    ax.set_xlabel("GB to the internet this month (GB = 2^30 bytes)", color=MUTED, fontsize=9)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    tidy(ax)
    return fig
