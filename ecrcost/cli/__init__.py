"""The ecrcost command line: a thin typer shell over the Python API."""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

try:  # typer >= 0.26 carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer on the real click
    from click import exceptions as click_errors  # type: ignore[no-redef]

from .. import __version__
from ..app import report as report_files
from ..core.errors import InputError, one_line
from ..core.estimate import Estimate
from ..core.pricebook import PriceBook, load_pricebook
from ..core.pricing import estimate as run_estimate
from ..core.usage import Usage
from ..outputs import export as export_
from ..outputs import machine, terminal
from ..outputs.write import write_atomic
from ..sources.load import load, sample_path


class OneLineErrors(TyperGroup):
    """Usage errors (an unknown option, ``--format xml``) as one ``error:`` line and exit 2, like every
    other bad input, instead of click's usage block."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except click_errors.NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help() if exc.ctx else str(exc))
            rv = 2
        except click_errors.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "ecrcost"
            typer.echo(one_line(f"error: {exc.format_message()} (see '{command} --help')"), err=True)
            rv = 2
        except typer.Abort:
            typer.echo("aborted", err=True)
            rv = 1
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    help="Estimate what an Amazon ECR registry costs: deduplicated layer storage, tiered transfer, "
    "to the cent.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


Month = Annotated[
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
Blob = Annotated[
    bool,
    typer.Option(
        "--blob-mounting",
        help="Layers shared across repositories of one registry "
        "are stored once (registry blob mounting enabled).",
    ),
]
Prices = Annotated[
    Path | None, typer.Option("--prices", metavar="FILE", help="JSON price book patching the bundled one.")
]
Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (atomically) instead of stdout."),
]


def fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def user_errors():
    """Bad input → one line on stderr, exit code 2, no traceback."""
    try:
        yield
    except InputError as exc:
        fail(str(exc))


@contextmanager
def working(message: str):
    """A spinner on a terminal; nothing in pipes and CI."""
    if sys.stderr.isatty():
        with terminal.console(stderr=True).status(message):
            yield
    else:
        yield


def _price(path: Path, month: str | None, free_gb: str, blob: bool, prices: Path | None) -> Estimate:
    return _load_and_price(path, month, free_gb, blob, prices)[2]


def _load_and_price(
    path: Path, month: str | None, free_gb: str, blob: bool, prices: Path | None
) -> tuple[Usage, PriceBook, Estimate]:
    book = load_pricebook(prices)
    with working(f"Reading {path}"):
        usage = load(path, book)
    with working("Pricing"):
        est = run_estimate(usage, month=month, prices=book, free_internet_gb=free_gb, blob_mounting=blob)
    return usage, book, est


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)


@app.command()
def estimate(
    path: Annotated[Path, typer.Argument(help="Scenario CSV or inventory folder.")],
    month: Month = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    output: Output = None,
    free_internet_gb: FreeGB = "0",
    blob_mounting: Blob = False,
    prices: Prices = None,
) -> None:
    """Price one input (scenario CSV or inventory folder) for one month."""
    with user_errors():
        est = _price(path, month, free_internet_gb, blob_mounting, prices)
        if format is Format.table:
            con = terminal.console()
            if output is None:
                con.print(terminal.estimate_table(est))
                if (notes := terminal.notes_panel(est)) is not None:
                    con.print(notes)
                return
            with con.capture() as cap:
                con.print(terminal.estimate_table(est))
            _emit(cap.get(), output)
            return
        render = {
            Format.json: machine.to_json,
            Format.csv: machine.to_csv,
            Format.markdown: machine.to_markdown,
        }
        _emit(render[format](est), output)


@app.command()
def report(
    path: Annotated[
        Path | None,
        typer.Argument(help="Scenario CSV or inventory folder. Default: the bundled sample registry."),
    ] = None,
    month: Month = None,
    free_internet_gb: FreeGB = "0",
    blob_mounting: Blob = False,
    prices: Prices = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many repositories to list.")] = 10,
    namespace_depth: Annotated[
        int, typer.Option("--namespace-depth", min=1, help="Path segments that name a namespace.")
    ] = 1,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="Also write the report as one self-contained HTML file with charts.",
        ),
    ] = None,
    charts: Annotated[
        Path | None,
        typer.Option("--charts", metavar="DIR", help="Also write each chart to DIR as PNG and SVG."),
    ] = None,
    history: Annotated[
        int,
        typer.Option(
            "--history",
            min=1,
            max=36,
            metavar="N",
            help="Cost-over-time chart: the N months ending with --month, priced from push history "
            "(inventories). 1: this month and a 6-month projection.",
        ),
    ] = 1,
    compare: Annotated[
        list[Path] | None,
        typer.Option(
            "--compare",
            metavar="PATH",
            help="Cost-over-time chart: other inventories (repeatable), e.g. earlier snapshots, each priced "
            "for the month in its collection.json (else --month); replaces --history.",
        ),
    ] = None,
) -> None:
    """The human report: totals, storage vs transfer, top repositories, namespaces, regions, tiers.

    With --html or --charts, also the charts: top repositories, cost by namespace, internet egress by
    tier, stored GB by image age (inventories) and cost over time (inventories)."""
    with user_errors():
        if html is not None:
            report_files.check_target(html, "--html", folder=False)
        if charts is not None:
            report_files.check_target(charts, "--charts", folder=True)
        book = load_pricebook(prices)
        with working(f"Reading {path or sample_path()}"):
            usage = load(path or sample_path(), book)
        with working("Pricing"):
            est = run_estimate(
                usage,
                month=month,
                prices=book,
                free_internet_gb=free_internet_gb,
                blob_mounting=blob_mounting,
            )
        files: list[tuple[Path, bytes]] = []
        if html is not None or charts is not None:  # everything rendered before anything is printed
            with working("Drawing charts"):
                snapshots = [(p, report_files.snapshot(p, book, est)) for p in compare or ()]
                if snapshots:
                    snapshots.append((path or sample_path(), est))
                files = report_files.render(
                    usage, est, book, html, charts, history, snapshots, top, namespace_depth
                )
        terminal.console().print(terminal.report(est, top=top, namespace_depth=namespace_depth))
        if files:
            for name, data in files:
                write_atomic(name, data)
            if charts is not None:
                written = sum(1 for n, _ in files if n != html)
                typer.echo(f"wrote {written} chart files (PNG and SVG) to {charts}", err=True)
            if html is not None:
                typer.echo(f"wrote {html}", err=True)


@app.command()
def prices(
    region: Annotated[str | None, typer.Option("--region", help="Only this region (and ECR Public).")] = None,
    prices: Prices = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Show the price book in use, with the source, date and confidence of each figure.

    Confidence: V = AWS primary source, S = secondary source quoting AWS, R = unverified assumption
    (shown in yellow; override with --prices), user = from your --prices file."""
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


