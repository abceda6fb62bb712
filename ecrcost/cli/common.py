"""What the commands share: option types, their parsing into typed values (errors name the option),
one line per bad input, progress on a terminal, writing output."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from ..core.errors import InputError, one_line

if TYPE_CHECKING:
    from rich.console import RenderableType

    from ..core.estimate import Estimate
    from ..core.options import PricingOptions
    from ..core.usage import Usage
    from ..outputs.write import Chunk


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


F = TypeVar("F", bound=StrEnum)

FORMAT_HELP = "Output format. Default: the one --output's extension names (.json .csv .md .txt), else table."
# What --output's extension chooses when --format is not given.
BY_SUFFIX = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown", ".txt": "table"}
# File names that are surely a format typed in the wrong place (AWS CLI users type --output json).
FORMAT_WORDS = {
    "table": "table",
    "json": "json",
    "csv": "csv",
    "markdown": "markdown",
    "md": "markdown",
    "text": "table",
    "yaml": "json",
    "parquet": "parquet",
}
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Do not say on stderr which files were written.")]


MonthOption = Annotated[
    str | None,
    typer.Option(
        "--month", metavar="YYYY-MM", help="Billing month YYYY-MM (UTC). Default: the current month."
    ),
]
FreeGB = Annotated[
    str,
    typer.Option(
        "--free-internet-gb",
        metavar="GB",
        help="Account-wide free internet allowance to apply, GB "
        "(AWS grants 100 shared by all services). Default 0.",
    ),
]


class Mounting(StrEnum):
    on = "on"
    off = "off"
    collected = "collected"


class Scope(StrEnum):
    organization = "organization"
    account = "account"


Blob = Annotated[
    Mounting,
    typer.Option(
        "--blob-mounting",
        metavar="[on|off|collected]",
        help="Layers shared across repositories of one registry are stored once: on, off, or as collect "
        "found each registry (off where unknown). The bare option means on. Default: collected.",
    ),
]
Billing = Annotated[
    Scope,
    typer.Option(
        "--billing",
        help="organization: every account of the input on one consolidated bill (volume tiers and free "
        "allowances pooled over them); account: each account billed alone.",
    ),
]
OtherGB = Annotated[
    list[str] | None,
    typer.Option(
        "--other-internet-gb",
        metavar="[ACCOUNT/][REGION=]GB",
        help="Internet egress of other services on the same bill, GB this month (repeatable per region): "
        "it shares the volume tiers and the free allowance with ECR's. Default 0.",
    ),
]
Accounts = Annotated[
    list[str] | None,
    typer.Option(
        "--account",
        metavar="ID",
        help="Only this account (repeatable): a partitioned inventory's other account_id= folders are "
        "never opened, other rows are left out. Default: every account.",
    ),
]
Regions = Annotated[
    list[str] | None,
    typer.Option(
        "--region",
        metavar="R",
        help="Only this region (repeatable), as --account. Default: every region.",
    ),
]
Prices = Annotated[
    Path | None, typer.Option("--prices", metavar="FILE", help="JSON price book patching the bundled one.")
]
Output = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to FILE instead of stdout: a file is replaced atomically (keeping its permissions), "
        "a link's target is replaced, a device or FIFO is written through; - is stdout.",
    ),
]


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(one_line(f"error: {message}"), err=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Bad input → one line on stderr, exit code 2, no traceback (an output the system could not
    write: exit 1). A value the core rejects (its ``field``) is named by the option that gave it."""
    try:
        yield
    except InputError as exc:
        if exc.field and not exc.column:
            exc.column = "--" + exc.field.replace("_", "-")
        fail(str(exc), exc.exit_code)


def working(message: str) -> AbstractContextManager[object]:
    """A spinner on a terminal; nothing in pipes and CI."""
    if not sys.stderr.isatty():
        return nullcontext()
    from ..outputs import terminal

    return terminal.console(stderr=True).status(terminal.plain(message))


