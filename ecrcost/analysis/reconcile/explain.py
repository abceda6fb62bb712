"""Why one matched group's bill differs from its estimate: the difference split over a fixed list of
explanations, exactly (the parts sum to the difference to the micro-dollar); what none covers is
``unexplained``.

With p the estimate's unit price (its USD / its quantity), billed usage q_b at cost c_b, free
quantity q_f and shared data-transfer quantity beyond the estimate q_s (other services' share):

    billed − estimated = shared (q_s's cost) + free tier (−q_f·p) + quantity ((q_b − q_est)·p)
                         + rate ((c_b − (q_b − q_f)·p)) + adjustments (credits, discounts, …)

Parts below a cent from free tier, quantity or rate are rounding (the bill's amounts carry ~10 decimals).
A line the model estimates and the bill does not have at all is unexplained: no listed reason says
why a whole charge would be missing from the bill (it is the drift a monthly job alerts on).
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from ...core.money import CENT, CONTEXT, MICRO, ZERO, allocate
from .match import Group, Key

EXPLANATIONS = (
    "not_in_inventory",
    "quantity_differs",
    "price_differs",
    "free_tier",
    "shared_transfer",
    "rounding",
    "unexplained",
)
ADJUSTMENT = {
    "credit": "price_differs",
    "discount": "price_differs",
    "savings_plan": "price_differs",
    "tax": "price_differs",
    "other": "unexplained",
}
Part = tuple[str, str, Decimal]  # explanation, detail, USD


def explain(key: Key, g: Group, in_roster: bool, region_known: bool, known_type: bool) -> list[Part]:
    """The parts of ``g``'s difference (billed − estimated, micro-dollars), rounded so they sum to it.
    ``in_roster``: the inventory has the group's repository (or, pooled, its account and region);
    ``region_known``: the inventory has the account and region; ``known_type``: a usage type the model
    prices."""
    with localcontext(CONTEXT):
        parts = _exact(key, g, in_roster, region_known, known_type)
        difference = _micro(g.billed_usd) - g.estimated_usd
        parts = [p for p in parts if p[2] != 0]
        if not parts:
            return [("rounding", "amounts rounded", difference)] if difference else []
        amounts = allocate(difference, [p[2] for p in parts], MICRO)
        return [(e, d, a) for (e, d, _), a in zip(parts, amounts, strict=True) if a != 0]


def _micro(amount: Decimal) -> Decimal:
    return CONTEXT.quantize(amount, MICRO)


def _exact(key: Key, g: Group, in_roster: bool, region_known: bool, known_type: bool) -> list[Part]:
    parts: list[Part] = [
        (ADJUSTMENT[kind], f"{kind.replace('_', ' ')} ({detail})", usd) for kind, detail, usd in g.adjustments
    ]
    usage = g.cost + g.shared_cost
    if g.estimated_quantity == 0 and g.estimated_usd == 0:
        parts.append(("shared_transfer", "data-transfer line other services share", g.shared_cost))
        if not known_type:
            parts.append(("unexplained", "a usage type the model does not price", g.cost))
        elif in_roster:
            parts.append(("quantity_differs", "billed, not estimated", g.cost))
        elif key[3]:
            parts.append(
                ("not_in_inventory", "repository not in the inventory (not collected, or deleted)", g.cost)
            )
        elif region_known:
            parts.append(("quantity_differs", "billed, not estimated", g.cost))
        else:
            parts.append(("not_in_inventory", "account or region not in the inventory", g.cost))
        return parts
    if g.billed_quantity == 0 and usage == 0:
        # The model prices a charge the bill has no line for: the wrong bill (scope, account) or the
        # model is wrong. No listed reason covers it; below a cent it is rounding.
        part = "rounding" if abs(g.estimated_usd) < CENT else "unexplained"
        parts.append((part, "estimated, not billed", -g.estimated_usd))
        return parts
    if g.estimated_quantity == 0:  # a charge without quantity: no unit price to split by
        parts.append(("unexplained", "no estimated quantity to compare", usage - g.estimated_usd))
        return parts
    price = g.estimated_usd / g.estimated_quantity
    excess = g.billed_quantity - g.estimated_quantity
    shared_q = min(max(excess, ZERO), g.shared_quantity)
    shared = g.shared_cost * shared_q / g.shared_quantity if g.shared_quantity else ZERO
    billed_q = g.billed_quantity - shared_q
    free_q = min(g.free_quantity, billed_q)
    free = -free_q * price
    quantity = (billed_q - g.estimated_quantity) * price
    rate = (usage - shared) - (billed_q - free_q) * price
    parts.append(("shared_transfer", "data-transfer line other services share", shared))
    what = "storage byte-hours" if "ByteHrs" in key[2] else "transfer estimated from pulls"
    for name, detail, amount in (
        ("free_tier", "usage billed at no cost", free),
        ("quantity_differs", what, quantity),
        ("price_differs", "unit price differs from the price book", rate),
    ):
        parts.append(
            ("rounding", "amounts rounded", amount) if abs(amount) < CENT else (name, detail, amount)
        )
    return parts
