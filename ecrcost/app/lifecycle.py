"""The lifecycle what-if: policies (given, or each repository's stored one) applied to an inventory at a
moment, each priced before and after."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..analysis.lifecycle import Simulation, only_repositories, simulate, stored_policies
from ..analysis.lifecycle.policy import Policy, tag_patterns
from ..analysis.lifecycle.protect import Reference
from ..core.errors import InputError
from ..core.options import PricingOptions
from ..core.usage import Usage
from ..sources.load import load
from .steps import Step, quiet


def what_if(
    source: Usage | str | Path,
    policies: Sequence[Policy] = (),
    *,
    options: PricingOptions,
    as_of: datetime | str | None = None,
    in_use: Iterable[Reference] = (),
    keep_tags: Iterable[str] = (),
    repositories: Iterable[str] = (),
    step: Step = quiet,
) -> list[Simulation]:
    """One :class:`Simulation` per policy, in the order given; without ``policies``, one that applies
    each repository's stored policy (``repositories`` table, ``lifecycle_policy``). ``repositories``:
    name patterns (wildcards ``*``) that limit the run. The month, prices and blob mounting come from
    ``options``."""
    keep_tags = tag_patterns(keep_tags)  # before reading anything
    usage = source
    if not isinstance(usage, Usage):
        with step(f"Reading {source}"):
            usage = load(usage, options.prices)
    if usage.images is None:
        raise InputError(
            "a lifecycle what-if needs an inventory folder (images.csv or images.parquet)",
            file=usage.source or None,
        )
    usage = only_repositories(usage, repositories)
    choices: list[Any] = list(policies)
    if not choices:
        stored = stored_policies(usage)
        if not stored:
            raise InputError(
                "no policy given and no repository of this inventory has a stored lifecycle policy "
                "(repositories table, lifecycle_policy column)",
                file=usage.source or None,
                field="policy",
            )
        choices = [stored]
    refs, tags = tuple(in_use), tuple(keep_tags)
    with step("Simulating"):
        return [
            simulate(
                usage,
                choice,
                as_of=as_of,
                month=options.month,
                prices=options.prices,
                blob_mounting=options.blob_mounting,
                in_use_refs=refs,
                keep_tags=tags,
            )
            for choice in choices
        ]
