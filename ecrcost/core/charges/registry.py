"""The registry of charge units, in the order they appear in tables and on the bill."""

from __future__ import annotations

from .base import Charge

REGISTRY: dict[str, Charge] = {}


def register(charge: Charge) -> Charge:
    if charge.name in REGISTRY:
        raise ValueError(f"charge {charge.name!r} is registered twice")
    REGISTRY[charge.name] = charge
    return charge
