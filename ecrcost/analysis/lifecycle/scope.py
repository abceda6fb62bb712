"""What a simulation covers: the repositories chosen with ``--repository`` and the policies the
inventory stores for them (``collect`` reads them with GetLifecyclePolicy)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import cast

import numpy as np
import pandas as pd

from ...core.errors import InputError
from ...core.usage import Usage, is_keyed, keyed_subset
from .policy import Policy, parse_policy, wildcard_matches


def only_repositories(usage: Usage, patterns: Iterable[str]) -> Usage:
    """``usage`` cut down to the repositories whose name matches any of ``patterns`` (wildcards '*')."""
    patterns = list(patterns)
    if not patterns or usage.images is None:
        return usage

    def matching(column: pd.Series) -> np.ndarray:
        codes, names = pd.factorize(column.astype(object))  # each name matched once, not each row
        hit = np.zeros(len(names), dtype=bool)
        for pattern in patterns:  # RE2: linear in the name, whatever the pattern
            hit |= wildcard_matches(names.astype(str), pattern)
        return (codes >= 0) & hit[np.maximum(codes, 0)]

    kept = matching(usage.images["repository"])
    images = usage.images[kept]
    if not len(images):
        raise InputError(f"no repository matches {', '.join(patterns)}", field="repository")
    layers = usage.layers
    if is_keyed(layers):  # keyed layers (docs/scale.md) follow their images
        layers = keyed_subset(cast(pd.DataFrame, layers), kept)
    elif layers is not None:
        layers = layers[matching(layers["repository"])]
    table = usage.repositories
    if table is not None:
        table = table[matching(table["repository"])]
    return replace(usage, images=images, layers=layers, repositories=table)


def stored_policies(usage: Usage, where: str = "") -> dict[tuple[str, str, str], Policy]:
    """The lifecycle policy of each repository that has one, by (account_id, region, repository);
    validated like a policy file, an error naming the repository."""
    table = usage.repositories
    if table is None or not len(table):
        return {}
    out = {}
    for account, region, repo, text in zip(
        table["account_id"], table["region"], table["repository"], table["lifecycle_policy"], strict=True
    ):
        if isinstance(text, str) and text.strip():
            label = f"{where or usage.source}: stored policy of {region}/{repo}"
            out[(str(account), str(region), str(repo))] = parse_policy(
                text, name=f"stored:{repo}", where=label
            )
    return out
