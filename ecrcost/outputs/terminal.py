"""Terminal renderings (rich): the estimate table and the report. Money columns never wrap or get cut;
long names fold onto a second line instead."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, cast

import pandas as pd
from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..analysis import breakdown
from ..core.errors import one_line
from ..core.estimate import STORAGE_PARTS, TRANSFER_PARTS, Estimate
from ..core.money import CENT
from . import tables
from .rows import PriceRow
from .tables import CHARGE_LABELS, Spec, gb, price_book, usd

if TYPE_CHECKING:
    from ..analysis.timeline import Timeline

__all__ = ["CHARGE_LABELS", "gb", "usd"]


def plain(value: object, style: str = "") -> Text:
    """``value`` as text shown as written: never read as rich markup (a repository or file named
    ``x[/y]``), with control characters escaped (an escape sequence in an input never reaches the
    terminal). Every piece of text that may come from an input is shown through this."""
    if isinstance(value, Text):
        return value
    return Text(one_line(str(value)), style=style)


def table(title: str, columns: Sequence[tuple[str, str]], footer: Sequence[str] | None = None) -> Table:
    """A table whose columns are ("name", "text"|"num"); numbers are right-aligned and never wrap."""
    t = Table(title=plain(title), box=box.SIMPLE_HEAD, show_footer=footer is not None, title_justify="left")
    for i, (name, kind) in enumerate(columns):
        t.add_column(
            plain(name),
            footer=plain(footer[i]) if footer else "",
            justify="right" if kind == "num" else "left",
            no_wrap=kind == "num",
            overflow="fold",
        )
    return t


def estimate_table(est: Estimate) -> Table:
    accounts = sorted(set(est.exact["account_id"]))
    many = len(accounts) > 1
    title = f"ECR cost estimate, {est.period}" + (
        "" if many or not accounts or not accounts[0] else f" — account {accounts[0]}"
    )
    t = rich_table(tables.repositories(est, title, account_column=many))
    t.caption, t.caption_justify, t.caption_style = ROUNDING, "left", "dim"
    return t


ROUNDING = (
    "Amounts are rounded to the cent so that the lines add up to the total (largest remainder: a line "
    "may be a cent off its own rounding); --format json has them to the micro-dollar."
)


def rich_table(spec: Spec) -> Table:
    """A rich table of a :class:`tables.Spec`."""
    kinds = [("text" if kind == "name" else kind) for _, kind in spec.columns]
    t = table(spec.title, [(h, k) for (h, _), k in zip(spec.columns, kinds, strict=True)], spec.footer)
    for row in spec.rows:
        t.add_row(*(plain(cell) for cell in row))
    return t


def notes_panel(est: Estimate) -> Panel | None:
    if not est.notes:
        return None
    return Panel(bullets(est.notes), title="Notes", title_align="left", border_style="dim", expand=False)


def bullets(lines: Iterable[str]) -> Text:
    """One bullet a line; each line shown as written, on one line."""
    return Text("\n").join(plain(f"• {line}") for line in lines)


def _summary(est: Estimate) -> Panel:
    totals = est.totals(CENT)
    head = Table.grid(padding=(0, 2))
    head.add_column()
    head.add_column(justify="right", no_wrap=True)
    head.add_row(Text("Total (ECR)", style="bold"), Text(usd(totals["total_usd"]), style="bold"))
    head.add_row(plain("Storage (metered over the month)"), plain(usd(totals["storage_usd"])))
    for part in STORAGE_PARTS:
        if totals[part]:
            head.add_row(plain(f"  {CHARGE_LABELS[part]}"), plain(usd(totals[part])))
    head.add_row(plain("Transfer"), plain(usd(totals["transfer_usd"])))
    for part in TRANSFER_PARTS:
        if totals[part]:
            head.add_row(plain(f"  {CHARGE_LABELS[part]}"), plain(usd(totals[part])))
    if est.network_usd:
        head.add_row(
            Text("Network (NAT / endpoints, billed under VPC; not in total)", style="dim"),
            Text(usd(est.network_usd.quantize(CENT)), style="dim"),
        )
    a = est.assumptions
    basis = (
        f"Storage from {a.get('storage_basis')} · free internet {a.get('free_internet_gb')} GB · "
        f"blob mounting {a.get('blob_mounting_in_effect', 'off')} · prices: {a.get('prices')} "
        f"({price_book(est)})"
    )
    title = f"ECR cost, {est.period} — {a.get('source') or 'input'}"
    return Panel(
        Group(head, Text(""), plain(basis, "dim")), title=plain(title), title_align="left", expand=False
    )


def _tiers(est: Estimate) -> RenderableType:
    spec = tables.tiers(est)
    return rich_table(spec) if spec else Text("No internet transfer in this input.", style="dim")


def report(
    est: Estimate,
    top: int = 10,
    namespace_depth: int = 1,
    team_of: breakdown.Teams | None = None,
    pulls: pd.DataFrame | None = None,
) -> Group:
    """The terminal report; ``pulls`` (from ``ecrcost pulls``) adds where pulls go and the most-pulled
    images."""
    by_team = tables.teams(est, team_of or {})
    parts: list[RenderableType] = [
        _summary(est),
        rich_table(tables.top_repositories(est, top)),
        *([rich_table(by_team)] if by_team else []),
        rich_table(tables.namespaces(est, namespace_depth)),
        rich_table(tables.regions(est)),
        _tiers(est),
    ]
    if pulls is not None and len(pulls):
        from ..analysis.pulls import most_pulled, where_pulls_go

        parts.append(rich_table(tables.where_pulls_go(where_pulls_go(pulls, est), top)))
        parts.append(rich_table(tables.most_pulled(most_pulled(pulls, top))))
    notes = notes_panel(est)
    if notes:
        parts.append(notes)
    return Group(*parts)


def over_time(timeline: Timeline) -> Group:
    """The cost-over-time table, with how projected months were made and the timeline's caveats."""
    extra = [line for line in (timeline.method, *timeline.notes) if line]
    return Group(rich_table(tables.over_time(timeline)), *([bullets(extra)] if extra else []))


