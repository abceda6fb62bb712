"""Reading DataFrame rows in Python loops without pandas' per-cell overhead (Arrow-backed text columns
iterate one boxed value at a time): whole columns become Python lists first."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd


def tuples(frame: pd.DataFrame, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``frame[columns]`` as plain tuples."""
    return zip(*(frame[c].tolist() for c in columns), strict=True)
