"""``ecrcost collect`` (live AWS accounts into an inventory folder, read-only) and ``ecrcost iam-policy``
(the least-privilege policy it needs)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import one_line
from .common import MonthOption, user_errors
from .main import app


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
    month: MonthOption = None,
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
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace the inventory in DIR even when this run could not read everything and found "
            "fewer than half as many images as DIR holds (default: keep DIR as it is, exit 3).",
        ),
    ] = False,
    workloads: Annotated[
        bool,
        typer.Option(
            "--workloads",
            help="Also record what runs where (workloads table): ECS services, tasks and scheduled "
            "tasks, Lambda image functions, the pods of --kubeconfig / --context, and the images Amazon "
            "Inspector says are in use (a cross-check).",
        ),
    ] = False,
    kubeconfig: Annotated[
        Path | None,
        typer.Option(
            "--kubeconfig",
            metavar="FILE",
            help="With --workloads: read the pods of every context of this kubeconfig (GET /api/v1/pods).",
        ),
    ] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(
            "--context",
            metavar="NAME",
            help="With --workloads: only this kubeconfig context (repeatable; the kubeconfig is "
            "--kubeconfig, else $KUBECONFIG, else ~/.kube/config).",
        ),
    ] = None,
) -> None:
    """Read live AWS accounts into an inventory folder (read-only API calls only).

    DIR is replaced in one atomic step and always holds a complete inventory, the previous or the new
    one; a symbolic link is followed. A second collect into the same DIR stops at once (exit 2).
    Exit code 3 when some account, region, repository or image could not be read; collection.json
    lists them with the AWS error code. A run with such gaps that finds fewer than half the images
    of the inventory already in DIR keeps that inventory unless --force."""
    from ..core.period import Month
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
            month=Month.of(month),
            cache_dir=cache_dir,
            bytes_per_pull=bytes_per_pull,
            internet_share=internet_share,
            cross_region_share=cross_region_share,
            workers=workers,
            max_attempts=max_attempts,
            quiet=quiet,
            force=force,
            workloads=workloads,
            kubeconfig=kubeconfig,
            contexts=tuple(context or ()),
        )
        try:
            result = run_collect(options)
        except AWS_ERRORS as exc:
            typer.echo(one_line(f"error: AWS {error_code(exc)}: {message(exc)}"), err=True)
            raise typer.Exit(1) from None
        api = result.summary["api"]
        registries = len(result.summary["registries"])
        registry_word = "registry" if registries == 1 else "registries"
        typer.echo(
            one_line(
                f"{result.summary['images']} images from {registries} {registry_word} "
                f"{'→' if result.replaced else 'read for'} {output} "
                f"({api['calls_total']} API calls, minimum {api['minimum_total']})"
            ),
            err=True,
        )
        if workloads:
            typer.echo(
                one_line(
                    f"{result.summary.get('workloads', 0)} workload rows (ECS, Lambda, pods) → workloads"
                ),
                err=True,
            )
            from ..sources.collect.inspector import NOTE

            for note in result.summary.get("notes", []):
                if note.startswith(NOTE):
                    typer.echo(one_line(f"note: {note}"), err=True)
        if result.partial:
            for gap in result.gaps[:20]:
                typer.echo(one_line(f"not read: {gap.label()}"), err=True)
            where = "see collection.json" if result.replaced else "nothing written"
            typer.echo(f"partial coverage: {len(result.gaps)} not read; {where}", err=True)
        if not result.replaced:
            typer.echo(
                one_line(
                    f"kept the previous inventory in {output} ({result.previous_images} images): this run "
                    f"read {result.summary['images']}, fewer than half, with {len(result.gaps)} not read; "
                    "--force replaces it"
                ),
                err=True,
            )
        if result.partial:
            raise typer.Exit(3)


@app.command("iam-policy")
def iam_policy(
    assume_role: Annotated[
        bool, typer.Option("--assume-role", help="Include sts:AssumeRole (for --role-arn / --accounts).")
    ] = False,
    all_regions: Annotated[
        bool, typer.Option("--all-regions", help="Include ec2:DescribeRegions (for --all-regions).")
    ] = False,
    reconcile: Annotated[
        bool,
        typer.Option(
            "--reconcile",
            help="Include what reconcile reads bills with: ce:GetCostAndUsage, s3:ListBucket, s3:GetObject.",
        ),
    ] = False,
    workloads: Annotated[
        bool,
        typer.Option(
            "--workloads",
            help="Include what collect --workloads reads: ECS, EventBridge, EventBridge Scheduler, Lambda, "
            "Inspector.",
        ),
    ] = False,
    pulls: Annotated[
        bool,
        typer.Option(
            "--pulls",
            help="Include what pulls reads CloudTrail with: s3:ListBucket, s3:GetObject, "
            "cloudtrail:LookupEvents, ec2:DescribeNatGateways.",
        ),
    ] = False,
) -> None:
    """Print the least-privilege IAM policy that `collect` needs, generated from the code's declarations."""
    from ..sources.collect import policy_json

    sys.stdout.write(
        policy_json(
            roles=assume_role,
            all_regions=all_regions,
            reconcile=reconcile,
            workloads=workloads,
            pulls=pulls,
        )
    )
