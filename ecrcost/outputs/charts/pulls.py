"""Where pulls go: GB per repository by destination class, measured from CloudTrail (``ecrcost
pulls``), each bar labelled with what its transfer costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ...analysis.pulls import CLASSES, LABELS
from ...core.estimate import Estimate
from ...core.money import ZERO
from .style import MUTED, OKABE_ITO, QUANTITY, TEXT, empty, frame, new_figure, plain, shorten, tidy, usd

COLOURS = {
    "same_region": OKABE_ITO["blue"],
    "cross_region": OKABE_ITO["green"],
    "internet": OKABE_ITO["orange"],
    "aws_service": OKABE_ITO["grey"],
}


def where_pulls_go(where: pd.DataFrame, est: Estimate, top: int = 10) -> Figure:
    """Stacked bars: the ``top`` repositories by GB pulled, split by destination."""
    shown = where.head(top)
    total_gb = sum(where["total_gb"], ZERO)
    money = sum(where["transfer_usd"], ZERO)
    fig = new_figure(height=max(3.6, 1.9 + 0.45 * len(shown)))
    frame(
        fig,
        f"Where pulls go — {total_gb:,.1f} GB pulled, {usd(money)} transfer",
        est,
        "Layer downloads (CloudTrail GetDownloadUrlForLayer) × layer sizes. Same region: through a VPC "
        "endpoint or from the region's own AWS addresses (free); other region: another region's AWS "
        "addresses; AWS services: ECR itself (pull-through cache, replication).",
    )
    if not len(shown):
        empty(fig, "No pulls measured.")
        return fig
    ax = fig.add_subplot()
    y = np.arange(len(shown))[::-1]
    left = np.zeros(len(shown))
    for c in CLASSES:
        widths = np.array([float(v) for v in shown[f"{c}_gb"]])
        ax.barh(y, widths, left=left, height=0.65, color=COLOURS[c], label=LABELS[c])
        left += widths
    ax.set_yticks(y, [plain(shorten(str(r))) for r in shown["repository"]])
    peak = float(left.max()) or 1.0
    ax.set_xlim(0, peak * 1.3)
    for yi, end, cost in zip(y, left, shown["transfer_usd"], strict=True):
        ax.text(end + peak * 0.01, yi, plain(usd(cost)), va="center", fontsize=8.5, color=TEXT)
    ax.xaxis.set_major_formatter(QUANTITY)
    ax.set_xlabel("GB pulled this month (GB = 2^30 bytes)", color=MUTED, fontsize=9)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.legend(loc="lower right", fontsize=8.5, frameon=False)
    tidy(ax)
    return fig
