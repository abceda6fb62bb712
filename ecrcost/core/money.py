"""Exact money: Decimal arithmetic and rounding that keeps every breakdown summing to its total."""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

# Enough digits that a rational share of a tiered amount is exact far below a micro-dollar.
CONTEXT = decimal.Context(prec=60, rounding=ROUND_HALF_UP)

ZERO = Decimal(0)
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
SHARE_QUANTUM = Decimal("1e-30")


def dec(value: object) -> Decimal:
    """A Decimal from an int, str or Decimal (never from a binary float)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("money and quantities are never built from binary floats")
    return Decimal(value)  # type: ignore[arg-type]


def round_half_up(amount: Decimal, quantum: Decimal = CENT) -> Decimal:
    return CONTEXT.quantize(amount, quantum)


def allocate(total: Decimal, exact: Sequence[Decimal], quantum: Decimal) -> list[Decimal]:
    """Round ``exact`` amounts to ``quantum`` so that they add up to ``total`` exactly.

    Largest-remainder method: every amount is floored, then the missing quanta go to the amounts
    with the largest remainders (ties to the earlier one). ``total`` must be a multiple of
    ``quantum`` within ``len(exact)`` quanta of the exact sum.
    """
    if not exact:
        if total != 0:
            raise ValueError("cannot allocate a non-zero total over no lines")
        return []
    floors = [a.quantize(quantum, rounding=ROUND_FLOOR, context=CONTEXT) for a in exact]
    missing = int((total - sum(floors, ZERO)) / quantum)
    if missing < 0 or missing > len(exact):
        raise ValueError(f"total {total} is not within rounding distance of the lines")
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:missing]:
        floors[i] += quantum
    return floors


def round_lines(exact: Sequence[Decimal], quantum: Decimal = CENT) -> list[Decimal]:
    """Round each amount so the rounded lines sum to the rounded (half-up) exact total."""
    total = round_half_up(sum(exact, ZERO), quantum)
    return allocate(total, exact, quantum)


def share(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights``, each share to 1e-30 USD.

    Shares share one exponent, so adding them is exact (amounts stay far below 10^30), and the last
    non-zero weight takes the remainder: the shares sum to ``amount`` exactly.
    """
    with decimal.localcontext(CONTEXT):
        total = sum(weights, ZERO)
        if total == 0:
            return [ZERO for _ in weights]
        shares = [(amount * w / total).quantize(SHARE_QUANTUM) for w in weights]
        last = max(i for i, w in enumerate(weights) if w != 0)
        shares[last] = amount - sum((v for i, v in enumerate(shares) if i != last), ZERO)
        return shares
