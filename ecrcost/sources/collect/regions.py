"""Which regions to read: the ones named, or every region where ECR is offered and the account has
enabled (opt-in regions that are not enabled are skipped)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import boto3
import botocore.exceptions

from ...core.errors import InputError
from .permissions import declare
from .sessions import Account, Clients
from .shapes import BadAnswer, ask, region_names

declare("ec2", "DescribeRegions", when="--all-regions")

DEFAULT_REGION = "us-east-1"  # where DescribeRegions is asked for --all-regions when none is configured
NO_REGION = (
    "no AWS region configured: name one with --region R (repeatable) or --all-regions, or set "
    "AWS_REGION (or region in ~/.aws/config)"
)


def check(clients: Clients, named: Sequence[str], all_regions: bool) -> None:
    """Before any call: a region to read (like the AWS CLI, no silent us-east-1), and only region
    names botocore knows in some partition (a typo would read nothing)."""
    if named and all_regions:
        raise InputError("name regions or ask for all regions, not both", field="all_regions")
    if all_regions:
        return
    session = clients.base_session()
    if not named and not session.region_name:
        raise InputError(NO_REGION)
    known = known_regions(session)
    for region in named or [str(session.region_name)]:
        if region not in known:
            close = difflib.get_close_matches(region, known, 1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            if named:
                raise InputError(f"'{region}' is not an AWS region that offers ECR{hint}", field="region")
            raise InputError(f"the configured region '{region}' is not an AWS region that offers ECR{hint}")


def known_regions(session: boto3.Session) -> list[str]:
    """Every region of every partition where botocore's endpoint data lists ECR."""
    return sorted(
        {r for p in session.get_available_partitions() for r in session.get_available_regions("ecr", p)}
    )


def resolve(clients: Clients, named: Sequence[str], all_regions: bool) -> tuple[list[str], list[str]]:
    """(regions, notes), after :func:`check`. Without ``--region`` or ``--all-regions``: the session's
    configured region."""
    if named:
        return list(dict.fromkeys(named)), []
    session = clients.base_session()
    if not all_regions:
        return [str(session.region_name)], []
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
