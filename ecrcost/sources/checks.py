"""Column checks, whole columns at a time. Each returns the cleaned column or raises an InputError
naming the first bad row.

Conventions shared by every check: text is stripped; a blank optional cell (or a Parquet null) takes
the column's default; numbers are plain decimals (no ``inf``/``nan``, no thousands separators);
``-0`` is zero, so it is accepted and read as 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .files import RawTable, unique_categories

# Patterns use [0-9], not \d: \d also matches other scripts' digits ("１２").
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$")
# AWS: "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*", 2-256 characters.
REPOSITORY = r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"
REPOSITORY_LENGTH = (2, 256)
DIGEST = r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+"  # OCI digest grammar
ACCOUNT = r"[0-9]{12}"
_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_ZERO = r"[+-]?(?:0+\.?0*|\.0+)(?:[eE][+-]?[0-9]+)?"
_WHOLE = r"\+?[0-9]+(?:\.0*)?"
_NOT_FINITE = ["nan", "snan", "inf", "infinity"]
# ISO 8601 as people and tools write it: a date, optionally a time, optionally a UTC offset.
_ISO8601 = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)

# Beyond any real registry, and small enough that every amount stays exact in the money arithmetic.
MAX_GB = Decimal(10) ** 15
MAX_BYTES = 10**18 - 1
_ZERO_DECIMAL = Decimal(0)
# Digits a decimal quantity may have (before its exponent): a float prints 17, nobody writes 40.
MAX_DIGITS = 40


def show(value: object) -> str:
    """A cell's value as an error message quotes it (at most 80 characters)."""
    return _show(value)


def _show(value: object) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _first(raw: RawTable, bad: pd.Series | np.ndarray, column: str, message: str) -> None:
    if bool(bad.any()):
        rows = bad.to_numpy(dtype=bool, na_value=True) if isinstance(bad, pd.Series) else bad
        index = int(np.flatnonzero(rows)[0])
        value = raw.frame[column].iloc[index]
        raise raw.error(message.format(value=_show(value)), index, column)


def _matches(col: pd.Series, pattern: str) -> pd.Series:
    """Whole-value regex match (RE2, in pyarrow); a categorical is matched on its distinct values."""
    full = f"^(?:{pattern.removeprefix('^').removesuffix('$')})$"
    if isinstance(col.dtype, pd.CategoricalDtype):
        ok = _matches(pd.Series(col.cat.categories, dtype="str"), pattern).to_numpy()
        codes = col.cat.codes.to_numpy()
        return pd.Series(np.where(codes >= 0, ok[np.maximum(codes, 0)], False), index=col.index)
    found = pc.match_substring_regex(_arrow_text(col), full).fill_null(False)
    return pd.Series(found.to_numpy(zero_copy_only=False), index=col.index, dtype=bool)