class ExportFormat(StrEnum):
    focus = "focus"
    simple = "simple"


@app.command()
def export(
    path: Annotated[Path, typer.Argument(help="Scenario CSV or inventory folder.")],
    month: Month = None,
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
            help="Write to FILE (atomically); Parquet when FILE ends in .parquet. Default: CSV on stdout.",
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
    blob_mounting: Blob = False,
    prices: Prices = None,
) -> None:
    """The monthly finance export: amounts to the cent that sum exactly to `estimate`'s total.

    Cells a spreadsheet would run as formulas (starting with = + - @) are neutralised with a quote."""
    with user_errors():
        if account_id and not re.fullmatch(r"[0-9]{12}", account_id):
            raise InputError(f"'{account_id}' is not a 12-digit account id", column="--account-id")
        percent = _percent(discount, "--discount-percent")
        if percent and format is not ExportFormat.focus:
            raise InputError("a discount applies to the FOCUS layout only", column="--discount-percent")
        usage, book, est = _load_and_price(path, month, free_internet_gb, blob_mounting, prices)
        if format is ExportFormat.focus:
            frame = export_.focus_frame(est, usage, book, account_id, namespace_depth, percent)
            decimals, times = export_.focus.DECIMALS, export_.focus.TIMESTAMPS
        else:
            frame = export_.simple_frame(est, usage, team_tag, namespace_depth)
            decimals, times = export_.simple.DECIMALS, []
        if output is None:
            sys.stdout.write(export_.encode.csv_text(frame, decimals))
        else:
            export_.write_export(frame, output, decimals, times)


