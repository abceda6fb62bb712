"""``ecrcost diff``: what changes between two inputs, or one input under two price books, per
repository and charge. Both sides are priced by :func:`ecrcost.core.pricing.estimate`, never here;
amounts are each side's controlled rounding to the cent, so the changes add up to the change in total."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd

from ..core.estimate import PARTS, Estimate
from ..core.money import CENT, ZERO
from ..core.options import PricingOptions
from ..core.pricing import estimate
from ..core.usage import KEY
from ..sources.load import load

COLUMNS = [*KEY, "charge", "a_usd", "b_usd", "change_usd"]


@dataclass(frozen=True)
class Difference:
    """``a`` and ``b`` priced; ``changes``: one row per repository and charge that differs (COLUMNS,
    Decimal USD to the cent), largest change first."""

    a: Estimate
    b: Estimate
    changes: pd.DataFrame

    @property
    def total_a(self) -> Decimal:
        return Decimal(self.a.totals(CENT)["total_usd"])

    @property
    def total_b(self) -> Decimal:
        return Decimal(self.b.totals(CENT)["total_usd"])


def diff(a: Path, b: Path, options_a: PricingOptions, options_b: PricingOptions) -> Difference:
    """Price ``a`` with ``options_a`` and ``b`` with ``options_b`` (the same path twice compares the
    options, e.g. two price books) and list what differs."""
    est_a = estimate(load(a, options_a.prices), options=options_a)
    est_b = estimate(load(b, options_b.prices), options=options_b)
    both = _charges(est_a).merge(_charges(est_b), on=[*KEY, "charge"], how="outer", suffixes=("_a", "_b"))
    # absent on one side: 0 (pandas-stubs allow no Decimal cells, which these object columns hold)
    both["a_usd"] = [v if isinstance(v, Decimal) else ZERO for v in both["usd_a"]]  # type: ignore[assignment]
    both["b_usd"] = [v if isinstance(v, Decimal) else ZERO for v in both["usd_b"]]  # type: ignore[assignment]
    both["change_usd"] = [y - x for x, y in zip(both["a_usd"], both["b_usd"], strict=True)]
    changed = both[[c != 0 for c in both["change_usd"]]].copy()
    changed["size"] = [abs(c) for c in changed["change_usd"]]
    changed = changed.sort_values(["size", *KEY, "charge"], ascending=[False, True, True, True, True, True])
    return Difference(est_a, est_b, changed[COLUMNS].reset_index(drop=True))


def _charges(est: Estimate) -> pd.DataFrame:
    """One row per repository and charge with a cost: KEY, charge, usd."""
    repos = est.rounded(CENT)
    long = repos.melt(
        id_vars=KEY, value_vars=[p for p in PARTS if p in repos], var_name="charge", value_name="usd"
    )
    long["charge"] = long["charge"].str.removesuffix("_usd")
    return long[[v != 0 for v in long["usd"]]]
