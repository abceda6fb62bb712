"""``ecrcost prices``: the price book in use, with the source, date and confidence of each figure."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import Format, Prices, user_errors
from .main import app


@app.command()
def prices(
    region: Annotated[str | None, typer.Option("--region", help="Only this region (and ECR Public).")] = None,
    prices: Prices = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Show the price book in use, with the source, date and confidence of each figure.

    Confidence: V = AWS primary source, S = secondary source quoting AWS, R = unverified assumption
    (shown in yellow; override with --prices), user = from your --prices file. In CSV, a cell a
    spreadsheet would run as a formula (starting with = + - @) gets a leading quote, as in exports."""
    from ..core.pricebook import load_pricebook
    from ..outputs import machine, terminal
    from ..outputs.export.encode import csv_text
    from ..outputs.write import write_stdout

    with user_errors():
        frame = load_pricebook(prices).table(region)
        if format is Format.table:
            terminal.console().print(terminal.prices_table(frame))
        elif format is Format.json:
            write_stdout(frame.to_json(orient="records", indent=2) + "\n")
        elif format is Format.csv:
            write_stdout(csv_text(frame, decimals=[]))
        else:
            write_stdout(machine.markdown_table(frame))
