"""``ecrcost prices``: the price book in use, with the source, date and confidence of each figure;
``prices refresh`` builds one from the AWS Price List, ``prices diff`` compares two."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .common import Format, MonthOption, Output, Prices, Quiet, emit, fail, show, user_errors, working
from .main import HELP_OPTIONS, OneLineErrors, app

group = typer.Typer(
    cls=OneLineErrors, no_args_is_help=False, add_completion=False, context_settings=HELP_OPTIONS
)
app.add_typer(group, name="prices")


@group.callback(invoke_without_command=True)
def prices(
    ctx: typer.Context,
    region: Annotated[str | None, typer.Option("--region", help="Only this region (and ECR Public).")] = None,
    prices: Prices = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Show the price book in use, with the source, date and confidence of each figure.

    Confidence: V = AWS primary source, S = secondary source quoting AWS, R = unverified assumption
    (shown in yellow; override with --prices), user = from your --prices file. In CSV, a cell a
    spreadsheet would run as a formula (starting with = + - @) gets a leading quote, as in exports.
    'prices refresh' builds a book from the AWS Price List; 'prices diff' compares two."""
    if ctx.invoked_subcommand is not None:
        return
    from ..core.pricebook import load_pricebook
    from ..outputs import machine, terminal
    from ..outputs.export.encode import csv_text
    from ..outputs.write import write_stdout

    with user_errors():
        book = load_pricebook(prices)
        frame = book.table(region)
        if format is Format.table:
            who = book.identity
            label = f"{who['version']}, {who['date']}, {who['hash'][:19]}"  # sha256: and 12 hex digits
            width = terminal.console().width if sys.stdout.isatty() else None
            show([terminal.prices_table(frame, label, width)], None)
        elif format is Format.json:
            write_stdout(frame.to_json(orient="records", indent=2) + "\n")
        elif format is Format.csv:
            write_stdout(csv_text(frame, decimals=[]))
        else:
            write_stdout(machine.markdown_table(frame))


@group.command()
def refresh(
    output: Output = None,
    region: Annotated[
        list[str] | None,
        typer.Option(
            "--region", metavar="R", help="Only this region (repeatable; default: every region of the book)."
        ),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url",
            metavar="URL",
            help="The Price List Query API's endpoint "
            "(default: boto3's, which honours AWS_ENDPOINT_URL_PRICING).",
        ),
    ] = None,
    offers: Annotated[
        Path | None,
        typer.Option(
            "--offers",
            metavar="DIR",
            help="Read the bulk offer files from DIR, laid out as AWS "
            "publishes them under /offers/v1.0/aws/ (index.json, <Offer>/current/…), instead of "
            "calling the API.",
        ),
    ] = None,
    max_attempts: Annotated[
        int, typer.Option("--max-attempts", min=1, max=20, help="Attempts per API call, retries included.")
    ] = 6,
    quiet: Quiet = False,
) -> None:
    """Build a price book from the AWS Price List (offers AmazonECR, AmazonECRPublic, AWSDataTransfer).

    Every figure found is replaced, with confidence V and its provenance (offer, SKU, usage type, rate
    code, offer version and publication date, date fetched); a figure not found keeps the bundled one
    and is listed; products the mapping does not know are listed. The book (JSON, with a content hash)
    goes to --output, written atomically, and is what --prices FILE takes on every command. Calls
    pricing:GetProducts only (read-only). Exit 3 when the Price List cannot be read (nothing written)
    or a region is absent from its answer (the book is written, the region's figures kept)."""
    from ..app.prices import book_json, refresh_book
    from ..sources.pricelist.offers import PriceListError

    with user_errors():
        try:
            with working("Reading the AWS Price List"):
                result = refresh_book(region or (), endpoint_url, offers, attempts=max_attempts)
        except PriceListError as exc:
            fail(f"{exc}; no price book written", exc.exit_code)
        emit(book_json(result.doc), output, quiet)
    book = result.doc["book"]
    say = [
        f"price book {book['hash']} ({book['version']}): {result.replaced} figures from the Price List, "
        f"{len(result.kept)} kept from the bundled book, {len(result.unrecognised)} products not recognised",
        *(f"kept: {k}" for k in result.kept),
        *(
            f"not recognised: {u['offer']} {u['sku']} {u['usage_type']} ({u['why']})"
            for u in result.unrecognised
        ),
        *(f"note: {n}" for n in result.notes),
    ]
    for line in say:
        typer.echo(line, err=True)
    if result.missing_regions:
        fail(
            "regions absent from the Price List answer (their figures kept): "
            + ", ".join(result.missing_regions),
            3,
        )


@group.command()
def diff(
    old: Annotated[str, typer.Argument(help="The old price book (a file, or 'bundled').")],
    new: Annotated[str, typer.Argument(help="The new price book (a file, or 'bundled').")],
    input: Annotated[
        Path | None,
        typer.Option(
            "--input",
            metavar="PATH",
            help="Also price this input (scenario CSV or inventory folder) under both books.",
        ),
    ] = None,
    month: MonthOption = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Compare two price books, and what the change does to an input's estimate.

    Lists every figure that differs (region, item, tier, old and new USD per unit) and, with --input,
    that input's charges under each book."""
    from ..app.prices import compare
    from ..outputs import machine, terminal
    from ..outputs.export.encode import csv_text
    from ..outputs.write import write_stdout

    with user_errors():
        result = compare(old, new, input, month)
    if format is Format.json:
        doc = {
            "old": result.old,
            "new": result.new,
            "figures": result.figures.to_dict(orient="records"),
        }
        if result.charges is not None:
            doc["estimate"] = {
                "charges": result.charges.to_dict(orient="records"),
                "total_usd_old": str(result.total_old),
                "total_usd_new": str(result.total_new),
                "change_usd": str((result.total_new or 0) - (result.total_old or 0)),
            }
        import json

        write_stdout(json.dumps(doc, indent=2) + "\n")
        return
    frames = [result.figures] if result.charges is None else [result.figures, result.charges]
    if format is Format.csv:
        write_stdout("".join(csv_text(f, decimals=[]) for f in frames))
    elif format is Format.markdown:
        write_stdout("\n".join(machine.markdown_table(f) for f in frames))
    else:
        console = terminal.console()
        console.print(f"old: {result.old['origin']} {result.old['hash']}")
        console.print(f"new: {result.new['origin']} {result.new['hash']}")
        if not len(result.figures):
            console.print("No figure differs.")
        for f in frames:
            if len(f):
                console.print(machine.markdown_table(f))
        if result.charges is not None:
            console.print(f"Estimate total: ${result.total_old} -> ${result.total_new}")
