"""What the finance export knows of each repository beyond its cost: its ARN and its tags."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import pandas as pd

from ...core.pricebook import partition
from ...core.usage import Usage
from ..rows import RepositoryInfoRow

KEY = ["account_id", "region", "repository"]
WORKLOADS_TAG = "ecrcost:workloads"  # the workloads that run a repository's images (workloads table)


def repository_table(usage: Usage, lines: pd.DataFrame) -> pd.DataFrame:
    """``repository_arn`` and ``tags`` (dict) for each row of ``lines`` (which has KEY and registry):
    from the input's repositories table where it has them, otherwise the ARN is derived and tags are
    empty. ECR Public repositories are never in that table. With a workloads table, the tag
    ``ecrcost:workloads`` names the workloads that run the repository's images."""
    from ...analysis.workloads import labels_by_repository

    running = (
        labels_by_repository(usage.images, usage.workloads)
        if usage.images is not None and usage.workloads is not None
        else {}
    )
    known: dict[tuple[str, str, str], tuple[str, dict[str, str]]] = {}
    if usage.repositories is not None:
        for row in cast("Iterable[RepositoryInfoRow]", usage.repositories.itertuples(index=False)):
            known[row.account_id, row.region, row.repository] = (row.repository_arn, row.tags)
    arns, tags = [], []
    for account, region, registry, repository in lines[
        ["account_id", "region", "registry", "repository"]
    ].itertuples(index=False, name=None):
        # --account-id fills in an account the input left blank: its repositories are known under ""
        found = known.get((account, region, repository)) or known.get(("", region, repository), ("", {}))
        arn, tag = found if registry == "private" else ("", {})
        used = running.get((account, region, repository)) if registry == "private" else None
        arns.append(arn or arn_of(account, region, registry, repository))
        tags.append({**tag, WORKLOADS_TAG: used} if used else tag)
    return pd.DataFrame({"repository_arn": arns, "tags": tags}, index=lines.index)


def arn_of(account: str, region: str, registry: str, repository: str) -> str:
    """The repository's ARN as AWS forms it (partition by region; ECR Public lives in us-east-1)."""
    service = "ecr-public" if registry == "public" else "ecr"
    return f"arn:{partition(region)}:{service}:{region}:{account}:repository/{repository}"


def tag_value(tags: dict[str, str], key: str) -> str:
    """A tag's value, matching the key without regard to case (``team``, ``Team``, ``TEAM``)."""
    for k, v in tags.items():
        if k.casefold() == key.casefold():
            return v
    return ""
