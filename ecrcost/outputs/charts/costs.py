"""Who the money goes to: the top repositories (storage / internet / cross-region) and namespaces."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from ...analysis import breakdown
from ...core.estimate import Estimate
from ...core.money import CENT, ZERO
from .style import COLORS, DOLLARS, MUTED, TEXT, empty, frame, new_figure, plain, share, shorten, tidy, usd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Stacked segments of a repository's bar: (label, colour key, charges summed; from result.PARTS).
SEGMENTS = [
    ("Storage", "storage", ["standard_storage_usd", "archive_storage_usd", "public_storage_usd"]),
    ("Transfer to the internet", "internet", ["internet_usd", "public_internet_usd"]),
    ("Transfer to other regions", "cross_region", ["cross_region_usd"]),
]


def _bars(
    ax: Axes, labels: list[str], stacks: list[tuple[str, str, list[Decimal]]], totals: list[Decimal]
) -> None:
    """Horizontal stacked bars, the first label on top, each total written at the bar's end."""
    y = np.arange(len(labels))[::-1]
    left = np.zeros(len(labels))
    drawn = 0
    for label, colour, values in stacks:
        widths = np.array([float(v) for v in values])
        if not widths.any():
            continue
        ax.barh(y, widths, left=left, height=0.7, color=COLORS[colour], label=label)
        left += widths
        drawn += 1
    ax.set_yticks(y, [plain(v) for v in labels])
    ax.xaxis.set_major_formatter(DOLLARS)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    top = max((float(t) for t in totals), default=0) or 1.0
    ax.set_xlim(0, top * 1.18)  # room for the total labels
    for yi, total in zip(y, totals, strict=True):
        ax.text(float(total) + top * 0.01, yi, plain(usd(total)), va="center", fontsize=8.5, color=TEXT)
    # Above the plot: never over a bar, whatever the data.
    if drawn:
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=drawn, frameon=False, fontsize=9)
    tidy(ax)


def top_repositories(est: Estimate, n: int = 10) -> Figure:
    """The ``n`` most expensive repositories this month, stacked storage / internet / cross-region
    (USD, rounded to the cent exactly as the report's tables)."""
    top = breakdown.top_repositories(est, n, CENT)
    totals = est.totals(CENT)
    fig = new_figure(height=max(3.8, 1.7 + 0.42 * len(top)))
    shown = sum(top["total_usd"], ZERO) if len(top) else ZERO
    rest = totals["total_usd"] - shown
    others = len(est.exact) - len(top)
    extra = (
        f"The other {others:,} repositories: {usd(rest)} ({share(rest, totals['total_usd'])} of the total)."
        if others > 0 and totals["total_usd"]
        else ""
    )
    which = f"Top {len(top)} repositories" if others > 0 else f"All {len(top)} repositories"
    frame(fig, f"{which} by monthly cost — {usd(totals['total_usd'])} in all", est, extra)
    if not len(top):
        empty(fig, "No repositories in this input.")
        return fig
    ax = fig.add_subplot()
    names = list(top["repository"])
    regions = list(top["region"])
    # A repository name can repeat across regions or accounts (replicas): say which one.
    ambiguous = {r for r in names if names.count(r) > 1}
    labels = [
        shorten(r, 34 if r not in ambiguous else 24)
        + (f" ({g})" if r in ambiguous else "")
        + (" (public)" if reg == "public" else "")
        for r, g, reg in zip(names, regions, top["registry"], strict=True)
    ]
    stacks = [
        (label, colour, [sum((row[c] for c in charges), ZERO) for _, row in top.iterrows()])
        for label, colour, charges in SEGMENTS
    ]
    _bars(ax, labels, stacks, list(top["total_usd"]))
    ax.set_xlabel("USD per month", color=MUTED, fontsize=9)
    return fig


def by_namespace(est: Estimate, depth: int = 1, n: int = 12) -> Figure:
    """Cost per namespace (team: the first ``depth`` path segments), stacked storage / transfer; beyond
    ``n`` namespaces the rest are one "other" bar."""
    table = breakdown.by(est, "namespace", CENT, depth)
    totals = est.totals(CENT)
    fig = new_figure(height=max(3.8, 1.7 + 0.42 * min(len(table), n + 1)))
    frame(
        fig,
        f"Cost by namespace (team) — {len(table)} namespace{'s' if len(table) != 1 else ''}, "
        f"{usd(totals['total_usd'])} in all",
        est,
        "A namespace is the first "
        + (f"{depth} path segments" if depth > 1 else "path segment")
        + " of a repository name; names without one are (root).",
    )
    if not len(table):
        empty(fig, "No repositories in this input.")
        return fig
    labels = [shorten(str(v), 34) for v in table["namespace"]]
    storage, transfer, total = (
        list(table["storage_usd"]),
        list(table["transfer_usd"]),
        list(table["total_usd"]),
    )
    if len(table) > n:
        rest = len(table) - n
        labels = [*labels[:n], f"{rest} other namespaces"]
        storage = [*storage[:n], sum(storage[n:], ZERO)]
        transfer = [*transfer[:n], sum(transfer[n:], ZERO)]
        total = [*total[:n], sum(total[n:], ZERO)]
    ax = fig.add_subplot()
    _bars(ax, labels, [("Storage", "storage", storage), ("Transfer", "transfer", transfer)], total)
    ax.set_xlabel("USD per month", color=MUTED, fontsize=9)
    return fig
