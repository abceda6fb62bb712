"""Terminal renderings (rich): the estimate table and the report."""

from __future__ import annotations

import sys
from decimal import Decimal

import pandas as pd
from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .. import breakdown
from ..money import CENT, ZERO
from ..result import Estimate

CHARGE_LABELS = {
    "standard_storage_usd": "Storage (standard)",
    "archive_storage_usd": "Storage (archive)",
    "public_storage_usd": "Storage (ECR Public)",
    "internet_usd": "Transfer to the internet",
    "cross_region_usd": "Transfer to other regions",
    "public_internet_usd": "Transfer to the internet (ECR Public)",
}


def usd(value: Decimal) -> str:
    return f"${value:,.2f}"


def gb(value: Decimal, places: int = 2) -> str:
    return f"{value:,.{places}f}"


def estimate_table(est: Estimate) -> Table:
    repos = est.repositories(CENT)
    totals = est.totals(CENT)
    table = Table(
        title=f"ECR cost estimate, {est.period}", box=box.SIMPLE_HEAD, show_footer=True, title_justify="left"
    )
    table.add_column("Account", footer="")
    table.add_column("Region")
    table.add_column("Repository", footer="Total")
    table.add_column("Storage GB-mo", justify="right", footer=gb(sum(repos["storage_gb_month"], ZERO), 3))
    table.add_column("Storage", justify="right", footer=usd(totals["storage_usd"]))
    table.add_column("Internet GB", justify="right", footer=gb(sum(repos["internet_out_gb"], ZERO)))
    table.add_column("Cross-region GB", justify="right", footer=gb(sum(repos["cross_region_out_gb"], ZERO)))
    table.add_column("Transfer", justify="right", footer=usd(totals["transfer_usd"]))
    table.add_column("Total", justify="right", footer=usd(totals["total_usd"]), style="bold")
    for r in repos.itertuples():
        name = r.repository + (" (public)" if r.registry == "public" else "")
        table.add_row(
            r.account_id,
            r.region,
            name,
            gb(r.storage_gb_month, 3),
            usd(r.storage_usd),
            gb(r.internet_out_gb),
            gb(r.cross_region_out_gb),
            usd(r.transfer_usd),
            usd(r.total_usd),
        )
    return table


def notes_panel(est: Estimate) -> Panel | None:
    if not est.notes:
        return None
    return Panel(
        Text("\n".join(f"• {n}" for n in est.notes)),
        title="Notes",
        title_align="left",
        border_style="dim",
        expand=False,
    )


def _grouped(title: str, frame: pd.DataFrame, column: str, label: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, show_footer=True, title_justify="left")
    table.add_column(label, footer="Total")
    table.add_column("Repos", justify="right", footer=str(int(frame["repositories"].sum())))
    table.add_column("Storage GB-mo", justify="right", footer=gb(sum(frame["storage_gb_month"], ZERO), 3))
    for c, name in (("storage_usd", "Storage"), ("transfer_usd", "Transfer"), ("total_usd", "Total")):
        table.add_column(name, justify="right", footer=usd(sum(frame[c], ZERO)))
    for r in frame.itertuples():
        table.add_row(
            str(getattr(r, column)),
            str(r.repositories),
            gb(r.storage_gb_month, 3),
            usd(r.storage_usd),
            usd(r.transfer_usd),
            usd(r.total_usd),
        )
    return table


def report(est: Estimate, top: int = 10, namespace_depth: int = 1) -> Group:
    totals = est.totals(CENT)
    head = Table.grid(padding=(0, 2))
    head.add_column()
    head.add_column(justify="right")
    head.add_row(Text("Total", style="bold"), Text(usd(totals["total_usd"]), style="bold"))
    for part, label in CHARGE_LABELS.items():
        if totals[part]:
            head.add_row(f"  {label}", usd(totals[part]))
    head.add_row("Storage", usd(totals["storage_usd"]))
    head.add_row("Transfer", usd(totals["transfer_usd"]))
    if est.network_usd:
        head.add_row(
            Text("Network (NAT / endpoints, billed under VPC; not in total)", style="dim"),
            Text(usd(est.network_usd.quantize(CENT)), style="dim"),
        )
    a = est.assumptions
    subtitle = (
        f"Storage from {a.get('storage_basis')} · free internet {a.get('free_internet_gb')} GB · "
        f"blob mounting {'on' if a.get('blob_mounting') else 'off'} · prices: {a.get('prices')}"
    )
    body = Group(head, Text(""), Text(subtitle, style="dim"))
    parts: list = [
        Panel(
            body,
            title=f"ECR cost, {est.period} — {a.get('source') or 'input'}",
            title_align="left",
            expand=False,
        )
    ]

    top_table = Table(title=f"Top {top} repositories", box=box.SIMPLE_HEAD, title_justify="left")
    for name, justify in (
        ("Repository", "left"),
        ("Region", "left"),
        ("Storage GB-mo", "right"),
        ("Storage", "right"),
        ("Transfer", "right"),
        ("Total", "right"),
        ("Share", "right"),
    ):
        top_table.add_column(name, justify=justify)  # type: ignore[arg-type]
    grand = totals["total_usd"] or Decimal(1)
    for r in breakdown.top_repositories(est, top).itertuples():
        top_table.add_row(
            r.repository,
            r.region,
            gb(r.storage_gb_month, 3),
            usd(r.storage_usd),
            usd(r.transfer_usd),
            usd(r.total_usd),
            f"{r.total_usd / grand:.1%}",
        )
    parts.append(top_table)
    parts.append(
        _grouped(
            f"By namespace (depth {namespace_depth})",
            breakdown.by(est, "namespace", depth=namespace_depth),
            "namespace",
            "Namespace",
        )
    )
    parts.append(_grouped("By region", breakdown.by(est, "region"), "region", "Region"))

    tiers = est.tiers(CENT)
    if len(tiers):
        t = Table(title="Internet egress tiers used", box=box.SIMPLE_HEAD, title_justify="left")
        for name in ("Scope", "Region", "Tier", "GB range", "GB", "Rate", "Cost"):
            t.add_column(name, justify="right" if name in ("GB", "Rate", "Cost") else "left")
        for r in tiers.itertuples():
            span = f"{r.from_gb:,}–{r.to_gb:,}" if r.to_gb is not None else f"over {r.from_gb:,}"
            t.add_row(r.scope, r.region, r.tier, span, gb(r.gb), f"${r.usd_per_gb}/GB", usd(r.usd))
        parts.append(t)
    else:
        parts.append(Text("No internet or cross-region transfer in this input.", style="dim"))
    notes = notes_panel(est)
    if notes:
        parts.append(notes)
    return Group(*parts)


def prices_table(frame: pd.DataFrame) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="Price book in use (USD; GB = 2^30 bytes)", title_justify="left")
    for name in ("region", "item", "tier", "price", "unit", "confidence", "as_of", "source"):
        table.add_column(
            name,
            justify="right" if name == "price" else "left",
            overflow="fold",
            max_width=60 if name == "source" else None,
        )
    for r in frame.itertuples():
        style = "yellow" if r.confidence == "R" else None
        table.add_row(
            r.region, r.item, r.tier, str(r.price), r.unit, r.confidence, r.as_of, r.source, style=style
        )
    return table


def console(stderr: bool = False) -> Console:
    """A console for our output; in a pipe, wide enough that tables are never cut."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else 250)
