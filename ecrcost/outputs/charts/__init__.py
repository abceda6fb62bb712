"""Charts of an estimate: functions that return matplotlib Figures (a notebook shows them inline; the
CLI saves them). Figures are built without pyplot, so no global state and no display is needed.

    from ecrcost import charts, aging, timeline
    charts.top_repositories(est)                       # Figure
    charts.figures(est, aging=aging.stored_by_age(usage, est.period),
                   timeline=timeline.projection(usage, est.period))   # {name: Figure}
"""

from __future__ import annotations

import io

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from ...analysis.timeline import Timeline
from ...core.estimate import Estimate
from .costs import by_namespace, top_repositories
from .egress import egress_tiers
from .idle import idle_storage
from .pulls import where_pulls_go
from .style import dollars, shorten
from .trend import cost_over_time

NAMES = ["top-repositories", "namespaces", "egress-tiers", "where-pulls-go", "idle-storage", "cost-over-time"]


def figures(
    est: Estimate,
    aging: pd.DataFrame | None = None,
    timeline: Timeline | None = None,
    top: int = 10,
    namespace_depth: int = 1,
    pulls: pd.DataFrame | None = None,
) -> dict[str, Figure]:
    """Every chart that has something to show, by name (``NAMES`` order): the egress chart needs
    internet transfer, the where-pulls-go chart the ``pulls`` table of ``ecrcost pulls``, the
    storage-by-age chart an inventory (``aging``), the cost-over-time chart a ``timeline``."""
    out = {
        "top-repositories": top_repositories(est, top),
        "namespaces": by_namespace(est, namespace_depth),
    }
    if len(est.internet_tiers):
        out["egress-tiers"] = egress_tiers(est)
    if pulls is not None and len(pulls):
        from ...analysis.pulls import where_pulls_go as where

        out["where-pulls-go"] = where_pulls_go(where(pulls, est), est, top)
    if aging is not None and len(aging) and any(v for v in aging["byte_us"]):
        out["idle-storage"] = idle_storage(aging, est)
    if timeline is not None and len(timeline.table):
        out["cost-over-time"] = cost_over_time(timeline, est)
    return out


def render(fig: Figure, fmt: str, dpi: int = 110) -> bytes:
    """The figure as ``png`` or ``svg`` bytes (SVG: text stays text, so it is searchable; deterministic)."""
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    # SVG text as <text> (escaped by matplotlib), ids from a fixed salt: the same figure, the same bytes.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ecrcost"}):
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    return buffer.getvalue()


__all__ = [
    "NAMES",
    "by_namespace",
    "cost_over_time",
    "dollars",
    "egress_tiers",
    "figures",
    "idle_storage",
    "render",
    "shorten",
    "top_repositories",
    "where_pulls_go",
]
