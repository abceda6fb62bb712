"""``ecrcost prices``: the price book in use, with the source, date and confidence of each figure."""

from __future__ import annotations

import sys
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
    (shown in yellow; override with --prices), user = from your --prices file."""
    from ..core.pricebook import load_pricebook
    from ..outputs import machine, terminal

    with user_errors():
        frame = load_pricebook(prices).table(region)
        if format is Format.table:
            terminal.console().print(terminal.prices_table(frame))
        elif format is Format.json:
            sys.stdout.write(frame.to_json(orient="records", indent=2) + "\n")
        elif format is Format.csv:
            sys.stdout.write(frame.to_csv(index=False))
        else:
            sys.stdout.write(machine.markdown_table(frame))
