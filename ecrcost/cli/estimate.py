"""``ecrcost estimate``: one input priced for one month, as a table, JSON, CSV or Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import (
    FORMAT_HELP,
    Accounts,
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
    Regions,
    Scope,
    emit,
    output_format,
    priced,
    pricing,
    show,
    user_errors,
)
from .main import app


@app.command()
def estimate(
    path: Annotated[Path, typer.Argument(help="Scenario CSV, inventory folder, or s3://bucket/prefix.")],
    month: MonthOption = None,
    format: Annotated[Format | None, typer.Option("--format", "-f", help=FORMAT_HELP)] = None,
    output: Output = None,
    quiet: Quiet = False,
    free_internet_gb: FreeGB = "0",
    blob_mounting: Blob = Mounting.collected,
    billing: Billing = Scope.organization,
    other_internet_gb: OtherGB = None,
    prices: Prices = None,
    account: Accounts = None,
    region: Regions = None,
) -> None:
    """Price one input (scenario CSV, inventory folder, or inventory under s3://bucket/prefix) for one
    month."""
    from ..outputs import machine, terminal
    from ..sources.select import PRICED_IMAGE_COLUMNS

    with user_errors():
        chosen = output_format(format, output, Format, Format.table)
        options = pricing(month, free_internet_gb, blob_mounting, prices, billing, other_internet_gb)
        _, est = priced(path, options, account, region, PRICED_IMAGE_COLUMNS)
        if chosen is Format.table:
            notes = terminal.notes_panel(est)
            show([terminal.estimate_table(est), *([notes] if notes else [])], output, quiet)
            return
        render = {
            Format.json: machine.to_json,
            Format.csv: machine.to_csv,
            Format.markdown: machine.to_markdown,
        }
        emit(render[chosen](est), output, quiet)
