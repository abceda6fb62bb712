"""``ecrcost export``: the monthly finance export (FOCUS 1.2 rows, or one row per repository)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .common import (
    Accounts,
    Billing,
    Blob,
    FreeGB,
    MonthOption,
    Mounting,
    OtherGB,
    Prices,
    Quiet,
    Regions,
    Scope,
    check_output_name,
    emit,
    priced,
    pricing,
    user_errors,
)
from .main import app


class ExportFormat(StrEnum):
    focus = "focus"
    simple = "simple"


@app.command()
def export(
    path: Annotated[Path, typer.Argument(help="Scenario CSV, inventory folder, or s3://bucket/prefix.")],
    month: MonthOption = None,
    format: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="focus: FOCUS 1.2 cost-and-usage rows (repository × charge × price tier); "
            "simple: one row per repository.",
        ),
    ] = ExportFormat.focus,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to FILE (atomically, as for estimate -o; - is stdout); Parquet when FILE ends "
            "in .parquet. Default: CSV on stdout.",
        ),
    ] = None,
    account_id: Annotated[
        str,
        typer.Option(
            "--account-id", metavar="ID", help="Account id for repositories the input names none for."
        ),
    ] = "",
    team_tag: Annotated[
        str, typer.Option("--team-tag", metavar="KEY", help="Repository tag that names the team (simple).")
    ] = "team",
    namespace_depth: Annotated[
        int, typer.Option("--namespace-depth", min=1, help="Path segments that name a namespace.")
    ] = 1,
    discount: Annotated[
        str,
        typer.Option(
            "--discount-percent",
            metavar="PCT",
            help="Negotiated discount off list prices (focus): lowers BilledCost, EffectiveCost and "
            "ContractedCost; ListCost stays at list. Default 0.",
        ),
    ] = "0",
    free_internet_gb: FreeGB = "0",
    blob_mounting: Blob = Mounting.collected,
    billing: Billing = Scope.organization,
    other_internet_gb: OtherGB = None,
    prices: Prices = None,
    account: Accounts = None,
    region: Regions = None,
    quiet: Quiet = False,
) -> None:
    """The monthly finance export: amounts to the cent that sum exactly to `estimate`'s total.

    Cells a spreadsheet would run as formulas (starting with = + - @) are neutralised with a quote."""
    from ..app.export import export as build
    from ..app.export import percentage
    from ..sources.select import PRICED_IMAGE_COLUMNS

    with user_errors():
        percentage(discount, "discount_percent")  # bad options fail before the input is read
        check_output_name(
            output, "export writes CSV, or Parquet when FILE ends in .parquet: --output FILE.csv"
        )
        options = pricing(month, free_internet_gb, blob_mounting, prices, billing, other_internet_gb)
        # image tags: a workload that names its image by tag (the ecrcost:workloads tag)
        usage, est = priced(path, options, account, region, (*PRICED_IMAGE_COLUMNS, "image_tags"))
        result = build(
            est,
            usage,
            format.value,
            account_id=account_id,
            team_tag=team_tag,
            namespace_depth=namespace_depth,
            discount_percent=discount,
        )
        emit(result.csv() if output is None else result.file_bytes(output), output, quiet)
