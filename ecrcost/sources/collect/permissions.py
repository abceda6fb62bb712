"""The IAM actions collection needs, declared by the code that makes the calls.

Every module that calls AWS declares its operations with :func:`declare` at import time; ``ecrcost
iam-policy`` prints the least-privilege policy built from these declarations, and a test checks that a
full collection sends nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Operation:
    """One API operation: ``service`` is the boto3 client name, ``name`` the operation (CamelCase),
    ``action`` the IAM action it needs (``None``: no permission needed, e.g. GetCallerIdentity),
    ``when``: the option that brings it in (``""`` = always; several joined by ``|``)."""

    service: str
    name: str
    action: str | None
    when: str = ""


OPERATIONS: dict[tuple[str, str], Operation] = {}


def register(op: Operation) -> None:
    """Add ``op``; an operation another option already brings in gets this option too."""
    known = OPERATIONS.get((op.service, op.name))
    if known is not None and op.when not in known.when.split("|"):
        op = Operation(op.service, op.name, op.action, f"{known.when}|{op.when}")
    OPERATIONS[(op.service, op.name)] = op


def declare(service: str, *names: str, when: str = "", action_prefix: str | None = None) -> None:
    """Declare operations of ``service`` this module calls; the IAM action is ``prefix:Name``."""
    prefix = action_prefix or service
    for name in names:
        action = None if (service, name) == ("sts", "GetCallerIdentity") else f"{prefix}:{name}"
        register(Operation(service, name, action, when))


def _load_all() -> None:
    # Importing the callers runs their declarations.
    from ..bill import costexplorer, locate  # noqa: F401  (reconcile's bill sources)
    from ..trail import files, lookup, nat  # noqa: F401  (ecrcost pulls' trail sources)
    from . import metrics, reader, regions, sessions, workloads  # noqa: F401


def actions(
    roles: bool = False,
    all_regions: bool = False,
    reconcile: bool = False,
    workloads: bool = False,
    pulls: bool = False,
) -> list[str]:
    """Sorted IAM actions a collection with these options needs (``reconcile``: and reading bills from
    S3 and Cost Explorer; ``workloads``: and reading ECS, EventBridge, Scheduler, Lambda and Inspector;
    ``pulls``: and reading CloudTrail from S3 or LookupEvents)."""
    _load_all()
    wanted = {""} | ({"--role-arn"} if roles else set()) | ({"--all-regions"} if all_regions else set())
    wanted |= {"--workloads"} if workloads else set()
    prefixes = tuple(p for p, on in (("reconcile", reconcile), ("pulls", pulls)) if on)

    def needed(op: Operation) -> bool:
        whens = op.when.split("|")
        return any(w in wanted or (prefixes and w.startswith(prefixes)) for w in whens)

    return sorted({op.action for op in OPERATIONS.values() if op.action and needed(op)})


def policy(
    roles: bool = False,
    all_regions: bool = False,
    reconcile: bool = False,
    workloads: bool = False,
    pulls: bool = False,
) -> dict[str, Any]:
    """The least-privilege IAM policy document (one read-only statement per service)."""
    by_service: dict[str, list[str]] = {}
    for action in actions(roles, all_regions, reconcile, workloads, pulls):
        by_service.setdefault(action.split(":")[0], []).append(action)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": f"Ecrcost{service.capitalize()}", "Effect": "Allow", "Action": acts, "Resource": "*"}
            for service, acts in sorted(by_service.items())
        ],
    }


def policy_json(
    roles: bool = False,
    all_regions: bool = False,
    reconcile: bool = False,
    workloads: bool = False,
    pulls: bool = False,
) -> str:
    return json.dumps(policy(roles, all_regions, reconcile, workloads, pulls), indent=2) + "\n"