def pricing(
    month: str | None,
    free_internet_gb: str,
    blob_mounting: Mounting,
    prices: Path | None,
    billing: Scope = Scope.organization,
    other_internet_gb: list[str] | None = None,
) -> PricingOptions:
    """The pricing options of a command, parsed once, here."""
    from ..core.options import PricingOptions

    return PricingOptions.of(
        month,
        prices=prices,
        free_internet_gb=free_internet_gb,
        blob_mounting=blob_mounting.value,
        billing=billing.value,
        other_internet_gb=other_internet_gb or (),
    )


def priced(
    path: Path,
    options: PricingOptions,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    image_columns: Iterable[str] | None = None,
) -> tuple[Usage, Estimate]:
    """The input read (only ``accounts``, ``regions`` and ``image_columns`` of a Parquet inventory's
    images, when given) and priced."""
    from ..core.pricing import estimate
    from ..sources.load import load

    with working(f"Reading {path}"):
        usage = load(
            path, options.prices, accounts=accounts or (), regions=regions or (), image_columns=image_columns
        )
    with working("Pricing"):
        return usage, estimate(usage, options=options)


def output_format(chosen: F | None, output: Path | None, kind: type[F], default: F) -> F:
    """``--format`` when given; else the format ``--output``'s extension names (:data:`BY_SUFFIX`);
    else ``default``. Without ``--format``, a format word as the file name (``--output json``, as the
    AWS CLI takes it) is an error saying so; with it, a file of that name is written."""
    if chosen is not None:
        return chosen
    choices = [k.value for k in kind]
    word = FORMAT_WORDS.get(str(output).lower(), "")
    fit = word if word in choices else "|".join(choices)
    check_output_name(
        output,
        f"use --format {fit} (a file name ending in .json .csv .md or .txt chooses it too; "
        f"with --format given, --output {output} writes a file of that name)",
    )
    if output is None or str(output) == "-" or (named := BY_SUFFIX.get(output.suffix.lower())) is None:
        return default
    if named not in choices:
        raise InputError(
            f"this command writes no {named} (its formats: {', '.join(choices)}); choose one with --format",
            column="--output",
        )
    return kind(named)


def check_output_name(output: Path | None, hint: str) -> None:
    """``--output json`` (or csv, table, markdown…) is a format typed where a file name goes."""
    word = str(output) if output is not None else ""
    if word.lower() in FORMAT_WORDS:
        raise InputError(f"'{word}' is a format, not a file name: {hint}", column="--output")


def emit(text: str | bytes | Iterable[Chunk], output: Path | None, quiet: bool = False) -> None:
    """``text`` (or its pieces, one after the other: a large result is never one string) to ``output``
    (see :func:`ecrcost.outputs.write.write_chunks`), or stdout when None; a file written is named on
    stderr ("wrote FILE") unless ``quiet``."""
    from ..outputs.write import STDOUT, write_chunks

    pieces = [text.encode("utf-8")] if isinstance(text, str) else [text] if isinstance(text, bytes) else text
    if output is None or str(output) == STDOUT:
        write_chunks(STDOUT, pieces)
        return
    write_chunks(output, pieces)
    if not quiet:
        typer.echo(one_line(f"wrote {output}"), err=True)


def show(items: Sequence[RenderableType], output: Path | None, quiet: bool = False) -> None:
    """Rich renderables: on a terminal in its colours and width; to a pipe or ``output`` as plain text
    as wide as its tables (see :func:`ecrcost.outputs.terminal.text`)."""
    from ..outputs import terminal

    if output is None and sys.stdout.isatty():
        con = terminal.console()
        for item in items:
            con.print(item)
        return
    emit(terminal.text(items), output, quiet)


def check_target(target: Path, option: str, folder: bool) -> None:
    """Fail before any work when ``target`` cannot be written: a file name that is a folder (or the
    reverse), or a place whose nearest existing parent is not a writable folder."""
    import os

    if str(target) == "-":
        raise InputError(f"stdout carries the report: {option} needs a file name", file=target)
    if not folder and target.is_dir():
        raise InputError(f"is a folder: {option} needs a file name", file=target)
    if folder and target.exists() and not target.is_dir():
        raise InputError(f"is a file: {option} needs a folder", file=target)
    existing = target if folder and target.is_dir() else target.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"cannot write here ({existing} is not a writable folder)", file=target)