def _percent(text: str, option: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 <= value < 100:
        raise InputError(f"'{text}' is not a percentage from 0 up to 100", column=option)
    return value


class InventoryFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


@app.command()
def collect(
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="DIR", help="Inventory folder to write (atomically).")
    ],
    region: Annotated[
        list[str] | None,
        typer.Option("--region", metavar="R", help="Region to read (repeatable). Default: the session's."),
    ] = None,
    all_regions: Annotated[
        bool, typer.Option("--all-regions", help="Every region that offers ECR and is enabled.")
    ] = False,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile (boto3 chain).")] = None,
    role_arn: Annotated[
        list[str] | None,
        typer.Option("--role-arn", metavar="ARN", help="Role to assume per account (repeatable)."),
    ] = None,
    accounts: Annotated[
        Path | None,
        typer.Option("--accounts", metavar="FILE", help="Role ARNs, one per line: ARN[,EXTERNAL_ID]."),
    ] = None,
    external_id: Annotated[
        str | None, typer.Option("--external-id", help="External id for AssumeRole.")
    ] = None,
    format: Annotated[
        InventoryFormat, typer.Option("--format", "-f", help="Table format.")
    ] = InventoryFormat.parquet,
    month: Month = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", metavar="DIR", help="Manifest cache (default: the user cache folder)."),
    ] = None,
    bytes_per_pull: Annotated[
        str,
        typer.Option(
            "--bytes-per-pull",
            metavar="full|BYTES",
            help="Transfer estimate: bytes one pull moves; full = the repository's average image size.",
        ),
    ] = "full",
    internet_share: Annotated[
        str, typer.Option("--internet-share", metavar="F", help="Share of pulled bytes leaving AWS (0-1).")
    ] = "0",
    cross_region_share: Annotated[
        str,
        typer.Option("--cross-region-share", metavar="F", help="Share pulled from another region (0-1)."),
    ] = "0",
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Parallel requests.")] = 8,
    max_attempts: Annotated[
        int, typer.Option("--max-attempts", min=1, max=20, help="Attempts per API call, retries included.")
    ] = 8,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Read live AWS accounts into an inventory folder (read-only API calls only).

    Exit code 3 when some account, region, repository or image could not be read; collection.json
    lists them with the AWS error code."""
    from ..sources.collect import Options
    from ..sources.collect import collect as run_collect
    from ..sources.collect.coverage import AWS_ERRORS, error_code, message

    with user_errors():
        options = Options(
            output=output,
            regions=tuple(region or ()),
            all_regions=all_regions,
            profile=profile,
            role_arns=tuple(role_arn or ()),
            accounts_file=accounts,
            external_id=external_id,
            format=format.value,
            month=month,
            cache_dir=cache_dir,
            bytes_per_pull=bytes_per_pull,
            internet_share=internet_share,
            cross_region_share=cross_region_share,
            workers=workers,
            max_attempts=max_attempts,
            quiet=quiet,
        )
        try:
            result = run_collect(options)
        except AWS_ERRORS as exc:
            typer.echo(one_line(f"error: AWS {error_code(exc)}: {message(exc)}"), err=True)
            raise typer.Exit(1) from None
        api = result.summary["api"]
        typer.echo(
            f"{result.summary['images']} images from {len(result.summary['registries'])} registries "
            f"→ {output} ({api['calls_total']} API calls, minimum {api['minimum_total']})",
            err=True,
        )
        if result.partial:
            for gap in result.gaps[:20]:
                typer.echo(one_line(f"not read: {gap.label()}"), err=True)
            typer.echo(f"partial coverage: {len(result.gaps)} not read; see collection.json", err=True)
            raise typer.Exit(3)


@app.command("iam-policy")
def iam_policy(
    assume_role: Annotated[
        bool, typer.Option("--assume-role", help="Include sts:AssumeRole (for --role-arn / --accounts).")
    ] = False,
    all_regions: Annotated[
        bool, typer.Option("--all-regions", help="Include ec2:DescribeRegions (for --all-regions).")
    ] = False,
) -> None:
    """Print the least-privilege IAM policy that `collect` needs, generated from the code's declarations."""
    from ..sources.collect import policy_json

    sys.stdout.write(policy_json(roles=assume_role, all_regions=all_regions))


