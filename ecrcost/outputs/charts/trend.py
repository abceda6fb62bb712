"""Cost over time: several months (or inventories), or one month and a projection, marked as such."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ...analysis.timeline import Timeline
from ...core.estimate import Estimate
from .style import COLORS, DOLLARS, MUTED, TEXT, empty, frame, new_figure, plain, tidy, usd


def cost_over_time(timeline: Timeline, est: Estimate) -> Figure:
    """Monthly cost stacked storage / transfer; projected months hatched, lighter, and labelled
    "projection", with the projection's method written on the figure."""
    table = timeline.table
    fig = new_figure(height=5.2)
    projected = (table["kind"] == "projection").to_numpy()
    if projected.any():
        title = f"Monthly cost: {table['month'].iloc[0]} and a {int(projected.sum())}-month projection"
    elif len(table):
        title = f"Monthly cost, {table['month'].iloc[0]} to {table['month'].iloc[-1]}"
    else:
        title = "Monthly cost over time"
    frame(fig, title, est, timeline.method, *timeline.notes)
    if not len(table):
        empty(fig, "No months to show.")
        return fig
    ax = fig.add_subplot()
    x = np.arange(len(table))
    storage = np.array([float(v) for v in table["storage_usd"]])
    transfer = np.array([float(v) for v in table["transfer_usd"]])
    alpha = np.where(projected, 0.45, 1.0)
    for i in x:
        hatch = "//" if projected[i] else None
        for part, height, bottom in (("storage", storage[i], 0), ("transfer", transfer[i], storage[i])):
            ax.bar(
                i,
                height,
                bottom=bottom,
                width=0.7,
                color=COLORS[part],
                alpha=alpha[i],
                hatch=hatch,
                edgecolor="white",  # the hatch is drawn in the edge colour: the bar's own would hide it
                linewidth=0,
            )
    totals = storage + transfer
    peak = totals.max() or 1.0
    ax.set_ylim(0, peak * 1.2)
    for i, t in zip(x, table["total_usd"], strict=True):
        ax.text(
            float(i),
            float(t) + peak * 0.015,
            plain(usd(t)),
            ha="center",
            va="bottom",
            fontsize=8,
            color=TEXT,
            rotation=0 if len(table) <= 8 else 90,
        )
    if projected.any():
        first = int(np.flatnonzero(projected)[0])
        ax.axvline(first - 0.5, color=MUTED, linestyle="--", linewidth=1)
        ax.text(first - 0.4, peak * 1.16, "projection →", color=MUTED, fontsize=9, va="top")
    # A label can hold an inventory's folder name (--compare): shown as written, never as mathtext.
    labels = [
        plain(m) + ("\n(projected)" if p else "") for m, p in zip(table["month"], projected, strict=True)
    ]
    ax.set_xticks(x, labels, fontsize=8.5 if len(table) <= 12 else 7, rotation=0 if len(table) <= 12 else 45)
    ax.yaxis.set_major_formatter(DOLLARS)
    ax.set_ylabel("USD per month", color=MUTED, fontsize=9)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    handles = [Patch(color=COLORS["storage"], label="Storage")]
    if transfer.any():
        handles.append(Patch(color=COLORS["transfer"], label="Transfer"))
    if projected.any():
        handles.append(Patch(facecolor="white", edgecolor=MUTED, hatch="//", label="Projection"))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, frameon=False, fontsize=9)
    tidy(ax)
    return fig
