"""``ecrcost diff``: what changes between two inputs (or one input under two price books), per
repository and charge, as a table, JSON, CSV or Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import (
    FORMAT_HELP,
    Billing,
    Blob,
    Format,
    FreeGB,
    MonthOption,
    Mounting,
    Output,
    Prices,
    Quiet,
    Scope,
    emit,
    output_format,
    pricing,
    show,
    user_errors,
    working,
)
from .main import app


@app.command()
def diff(
    a: Annotated[Path, typer.Argument(help="The first input (scenario CSV or inventory folder).")],
    b: Annotated[Path, typer.Argument(help="The second input (the same path to compare price books).")],
    month: MonthOption = None,
    format: Annotated[Format | None, typer.Option("--format", "-f", help=FORMAT_HELP)] = None,
    output: Output = None,
    quiet: Quiet = False,
    prices: Prices = None,
    prices_b: Annotated[
        Path | None,
        typer.Option("--prices-b", metavar="FILE", help="Price book for B (default: the same as for A)."),
    ] = None,
    free_internet_gb: FreeGB = "0",
    blob_mounting: Blob = Mounting.collected,
    billing: Billing = Scope.organization,
) -> None:
    """What changes from A to B, per repository and charge (USD a month, to the cent).

    Rows whose cost is the same on both sides are left out; the changes add up to the change in total."""
    from ..app.diff import diff as compare
    from ..outputs import diff as render

    with user_errors():
        chosen = output_format(format, output, Format, Format.table)
        options_a = pricing(month, free_internet_gb, blob_mounting, prices, billing)
        options_b = pricing(month, free_internet_gb, blob_mounting, prices_b or prices, billing)
        with working("Pricing both"):
            result = compare(a, b, options_a, options_b)
        if chosen is Format.table:
            show([render.table(result)], output, quiet)
        else:
            emit(
                {Format.json: render.to_json, Format.csv: render.to_csv, Format.markdown: render.to_markdown}[
                    chosen
                ](result),
                output,
                quiet,
            )
