"""``ecrcost reconcile``: the estimate held against the bill (CUR 2.0, FOCUS or Cost Explorer), every
dollar of difference explained; exit 4 when the unexplained remainder exceeds the tolerance."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .common import (
    FORMAT_HELP,
    Billing,
    Blob,
    Format,
    FreeGB,
    MonthOption,
    Mounting,
    OtherGB,
    Output,
    Prices,
    Quiet,
    Scope,
    emit,
    fail,
    output_format,
    priced,
    pricing,
    show,
    user_errors,
    working,
)
from .main import app

if TYPE_CHECKING:
    from rich.console import RenderableType


@app.command()
def reconcile(
    path: Annotated[Path, typer.Argument(help="Scenario CSV or inventory folder (the estimate's input).")],
    month: MonthOption = None,
    cur: Annotated[
        str | None,
        typer.Option(
            "--cur",
            metavar="PATH|S3URI",
            help="AWS Data Exports CUR 2.0: a Parquet or CSV file, a folder of parts, or s3://bucket/prefix.",
        ),
    ] = None,
    focus: Annotated[
        str | None,
        typer.Option(
            "--focus", metavar="PATH|S3URI", help="AWS Data Exports FOCUS 1.2: file, folder or s3://."
        ),
    ] = None,
    cost_explorer: Annotated[
        bool,
        typer.Option(
            "--cost-explorer",
            help="Cost Explorer GetCostAndUsage (AWS charges $0.01 a request; the count is reported).",
        ),
    ] = False,
    tolerance: Annotated[
        str | None,
        typer.Option(
            "--tolerance",
            metavar="USD|PCT%",
            help="Unexplained amount allowed before exit 4: USD "
            "(2.50) or a share of the billed ECR amount (2%). Default: 1% or $1, whichever is larger.",
        ),
    ] = None,
    format: Annotated[Format | None, typer.Option("--format", "-f", help=FORMAT_HELP)] = None,
    output: Output = None,
    quiet: Quiet = False,
    profile: Annotated[
        str | None, typer.Option("--profile", metavar="NAME", help="AWS profile for S3 and Cost Explorer.")
    ] = None,
    free_internet_gb: FreeGB = "0",
    blob_mounting: Blob = Mounting.collected,
    billing: Billing = Scope.organization,
    other_internet_gb: OtherGB = None,
    prices: Prices = None,
) -> None:
    """Hold the estimate against the bill, and explain every dollar of difference.

    Per usage type and repository: estimated and billed quantity and cost, the difference and its
    explanation. Exit 4 when the unexplained remainder exceeds --tolerance."""
    from ..app.reconcile import EXIT_BEYOND_TOLERANCE
    from ..app.reconcile import reconcile as run
    from ..app.reconcile import tolerance as parse_tolerance
    from ..outputs import reconcile as render

    chosen = [
        name
        for name, given in (("--cur", cur), ("--focus", focus), ("--cost-explorer", cost_explorer))
        if given
    ]
    if len(chosen) != 1:
        fail(
            "give exactly one bill: --cur, --focus or --cost-explorer"
            + (f" (got {' and '.join(chosen)})" if chosen else "")
        )
    with user_errors():
        shape = output_format(format, output, Format, Format.table)
        parse_tolerance(tolerance)  # bad options fail before the input is read
        options = pricing(month, free_internet_gb, blob_mounting, prices, billing, other_internet_gb)
        _, est = priced(path, options)
        rec = run(
            est,
            cur=cur,
            focus=focus,
            cost_explorer=cost_explorer,
            tolerance_usd=tolerance,
            profile=profile,
            step=working,
        )
        if shape is Format.table:
            from ..outputs import terminal

            shown: list[RenderableType] = [terminal.bullets(render.summary_lines(rec))]
            shown += [terminal.rich_table(spec) for spec in render.specs(rec)]
            if rec.notes:
                shown.append(terminal.bullets(rec.notes))
            show(shown, output, quiet)
        else:
            text = {
                Format.json: render.to_json,
                Format.csv: render.to_csv,
                Format.markdown: render.to_markdown,
            }
            emit(text[shape](rec), output, quiet)
    if not rec.within_tolerance:
        fail(
            f"unexplained ${rec.unexplained_usd:,.2f} exceeds the tolerance of ${rec.tolerance_usd:,.2f}",
            EXIT_BEYOND_TOLERANCE,
        )