PRICES_WITH_SOURCE = 140  # narrower terminals get the price table without its long Source column


def prices_table(frame: pd.DataFrame, book: str = "", width: int | None = None) -> Table:
    """The price book's figures; ``book`` names it (version, date, hash) in the title. On a terminal
    ``width`` columns wide, narrower than :data:`PRICES_WITH_SOURCE`, the Source column is left out
    (the footnote says where it is) so that each figure stays on one or two lines."""
    named = f": {book}" if book else ""
    source = width is None or width >= PRICES_WITH_SOURCE
    columns = [("Region", "text"), ("Item", "text"), ("Tier", "text"), ("Price", "num"), ("Unit", "text")]
    columns += [("Conf.", "text"), ("As of", "text"), *([("Source", "text")] if source else [])]
    t = table(
        f"Price book in use{named} (USD; GB = 2^30 bytes; R = unverified, override with --prices)", columns
    )
    if not source:
        t.caption = f"Sources: --format csv, or a terminal at least {PRICES_WITH_SOURCE} columns wide."
    for r in cast("Iterable[PriceRow]", frame.itertuples()):
        cells = [
            r.region,
            r.item,
            r.tier,
            r.price,
            r.unit,
            r.confidence,
            r.as_of,
            *([r.source] if source else []),
        ]
        t.add_row(*(plain(c) for c in cells), style="yellow" if r.confidence == "R" else None)
    return t


def console(stderr: bool = False) -> Console:
    """A console for our output; in a pipe, wide enough that tables are never cut."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else WIDEST)


WIDEST = 250  # a table in a pipe or file is never cut below this
NARROWEST = 80


def text(items: Sequence[RenderableType]) -> str:
    """``items`` as plain text for a file or a pipe: as wide as the widest table needs (between 80 and
    250 columns; notes wrap to that width), no colours, no trailing spaces."""
    probe = Console(width=WIDEST, highlight=False, color_system=None)
    for item in items:
        _fixed_widths(probe, item)
    width = max([NARROWEST, *(_needed(probe, item) for item in items)])
    con = Console(width=min(width, WIDEST), highlight=False, color_system=None, file=io.StringIO())
    with con.capture() as cap:
        for item in items:
            con.print(item)
    return "".join(line.rstrip() + "\n" for line in cap.get().splitlines())


LONG = 200  # rows from which a table's column widths are worked out from its text, not by rich


def _fixed_widths(probe: Console, item: RenderableType) -> None:
    """A long table of one-line text cells (10,000 repositories) gets each column's width from its
    cells' lengths: rich would otherwise measure every cell twice, for the page's width and again to
    lay it out, which took seconds. The layout is the same: the width rich would measure for a
    one-line cell is its length. A table that needs more than the widest page is left to rich."""
    if isinstance(item, Group):
        for part in item.renderables:
            _fixed_widths(probe, part)
        return
    if not isinstance(item, Table) or item.row_count < LONG:
        return
    widths = []
    for column in item.columns:
        texts = [c.plain if isinstance(c, Text) else c for c in (column.header, column.footer, *column.cells)]
        if not all(isinstance(t, str) and "\n" not in t for t in texts):
            return
        widths.append(max(cell_len(cast(str, t)) for t in texts))
    for column, w in zip(item.columns, widths, strict=True):
        column.width = w
    unbounded = probe.options.update_width(10**6)  # the table's own width, not capped at the page's
    if Measurement.get(probe, unbounded, item).maximum > WIDEST:
        for column in item.columns:
            column.width = None


def _needed(probe: Console, item: RenderableType) -> int:
    """Columns a table or a panel's title needs unwrapped (other text wraps to the width they set)."""
    if isinstance(item, Group):
        return max([0, *(_needed(probe, part) for part in item.renderables)])
    if isinstance(item, Table):
        return Measurement.get(probe, probe.options, item).maximum
    if isinstance(item, Panel) and item.title is not None:  # a title is cut, never wrapped
        title = Text.from_markup(item.title) if isinstance(item.title, str) else item.title
        return title.cell_len + 6
    return 0
