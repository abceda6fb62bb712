"""A reconciliation: the matched groups with their explanations, and the group-bys people read (per
usage type, per repository, per explanation). Every table sums to its totals to the micro-dollar."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

import pandas as pd

from ...core.money import ZERO
from ...core.period import Month
from .explain import EXPLANATIONS

MONEY = ["estimated_usd", "billed_usd", "difference_usd", *(f"{e}_usd" for e in EXPLANATIONS)]
QUANTITIES = ["estimated_quantity", "billed_quantity"]
GROUP_KEY = ["account_id", "region", "usage_type", "repository"]
PART_COLUMNS = [*GROUP_KEY, "explanation", "detail", "amount_usd"]


@dataclass(frozen=True)
class Reconciliation:
    """The estimate of ``period`` held against a bill. ``groups``: one row per account, region, usage
    type and repository (``""``: the bill names no repository there), with quantities (GB, GB-month),
    USD and one ``<explanation>_usd`` column per explanation (Decimal); ``parts``: the explanations
    one per row, with the bill's detail. ``tolerance_usd``: how much may stay unexplained."""

    period: Month
    source: dict[str, object]
    groups: pd.DataFrame
    parts: pd.DataFrame
    tolerance_usd: Decimal
    notes: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        t = self.totals
        return (
            f"<Reconciliation {self.period}: estimated ${t['estimated_usd']:,}, billed ${t['billed_usd']:,}, "
            f"unexplained ${self.unexplained_usd:,} (tolerance ${self.tolerance_usd:,})>"
        )

    @cached_property
    def totals(self) -> dict[str, Decimal]:
        return {c: sum(self.groups[c], ZERO) for c in MONEY}

    @property
    def unexplained_usd(self) -> Decimal:
        """What no explanation covers, counted whichever way it goes (positive and negative groups do
        not cancel)."""
        return sum((abs(v) for v in self.groups["unexplained_usd"]), ZERO)

    @property
    def within_tolerance(self) -> bool:
        return self.unexplained_usd <= self.tolerance_usd

    def by_usage_type(self) -> pd.DataFrame:
        return self._sum(["account_id", "region", "usage_type"])

    def by_repository(self) -> pd.DataFrame:
        """Per repository (``""``: the bill names none there). USD only: a repository's lines mix GB
        and GB-month."""
        return self._sum(["account_id", "region", "repository"]).drop(columns=QUANTITIES)

    def explanations(self) -> dict[str, Decimal]:
        return {e: self.totals[f"{e}_usd"] for e in EXPLANATIONS}

    def _sum(self, keys: list[str]) -> pd.DataFrame:
        if self.groups.empty:
            return pd.DataFrame(columns=[*keys, *QUANTITIES, *MONEY])
        out = self.groups.groupby(keys, sort=True, as_index=False)[[*QUANTITIES, *MONEY]].agg(_exact_sum)
        return out.reset_index(drop=True)


def _exact_sum(values: pd.Series) -> Decimal:
    return sum(values, ZERO)
