"""Charges: one registered unit per kind of line ECR causes on a bill (the way cloud-custodian
registers resources, filters and actions). Adding a charge is one unit (a :class:`Charge` registered
in one of these modules) plus its price data in the price book, plus tests.

    from ecrcost.core.charges import charges
    [c.name for c in charges(bill="storage")]   # standard_storage, archive_storage, …
"""

from __future__ import annotations

from . import network, storage, transfer  # noqa: F401  (importing a module registers its units)
from .base import KEY, Charge, Flat, Line, Priced, Tiered
from .registry import REGISTRY

__all__ = ["KEY", "REGISTRY", "Charge", "Flat", "Line", "Priced", "Tiered", "charges", "required_items"]

ECR = ("storage", "transfer")  # the bills that make up the ECR total


def charges(*, bill: str | tuple[str, ...] | None = None) -> list[Charge]:
    """The registered charges in table order, optionally only those billed as ``bill``."""
    wanted = (bill,) if isinstance(bill, str) else bill
    return [c for c in REGISTRY.values() if wanted is None or c.bill in wanted]


def required_items() -> dict[str, tuple[str, ...]]:
    """The price items each price-book section must have ("region", "public"), as the units need them."""
    needs: dict[str, list[str]] = {"region": [], "public": []}
    for c in REGISTRY.values():
        needs[c.section] += [i for i in c.items if i not in needs[c.section]]
    return {k: tuple(v) for k, v in needs.items()}
