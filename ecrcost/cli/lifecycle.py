"""``ecrcost lifecycle``: what ECR lifecycle policies would expire or archive, and what that saves."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import one_line
from .common import (
    FORMAT_HELP,
    Billing,
    Blob,
    MonthOption,
    Mounting,
    Output,
    Prices,
    Quiet,
    Scope,
    check_target,
    emit,
    fail,
    output_format,
    pricing,
    show,
    user_errors,
    working,
)
from .main import app

UNSAFE = 5  # exit code: --fail-on-unsafe and a policy would expire or archive a protected image


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
    month: MonthOption = None,
    format: Annotated[LifecycleFormat | None, typer.Option("--format", "-f", help=FORMAT_HELP)] = None,
    output: Output = None,
    quiet: Quiet = False,
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
    fail_on_unsafe: Annotated[
        bool,
        typer.Option(
            "--fail-on-unsafe",
            help="Exit 5 (after the output) when any policy would expire or archive a protected image "
            "(an image the inventory's workloads table says runs, --in-use, --keep-tags).",
        ),
    ] = False,
    actions: Annotated[
        Path | None,
        typer.Option(
            "--actions",
            metavar="FILE",
            help="Also write every image a policy expires or archives as a table, one row per policy "
            "and image (.parquet or .csv): the JSON's actions, for millions of images.",
        ),
    ] = None,
    prices: Prices = None,
    blob_mounting: Blob = Mounting.collected,
    billing: Billing = Scope.organization,
) -> None:
    """What-if: apply ECR lifecycle policies to an inventory and price the monthly storage saving.

    Before and after: the images stored at --as-of, priced as if stored all --month
    (a monthly run-rate). Bytes freed count only layers no kept image still uses.
    Images the inventory's workloads table says run (collect --workloads, ecrcost workloads) are
    protected automatically: kept in the after state, so the saving excludes them.
    Exit 5 with --fail-on-unsafe when a policy is not safe."""
    from ..analysis.lifecycle import read_in_use, read_policy
    from ..app.lifecycle import what_if
    from ..outputs import lifecycle as render
    from ..outputs.lifecycle_actions import actions_format, write_actions

    with user_errors():
        chosen = output_format(format, output, LifecycleFormat, LifecycleFormat.table)
        if actions is not None:
            actions_format(actions)
            check_target(actions, "--actions", folder=False)
        options = pricing(month, "0", blob_mounting, prices, billing)
        policies = [read_policy(p) for p in policy or ()]
        refs = read_in_use(in_use) if in_use is not None else ()
        sims = what_if(
            path,
            policies,
            options=options,
            as_of=as_of,
            in_use=refs,
            keep_tags=keep_tags or (),
            repositories=repository or (),
            step=working,
        )
        if chosen is LifecycleFormat.json:
            emit(render.json_chunks(sims), output, quiet)
        else:
            show([render.comparison(sims)], output, quiet)
        if actions is not None:
            write_actions(sims, actions)
            if not quiet:
                typer.echo(one_line(f"wrote {actions}"), err=True)
    unsafe = [s.name for s in sims if not s.safe]
    if fail_on_unsafe and unsafe:
        fail(f"unsafe: {', '.join(unsafe)} would expire or archive a protected image", UNSAFE)
