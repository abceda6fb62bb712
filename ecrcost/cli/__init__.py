"""The ecrcost command line: a thin typer shell. Each command parses its options into typed values,
calls a use-case (:mod:`ecrcost.app`) or the model, and renders; heavy modules are imported inside the
commands, so ``ecrcost --help`` starts fast."""

from . import (  # noqa: F401  (register the commands)
    collect,
    diff,
    estimate,
    export,
    lifecycle,
    prices,
    pulls,
    reconcile,
    report,
    scenario,
    workloads,
)
from .main import app, main

__all__ = ["app", "main"]
