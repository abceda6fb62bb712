"""JSON lists of a million items written a column at a time: each value's literal is built by Arrow for
a whole column (text quoted, integers printed), the items joined element-wise, and the list's text
handed out a few thousand items at a time, never as one string.

The text is what :func:`ecrcost.outputs.machine.dumps` writes for the same list (``json.dumps(...,
indent=2)``'s text): one item per line, ``ensure_ascii`` escapes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ROWS = 16_384  # items per chunk: a few MB of text
# Text json.dumps writes as it is between quotes: printable ASCII but for '"' and '\'.
_PLAIN = r"^[ !#-\[\]-~]*$"


@dataclass(frozen=True)
class ColumnList:
    """A JSON list of ``columns``' rows: with ``keys``, one flat object per row (those keys, in order);
    without, the values of the one column. Columns: text (categorical or not, missing = "") or
    integers. :meth:`chunks` is its text at an indent level."""

    columns: Sequence[pd.Series]
    keys: Sequence[str] = ()

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def chunks(self, level: int) -> Iterator[bytes | memoryview]:
        """The list's text as ``dumps`` writes it at ``level``: ``[`` … ``]``, items one per line."""
        n = len(self)
        if not n:
            yield b"[]"
            return
        inner = "\n" + "  " * (level + 1)
        arrays = [arrow_column(c) for c in self.columns]
        yield b"["
        for start in range(0, n, ROWS):
            part = [a.slice(start, ROWS) for a in arrays]
            text = _items(part, self.keys, level + 1)
            lines = pc.binary_join_element_wise(_text("," + inner), text, _text(""))
            data = _concatenated(lines)
            yield data[1:] if start == 0 else data  # the first item has no comma before it
        yield ("\n" + "  " * level + "]").encode()


def _items(arrays: list[pa.Array], keys: Sequence[str], level: int) -> pa.Array:
    """Each row's item text: the value's literal, or a flat object of the keys (one per line)."""
    literals = [_literals(a) for a in arrays]
    if not keys:
        return literals[0]
    inner = "\n" + "  " * (level + 1)
    parts: list[pa.Array | pa.Scalar] = []
    for i, (key, values) in enumerate(zip(keys, literals, strict=True)):
        parts += [_text(("{" if not i else ",") + inner + json.dumps(key) + ": "), values]
    parts.append(_text("\n" + "  " * level + "}"))
    return pc.binary_join_element_wise(*parts, _text(""))


def arrow_column(column: pd.Series) -> pa.Array:
    """The column as Arrow: integers as int64; text as strings (categoricals kept as dictionaries, decoded
    a chunk at a time)."""
    if pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        return pa.array(column.to_numpy(dtype=np.int64))
    if isinstance(column.dtype, pd.CategoricalDtype):
        names = column.cat.categories  # Arrow-backed text (the loader's): used as it is, no copy
        if not isinstance(names.dtype, pd.StringDtype):
            names = names.astype(str)
        codes = column.cat.codes.to_numpy()
        return pa.DictionaryArray.from_arrays(
            pa.array(codes, mask=codes < 0), pa.array(names, pa.large_string())
        )
    return pa.array(column.astype(object).to_numpy(), pa.large_string(), from_pandas=True)


def _literals(values: pa.Array) -> pa.Array:
    """JSON literals of a chunk of values: integers as their digits, text quoted (missing: "")."""
    if pa.types.is_integer(values.type):
        return pc.cast(values, pa.large_string())
    text = pc.fill_null(pc.cast(values, pa.large_string()), _text(""))
    quote = _text('"')
    quoted = pc.binary_join_element_wise(quote, text, quote, _text(""))
    plain = pc.match_substring_regex(text, _PLAIN)
    if pc.all(plain).as_py():
        return quoted
    # Text json escapes (quotes, controls, non-ASCII: a reason's arrow), by json itself, once per value.
    odd = pc.invert(plain)
    distinct = pc.dictionary_encode(pc.filter(text, odd))
    escaped = pa.array([json.dumps(v) for v in distinct.dictionary.to_pylist()], pa.large_string())
    return pc.replace_with_mask(quoted, odd, escaped.take(distinct.indices))


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


def _concatenated(strings: pa.Array) -> memoryview:
    """The text of all the (non-null) strings one after the other: their shared data buffer's span."""
    offsets_buffer, data_buffer = strings.buffers()[1:3]
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[
        strings.offset : strings.offset + len(strings) + 1
    ]
    if data_buffer is None:
        return memoryview(b"")
    return memoryview(data_buffer)[int(offsets[0]) : int(offsets[-1])]
