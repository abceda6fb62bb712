"""``ecrcost report``: the human report, and optionally its charts and one HTML file."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..core.errors import InputError, one_line
from .common import (
    Billing,
    Blob,
    FreeGB,
    MonthOption,
    Mounting,
    OtherGB,
    Prices,
    Quiet,
    Scope,
    check_target,
    pricing,
    show,
    user_errors,
    working,
)
from .main import app

if TYPE_CHECKING:
    from rich.console import RenderableType


class By(StrEnum):
    workload = "workload"


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
    by: Annotated[
        By | None,
        typer.Option(
            "--by",
            help="Also a chargeback table: workload = each repository's cost split among the workloads "
            "that run its images (the inventory's workloads table; the rest is idle).",
        ),
    ] = None,
    quiet: Quiet = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="The HTML page names the input by its full path, not its name.")
    ] = False,
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
    tier, stored GB by image age (inventories) and cost over time (inventories). With --compare or
    --history N, the cost-over-time table is shown in the terminal too."""
    from ..analysis.breakdown import teams
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
            full_source=verbose,
        )
        team_of = teams(result.usage.repositories)
        shown: list[RenderableType] = [
            terminal.report(
                result.estimate,
                top=top,
                namespace_depth=namespace_depth,
                team_of=team_of,
                pulls=result.usage.pulls,
            )
        ]
        if by is By.workload:
            from ..analysis.chargeback import by_workload
            from ..outputs.tables import by_workload as workload_table

            if result.usage.workloads is None:
                raise InputError(
                    "no workloads table in this inventory: collect --workloads or ecrcost workloads "
                    "--from-kubectl writes one",
                    file=result.usage.source or None,
                    field="by",
                )
            shown.append(terminal.rich_table(workload_table(by_workload(result.estimate, result.usage))))
        if (compare or history > 1) and result.over_time is not None:
            shown.append(terminal.over_time(result.over_time))
        if result.reconciliation is not None:
            from ..outputs import reconcile

            rec = result.reconciliation
            shown += [
                terminal.bullets(reconcile.summary_lines(rec)),
                terminal.rich_table(reconcile.explanations_spec(rec)),
            ]
        show(shown, None)
        if history > 1 and not compare and result.over_time is None:
            typer.echo("note: --history needs an inventory (push dates): a scenario has no history", err=True)
        for name, data in result.files:
            write_atomic(name, data)
        if quiet:
            return
        if charts is not None:
            written = sum(1 for n, _ in result.files if n != html)
            typer.echo(one_line(f"wrote {written} chart files (PNG and SVG) to {charts}"), err=True)
        if html is not None:
            typer.echo(one_line(f"wrote {html}"), err=True)
