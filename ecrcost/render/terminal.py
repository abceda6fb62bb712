"""Terminal renderings (rich): the estimate table and the report. Money columns never wrap or get cut;
long names fold onto a second line instead."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from decimal import Decimal

import pandas as pd
from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .. import breakdown
from ..money import CENT, ZERO
from ..result import STORAGE_PARTS, TRANSFER_PARTS, Estimate

CHARGE_LABELS = {
    "standard_storage_usd": "Storage (standard)",
    "archive_storage_usd": "Storage (archive)",
    "archive_retrieval_usd": "Archive retrieval",
    "public_storage_usd": "Storage (ECR Public)",
    "internet_usd": "Transfer to the internet",
    "cross_region_usd": "Transfer to other regions",
    "public_internet_usd": "Transfer to the internet (ECR Public)",
}


def usd(value: Decimal) -> str:
    return f"${value:,.2f}"


def gb(value: Decimal, places: int = 2) -> str:
    return f"{value:,.{places}f}"


def table(title: str, columns: Sequence[tuple[str, str]], footer: Sequence[str] | None = None) -> Table:
    """A table whose columns are ("name", "text"|"num"); numbers are right-aligned and never wrap."""
    t = Table(title=title, box=box.SIMPLE_HEAD, show_footer=footer is not None, title_justify="left")
    for i, (name, kind) in enumerate(columns):
        t.add_column(
            name,
            footer=footer[i] if footer else "",
            justify="right" if kind == "num" else "left",
            no_wrap=kind == "num",
            overflow="fold",
        )
    return t


def estimate_table(est: Estimate) -> Table:
    repos = est.repositories(CENT)
    totals = est.totals(CENT)
    accounts = sorted(set(repos["account_id"]))
    many = len(accounts) > 1
    title = f"ECR cost estimate, {est.period}" + (
        "" if many or not accounts[0:1] else f" — account {accounts[0]}"
    )
    columns = [("Account", "text")] if many else []
    columns += [
        ("Region", "text"),
        ("Repository", "text"),
        ("GB-month", "num"),
        ("Storage", "num"),
        ("Internet GB", "num"),
        ("X-region GB", "num"),
        ("Transfer", "num"),
        ("Total", "num"),
    ]
    footer = [""] if many else []
    footer += [
        "",
        "Total",
        gb(sum(repos["storage_gb_month"], ZERO), 3),
        usd(totals["storage_usd"]),
        gb(sum(repos["internet_out_gb"], ZERO)),
        gb(sum(repos["cross_region_out_gb"], ZERO)),
        usd(totals["transfer_usd"]),
        usd(totals["total_usd"]),
    ]
    t = table(title, columns, footer)
    for r in repos.itertuples():
        name = r.repository + (" (public)" if r.registry == "public" else "")
        cells = [r.account_id] if many else []
        cells += [
            r.region,
            name,
            gb(r.storage_gb_month, 3),
            usd(r.storage_usd),
            gb(r.internet_out_gb),
            gb(r.cross_region_out_gb),
            usd(r.transfer_usd),
            usd(r.total_usd),
        ]
        t.add_row(*cells)
    return t


def notes_panel(est: Estimate) -> Panel | None:
    if not est.notes:
        return None
    body = Text("\n".join(f"• {n}" for n in est.notes))
    return Panel(body, title="Notes", title_align="left", border_style="dim", expand=False)


def _grouped(title: str, frame: pd.DataFrame, column: str, label: str) -> Table:
    footer = [
        "Total",
        str(int(frame["repositories"].sum())),
        gb(sum(frame["storage_gb_month"], ZERO), 3),
        *(usd(sum(frame[c], ZERO)) for c in ("storage_usd", "transfer_usd", "total_usd")),
    ]
    t = table(
        title,
        [
            (label, "text"),
            ("Repos", "num"),
            ("GB-month", "num"),
            ("Storage", "num"),
            ("Transfer", "num"),
            ("Total", "num"),
        ],
        footer,
    )
    for r in frame.itertuples():
        t.add_row(
            str(getattr(r, column)),
            str(r.repositories),
            gb(r.storage_gb_month, 3),
            usd(r.storage_usd),
            usd(r.transfer_usd),
            usd(r.total_usd),
        )
    return t


def _summary(est: Estimate) -> Panel:
    totals = est.totals(CENT)
    head = Table.grid(padding=(0, 2))
    head.add_column()
    head.add_column(justify="right", no_wrap=True)
    head.add_row(Text("Total (ECR)", style="bold"), Text(usd(totals["total_usd"]), style="bold"))
    head.add_row("Storage", usd(totals["storage_usd"]))
    for part in STORAGE_PARTS:
        if totals[part]:
            head.add_row(f"  {CHARGE_LABELS[part]}", usd(totals[part]))
    head.add_row("Transfer", usd(totals["transfer_usd"]))
    for part in TRANSFER_PARTS:
        if totals[part]:
            head.add_row(f"  {CHARGE_LABELS[part]}", usd(totals[part]))
    if est.network_usd:
        head.add_row(
            Text("Network (NAT / endpoints, billed under VPC; not in total)", style="dim"),
            Text(usd(est.network_usd.quantize(CENT)), style="dim"),
        )
    a = est.assumptions
    basis = (
        f"Storage from {a.get('storage_basis')} · free internet {a.get('free_internet_gb')} GB · "
        f"blob mounting {'on' if a.get('blob_mounting') else 'off'} · prices: {a.get('prices')}"
    )
    title = f"ECR cost, {est.period} — {a.get('source') or 'input'}"
    return Panel(
        Group(head, Text(""), Text(basis, style="dim")), title=title, title_align="left", expand=False
    )


def _tiers(est: Estimate) -> RenderableType:
    tiers = est.tiers(CENT)
    if not len(tiers):
        return Text("No internet transfer in this input.", style="dim")
    t = table(
        "Internet egress tiers used",
        [
            ("Scope", "text"),
            ("Region", "text"),
            ("Tier", "text"),
            ("GB range", "num"),
            ("GB", "num"),
            ("Rate", "num"),
            ("Cost", "num"),
        ],
    )
    for r in tiers.itertuples():
        span = f"{r.from_gb:,}–{r.to_gb:,}" if r.to_gb is not None else f"over {r.from_gb:,}"
        t.add_row(r.scope, r.region, r.tier, span, gb(r.gb), f"${r.usd_per_gb}/GB", usd(r.usd))
    return t


def report(est: Estimate, top: int = 10, namespace_depth: int = 1) -> Group:
    totals = est.totals(CENT)
    grand = totals["total_usd"] or Decimal(1)
    t = table(
        f"Top {top} repositories",
        [
            ("Repository", "text"),
            ("Region", "text"),
            ("GB-month", "num"),
            ("Storage", "num"),
            ("Transfer", "num"),
            ("Total", "num"),
            ("Share", "num"),
        ],
    )
    for r in breakdown.top_repositories(est, top).itertuples():
        t.add_row(
            r.repository,
            r.region,
            gb(r.storage_gb_month, 3),
            usd(r.storage_usd),
            usd(r.transfer_usd),
            usd(r.total_usd),
            f"{r.total_usd / grand:.1%}",
        )
    parts: list[RenderableType] = [
        _summary(est),
        t,
        _grouped(
            f"By namespace (depth {namespace_depth})",
            breakdown.by(est, "namespace", depth=namespace_depth),
            "namespace",
            "Namespace",
        ),
        _grouped("By region", breakdown.by(est, "region"), "region", "Region"),
        _tiers(est),
    ]
    notes = notes_panel(est)
    if notes:
        parts.append(notes)
    return Group(*parts)


def prices_table(frame: pd.DataFrame) -> Table:
    t = table(
        "Price book in use (USD; GB = 2^30 bytes; R = unverified, override with --prices)",
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
    for r in frame.itertuples():
        t.add_row(
            r.region,
            r.item,
            r.tier,
            str(r.price),
            r.unit,
            r.confidence,
            r.as_of,
            r.source,
            style="yellow" if r.confidence == "R" else None,
        )
    return t


def console(stderr: bool = False) -> Console:
    """A console for our output; in a pipe, wide enough that tables are never cut."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else 250)
