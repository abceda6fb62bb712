"""The spreadsheet layout: one row per repository with the month, who owns it and what it cost."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from ...analysis.breakdown import namespace
from ...core.estimate import Estimate
from ...core.money import CENT
from ...core.usage import KEY, Usage
from .tags import repository_table, tag_value

COLUMNS = [
    "month",
    "account_id",
    "region",
    "registry",
    "repository",
    "namespace",
    "team",
    "storage_gb_month",
    "egress_gb",
    "storage_usd",
    "transfer_usd",
    "total_usd",
]
MONEY = ["storage_usd", "transfer_usd", "total_usd"]
DECIMALS = ["storage_gb_month", "egress_gb", *MONEY]
GB_PLACES = Decimal("0.000001")


def simple_frame(
    est: Estimate, usage: Usage, team_tag: str = "team", namespace_depth: int = 1
) -> pd.DataFrame:
    """One row per repository; amounts to the cent (they sum to the estimate's rounded totals).
    ``egress_gb`` is what leaves the region: internet plus cross-region GB (same-region is free)."""
    repos = est.rounded(CENT)
    info = repository_table(usage, repos[KEY])
    out = pd.DataFrame(
        {
            "month": str(est.period),
            "account_id": repos["account_id"],
            "region": repos["region"],
            "registry": repos["registry"],
            "repository": repos["repository"],
            "namespace": [namespace(r, namespace_depth) for r in repos["repository"]],
            "team": [tag_value(t, team_tag) for t in info["tags"]],
            "storage_gb_month": [v.quantize(GB_PLACES) for v in repos["storage_gb_month"]],
            "egress_gb": [
                (a + b).quantize(GB_PLACES)
                for a, b in zip(repos["internet_out_gb"], repos["cross_region_out_gb"], strict=True)
            ],
            **{c: repos[c] for c in MONEY},
        }
    )
    return out[COLUMNS]