class LifecycleFormat(StrEnum):
    table = "table"
    json = "json"


@app.command()
def lifecycle(
    path: Annotated[Path, typer.Argument(help="Inventory folder (images, optionally layers).")],
    policy: Annotated[
        list[Path] | None,
        typer.Option(
            "--policy",
            metavar="FILE",
            help="Lifecycle policy JSON applied to every repository (repeatable: compared side by side). "
            "Default: each repository's stored policy (repositories table).",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="TIMESTAMP", help="When the policy runs (ISO 8601, UTC). Default: now."
        ),
    ] = None,
    month: Month = None,
    format: Annotated[
        LifecycleFormat, typer.Option("--format", "-f", help="Output format.")
    ] = LifecycleFormat.table,
    output: Output = None,
    in_use: Annotated[
        Path | None,
        typer.Option(
            "--in-use",
            metavar="FILE",
            help="Images in use, one per line (digest, repo@digest, repo:tag or image URI): "
            "a policy that would expire or archive one is reported unsafe.",
        ),
    ] = None,
    keep_tags: Annotated[
        list[str] | None,
        typer.Option(
            "--keep-tags",
            metavar="PATTERN",
            help="Tags to keep (wildcards *, repeatable), e.g. release-*: same safety check as --in-use.",
        ),
    ] = None,
    repository: Annotated[
        list[str] | None,
        typer.Option(
            "--repository",
            metavar="PATTERN",
            help="Only repositories whose name matches (wildcards *, repeatable), e.g. team-a/*.",
        ),
    ] = None,
    prices: Prices = None,
    blob_mounting: Blob = False,
) -> None:
    """What-if: apply ECR lifecycle policies to an inventory and price the monthly storage saving.

    Before and after: the images stored at --as-of, priced as if stored all --month
    (a monthly run-rate). Bytes freed count only layers no kept image still uses."""
    from ..analysis.lifecycle import only_repositories, read_in_use, read_policy, simulate, stored_policies
    from ..outputs import lifecycle as render_lifecycle

    with user_errors():
        book = load_pricebook(prices)
        policies = [read_policy(p) for p in policy or ()]
        refs = read_in_use(in_use) if in_use is not None else ()
        with working(f"Reading {path}"):
            usage = load(path, book)
        if usage.images is None:
            raise InputError("lifecycle needs an inventory folder (images.csv or images.parquet)", file=path)
        usage = only_repositories(usage, repository or ())
        choices: list[Any] = list(policies)
        if not choices:
            stored = stored_policies(usage)
            if not stored:
                raise InputError(
                    "no --policy given and no repository of this inventory has a stored lifecycle policy "
                    "(repositories table, lifecycle_policy column)",
                    file=path,
                )
            choices = [stored]
        with working("Simulating"):
            sims = [
                simulate(
                    usage,
                    choice,
                    as_of=as_of,
                    month=month,
                    prices=book,
                    blob_mounting=blob_mounting,
                    in_use_refs=refs,
                    keep_tags=keep_tags or (),
                )
                for choice in choices
            ]
        if format is LifecycleFormat.json:
            _emit(render_lifecycle.to_json(sims), output)
            return
        con = terminal.console()
        if output is None:
            con.print(render_lifecycle.comparison(sims))
            return
        with con.capture() as cap:
            con.print(render_lifecycle.comparison(sims))
        _emit(cap.get(), output)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ecrcost {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    pass


def main() -> None:
    app()
