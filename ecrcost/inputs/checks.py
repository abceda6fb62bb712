"""Column checks, whole columns at a time. Each returns the cleaned column or raises an InputError
naming the first bad row."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import pandas as pd

from .tables import RawTable

REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$")
# AWS: "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*", 2-256 characters.
REPOSITORY = r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"
DIGEST = r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+"  # OCI digest grammar
ACCOUNT = r"\d{12}"
_NUMBER = r"\+?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


def _first(raw: RawTable, bad: pd.Series, column: str, message: str) -> None:
    if bool(bad.any()):
        index = int(np.flatnonzero(bad.to_numpy())[0])
        value = raw.frame[column].iloc[index]
        raise raw.error(message.format(value=value), index, column)


def _text(raw: RawTable, column: str) -> pd.Series:
    col = raw.frame[column]
    if col.dtype.kind not in "OUT" and str(col.dtype) not in ("str", "string"):
        raise raw.error(f"must be text, the file stores {col.dtype}", None, column)
    bad = col.isna()
    _first(raw, bad, column, "missing value")
    return col.astype("str").str.strip()


def text(raw: RawTable, column: str, default: str = "") -> pd.Series:
    """Optional text: blank or absent becomes ``default``."""
    if column not in raw.frame:
        return pd.Series(default, index=raw.frame.index, dtype="str")
    col = raw.frame[column]
    col = col.where(col.notna(), default).astype("str").str.strip()
    return col.where(col != "", default)


def required_text(raw: RawTable, column: str, pattern: str | None = None, what: str = "") -> pd.Series:
    col = _text(raw, column)
    _first(raw, col == "", column, "blank value: a value is required")
    if pattern is not None:
        _first(raw, ~col.str.fullmatch(pattern).astype(bool), column, f"'{{value}}' is not a valid {what}")
    return col


def optional_pattern(raw: RawTable, column: str, pattern: str, what: str) -> pd.Series:
    col = text(raw, column)
    _first(raw, (col != "") & ~col.str.fullmatch(pattern).astype(bool), column,
           f"'{{value}}' is not a valid {what}")
    return col


def enum(raw: RawTable, column: str, allowed: Iterable[str], default: str, casefold: bool = False) -> pd.Series:
    allowed = list(allowed)
    col = text(raw, column, default)
    if casefold:
        col = col.str.lower() if allowed[0].islower() else col.str.upper()
    _first(raw, ~col.isin(allowed), column, f"'{{value}}' is not one of {', '.join(allowed)}")
    return col


def region(raw: RawTable, column: str, known: Iterable[str], default: str = "") -> pd.Series:
    """Region codes known to the price book; blank becomes ``default`` (may be blank)."""
    col = text(raw, column, default)
    _first(raw, ~col.str.fullmatch(REGION.pattern).astype(bool) & (col != ""), column,
           "'{value}' is not a region code (like us-east-1)")
    known = set(known)
    _first(raw, ~col.isin(known) & (col != ""), column,
           "unknown region '{value}': not in the price book (add it with --prices FILE)")
    return col


def decimal(raw: RawTable, column: str) -> pd.Series:
    """Optional decimal ≥ 0 (blank = 0), as exact Decimals."""
    if column not in raw.frame:
        return pd.Series([Decimal(0)] * len(raw.frame), index=raw.frame.index, dtype=object)
    col = raw.frame[column]
    if col.dtype.kind in "iuf":
        values = col.to_numpy(dtype="float64")
        _first(raw, pd.Series(~np.isfinite(values)), column, "'{value}' is not a finite number")
        _first(raw, pd.Series(values < 0), column, "'{value}' is negative: quantities are ≥ 0")
        # Parquet floats: take the shortest decimal that round-trips, not the binary expansion.
        return pd.Series([Decimal(repr(v)) if col.dtype.kind == "f" else Decimal(int(v)) for v in col.tolist()],
                         index=col.index, dtype=object)
    col = text(raw, column, "0")
    lowered = col.str.lower().str.lstrip("+-")
    _first(raw, lowered.isin(["nan", "inf", "infinity"]), column, "'{value}' is not a finite number")
    _first(raw, col.str.startswith("-") & col.str.fullmatch("-" + _NUMBER[3:]).astype(bool), column,
           "'{value}' is negative: quantities are ≥ 0")
    _first(raw, ~col.str.fullmatch(_NUMBER).astype(bool), column, "'{value}' is not a number")
    return pd.Series([Decimal(v) for v in col.tolist()], index=col.index, dtype=object)


def byte_count(raw: RawTable, column: str) -> pd.Series:
    """Required whole number of bytes ≥ 0, as int64."""
    col = raw.frame[column]
    if col.dtype.kind in "iu":
        _first(raw, col < 0, column, "'{value}' is negative: sizes are ≥ 0")
        return col.astype("int64")
    if col.dtype.kind == "f":
        values = col.to_numpy()
        _first(raw, pd.Series(~np.isfinite(values)), column, "'{value}' is not a finite number")
        _first(raw, pd.Series(values < 0), column, "'{value}' is negative: sizes are ≥ 0")
        _first(raw, pd.Series(values != np.floor(values)), column, "'{value}' is not a whole number of bytes")
        return col.astype("int64")
    col = _text(raw, column)
    _first(raw, col == "", column, "blank value: a size in bytes is required")
    lowered = col.str.lower().str.lstrip("+-")
    _first(raw, lowered.isin(["nan", "inf", "infinity"]), column, "'{value}' is not a finite number")
    _first(raw, col.str.startswith("-"), column, "'{value}' is negative: sizes are ≥ 0")
    _first(raw, ~col.str.fullmatch(r"\+?\d{1,18}").astype(bool), column, "'{value}' is not a whole number of bytes")
    return col.astype("int64")


def timestamp(raw: RawTable, column: str, required: bool) -> pd.Series:
    """ISO 8601 timestamps as UTC (naive values are taken as UTC)."""
    if column not in raw.frame:
        return pd.Series(pd.NaT, index=raw.frame.index, dtype="datetime64[us, UTC]")
    col = raw.frame[column]
    if isinstance(col.dtype, pd.DatetimeTZDtype) or col.dtype.kind == "M":
        parsed = pd.to_datetime(col, utc=True)
        blank = parsed.isna()
    else:
        col = text(raw, column)
        blank = col == ""
        parsed = pd.to_datetime(col.where(~blank, None), utc=True, format="ISO8601", errors="coerce")
        _first(raw, parsed.isna() & ~blank, column, "'{value}' is not an ISO 8601 timestamp")
    if required:
        _first(raw, blank, column, "blank value: a timestamp is required")
    return parsed.astype("datetime64[us, UTC]")
