"""Where the money sits idle: stored GB-month by image age and tagged / untagged / archived."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ...analysis.age import AGE_BUCKETS, STATES
from ...core.estimate import Estimate
from ...core.money import ZERO
from .style import COLORS, MUTED, QUANTITY, TEXT, empty, frame, new_figure, share, tidy

LABELS = {"tagged": "Tagged", "untagged": "Untagged", "archived": "Archived (archive storage class)"}


def idle_storage(aging: pd.DataFrame, est: Estimate) -> Figure:
    """Stacked bars of GB-month per image-age bucket, split tagged / untagged / archived, from
    :func:`ecrcost.aging.stored_by_age`. Old and untagged volume is what cleanup would free."""
    fig = new_figure(height=5.2)
    total = sum(aging["gb_month"], ZERO) if len(aging) else ZERO
    untagged = sum(aging.loc[aging["state"] == "untagged", "gb_month"], ZERO) if len(aging) else ZERO
    old = (
        sum(
            aging.loc[
                aging["age_bucket"].astype(str).isin([b for b, d in AGE_BUCKETS if d >= 90]), "gb_month"
            ],
            ZERO,
        )
        if len(aging)
        else ZERO
    )

    def pct(v: Decimal) -> str:
        return share(v, total)

    frame(
        fig,
        f"Stored by image age: {total:,.0f} GB-month — {pct(untagged)} untagged, "
        f"{pct(old)} older than 3 months",
        est,
        "Each layer is counted once, with the newest image that holds it (deleting an older image would "
        "not free it); age is that image's age at the end of the period. Tagged: the image or its "
        "multi-arch index has a tag.",
    )
    if not len(aging) or not total:
        empty(fig, "No image inventory: storage by age needs an inventory folder (images and layers).")
        return fig
    ax = fig.add_subplot()
    buckets = [b for b, _ in AGE_BUCKETS]
    x = np.arange(len(buckets))
    bottom = np.zeros(len(buckets))
    for state in STATES:
        part = aging[aging["state"] == state].set_index(
            aging.loc[aging["state"] == state, "age_bucket"].astype(str)
        )
        heights = np.array([float(part["gb_month"].get(b, ZERO)) for b in buckets])
        if not any(v for v in part["byte_us"]):
            continue  # no legend entry for a state that holds nothing
        ax.bar(x, heights, bottom=bottom, width=0.65, color=COLORS[state], label=LABELS[state])
        bottom += heights
    peak = bottom.max() or 1.0
    ax.set_ylim(0, peak * 1.15)
    for xi, h in zip(x, bottom, strict=True):
        if h:
            ax.text(
                float(xi),
                h + peak * 0.015,
                f"{h:,.1f}\n({share(h, total)})",
                ha="center",
                va="bottom",
                fontsize=8.5,
                color=TEXT,
            )
    ax.set_xticks(x, buckets)
    ax.set_xlabel("Age of the newest image holding the layer", color=MUTED, fontsize=9)
    ax.set_ylabel("GB-month (GB = 2^30 bytes)", color=MUTED, fontsize=9)
    ax.yaxis.set_major_formatter(QUANTITY)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, frameon=False, fontsize=9)
    tidy(ax)
    return fig
