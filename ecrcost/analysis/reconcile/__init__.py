"""Reconcile an estimate with the bill: match line items with the bill's rows (``match``), explain
every difference from a fixed list (``explain``), and the tables of the result (``result``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from ...core.estimate import Estimate
from ...core.money import CENT, MICRO, ZERO, round_half_up
from ...sources.bill.frame import Bill
from .explain import EXPLANATIONS, explain
from .match import known_suffixes, match
from .result import GROUP_KEY, MONEY, PART_COLUMNS, QUANTITIES, Reconciliation

__all__ = ["EXPLANATIONS", "Reconciliation", "Tolerance", "reconcile"]

QUANTUM = Decimal("0.000000001")


@dataclass(frozen=True)
class Tolerance:
    """How much may stay unexplained: a USD amount, a percentage of the billed ECR amount, or (the
    default, neither given) 1 % of it or $1, whichever is larger."""

    usd: Decimal | None = None
    percent: Decimal | None = None

    def of(self, billed: Decimal) -> Decimal:
        if self.usd is not None:
            return self.usd
        share = abs(billed) * (self.percent if self.percent is not None else Decimal(1)) / 100
        return (
            round_half_up(share, CENT)
            if self.percent is not None
            else max(round_half_up(share, CENT), Decimal(1))
        )


def reconcile(est: Estimate, bill: Bill, tolerance: Tolerance | None = None) -> Reconciliation:
    """``est`` held against ``bill`` (the same month): per account, region, usage type and repository,
    estimated and billed quantity and USD, and the difference split over :data:`EXPLANATIONS`."""
    matched = match(est, bill.rows)
    suffixes = known_suffixes()
    regions = {(a, r) for a, r, _ in matched.roster}
    rows, parts = [], []
    for key in sorted(matched.groups):
        g = matched.groups[key]
        a, r, u, n = key
        in_roster = (a, r, n) in matched.roster if n else (a, r) in regions
        found = explain(key, g, in_roster, (a, r) in regions, u.endswith(suffixes))
        by = dict.fromkeys(EXPLANATIONS, ZERO)
        for e, detail, amount in found:
            by[e] += amount
            parts.append([*key, e, detail, amount])
        billed = round_half_up(g.billed_usd, MICRO)
        rows.append(
            [
                *key,
                g.estimated_quantity.quantize(QUANTUM),
                round_half_up(g.billed_quantity, QUANTUM),
                g.estimated_usd,
                billed,
                billed - g.estimated_usd,
                *by.values(),
            ]
        )
    groups = pd.DataFrame(rows, columns=[*GROUP_KEY, *QUANTITIES, *MONEY])
    for c in [*QUANTITIES, *MONEY]:
        groups[c] = groups[c].astype(object)
    frame = pd.DataFrame(parts, columns=PART_COLUMNS)
    frame["amount_usd"] = frame["amount_usd"].astype(object)
    billed_total = sum(groups["billed_usd"], ZERO)
    notes = list(bill.notes)
    if matched.other_service_rows:
        notes.append(
            f"{matched.other_service_rows} data-transfer row(s) of other services' resources left out"
        )
    source = {
        "kind": bill.source,
        "location": bill.location,
        "files": bill.files,
        "requests": bill.requests,
        "resource_ids": bill.resource_ids,
        "billed_net_usd": None if bill.net_usd is None else round_half_up(bill.net_usd, MICRO),
    }
    return Reconciliation(
        est.period, source, groups, frame, (tolerance or Tolerance()).of(billed_total), tuple(notes)
    )
