"""``ecrcost estimate``: one input priced for one month, as a table, JSON, CSV or Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import (
    Billing,
    Blob,
    Format,
    FreeGB,
    MonthOption,
    Mounting,
    OtherGB,
    Output,
    Prices,
    Scope,
    emit,
    priced,
    pricing,
    user_errors,
)
from .main import app


@app.command()
def estimate(
    path: Annotated[Path, typer.Argument(help="Scenario CSV or inventory folder.")],
    month: MonthOption = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    output: Output = None,
    free_internet_gb: FreeGB = "0",
    blob_mounting: Blob = Mounting.collected,
    billing: Billing = Scope.organization,
    other_internet_gb: OtherGB = None,
    prices: Prices = None,
) -> None:
    """Price one input (scenario CSV or inventory folder) for one month."""
    from ..outputs import machine, terminal

    with user_errors():
        _, est = priced(
            path, pricing(month, free_internet_gb, blob_mounting, prices, billing, other_internet_gb)
        )
        if format is Format.table:
            con = terminal.console()
            if output is None:
                con.print(terminal.estimate_table(est))
                if (notes := terminal.notes_panel(est)) is not None:
                    con.print(notes)
                return
            with con.capture() as cap:
                con.print(terminal.estimate_table(est))
            emit(cap.get(), output)
            return
        render = {
            Format.json: machine.to_json,
            Format.csv: machine.to_csv,
            Format.markdown: machine.to_markdown,
        }
        emit(render[format](est), output)
