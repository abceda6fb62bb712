"""ecrcost: what an Amazon ECR registry costs, who causes it, and what would change it.

Notebook use::

    import ecrcost
    est = ecrcost.estimate("data/sample-registry", month="2026-10")   # a path, or ecrcost.load(...)
    est.total_usd                                                     # Decimal USD
    est.repositories()                                                # DataFrame: one row per repository
    est.line_items()                                                  # DataFrame: the bill's lines

Use-cases, the same the command line runs: ``ecrcost.report``, ``ecrcost.what_if`` (lifecycle
policies), ``ecrcost.export`` (FOCUS / spreadsheet rows), ``ecrcost.reconcile`` (the estimate held
against the bill: CUR 2.0, FOCUS or Cost Explorer).

Attributes are imported on first use (PEP 562), so ``import ecrcost`` and ``ecrcost --help`` stay fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .version import __version__

# public name -> (module, attribute or None for the module itself)
_LAZY = {
    "Estimate": ("ecrcost.core.estimate", "Estimate"),
    "InputError": ("ecrcost.core.errors", "InputError"),
    "Month": ("ecrcost.core.period", "Month"),
    "PriceBook": ("ecrcost.core.pricebook", "PriceBook"),
    "PricingOptions": ("ecrcost.core.options", "PricingOptions"),
    "Usage": ("ecrcost.core.usage", "Usage"),
    "estimate": ("ecrcost.core.pricing", "estimate"),
    "export": ("ecrcost.app.export", "export"),
    "reconcile": ("ecrcost.app.reconcile", "reconcile"),
    "report": ("ecrcost.app.report", "report"),
    "what_if": ("ecrcost.app.lifecycle", "what_if"),
    "load": ("ecrcost.sources.load", "load"),
    "load_pricebook": ("ecrcost.core.pricebook", "load_pricebook"),
    "sample_path": ("ecrcost.sources.load", "sample_path"),
    "aging": ("ecrcost.analysis.age", None),
    "breakdown": ("ecrcost.analysis.breakdown", None),
    "charts": ("ecrcost.outputs.charts", None),
    "lifecycle": ("ecrcost.analysis.lifecycle", None),
    "timeline": ("ecrcost.analysis.timeline", None),
}
__all__ = [
    "Estimate",
    "InputError",
    "Month",
    "PriceBook",
    "PricingOptions",
    "Usage",
    "__version__",
    "aging",
    "breakdown",
    "charts",
    "estimate",
    "export",
    "lifecycle",
    "load",
    "load_pricebook",
    "reconcile",
    "report",
    "sample_path",
    "timeline",
    "what_if",
]

if TYPE_CHECKING:
    from .analysis import age as aging
    from .analysis import breakdown, lifecycle, timeline
    from .app.export import export
    from .app.lifecycle import what_if
    from .app.reconcile import reconcile
    from .app.report import report
    from .core.errors import InputError
    from .core.estimate import Estimate
    from .core.options import PricingOptions
    from .core.period import Month
    from .core.pricebook import PriceBook, load_pricebook
    from .core.pricing import estimate
    from .core.usage import Usage
    from .outputs import charts
    from .sources.load import load, sample_path


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'ecrcost' has no attribute {name!r}") from None
    value = import_module(module)
    if attribute is not None:
        value = getattr(value, attribute)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
