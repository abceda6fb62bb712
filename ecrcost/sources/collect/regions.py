"""Which regions to read: the ones named, or every region where ECR is offered and the account has
enabled (opt-in regions that are not enabled are skipped)."""

from __future__ import annotations

from collections.abc import Sequence

import botocore.exceptions

from ...core.errors import InputError
from .permissions import declare
from .sessions import Account, Clients
from .shapes import BadAnswer, ask, region_names

declare("ec2", "DescribeRegions", when="--all-regions")

DEFAULT_REGION = "us-east-1"


def resolve(clients: Clients, named: Sequence[str], all_regions: bool) -> tuple[list[str], list[str]]:
    """(regions, notes). Without ``--region`` or ``--all-regions``: the session's default region."""
    if named and all_regions:
        raise InputError("name regions or ask for all regions, not both", field="all_regions")
    if named:
        return list(dict.fromkeys(named)), []
    session = clients.base_session()
    if not all_regions:
        return [session.region_name or DEFAULT_REGION], []
    offered = session.get_available_regions("ecr")
    try:
        ec2 = clients.client("ec2", Account("base"), session.region_name or DEFAULT_REGION, attempts=2)
        enabled = ask("DescribeRegions", lambda: ec2.describe_regions(AllRegions=False), region_names)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, BadAnswer) as exc:
        return offered, [f"enabled regions unknown ({_code(exc)}): tried every region that offers ECR"]
    return [r for r in offered if r in enabled], []


def _code(exc: Exception) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", "error"))
    return type(exc).__name__
