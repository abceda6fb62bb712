"""Volume tiers: cost of a monthly quantity under cumulative tier bounds, with a free allowance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .money import ZERO


@dataclass(frozen=True)
class Tier:
    """Prices GB up to ``up_to_gb`` (cumulative monthly total; ``None`` = no upper bound)."""

    up_to_gb: Decimal | None
    usd_per_gb: Decimal


@dataclass(frozen=True)
class TierLine:
    """How much of a monthly total fell in one tier, and what it costs (USD, exact)."""

    index: int
    from_gb: Decimal
    to_gb: Decimal | None
    usd_per_gb: Decimal
    gb: Decimal
    usd: Decimal


def tier_lines(total_gb: Decimal, tiers: Sequence[Tier], free_gb: Decimal = ZERO) -> list[TierLine]:
    """Bill ``total_gb`` across ``tiers``; the first ``free_gb`` are free.

    The free GB are taken from the bottom of tier 1 while the tier bounds stay at cumulative totals,
    as in AWS's published example (63,488 GB with 1 GB free = $5,263.27).
    """
    if total_gb < 0 or free_gb < 0:
        raise ValueError("quantities are never negative")
    free = min(free_gb, total_gb)
    lines = []
    lower = ZERO
    for i, tier in enumerate(tiers):
        upper = tier.up_to_gb
        top = total_gb if upper is None else min(total_gb, upper)
        gb = max(ZERO, top - max(lower, free))
        lines.append(TierLine(i + 1, lower, upper, tier.usd_per_gb, gb, gb * tier.usd_per_gb))
        if upper is None:
            break
        lower = upper
    return lines


def tiered_cost(total_gb: Decimal, tiers: Sequence[Tier], free_gb: Decimal = ZERO) -> Decimal:
    """USD for ``total_gb`` under ``tiers`` (exact)."""
    return sum((line.usd for line in tier_lines(total_gb, tiers, free_gb)), ZERO)
