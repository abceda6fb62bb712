"""Matching the estimate's line items with the bill's rows: by account, region and AWS usage type, and
by repository wherever the bill names repositories (its resource ids) for that usage type.

A cell (account, region, usage type) whose bill rows name repositories is matched per repository; the
estimate's repositories the bill does not name in that cell, and the bill's rows that name none, meet
in one pooled group (repository ``""``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from ...core.charges import ECR, charges
from ...core.estimate import Estimate
from ...core.frames import tuples
from ...core.money import MICRO, ZERO
from ...sources.bill.frame import TRANSFER_PRODUCT

Key = tuple[str, str, str, str]  # account_id, region, usage_type, repository


@dataclass
class Group:
    """Both sides of one matched key: the estimate's quantity and USD (micro-dollars), the bill's
    usage (ECR's own rows, and shared data-transfer rows no repository ties to ECR), the quantity
    billed at no cost, and the adjustments (kind, the bill's word, USD)."""

    estimated_quantity: Decimal = ZERO
    estimated_usd: Decimal = ZERO
    quantity: Decimal = ZERO
    cost: Decimal = ZERO
    shared_quantity: Decimal = ZERO
    shared_cost: Decimal = ZERO
    free_quantity: Decimal = ZERO
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)

    @property
    def billed_quantity(self) -> Decimal:
        return self.quantity + self.shared_quantity

    @property
    def billed_usd(self) -> Decimal:
        return self.cost + self.shared_cost + sum((a[2] for a in self.adjustments), ZERO)


def known_suffixes() -> tuple[str, ...]:
    """The usage types (after the region code) of the charges in ECR's bill, from the charge units."""
    return tuple(sorted({c.usage_type.rsplit("}-", 1)[-1] for c in charges(bill=ECR) if c.usage_type}))


@dataclass(frozen=True)
class Matched:
    groups: dict[Key, Group]
    roster: set[tuple[str, str, str]]  # account, region, repository the inventory names
    other_service_rows: int  # data-transfer rows of another service's resource, left out


def match(est: Estimate, bill_rows: pd.DataFrame) -> Matched:
    """The groups of ``est`` (its line items in the ECR total, to the micro-dollar) and the bill's rows."""
    lines = est.billed_lines(MICRO)
    accounts = set(bill_rows["account_id"])
    fill = next(iter(accounts)) if len(accounts) == 1 else ""  # an input without account ids
    roster = {
        (a or fill, r, n)
        for a, r, _, n in tuples(est.roster, ["account_id", "region", "registry", "repository"])
    }
    names = {n for _, _, n in roster}

    rows = bill_rows[bill_rows["resource_kind"] != "other"]
    other_rows = int(bill_rows.loc[bill_rows["resource_kind"] == "other", "rows"].sum())
    # A data-transfer row is ECR's when its resource is an ECR repository (an ARN, or a name the
    # inventory knows); otherwise other services share it.
    shared = (rows["product"] == TRANSFER_PRODUCT) & (
        (rows["repository"] == "") | ((rows["resource_kind"] == "name") & ~rows["repository"].isin(names))
    )
    rows = rows.assign(shared=shared, repository=rows["repository"].where(~shared, ""))
    itemised: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for a, r, u, n in tuples(
        rows[rows["repository"] != ""], ["account_id", "region", "usage_type", "repository"]
    ):
        itemised[(a, r, u)].add(n)

    groups: dict[Key, Group] = defaultdict(Group)
    for a, r, u, n, q, c in tuples(
        lines, ["account_id", "region", "usage_type", "repository", "quantity", "cost_rounded"]
    ):
        a = a or fill
        g = groups[(a, r, u, n if n in itemised.get((a, r, u), ()) else "")]
        g.estimated_quantity += q
        g.estimated_usd += c
    columns = [
        "account_id",
        "region",
        "usage_type",
        "repository",
        "kind",
        "detail",
        "free",
        "quantity",
        "cost",
        "shared",
    ]
    for a, r, u, n, kind, detail, free, q, c, is_shared in tuples(rows, columns):
        g = groups[(a, r, u, n)]
        if kind != "usage":
            g.adjustments.append((kind, detail, c))
            continue
        if is_shared:
            g.shared_quantity += q
            g.shared_cost += c
        else:
            g.quantity += q
            g.cost += c
        if free:
            g.free_quantity += q
    return Matched(dict(groups), roster, other_rows)
