"""Writing an export: CSV a spreadsheet opens safely, or typed Parquet; always atomically."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# A cell a spreadsheet would run as a formula (OWASP "CSV injection"): neutralised with a leading quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def neutralised(column: pa.Array) -> pa.Array:
    """:func:`neutralise` over a whole Arrow text column (other columns as they are)."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column
    risky = pc.match_substring_regex(column, "^[" + re.escape("".join(FORMULA_START)) + "]")
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain digits that read as a decimal: at least two places, never an exponent."""
    places = max(2, -int(value.as_tuple().exponent)) if value.is_finite() else 2
    return f"{value:.{places}f}"


def csv_text(frame: pd.DataFrame, decimals: list[str]) -> str:
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if column in decimals:
            out[column] = [decimal_text(v) for v in values]
        else:
            out[column] = ["" if _missing(v) else neutralise(str(v)) for v in values]
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def parquet_bytes(frame: pd.DataFrame, decimals: list[str], timestamps: list[str]) -> bytes:
    """Typed columns: decimals as decimal128 (exact), times as UTC timestamps, ids as strings."""
    arrays = {}
    for column in frame.columns:
        values = list(frame[column])
        if column in decimals:
            scale = max((max(0, -int(v.as_tuple().exponent)) for v in values), default=2)
            arrays[column] = pa.array(values, type=pa.decimal128(38, max(2, scale)))
        elif column in timestamps:
            arrays[column] = pa.array(
                pd.to_datetime(pd.Series(values), utc=True), type=pa.timestamp("us", "UTC")
            )
        else:
            arrays[column] = pa.array([None if _missing(v) else str(v) for v in values], type=pa.string())
    buffer = io.BytesIO()
    pq.write_table(pa.table(arrays), buffer)
    return buffer.getvalue()


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)
