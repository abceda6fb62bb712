"""``ecrcost scenario``: start a what-if. ``scenario init FILE`` writes a commented starter scenario;
``scenario from INVENTORY`` writes the scenario that reproduces an inventory's estimate, and prices it
back to show that it does."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import InputError
from .common import (
    Billing,
    Blob,
    FreeGB,
    MonthOption,
    Mounting,
    Output,
    Prices,
    Quiet,
    Scope,
    check_output_name,
    emit,
    pricing,
    user_errors,
    working,
)
from .main import HELP_OPTIONS, OneLineErrors, app

group = typer.Typer(
    cls=OneLineErrors, no_args_is_help=True, add_completion=False, context_settings=HELP_OPTIONS
)
app.add_typer(group, name="scenario", help="Start a what-if: a starter scenario, or one from an inventory.")


@group.command()
def init(
    file: Annotated[Path, typer.Argument(help="The scenario CSV to write ('-': standard output).")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    quiet: Quiet = False,
) -> None:
    """Write a starter scenario: every column explained in '#' lines, and example rows to replace.

    Price it with 'ecrcost estimate FILE'."""
    from ..app.scenario import template

    with user_errors():
        check_output_name(file, "give the scenario's file name, e.g. scenario.csv")
        if str(file) != "-" and file.exists() and not force:
            raise InputError("the file exists: --force replaces it", file=file)
        emit(template(), file, quiet)


@group.command("from")
def from_(
    inventory: Annotated[Path, typer.Argument(help="An inventory folder (what 'ecrcost collect' writes).")],
    month: MonthOption = None,
    output: Output = None,
    quiet: Quiet = False,
    prices: Prices = None,
    free_internet_gb: FreeGB = "0",
    blob_mounting: Blob = Mounting.collected,
    billing: Billing = Scope.organization,
) -> None:
    """Write the scenario that reproduces an inventory's estimate.

    Per repository: its GB-month per storage class and its GB per transfer class and destination
    region, for the month. The scenario is priced back under the same options; stderr says whether
    it comes to the same total and what a scenario cannot hold (archive early deletion). Edit a copy
    to ask 'what if'."""
    from ..app.scenario import from_inventory

    with user_errors():
        check_output_name(output, "give the scenario's file name, e.g. scenario.csv")
        if not inventory.is_dir():
            raise InputError("not an inventory folder (a scenario is already a scenario)", file=inventory)
        options = pricing(month, free_internet_gb, blob_mounting, prices, billing)
        with working("Measuring the inventory"):
            result = from_inventory(inventory, options)
        emit(result.text, output, quiet)
        total = result.inventory.totals()["total_usd"].quantize(Decimal("0.01"))
        if result.difference == 0:
            said = f"priced back: ${total:,} as the inventory"
        else:
            said = f"priced back: ${result.difference:+,} from the inventory's ${total:,}"
        reasons = "".join(f"; not in it: {note}" for note in result.left_out)
        typer.echo(f"{result.rows:,} rows; {said}{reasons}", err=True)
