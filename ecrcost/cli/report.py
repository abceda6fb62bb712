"""``ecrcost report``: the human report, and optionally its charts and one HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import one_line
from .common import (
    Billing,
    Blob,
    FreeGB,
    MonthOption,
    Mounting,
    OtherGB,
    Prices,
    Scope,
    check_target,
    pricing,
    user_errors,
    working,
)
from .main import app


@app.command()
def report(
    path: Annotated[
        Path | None,
        typer.Argument(help="Scenario CSV or inventory folder. Default: the bundled sample registry."),
    ] = None,
    month: MonthOption = None,
    free_internet_gb: FreeGB = "0",
    blob_mounting: Blob = Mounting.collected,
    billing: Billing = Scope.organization,
    other_internet_gb: OtherGB = None,
    prices: Prices = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many repositories to list.")] = 10,
    namespace_depth: Annotated[
        int, typer.Option("--namespace-depth", min=1, help="Path segments that name a namespace.")
    ] = 1,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="Also write the report as one self-contained HTML file with charts.",
        ),
    ] = None,
    charts: Annotated[
        Path | None,
        typer.Option("--charts", metavar="DIR", help="Also write each chart to DIR as PNG and SVG."),
    ] = None,
    history: Annotated[
        int,
        typer.Option(
            "--history",
            min=1,
            max=36,
            metavar="N",
            help="Cost-over-time chart: the N months ending with --month, priced from push history "
            "(inventories). 1: this month and a 6-month projection.",
        ),
    ] = 1,
    compare: Annotated[
        list[Path] | None,
        typer.Option(
            "--compare",
            metavar="PATH",
            help="Cost-over-time chart: other inventories (repeatable), e.g. earlier snapshots, each priced "
            "for the month in its collection.json (else --month); replaces --history.",
        ),
    ] = None,
    bill: Annotated[
        str | None,
        typer.Option(
            "--bill",
            metavar="SRC",
            help="Reconcile with a bill: a CUR 2.0 or FOCUS export (file, folder or s3://bucket/prefix; "
            "told apart by its columns) or cost-explorer. A section of the HTML report, a summary on "
            "the terminal.",
        ),
    ] = None,
) -> None:
    """The human report: totals, storage vs transfer, top repositories, namespaces, regions, tiers.

    With --html or --charts, also the charts: top repositories, cost by namespace, internet egress by
    tier, stored GB by image age (inventories) and cost over time (inventories)."""
    from ..app.report import report as build
    from ..outputs import terminal
    from ..outputs.write import write_atomic
    from ..sources.load import sample_path

    with user_errors():
        if html is not None:
            check_target(html, "--html", folder=False)
        if charts is not None:
            check_target(charts, "--charts", folder=True)
        options = pricing(month, free_internet_gb, blob_mounting, prices, billing, other_internet_gb)
        result = build(
            path or sample_path(),
            options,
            top=top,
            namespace_depth=namespace_depth,
            html=html,
            charts=charts,
            history=history,
            compare=compare or (),
            bill=bill,
            step=working,
        )
        terminal.console().print(terminal.report(result.estimate, top=top, namespace_depth=namespace_depth))
        if result.reconciliation is not None:
            from ..outputs import reconcile

            rec = result.reconciliation
            terminal.console().print(terminal.bullets(reconcile.summary_lines(rec)))
            terminal.console().print(terminal.rich_table(reconcile.explanations_spec(rec)))
        for name, data in result.files:
            write_atomic(name, data)
        if charts is not None:
            written = sum(1 for n, _ in result.files if n != html)
            typer.echo(one_line(f"wrote {written} chart files (PNG and SVG) to {charts}"), err=True)
        if html is not None:
            typer.echo(one_line(f"wrote {html}"), err=True)