def _distinct(col: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The distinct values of a text column (a str Series, positional) and each row's position among
    them (-1: missing). A categorical's categories are its distinct values: nothing is hashed."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return pd.Series(col.cat.categories, dtype="str"), col.cat.codes.to_numpy()
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    return pd.Series(uniques, dtype="str"), codes


def _rows(per_value: np.ndarray | pd.Series, codes: np.ndarray, missing: object = False) -> np.ndarray:
    """A per-distinct-value array spread over the rows (``missing`` where a row has no value)."""
    values = np.asarray(per_value)
    if not len(values):
        return np.full(len(codes), missing, dtype=values.dtype if len(codes) == 0 else object)
    out = values[np.maximum(codes, 0)]
    out[codes < 0] = missing
    return out


def plain(col: pd.Series) -> pd.Series:
    """A text column as plain ``str`` (a categorical decoded), for tables whose columns are compared
    with each other or concatenated: categoricals only compare with the same categories."""
    return col.astype("str") if isinstance(col.dtype, pd.CategoricalDtype) else col


def blank(col: pd.Series) -> pd.Series:
    """Which cells are empty text; a categorical is compared on its distinct values (no hashing)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        empty = np.asarray(col.cat.categories == "", dtype=bool)
        codes = col.cat.codes.to_numpy()
        return pd.Series(np.where(codes >= 0, empty[np.maximum(codes, 0)], False), index=col.index)
    return col == ""


def _strip(col: pd.Series) -> pd.Series:
    """Stripped text. A categorical stays categorical (its distinct values are stripped), so every
    later check and join costs one pass over the distinct values, not over the rows."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        values = _categories(col)
        stripped = pc.utf8_trim_whitespace(values)
        return col if values.equals(stripped) else _recode(col, stripped)
    return col.astype("str").str.strip()


def _categories(col: pd.Series) -> pa.Array:
    """A categorical's categories as Arrow text (no copy when pandas holds them in Arrow already)."""
    return _arrow_text(pd.Series(col.cat.categories))


def _arrow_text(col: pd.Series) -> pa.Array:
    """A text column as Arrow (no copy when pandas holds it in Arrow already)."""
    if col.dtype != "str":
        col = col.astype("str")
    return pa.array(col.array, pa.large_string())


def _recode(col: pd.Series, values: pa.Array, missing: str | None = None) -> pd.Series:
    """Categorical ``col`` with category ``i`` renamed to ``values[i]`` (categories that become equal
    merge); rows without a value get ``missing`` (None: they stay missing). Costs a pass over the
    categories and one over the codes: pandas' own renaming re-checks millions of categories."""
    codes = col.cat.codes.to_numpy()
    if missing is not None:
        values = pa.concat_arrays([values.cast(pa.large_string()), pa.array([missing], pa.large_string())])
        codes = np.where(codes >= 0, codes, len(values) - 1)
    encoded = pc.dictionary_encode(values)
    mapping = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    recoded = np.where(codes >= 0, mapping[np.maximum(codes, 0)], -1).astype(np.int32)
    dtype = unique_categories(encoded.dictionary)
    return pd.Series(pd.Categorical.from_codes(recoded, dtype=dtype), index=col.index)


def _text(raw: RawTable, column: str) -> pd.Series:
    col = raw.frame[column]
    if col.dtype.kind not in "OUT" and str(col.dtype) not in ("str", "string", "category"):
        raise raw.error(f"must be text, the file stores {col.dtype}", None, column)
    _first(raw, col.isna(), column, "missing value: a value is required")
    return _strip(col)


def text(raw: RawTable, column: str, default: str = "") -> pd.Series:
    """Optional text: blank or absent becomes ``default``."""
    if column not in raw.frame:
        return pd.Series(default, index=raw.frame.index, dtype="str")
    col = _strip(raw.frame[column])
    if isinstance(col.dtype, pd.CategoricalDtype):
        return _defaulted(col, default)
    col = col.where(col.notna(), default)
    return col.where(~blank(col), default)


def _defaulted(col: pd.Series, default: str) -> pd.Series:
    """Categorical ``col`` with blank and missing cells set to ``default``, by moving codes: the
    categories (millions, for timestamps) are neither hashed nor re-checked."""
    values = _categories(col)
    codes = col.cat.codes.to_numpy()
    blank_at, default_at = _position(values, ""), _position(values, default)
    missing = codes < 0
    if not missing.any() and (blank_at is None or blank_at == default_at):
        return col
    if default_at is None and blank_at is not None:  # the blank category becomes the default
        values = pc.if_else(pc.equal(values, ""), default, values)
        default_at = blank_at
    elif default_at is None:
        values = pa.concat_arrays([values, pa.array([default], pa.large_string())])
        default_at = len(values) - 1
    codes = np.where(missing, default_at, codes)
    if blank_at is not None and blank_at != default_at:
        codes[codes == blank_at] = default_at  # "" stays, a category no row uses
    return _with(col, codes, values)


def _position(values: pa.Array, value: str) -> int | None:
    at = pc.index(values, value).as_py()
    return None if at < 0 else int(at)


def _with(col: pd.Series, codes: np.ndarray, values: pa.Array) -> pd.Series:
    """A categorical of ``codes`` into distinct ``values``."""
    dtype = unique_categories(values)
    return pd.Series(pd.Categorical.from_codes(codes.astype(np.int32), dtype=dtype), index=col.index)


def required_text(raw: RawTable, column: str, pattern: str | None = None, what: str = "") -> pd.Series:
    col = _text(raw, column)
    _first(raw, blank(col), column, "blank value: a value is required")
    if pattern is not None:
        _first(raw, ~_matches(col, pattern), column, f"'{{value}}' is not a valid {what}")
    return col


def repository(raw: RawTable, column: str = "repository") -> pd.Series:
    """Required ECR repository name: lowercase, namespaces with '/', 2 to 256 characters."""
    col = required_text(raw, column)
    _first(
        raw,
        ~_matches(col, REPOSITORY),
        column,
        "'{value}' is not a valid repository name (lowercase letters, digits, . _ - and / namespaces)",
    )
    low, high = REPOSITORY_LENGTH
    values, codes = _distinct(col)
    _first(
        raw,
        _rows(~values.str.len().between(low, high).to_numpy(), codes),
        column,
        f"'{{value}}' is not a valid repository name ({low} to {high} characters)",
    )
    return col


def optional_pattern(raw: RawTable, column: str, pattern: str, what: str) -> pd.Series:
    col = text(raw, column)
    _first(raw, ~blank(col) & ~_matches(col, pattern), column, f"'{{value}}' is not a valid {what}")
    return col


def enum(
    raw: RawTable, column: str, allowed: Iterable[str], default: str, casefold: bool = False
) -> pd.Series:
    allowed = list(allowed)
    col = text(raw, column, default)
    if casefold:
        col = _casefolded(col, lower=allowed[0].islower())
    _first(raw, ~col.isin(allowed), column, f"'{{value}}' is not one of {', '.join(allowed)}")
    return col


def _casefolded(col: pd.Series, lower: bool) -> pd.Series:
    """``col`` in lower or upper case; a categorical stays one (its few categories are folded and
    merged), so a million statuses are not a million Python strings."""
    if not isinstance(col.dtype, pd.CategoricalDtype):
        return col.str.lower() if lower else col.str.upper()
    values, codes = _distinct(col)
    folded = values.str.lower() if lower else values.str.upper()
    merged, uniques = pd.factorize(folded)
    return _with(
        col, np.where(codes >= 0, merged[np.maximum(codes, 0)], -1), pa.array(uniques, pa.large_string())
    )


def region(raw: RawTable, column: str, known: Iterable[str], default: str = "") -> pd.Series:
    """Region codes known to the price book; blank becomes ``default`` (may be blank)."""
    col = text(raw, column, default)
    _first(
        raw,
        ~_matches(col, REGION.pattern) & ~blank(col),
        column,
        "'{value}' is not a region code (like us-east-1)",
    )
    known = set(known)
    _first(
        raw,
        col.str.startswith("cn-") & ~col.isin(known),
        column,
        "region '{value}' is in the China partition, billed in CNY by a separate AWS entity: ecrcost "
        "prices USD only, so estimate it apart (never add CNY to USD)",
    )
    _first(
        raw,
        ~col.isin(known) & ~blank(col),
        column,
        "unknown region '{value}': not in the price book (add it with --prices FILE)",
    )
    return col


def _not_bool(raw: RawTable, column: str, what: str) -> None:
    if raw.frame[column].dtype.kind == "b":
        raise raw.error(f"must be {what}, the file stores booleans", None, column)


def decimal(raw: RawTable, column: str) -> pd.Series:
    """Optional decimal ≥ 0 (blank or null = 0), as exact Decimals."""
    if column not in raw.frame:
        return pd.Series([Decimal(0)] * len(raw.frame), index=raw.frame.index, dtype=object)
    _not_bool(raw, column, "a number")
    col = raw.frame[column]
    if col.dtype.kind in "iuf":
        values = np.where(raw.null(column).to_numpy(), 0.0, col.to_numpy(dtype="float64", na_value=np.nan))
        _first(raw, pd.Series(~np.isfinite(values)), column, "'{value}' is not a finite number")
        _first(raw, pd.Series(values < 0), column, "'{value}' is negative: quantities are ≥ 0")
        _first(
            raw, pd.Series(values > float(MAX_GB)), column, f"'{{value}}' is too large (at most {MAX_GB:.0e})"
        )
        if col.dtype.kind == "f":
            # Parquet floats: the shortest decimal that round-trips, not the binary expansion; abs() turns
            # -0.0 into 0.
            exact = [abs(Decimal(repr(v))) for v in values.tolist()]
        else:
            exact = [
                Decimal(int(v)) for v in np.where(raw.null(column).to_numpy(), 0, col.to_numpy()).tolist()
            ]
        return pd.Series(exact, index=col.index, dtype=object)
    col = text(raw, column, "0")
    texts, codes = _distinct(col)  # each distinct text is checked and converted once

    def first(bad: np.ndarray | pd.Series, message: str) -> None:
        _first(raw, _rows(np.asarray(bad, dtype=bool), codes), column, message)

    first(texts.str.lower().str.lstrip("+-").isin(_NOT_FINITE), "'{value}' is not a finite number")
    number = _matches(texts, _NUMBER).to_numpy()
    zero = _matches(texts, _ZERO).to_numpy()
    first(number & texts.str.startswith("-").to_numpy() & ~zero, "'{value}' is negative: quantities are ≥ 0")
    first(~number, "'{value}' is not a number")
    too_many = f"'{{value}}' has too many digits (at most {MAX_DIGITS}, and an exponent of at most 4 digits)"
    first(texts.str.replace(r"[eE].*$", "", regex=True).str.count("[0-9]").to_numpy() > MAX_DIGITS, too_many)
    # The bound in binary floating point (1e999999 becomes inf): exact enough for a sanity limit. With
    # the digits bounded every value converts; "not ≤" also catches one that would not.
    first(
        number & ~(pd.to_numeric(texts.where(number, None), errors="coerce") <= float(MAX_GB)).to_numpy(),
        f"'{{value}}' is too large (at most {MAX_GB:.0e})",
    )
    first(_matches(texts, r".*[eE][+-]?0*[0-9]{5,}").to_numpy(), too_many)  # 1e-99999: a float's 0
    # One Decimal per distinct value, shared by its rows (zero for texts no row uses, e.g. blanks).
    amounts = np.empty(len(texts), dtype=object)
    amounts[:] = [
        Decimal(v) if ok and not z else _ZERO_DECIMAL for v, ok, z in zip(texts, number, zero, strict=True)
    ]
    return pd.Series(_rows(amounts, codes, _ZERO_DECIMAL), index=col.index, dtype="object")


def byte_count(raw: RawTable, column: str) -> pd.Series:
    """Required whole number of bytes ≥ 0, as int64."""
    _not_bool(raw, column, "a whole number of bytes")
    _first(raw, raw.null(column), column, "missing value: a size in bytes is required")
    col = raw.frame[column]
    too_large = f"'{{value}}' is too large for a size in bytes (at most {MAX_BYTES})"
    if col.dtype.kind in "iu":
        _first(raw, col < 0, column, "'{value}' is negative: sizes are ≥ 0")
        _first(raw, col > MAX_BYTES, column, too_large)
        return col.astype("int64")
    if col.dtype.kind == "f":
        values = col.to_numpy(dtype="float64", na_value=np.nan)
        _first(raw, pd.Series(~np.isfinite(values)), column, "'{value}' is not a finite number")
        _first(raw, pd.Series(values < 0), column, "'{value}' is negative: sizes are ≥ 0")
        _first(raw, pd.Series(values > MAX_BYTES), column, too_large)
        _first(raw, pd.Series(values != np.floor(values)), column, "'{value}' is not a whole number of bytes")
        return pd.Series(np.abs(values).astype("int64"), index=col.index)
    col = _text(raw, column)
    texts, codes = _distinct(col)  # each distinct text is checked and converted once

    def first(bad: np.ndarray | pd.Series, message: str) -> None:
        _first(raw, _rows(np.asarray(bad, dtype=bool), codes), column, message)

    plain = _matches(texts, f"[0-9]{{1,{len(str(MAX_BYTES))}}}").to_numpy()
    if not plain.all():  # the usual case is plain digits only
        first((texts == "").to_numpy(), "blank value: a size in bytes is required")
        first(texts.str.lower().str.lstrip("+-").isin(_NOT_FINITE), "'{value}' is not a finite number")
        zero = _matches(texts, _ZERO).to_numpy()
        first(
            _matches(texts, _NUMBER).to_numpy() & texts.str.startswith("-").to_numpy() & ~zero,
            "'{value}' is negative: sizes are ≥ 0",
        )
        first(~_matches(texts, _WHOLE).to_numpy() & ~zero, "'{value}' is not a whole number of bytes")
        digits = texts.where(~zero, "0").str.lstrip("+").str.replace(r"\.0*$", "", regex=True).str.lstrip("0")
        first(digits.str.len() > len(str(MAX_BYTES)), too_large)
        texts = digits.where(digits != "", "0")
        # Every value a row uses passed the checks; a category no row uses may be anything.
        texts = texts.where(_matches(texts, f"[0-9]{{1,{len(str(MAX_BYTES))}}}"), "0")
    return pd.Series(_rows(texts.astype("int64").to_numpy(), codes, 0), index=col.index, dtype="int64")


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
        values, codes = _distinct(col)  # each distinct text is checked and parsed once
        empty = (values == "").to_numpy()

        def first(bad: np.ndarray | pd.Series, message: str) -> None:
            _first(raw, _rows(np.asarray(bad, dtype=bool), codes), column, message)

        first(
            ~empty & ~_matches(values, _ISO8601).to_numpy(),
            "'{value}' is not an ISO 8601 timestamp (like 2026-09-01T12:00:00Z)",
        )
        stamps = pd.DatetimeIndex(
            pd.to_datetime(values.where(~empty, None), utc=True, format="ISO8601", errors="coerce")
        ).as_unit("us")
        first(stamps.isna() & ~empty, "'{value}' is not a valid date and time")
        parsed = pd.Series(stamps.take(np.maximum(codes, 0)), index=col.index)
        parsed = parsed.mask(pd.Series(codes < 0, index=col.index))
        blank = pd.Series(_rows(empty, codes, True), index=col.index)
    if required:
        _first(raw, blank, column, "blank value: a timestamp is required")
    return parsed.astype("datetime64[us, UTC]")
