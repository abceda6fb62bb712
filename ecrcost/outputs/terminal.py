"""Terminal renderings (rich): the estimate table and the report. Money columns never wrap or get cut;
long names fold onto a second line instead."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import cast

import pandas as pd
from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..core.errors import one_line
from ..core.estimate import STORAGE_PARTS, TRANSFER_PARTS, Estimate
from ..core.money import CENT
from . import tables
from .rows import PriceRow
from .tables import CHARGE_LABELS, Spec, gb, price_book, usd

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
        "" if many or not accounts[0:1] else f" — account {accounts[0]}"
    )
    return rich_table(tables.repositories(est, title, account_column=many))


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
    head.add_row(plain("Storage"), plain(usd(totals["storage_usd"])))
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


def report(est: Estimate, top: int = 10, namespace_depth: int = 1) -> Group:
    parts: list[RenderableType] = [
        _summary(est),
        rich_table(tables.top_repositories(est, top)),
        rich_table(tables.namespaces(est, namespace_depth)),
        rich_table(tables.regions(est)),
        _tiers(est),
    ]
    notes = notes_panel(est)
    if notes:
        parts.append(notes)
    return Group(*parts)


def prices_table(frame: pd.DataFrame, book: str = "") -> Table:
    """The price book's figures; ``book`` names it (version, date, hash) in the title."""
    named = f": {book}" if book else ""
    t = table(
        f"Price book in use{named} (USD; GB = 2^30 bytes; R = unverified, override with --prices)",
        [
            ("Region", "text"),
            ("Item", "text"),
            ("Tier", "text"),
            ("Price", "num"),
            ("Unit", "text"),
            ("Conf.", "text"),
            ("As of", "text"),
            ("Source", "text"),
        ],
    )
    for r in cast("Iterable[PriceRow]", frame.itertuples()):
        cells = (r.region, r.item, r.tier, r.price, r.unit, r.confidence, r.as_of, r.source)
        t.add_row(*(plain(c) for c in cells), style="yellow" if r.confidence == "R" else None)
    return t


def console(stderr: bool = False) -> Console:
    """A console for our output; in a pipe, wide enough that tables are never cut."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else 250)
