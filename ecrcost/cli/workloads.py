"""``ecrcost workloads``: add what runs where to an inventory from a file (``--from-kubectl``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import one_line
from .common import Quiet, user_errors
from .main import app


@app.command()
def workloads(
    path: Annotated[Path, typer.Argument(help="Inventory folder (collect's output).")],
    from_kubectl: Annotated[
        Path,
        typer.Option(
            "--from-kubectl",
            metavar="FILE",
            help="The output of kubectl get pods -A -o json: its running pods replace the earlier pods "
            "of --cluster in the inventory's workloads table.",
        ),
    ],
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            metavar="NAME",
            help="The cluster the pods run in (its rows are replaced). Default: the file's name "
            "without extension.",
        ),
    ] = None,
    account_id: Annotated[
        str, typer.Option("--account-id", metavar="ID", help="AWS account the cluster runs in (if known).")
    ] = "",
    region: Annotated[str, typer.Option("--region", metavar="R", help="Region the cluster runs in.")] = "",
    quiet: Quiet = False,
) -> None:
    """Add the pods of a kubectl file to the inventory's workloads table (atomically).

    For clusters collect cannot reach: a platform team hands over `kubectl get pods -A -o json`
    instead of credentials. The lifecycle what-if then protects the images those pods run, and
    report --by workload charges them."""
    from ..app.workloads import add_kubectl

    with user_errors():
        added = add_kubectl(path, from_kubectl, cluster or from_kubectl.stem, account_id, region)
    if not quiet:
        typer.echo(
            one_line(f"{added.pods} pods, {added.rows} image rows of {added.cluster} → {path}/workloads"),
            err=True,
        )
