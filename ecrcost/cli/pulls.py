"""``ecrcost pulls``: transfer measured from CloudTrail's layer downloads, written into an inventory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import one_line
from .common import MonthOption, user_errors
from .main import app


@app.command()
def pulls(
    inventory: Annotated[Path, typer.Argument(metavar="INVENTORY", help="Inventory folder (from collect).")],
    trail: Annotated[
        str,
        typer.Option(
            "--trail",
            metavar="SOURCE",
            help="Trail files: a folder (.json.gz or .json, any depth), s3://bucket/prefix (AWS's "
            "AWSLogs/ layout, organization trails too), or lookup-events (CloudTrail LookupEvents, "
            "last 90 days).",
        ),
    ],
    month: MonthOption = None,
    ip_ranges: Annotated[
        Path | None,
        typer.Option(
            "--ip-ranges",
            metavar="FILE",
            help="AWS's ip-ranges.json. Default: the cached copy (~/.cache/ecrcost/ip-ranges.json).",
        ),
    ] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile (boto3 chain).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Parallel S3 downloads.")] = 8,
    nat_gateways: Annotated[
        bool,
        typer.Option(
            "--nat-gateways",
            help="Read the account's NAT gateway addresses (ec2 DescribeNatGateways): downloads from them "
            "also count as NAT processing (billed under VPC, reported apart).",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Measure transfer from CloudTrail's layer downloads, into the inventory.

    Each GetDownloadUrlForLayer is one layer download, sized from
    the inventory's layers and placed by its source address (same region, another region, internet,
    an AWS service). Writes the inventory's transfer (basis cloudtrail) and pulls tables, and the
    coverage into collection.json, in one atomic step; `ecrcost estimate INVENTORY` then prices them.

    Days of the month the trail does not cover are not extrapolated: they are listed, and the exit
    code is 3 (as are unreadable trail files and failed calls). A registry the trail has nothing for
    keeps collect's estimate (basis estimate)."""
    from ..core.period import Month
    from ..sources.collect.coverage import AWS_ERRORS, error_code, message
    from ..sources.trail import Options, read_trail
    from ..sources.trail.attribute import CLASSES, gb_text

    with user_errors():
        options = Options(
            inventory=inventory,
            trail=trail,
            month=Month.of(month),
            ip_ranges=ip_ranges,
            profile=profile,
            workers=workers,
            quiet=quiet,
            nat_gateways=nat_gateways,
        )
        try:
            result = read_trail(options)
        except AWS_ERRORS as exc:
            typer.echo(one_line(f"error: AWS {error_code(exc)}: {message(exc)}"), err=True)
            raise typer.Exit(1) from None
    s = result.summary
    total = s["bytes"]
    shares = ", ".join(f"{c.replace('_', ' ')} {_gb(gb_text(s['bytes_by_class'][c]))} GB" for c in CLASSES)
    ranges = s["ip_ranges"]
    say = [
        f"{s['download_events']} layer downloads ({_gb(gb_text(total))} GB) and {s['pull_events']} "
        f"manifest fetches from {s['files_read']} trail file(s) → {inventory}",
        f"where they went: {shares}",
        f"ip-ranges.json syncToken {ranges['syncToken']} createDate {ranges['createDate']}",
    ]
    if s["unclassified_bytes"]:
        share = 100 * s["unclassified_bytes"] / total if total else 0
        say.append(
            f"unclassified: {_gb(gb_text(s['unclassified_bytes']))} GB ({share:.2f}%) from AWS addresses of "
            "no priced region or no address at all, counted as internet"
        )
    if s["nat_gateways"]:
        say.append(f"through NAT gateways: {_gb(gb_text(s['nat_gateway_bytes']))} GB (NAT processing)")
    if s["unknown_layer_events"]:
        first = s["unknown_layers"][0]
        say.append(
            f"{s['unknown_layer_events']} download(s) of layers the inventory does not hold (bytes unknown, "
            f"not counted), e.g. {first['repository']} {first['layer_digest']}"
        )
    for reason, n in sorted(s["skipped_events"].items()):
        say.append(f"skipped {n} event(s): {reason}")
    for kept in s["coverage"]["estimate_kept"]:
        say.append(
            f"no trail for {kept['account_id']}/{kept['region']}: collect's estimate kept (basis estimate)"
        )
    for line in say:
        typer.echo(one_line(line), err=True)
    if result.partial:
        for gap in result.gaps[:20]:
            why = f" ({gap.message})" if gap.message and gap.error_code != "BadAnswer" else ""
            typer.echo(one_line(f"not read: {gap.label()}{why}"), err=True)
        typer.echo(
            f"partial coverage: {len(result.gaps)} not read; the missing days are not extrapolated; "
            "see collection.json",
            err=True,
        )
        raise typer.Exit(3)


def _gb(text: str) -> str:
    """GB to three decimals for a person (the tables keep every digit)."""
    from decimal import ROUND_HALF_EVEN, Decimal

    return str(Decimal(text).quantize(Decimal("0.001"), ROUND_HALF_EVEN))
