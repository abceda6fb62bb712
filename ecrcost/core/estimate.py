"""The Estimate: what a month of usage costs, as DataFrames and exact totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from .money import MICRO, ZERO, allocate, round_half_up
from .period import Month
from .usage import KEY

STORAGE_PARTS = ["standard_storage_usd", "archive_storage_usd", "archive_retrieval_usd", "public_storage_usd"]
TRANSFER_PARTS = ["internet_usd", "cross_region_usd", "public_internet_usd"]
PARTS = STORAGE_PARTS + TRANSFER_PARTS
QUANTITIES = [
    "storage_gb_month",
    "archive_gb_month",
    "archive_restored_gb",
    "internet_out_gb",
    "cross_region_out_gb",
    "same_region_out_gb",
]


@dataclass(frozen=True)
class Estimate:
    """One month of ECR cost (USD; GB = 2^30 bytes).

    ``exact`` holds one row per repository (``KEY`` columns, ``QUANTITIES`` as Decimal GB or GB-month,
    and the exact Decimal USD of every charge in ``PARTS``). Everything else is derived from it:
    :meth:`repositories` rounds it so that every breakdown sums to its total.
    """

    period: Month
    exact: pd.DataFrame
    internet_tiers: (
        pd.DataFrame
    )  # scope, account_id, region, tier, from_gb, to_gb, usd_per_gb, gb, usd (exact)
    network: (
        pd.DataFrame
    )  # KEY, nat_gateway_gb, nat_gateway_usd, interface_endpoint_gb, interface_endpoint_usd
    notes: tuple[str, ...] = ()
    assumptions: dict[str, Any] = field(default_factory=dict)
    currency: str = "USD"
    # Rounded tables by quantum: a report asks for the same rounding many times (totals, groupings, tiers).
    _rounded: dict[Decimal, pd.DataFrame] = field(default_factory=dict, init=False, repr=False, compare=False)

    def repositories(self, quantum: Decimal = MICRO) -> pd.DataFrame:
        """Per-repository amounts rounded to ``quantum`` (default: micro-dollars) with controlled
        rounding: the charges of every repository sum to its total, each charge column sums to the
        rounded total of that charge, and all of it sums to the rounded grand total."""
        if quantum not in self._rounded:
            self._rounded[quantum] = controlled_round(self.exact, quantum)
        return self._rounded[quantum].copy()  # callers may add columns; the cached table stays as it is

    def totals(self, quantum: Decimal = MICRO) -> dict[str, Decimal]:
        table = self.repositories(quantum)
        return {c: sum(table[c], ZERO) for c in [*PARTS, "storage_usd", "transfer_usd", "total_usd"]}

    @property
    def total_usd(self) -> Decimal:
        return self.totals()["total_usd"]

    @property
    def storage_usd(self) -> Decimal:
        return self.totals()["storage_usd"]

    @property
    def transfer_usd(self) -> Decimal:
        return self.totals()["transfer_usd"]

    @property
    def network_usd(self) -> Decimal:
        """NAT gateway and interface endpoint processing: reported apart, not part of the ECR bill."""
        return sum(self.network["nat_gateway_usd"], ZERO) + sum(self.network["interface_endpoint_usd"], ZERO)

    def tiers(self, quantum: Decimal = MICRO) -> pd.DataFrame:
        """Internet tier lines, rounded so that they sum to the rounded internet charges."""
        out = self.internet_tiers.copy()
        totals = self.totals(quantum)
        usd = list(out["usd"])
        for scope, charge in (("private", "internet_usd"), ("public", "public_internet_usd")):
            rows = [i for i, s in enumerate(out["scope"]) if s == scope]
            for i, v in zip(rows, allocate(totals[charge], [usd[i] for i in rows], quantum), strict=True):
                usd[i] = v
        out["usd"] = pd.Series(usd, index=out.index, dtype=object)
        return out


def controlled_round(exact: pd.DataFrame, quantum: Decimal) -> pd.DataFrame:
    """Round a repository × charge matrix so that rows, columns and the grand total all add up."""
    out = exact[[*KEY, *QUANTITIES]].copy()
    columns = {c: list(exact[c]) for c in PARTS}
    column_totals = {c: sum(v, ZERO) for c, v in columns.items()}
    grand = round_half_up(sum(column_totals.values(), ZERO), quantum)
    rounded_totals = allocate(grand, list(column_totals.values()), quantum)
    for (name, values), total in zip(columns.items(), rounded_totals, strict=True):
        out[name] = allocate(total, values, quantum) if values else []
    out["storage_usd"] = out[STORAGE_PARTS].sum(axis=1) if len(out) else []
    out["transfer_usd"] = out[TRANSFER_PARTS].sum(axis=1) if len(out) else []
    out["total_usd"] = out["storage_usd"] + out["transfer_usd"] if len(out) else []
    for c in ("storage_usd", "transfer_usd", "total_usd"):
        out[c] = out[c].astype(object)
    return out
