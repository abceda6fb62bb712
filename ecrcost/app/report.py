"""The report: an input priced for a month, and, when asked, its charts and one HTML file, all as bytes
before anything is written (a failure leaves no file behind). matplotlib is imported only when charts
are drawn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..analysis.breakdown import Teams, teams
from ..analysis.timeline import Timeline
from ..core.estimate import Estimate
from ..core.options import PricingOptions
from ..core.pricing import estimate
from ..core.usage import Usage
from ..sources.load import load
from ..sources.summary import read_summary
from .steps import Step, quiet

if TYPE_CHECKING:
    from ..analysis.reconcile import Reconciliation


@dataclass(frozen=True)
class Report:
    """``usage`` priced as ``estimate``; with charts or HTML asked for, ``by_age`` (stored GB-month by
    image age, inventories), ``over_time`` (cost over time) and ``files``: (path, bytes) to write;
    ``reconciliation``: the estimate held against a bill, when one was given."""

    usage: Usage
    estimate: Estimate
    by_age: pd.DataFrame | None = None
    over_time: Timeline | None = None
    files: tuple[tuple[Path, bytes], ...] = ()
    reconciliation: Reconciliation | None = None

    def __repr__(self) -> str:
        return f"<Report {self.estimate!r}; {len(self.files)} file(s) to write>"


def report(
    source: Usage | str | Path,
    options: PricingOptions,
    *,
    top: int = 10,
    namespace_depth: int = 1,
    html: Path | None = None,
    charts: Path | None = None,
    history: int = 1,
    compare: Sequence[Path] = (),
    bill: str | Path | None = None,
    step: Step = quiet,
    full_source: bool = False,
) -> Report:
    """Price ``source`` (a Usage, a scenario CSV or an inventory folder) and, with ``html`` (a file) or
    ``charts`` (a folder for PNG + SVG), draw the charts. The cost-over-time chart shows ``compare``
    (other inventories, each priced for the month in its ``collection.json``) when given, else
    ``history`` months of the input (1: the month and a 6-month projection). ``bill``: a CUR 2.0 or
    FOCUS export (file, folder, ``s3://``) or ``"cost-explorer"`` to reconcile with (an HTML section)."""
    usage = source
    if not isinstance(usage, Usage):
        with step(f"Reading {source}"):
            usage = load(usage, options.prices)
    drawing = html is not None or charts is not None
    over_time_asked = bool(compare) or history > 1
    with step("Pricing"):
        if drawing and usage.images is not None:  # storage by age shares the estimate's one metering pass
            usage.metering.attributed(options.month, options.blob_mounting)
        est = estimate(usage, options=options)
    rec = None
    if bill is not None:
        from .reconcile import reconcile_with

        with step("Reconciling with the bill"):
            rec = reconcile_with(est, bill)
    if not drawing:
        if not over_time_asked:
            return Report(usage, est, reconciliation=rec)
        with step("Pricing over time"):
            over_time = _over_time(usage, est, history, compare, options)
        return Report(usage, est, over_time=over_time, reconciliation=rec)
    with step("Drawing charts"):
        by_age, over_time = _analyses(usage, est, history, compare, options)
        team_of = teams(usage.repositories)
        files = _files(
            est, by_age, over_time, html, charts, top, namespace_depth, team_of, full_source, rec, usage.pulls
        )
    return Report(usage, est, by_age, over_time, tuple(files), rec)


def snapshot(path: Path, options: PricingOptions) -> Estimate:
    """Another inventory priced with ``options``, for the month its ``collection.json`` names (``collect``
    writes it), else ``options.month``."""
    usage = load(path, options.prices)
    summary = read_summary(Path(path)) if Path(path).is_dir() else None
    month = (summary.month if summary else None) or str(options.month)
    return estimate(usage, options=options.but(month=month))


def _analyses(
    usage: Usage, est: Estimate, history: int, compare: Sequence[Path], options: PricingOptions
) -> tuple[pd.DataFrame | None, Timeline | None]:
    from ..analysis import age

    by_age = (
        age.stored_by_age(usage, options.month, options.blob_mounting) if usage.images is not None else None
    )
    return by_age, _over_time(usage, est, history, compare, options)


def _over_time(
    usage: Usage, est: Estimate, history: int, compare: Sequence[Path], options: PricingOptions
) -> Timeline | None:
    """``compare``'s snapshots beside the input; else ``history`` months of an inventory (1: this month
    and a projection); None for a scenario without ``compare``."""
    from ..analysis import timeline

    if compare:
        snapshots = [(Path(p).name, snapshot(Path(p), options)) for p in compare]
        snapshots.append((Path(est.assumptions.get("source") or "input").name, est))
        return timeline.from_snapshots(snapshots)
    if usage.images is None:
        return None
    if history == 1:
        return timeline.projection(usage, options, current=est)
    return timeline.history(usage, options, history)


def _files(
    est: Estimate,
    by_age: pd.DataFrame | None,
    over_time: Timeline | None,
    html: Path | None,
    charts_dir: Path | None,
    top: int,
    namespace_depth: int,
    team_of: Teams,
    full_source: bool = False,
    rec: Reconciliation | None = None,
    pulls: pd.DataFrame | None = None,
) -> list[tuple[Path, bytes]]:
    import matplotlib

    matplotlib.use("Agg")  # never a window, even where a display exists
    from ..outputs import charts
    from ..outputs import html as html_report

    figures = charts.figures(est, by_age, over_time, top, namespace_depth, pulls)
    files: list[tuple[Path, bytes]] = []
    if charts_dir is not None:
        for name, fig in figures.items():
            files += [(charts_dir / f"{name}.{fmt}", charts.render(fig, fmt)) for fmt in ("png", "svg")]
    if html is not None:
        text = html_report.report_html(
            est, figures, by_age, over_time, top, namespace_depth, team_of, full_source, rec, pulls
        )
        files.append((html, text.encode("utf-8")))
    return files
