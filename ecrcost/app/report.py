"""The files of ``ecrcost report --html FILE --charts DIR``: the storage-by-age and cost-over-time tables
computed by the model, the charts drawn, the HTML rendered — all as bytes before anything is written,
so a failure leaves no file behind. matplotlib is imported only here, when charts are asked for."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..core.errors import InputError
from ..core.estimate import Estimate
from ..core.pricebook import PriceBook
from ..core.pricing import estimate
from ..core.usage import Usage
from ..sources.load import load


def check_target(target: Path, option: str, folder: bool) -> None:
    """Fail before any work when ``target`` cannot be written: a file name that is a folder (or the
    reverse), or a place whose nearest existing parent is not a writable folder."""
    if not folder and target.is_dir():
        raise InputError(f"is a folder: {option} needs a file name", file=target)
    if folder and target.exists() and not target.is_dir():
        raise InputError(f"is a file: {option} needs a folder", file=target)
    existing = target if folder and target.is_dir() else target.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"cannot write here ({existing} is not a writable folder)", file=target)


def snapshot(path: Path, prices: PriceBook, like: Estimate) -> Estimate:
    """Another inventory priced with ``like``'s options, for the month its ``collection.json`` names
    (``collect`` writes it), else ``like``'s month."""
    usage = load(path, prices)
    month = str(like.period)
    summary = Path(path) / "collection.json"
    if summary.is_file():
        try:
            month = json.loads(summary.read_text(encoding="utf-8")).get("month") or month
        except (OSError, ValueError, AttributeError):
            raise InputError("not a collection summary (invalid JSON)", file=summary) from None
    return estimate(
        usage,
        month=month,
        prices=prices,
        free_internet_gb=like.assumptions["free_internet_gb"],
        blob_mounting=like.assumptions["blob_mounting"],
    )


def render(
    usage: Usage,
    est: Estimate,
    prices: PriceBook,
    html: Path | None,
    charts_dir: Path | None,
    history: int = 1,
    snapshots: list[tuple[Path, Estimate]] | None = None,
    top: int = 10,
    namespace_depth: int = 1,
) -> list[tuple[Path, bytes]]:
    """(path, bytes) of every file to write. The cost-over-time chart shows ``snapshots`` (several
    inventories) when given, else ``history`` months of ``usage`` (1: the month and a projection)."""
    import matplotlib

    matplotlib.use("Agg")  # never a window, even where a display exists
    from ..analysis import age as aging
    from ..analysis import timeline
    from ..outputs import charts
    from ..outputs import html as html_report

    stored, over_time = None, None
    if usage.images is not None:
        stored = aging.stored_by_age(usage, est.period, est.assumptions["blob_mounting"])
        options = {
            "prices": prices,
            "free_internet_gb": est.assumptions["free_internet_gb"],
            "blob_mounting": est.assumptions["blob_mounting"],
        }
        if not snapshots:
            over_time = (
                timeline.projection(usage, est.period, current=est, **options)
                if history == 1
                else timeline.history(usage, est.period, history, **options)
            )
    if snapshots:
        over_time = timeline.from_snapshots([(p.name, e) for p, e in snapshots])
    figures = charts.figures(est, stored, over_time, top, namespace_depth)
    files: list[tuple[Path, bytes]] = []
    if charts_dir is not None:
        for name, fig in figures.items():
            files += [(charts_dir / f"{name}.{fmt}", charts.render(fig, fmt)) for fmt in ("png", "svg")]
    if html is not None:
        text = html_report.report_html(est, figures, stored, over_time, top, namespace_depth)
        files.append((html, text.encode("utf-8")))
    return files
