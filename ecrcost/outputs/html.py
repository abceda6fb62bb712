"""The HTML report: one self-contained file (charts embedded as SVG data, CSS inline, no script, no
fonts or anything else fetched), readable from a disk, an e-mail attachment or a printer.

It shows what the terminal report shows — totals, top repositories, namespaces, regions, internet
tiers, notes — plus the charts, the storage-by-age and cost-over-time tables when given, and every
repository. Every piece of text from the input (repository names, notes, paths) is escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pandas as pd
from matplotlib.figure import Figure

from .. import __version__
from ..analysis import breakdown
from ..analysis.timeline import Timeline
from ..core.estimate import STORAGE_PARTS, TRANSFER_PARTS, Estimate
from ..core.money import CENT, ZERO
from . import charts, tables
from .charts.style import assumptions as assumptions_line
from .charts.style import share
from .rows import AgeRow
from .tables import CHARGE_LABELS, Spec, price_book, usd
from .tables import gb as num

if TYPE_CHECKING:
    from ..analysis.reconcile import Reconciliation

CAPTIONS = {
    "top-repositories": "Where the money goes: the most expensive repositories, storage and transfer.",
    "namespaces": "Cost by namespace (team).",
    "egress-tiers": "Internet egress by price tier, with the rate of each tier.",
    "where-pulls-go": "Where pulls go: GB pulled per repository by destination, measured from CloudTrail.",
    "idle-storage": "Stored volume by age of the newest image holding it: where the money sits idle.",
    "cost-over-time": "Monthly cost over time (hatched bars are a projection, not an estimate).",
}

CSS = """
:root { --ink: #1f2328; --muted: #57606a; --rule: #d0d7de; --band: #f6f8fa; --accent: #0072B2; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 24px; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 32px 0 8px; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
.muted { color: var(--muted); font-size: 0.9rem; }
.cards { display: flex; flex-wrap: wrap; margin: 16px 0; }
.card { border: 1px solid var(--rule); border-radius: 6px; padding: 10px 14px; min-width: 180px;
        margin: 0 12px 12px 0; }
.card .label { color: var(--muted); font-size: 0.85rem; }
.card .value { font-size: 1.4rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.total { border-color: var(--accent); }
.card ul { margin: 4px 0 0; padding-left: 16px; font-size: 0.85rem; color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; margin: 8px 0 4px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { text-align: left; background: var(--band); }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.name, td.text { white-space: nowrap; }
.scroll { overflow-x: auto; max-width: 100%; }
tfoot td { font-weight: 600; border-top: 2px solid var(--ink); }
tr.projection td { font-style: italic; color: var(--muted); }
figure { margin: 16px 0; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 0.9rem; }
ul.notes li { margin-bottom: 4px; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table { break-inside: auto; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
}
"""


def svg_image(fig: Figure, alt: str) -> str:
    """An ``<img>`` carrying the figure as SVG data: scales and prints sharply, and the figure's own
    identifiers cannot clash with the page's (as several inline SVGs' would)."""
    data = base64.b64encode(charts.render(fig, "svg")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{escape(alt)}">'


def table(
    caption: str,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence[str]],
    footer: Sequence[str] | None = None,
    row_classes: Sequence[str] | None = None,
) -> str:
    """An HTML table; ``columns`` are (heading, "text"|"num"|"name"); cells are escaped here."""
    kinds = [k for _, k in columns]
    head = "".join(f'<th class="{k}" scope="col">{escape(h)}</th>' for h, k in columns)
    body = []
    for i, cells in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        tds = "".join(f'<td class="{k}">{escape(str(c))}</td>' for c, k in zip(cells, kinds, strict=True))
        body.append(f"<tr{cls}>{tds}</tr>")
    foot = ""
    if footer:
        tds = "".join(f'<td class="{k}">{escape(str(c))}</td>' for c, k in zip(footer, kinds, strict=True))
        foot = f"<tfoot><tr>{tds}</tr></tfoot>"
    return (  # in a horizontal scroller: on a phone the page keeps its width and names stay whole
        f'<div class="scroll"><table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody>{foot}</table></div>"
    )


def _summary(est: Estimate) -> str:
    totals = est.totals(CENT)

    def card(label: str, value: Decimal, parts: Sequence[str], cls: str = "") -> str:
        items = "".join(
            f"<li>{escape(CHARGE_LABELS[p])}: {escape(usd(totals[p]))}</li>" for p in parts if totals[p]
        )
        extra = f"<ul>{items}</ul>" if items else ""
        return (
            f'<div class="card {cls}"><div class="label">{escape(label)}</div>'
            f'<div class="value">{escape(usd(value))}</div>{extra}</div>'
        )

    cards = [
        card("Total (ECR), per month", totals["total_usd"], [], "total"),
        card("Storage", totals["storage_usd"], STORAGE_PARTS),
        card("Transfer", totals["transfer_usd"], TRANSFER_PARTS),
    ]
    if est.network_usd:
        cards.append(
            '<div class="card"><div class="label">Network (NAT / endpoints, billed under VPC; not in the '
            f'total)</div><div class="value">{escape(usd(est.network_usd.quantize(CENT)))}</div></div>'
        )
    basis = f"{assumptions_line(est)} · {price_book(est)}"
    return f'<div class="cards">{"".join(cards)}</div><p class="muted">{escape(basis)}</p>'


def spec_table(spec: Spec) -> str:
    return table(spec.title, spec.columns, spec.rows, spec.footer)


def _aging(aging: pd.DataFrame) -> str:
    total = sum(aging["gb_month"], ZERO)
    rows = [
        [str(r.age_bucket), r.state, num(r.gb_month, 3), f"{r.blobs:,}", share(r.gb_month, total)]
        for r in cast("Iterable[AgeRow]", aging.itertuples())
        if r.byte_us
    ]
    out = table(
        "Stored GB-month by age of the newest image holding each layer",
        [("Age", "text"), ("State", "text"), ("GB-month", "num"), ("Layers", "num"), ("Share", "num")],
        rows,
        ["Total", "", num(total, 3), f"{int(aging['blobs'].sum()):,}", "100%" if total else "0%"],
    )
    how = (
        "Each stored layer is counted once, with the newest image that holds it: deleting an older image "
        "would not free it. Age is that image's age at the end of the period; archived means the archive "
        "storage class. The total is the metered storage of the month."
    )
    return out + f'<p class="muted">{escape(how)}</p>'


def _timeline(timeline: Timeline) -> str:
    spec = tables.over_time(timeline)
    classes = ["projection" if k == "projection" else "" for k in timeline.table["kind"]]
    out = table(spec.title, spec.columns, spec.rows, row_classes=classes)
    extra = [timeline.method, *timeline.notes]
    return out + "".join(f'<p class="muted">{escape(line)}</p>' for line in extra if line)


def _reconciliation(rec: Reconciliation) -> str:
    from . import reconcile

    lines = [f'<p class="muted">{escape(line)}</p>' for line in reconcile.summary_lines(rec)]
    lines += [spec_table(spec) for spec in reconcile.specs(rec)]
    lines += [f'<p class="muted">{escape(note)}</p>' for note in rec.notes]
    return "\n".join(lines)


def report_html(
    est: Estimate,
    figures: Mapping[str, Figure] | None = None,
    aging: pd.DataFrame | None = None,
    timeline: Timeline | None = None,
    top: int = 10,
    namespace_depth: int = 1,
    team_of: breakdown.Teams | None = None,
    full_source: bool = False,
    reconciliation: Reconciliation | None = None,
    pulls: pd.DataFrame | None = None,
) -> str:
    """The report as one HTML document (str). ``figures`` default to :func:`ecrcost.charts.figures` of
    the same inputs; ``aging`` (:func:`ecrcost.aging.stored_by_age`) and ``timeline``
    (:mod:`ecrcost.timeline`) add their charts and tables when given, ``team_of`` a table by team. The
    input is named by its file or folder name (``full_source``: its path as given). ``pulls`` (the
    inventory's table from ``ecrcost pulls``) adds where pulls go and the most-pulled images."""
    if figures is None:
        figures = charts.figures(est, aging, timeline, top, namespace_depth, pulls)
    source = str(est.assumptions.get("source") or "input")
    source = source if full_source else Path(source).name  # not the local path: pages travel
    title = f"ECR cost report, {est.period}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)} — {escape(str(source))}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<header><h1>{escape(title)}</h1>",
        f'<p class="muted">Source: {escape(str(source))} · ecrcost {escape(__version__)} · '
        "USD at list prices; GB = 2^30 bytes</p></header>",
        "<h2>Totals</h2>",
        _summary(est),
    ]
    if figures:
        parts.append("<h2>Charts</h2>")
        for name, fig in figures.items():
            caption = CAPTIONS.get(name, name)
            parts.append(
                f"<figure>{svg_image(fig, caption)}<figcaption>{escape(caption)}</figcaption></figure>"
            )
    tiers = tables.tiers(est)
    parts += [
        "<h2>Repositories</h2>",
        spec_table(tables.top_repositories(est, top)),
        "<h2>Namespaces and regions</h2>",
        *([spec_table(by_team)] if (by_team := tables.teams(est, team_of or {})) else []),
        spec_table(tables.namespaces(est, namespace_depth)),
        spec_table(tables.regions(est)),
        "<h2>Internet egress</h2>",
        spec_table(tiers) if tiers else '<p class="muted">No internet transfer in this input.</p>',
    ]
    if pulls is not None and len(pulls):
        from ..analysis.pulls import most_pulled, where_pulls_go

        parts += [
            "<h2>Where pulls go</h2>",
            spec_table(tables.where_pulls_go(where_pulls_go(pulls, est), top)),
            spec_table(tables.most_pulled(most_pulled(pulls, top))),
        ]
    if aging is not None and len(aging):
        parts += ["<h2>Storage by image age</h2>", _aging(aging)]
    if timeline is not None and len(timeline.table):
        parts += ["<h2>Over time</h2>", _timeline(timeline)]
    if reconciliation is not None:
        parts += ["<h2>Against the bill</h2>", _reconciliation(reconciliation)]
    parts += [
        "<h2>All repositories</h2>",
        spec_table(tables.repositories(est, f"Every repository, {est.period}")),
    ]
    if est.notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in est.notes)
        parts.append(f'<h2>Notes</h2><ul class="notes">{items}</ul>')
    parts.append("</body></html>\n")
    return "\n".join(parts)
