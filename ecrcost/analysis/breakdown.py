"""Groupings people ask for: by namespace (team), by region. Sums of the rounded repository table, so
every grouping adds up to the same total."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pandas as pd

from ..core.estimate import Estimate
from ..core.money import CENT, ZERO

MONEY = ["storage_usd", "transfer_usd", "total_usd"]


def namespace(repository: str, depth: int = 1) -> str:
    """The first ``depth`` path segments of a repository name: ``team-a/web-app`` → ``team-a``; a name
    without ``/`` is in ``(root)``."""
    parts = repository.split("/")
    if len(parts) == 1:
        return "(root)"
    return "/".join(parts[: min(depth, len(parts) - 1)])


Teams = Mapping[tuple[str, str, str], str]
NO_TEAM = "(no team)"


def teams(repositories: pd.DataFrame | None) -> Teams:
    """Each repository's ``team`` tag, keyed (account_id, region, repository); {} when none has one."""
    if repositories is None:
        return {}
    keys = zip(repositories["account_id"], repositories["region"], repositories["repository"], strict=True)
    found = {key: str(tags.get("team", "")) for key, tags in zip(keys, repositories["tags"], strict=True)}
    return {k: v for k, v in found.items() if v}


def by(
    estimate: Estimate, column: str, quantum: Decimal = CENT, depth: int = 1, team_of: Teams | None = None
) -> pd.DataFrame:
    """Totals per ``column`` ("namespace", "region", "account_id", "registry", or "team" with
    ``team_of``), largest first."""
    table = estimate.rounded(quantum)
    if column == "namespace":
        table["namespace"] = [namespace(r, depth) for r in table["repository"]]
    if column == "team":
        keys = zip(table["account_id"], table["region"], table["repository"], strict=True)
        table["team"] = [(team_of or {}).get(k) or NO_TEAM for k in keys]
    grouped = table.groupby(column, sort=False)
    # pandas-stubs allow no Decimal values in a series, which these exact sums are
    out = pd.DataFrame(
        {
            "repositories": grouped.size(),
            "storage_gb_month": grouped["storage_gb_month"].agg(lambda s: sum(s, ZERO)),  # type: ignore[type-var]
            **{c: grouped[c].agg(lambda s: sum(s, ZERO)) for c in MONEY},  # type: ignore[type-var]
        }
    ).reset_index()
    return out.sort_values(["total_usd", column], ascending=[False, True], key=_sort_key).reset_index(
        drop=True
    )


def top_repositories(estimate: Estimate, n: int = 10, quantum: Decimal = CENT) -> pd.DataFrame:
    table = estimate.rounded(quantum)
    return table.sort_values(["total_usd", "repository"], ascending=[False, True], key=_sort_key).head(n)


def _sort_key(s: pd.Series) -> pd.Series:
    return s.map(float) if s.dtype == object and len(s) and isinstance(s.iloc[0], Decimal) else s
