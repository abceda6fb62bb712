"""Reading CSV and Parquet files safely: every failure becomes an InputError naming file, line, column."""

from __future__ import annotations

import bisect
import csv
import difflib
import re
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..core.errors import InputError
from .objectstore import S3File

Source = Path | S3File  # what read_table reads

# What a file that is not CSV text usually is, by its first bytes.
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"PAR1", "a Parquet file (give it the .parquet suffix)"),
    (b"\x1f\x8b", "gzip-compressed data (decompress it first)"),
    (b"BZh", "bzip2-compressed data (decompress it first)"),
    (b"\xfd7zXZ\x00", "xz-compressed data (decompress it first)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data (decompress it first)"),
    (b"PK\x03\x04", "a ZIP archive or Excel workbook (export it as CSV UTF-8)"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office document (export it as CSV UTF-8)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xfe\x00\x00", "UTF-32 text (save it as UTF-8)"),  # before UTF-16 LE, which it starts like
    (b"\x00\x00\xfe\xff", "UTF-32 text (save it as UTF-8)"),
    (b"\xff\xfe", "UTF-16 text (save it as UTF-8)"),
    (b"\xfe\xff", "UTF-16 text (save it as UTF-8)"),
]
_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class RawTable:
    """A file's rows before checking: CSV cells as stripped text, Parquet columns as stored; text
    columns of either are categoricals."""

    path: Source  # a local file, or a Parquet file in object storage
    frame: pd.DataFrame
    kind: str  # "csv" or "parquet"
    # Parquet: where a column stores null (absent for columns without nulls). A CSV has blanks instead.
    nulls: Mapping[str, np.ndarray] = field(default_factory=dict)
    # Rows read from several files (a partitioned inventory): each file, its kind and its first row.
    parts: tuple[tuple[Source, str, int], ...] = ()

    def null(self, column: str) -> pd.Series:
        """True where a Parquet cell is null (never for CSV: blanks there are empty strings)."""
        mask = self.nulls.get(column)
        if mask is None:
            return pd.Series(False, index=self.frame.index)
        return pd.Series(mask, index=self.frame.index)

    def error(self, message: str, index: int | None = None, column: str | None = None) -> InputError:
        """An InputError for data row ``index`` (0-based) of this file (of the file holding it, for rows
        of several files)."""
        if index is None:
            return InputError(message, file=self.path, column=column)
        if self.parts:
            at = bisect.bisect_right([start for _, _, start in self.parts], index) - 1
            path, kind, start = self.parts[at]
            return RawTable(path, self.frame.iloc[:0], kind).error(message, index - start, column)
        if self.kind == "parquet":
            return InputError(message, file=self.path, row=index + 1, column=column, row_label="row")
        assert isinstance(self.path, Path)  # object storage is Parquet only
        return InputError(message, file=self.path, row=_csv_line_of(self.path, index), column=column)

    def without_trailing_blank_rows(self) -> RawTable:
        """The rows up to the last one with any cell filled: a spreadsheet's export ends in ``,,,``
        lines (a blank row in the middle stays, and the checks name it)."""
        if self.kind != "csv" or not len(self.frame):
            return self
        filled = np.zeros(len(self.frame), dtype=bool)
        for name in self.frame.columns:
            filled |= (self.frame[name] != "").to_numpy(dtype=bool)
        last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
        return self if last == len(self.frame) else RawTable(self.path, self.frame.iloc[:last], self.kind)


def read_table(
    path: Source,
    required: Iterable[str],
    optional: Iterable[str],
    lists: Iterable[str] = (),
    max_rows: int | None = None,
    fold_header: bool = False,
    extra: bool = False,
    only: Iterable[str] | None = None,
) -> RawTable:
    """Read ``path`` (CSV or Parquet by suffix) and check its header against the allowed columns.

    Text columns come back as categoricals (one dictionary per column), so memory follows the distinct
    values, not the file size; a CSV is read in blocks, never whole. Parquet text stored as binary
    (writers that omit the UTF-8 annotation) is read as text when it is UTF-8; a list of text in one
    of the ``lists`` columns becomes its items joined by spaces (how a CSV holds image tags). Any
    other nested column is an error naming it. ``max_rows``: more data rows than this is an error
    naming the first row past it (a CSV stops reading there). ``fold_header``: column names are
    compared trimmed and case-insensitively (the frame's columns are the lower-case names). ``extra``:
    unknown columns are read too, unless one looks like a misspelt known column (an error naming it).
    ``only``: of a Parquet file, only these columns are read (the header is still checked whole); the
    others' pages are never fetched, so their values are neither read nor checked. A CSV is read whole.
    ``path`` may be a Parquet file in object storage (:class:`~ecrcost.sources.objectstore.S3File`)."""
    required, optional, lists = list(required), list(optional), set(lists)
    wanted = None if only is None else set(only) | set(required)
    if isinstance(path, S3File):
        if path.suffix.lower() != ".parquet":
            raise InputError(
                "only Parquet is read from object storage (collect --format parquet writes it): "
                "copy the prefix to a folder first (aws s3 sync URL DIR) to read CSV",
                file=path,
            )
    elif not path.exists():
        if path.is_symlink():
            raise InputError("broken symbolic link: its target does not exist", file=path)
        raise InputError("file not found", file=path)
    elif not path.is_file():
        raise InputError("not a regular file", file=path)
    if path.suffix.lower() == ".parquet":
        parquet = _open_parquet(path)
        stored = parquet.schema_arrow.names
        names = [n.strip().lower() for n in stored] if fold_header else stored
        _check_header(path, names, required, optional, header_row=None, extra=extra)
        if max_rows is not None and parquet.metadata.num_rows > max_rows:
            raise _too_many(path, max_rows, max_rows + 1, "row")
        columns: dict[str, pd.Series | pd.Categorical] = {}
        nulls = {}
        for name, original in zip(names, stored, strict=True):  # one column in memory at once
            if wanted is not None and name not in wanted:  # not read: its shape is still checked
                _check_shape(parquet.schema_arrow.field(original).type, name, path, name in lists)
                continue
            kind = parquet.schema_arrow.field(original).type
            if _is_text(kind, name in lists):  # a batch of raw text at a time, encoded as it comes
                columns[name], null = _parquet_text(parquet, original, name, path, name in lists)
                if null is not None:
                    nulls[name] = null
                pa.default_memory_pool().release_unused()
                continue
            col = _plain_column(_read_parquet_column(parquet, original, path), name, path, name in lists)
            if col.null_count:
                nulls[name] = col.is_null().to_numpy(zero_copy_only=False)
            try:
                columns[name] = _to_pandas(col)
            except (pa.ArrowException, ValueError, TypeError) as exc:
                raise InputError(f"cannot convert the Parquet data ({_first_line(exc)})", file=path) from None
            del col
            pa.default_memory_pool().release_unused()
        return RawTable(path, pd.DataFrame(columns), "parquet", nulls)
    assert isinstance(path, Path)  # object storage is Parquet only (above)
    header = _csv_header(path)
    names = [n.lower() for n in header] if fold_header else header
    _check_header(path, names, required, optional, header_row=comments(path)[0] + 1, extra=extra)
    return RawTable(path, pd.DataFrame(_read_csv(path, names, max_rows)), "csv")


def parquet_with_header(path: Path, required: Iterable[str], optional: Iterable[str]) -> pq.ParquetFile:
    """A Parquet table opened and its header checked, as :func:`read_table` does before any value."""
    parquet = _open_parquet(path)
    _check_header(path, parquet.schema_arrow.names, list(required), list(optional), header_row=None)
    return parquet


def check_unread(parquet: pq.ParquetFile, path: Path, read: Iterable[str]) -> None:
    """The shape check :func:`read_table` makes of the columns it does not read (``only``)."""
    read = set(read)
    for name in parquet.schema_arrow.names:
        if name not in read:
            _check_shape(parquet.schema_arrow.field(name).type, name, path, False)


def concatenated(tables: list[RawTable], path: Source, constants: list[dict[str, str]]) -> RawTable:
    """The rows of several files of one table as one RawTable whose errors name each row's own file
    (a partitioned inventory). ``constants``: per table, columns its folder names (``account_id=…``)
    that the file may omit (then every row takes the value) or hold (then every row must equal it).
    Every file has the same columns."""
    for table, values in zip(tables, constants, strict=True):
        for name, value in values.items():
            if name not in table.frame:
                continue
            texts, codes = _stripped_categories(table.frame[name])
            same = np.asarray(texts == value, dtype=bool)
            bad = np.where(codes >= 0, ~same[np.maximum(codes, 0)], True) & ~table.null(name).to_numpy()
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                shown = texts.iloc[codes[i]] if codes[i] >= 0 else ""
                raise table.error(
                    f"'{shown}' in a folder of {name}={value}: a row belongs in its partition's folder",
                    i,
                    name,
                )
    names = list(tables[0].frame.columns) + [c for c in constants[0] if c not in tables[0].frame]
    for table, values in zip(tables, constants, strict=True):
        have = list(table.frame.columns) + [c for c in values if c not in table.frame]
        if sorted(have) != sorted(names):
            odd = sorted(set(have) ^ set(names))
            raise InputError(
                f"the partitions' files differ in their columns ({', '.join(odd)}): write each with the same "
                f"columns (as in {tables[0].path})",
                file=table.path,
                column=odd[0],
            )
    columns: dict[str, pd.Series | pd.Categorical] = {}
    nulls: dict[str, np.ndarray] = {}
    rows = sum(len(t.frame) for t in tables)
    for name in names:
        if any(name in t.nulls for t in tables):
            nulls[name] = np.concatenate([t.null(name).to_numpy() for t in tables])
        pieces = [
            t.frame.pop(name)  # each file's column is let go as it is taken: one copy at a time
            if name in t.frame
            else pd.Series(
                pd.Categorical.from_codes(np.zeros(len(t.frame), np.int8), categories=pd.Index([v[name]]))
            )
            for t, v in zip(tables, constants, strict=True)
        ]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in pieces):
            folded = _Folded()  # the files' dictionaries unified in Arrow, not hashed again by pandas
            while pieces:
                folded.add([_arrow_dictionary(pieces.pop(0))])
            columns[name] = _from_dictionary(folded.result(), rows)
        else:
            columns[name] = pd.concat(pieces, ignore_index=True)
    starts = np.cumsum([0] + [len(t.frame) for t in tables[:-1]])
    parts = tuple((t.path, t.kind, int(at)) for t, at in zip(tables, starts, strict=True))
    return RawTable(path, pd.DataFrame(columns), tables[0].kind, nulls, parts)


def _stripped_categories(col: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """A text column's distinct values, stripped, and each row's position among them (-1: missing)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return pd.Series(col.cat.categories).astype("str").str.strip(), col.cat.codes.to_numpy()
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    return pd.Series(uniques).astype("str").str.strip(), codes


def _arrow_dictionary(col: pd.Series) -> pa.DictionaryArray:
    """A categorical as an Arrow dictionary array (large_string values, int32 indices, nulls for -1)."""
    codes = col.cat.codes.to_numpy().astype(np.int32, copy=False)
    values = pa.array(col.cat.categories.astype("str").array, pa.large_string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), values)


def _too_many(path: Source, max_rows: int, row: int, label: str) -> InputError:
    return InputError(f"too many rows: at most {max_rows:,} are allowed", file=path, row=row, row_label=label)


# Rows of a Parquet text column decoded at a time: memory holds one batch of raw text (~70 MB of digests),
# plus the column's codes and its dictionary, never the whole column's text (7 GB at 100M layer rows).
PARQUET_BATCH = 1_000_000


def _is_text(kind: pa.DataType, joinable: bool) -> bool:
    """Whether a Parquet column of type ``kind`` becomes a categorical of text."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if joinable and (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
        kind = kind.value_type
    return any(
        check(kind)
        for check in (
            pa.types.is_string,
            pa.types.is_large_string,
            pa.types.is_binary,
            pa.types.is_large_binary,
            pa.types.is_fixed_size_binary,
        )
    )


def _parquet_text(
    parquet: pq.ParquetFile, original: str, name: str, path: Source, joinable: bool
) -> tuple[pd.Categorical, np.ndarray | None]:
    """A Parquet text column as a categorical, read ``PARQUET_BATCH`` rows at a time: each batch is
    checked (UTF-8, lists joined), dictionary-encoded, and folded into one dictionary as it comes
    (:class:`_Folded`). Also the null mask (None without nulls)."""

    def encode(col: pa.Array, start: int) -> tuple[list[pa.DictionaryArray], np.ndarray]:
        if pa.types.is_dictionary(col.type) and _is_string(col.type.value_type):
            # text the file stores as a dictionary (names, accounts, regions): kept as it is
            indices, values = col.indices.cast(pa.int32()), col.dictionary.cast(pa.large_string())
            null = col.is_null().to_numpy(zero_copy_only=False)
            return [pa.DictionaryArray.from_arrays(indices, values)], null
        if pa.types.is_dictionary(col.type):
            col = col.dictionary_decode()
        plain = _plain_column(pa.chunked_array([col]), name, path, joinable, start)
        encoded = [pc.dictionary_encode(chunk.cast(pa.large_string())) for chunk in plain.chunks]
        return encoded, plain.is_null().to_numpy(zero_copy_only=False)

    # Batches are encoded two at a time (Arrow frees the GIL) while the next one is read; results are
    # taken in file order, so the first bad row is still the one reported.
    parts = _Folded()
    null_parts: list[np.ndarray] = []
    start = 0
    try:
        if isinstance(path, Path) and _stored_as_dictionary(parquet, original):
            parquet = _open_parquet(path, dictionary=original)  # as Arrow dictionaries: nothing to hash
            # (an S3 file is not opened twice: each opening is another request)
        with ThreadPoolExecutor(2) as pool:
            pending: deque[Future[tuple[list[pa.DictionaryArray], np.ndarray]]] = deque()
            batches = parquet.iter_batches(batch_size=PARQUET_BATCH, columns=[original], use_threads=True)
            for batch in batches:
                pending.append(pool.submit(encode, batch.column(0), start))
                start += batch.num_rows
                del batch
                while len(pending) >= 2:
                    _take(pending.popleft(), parts, null_parts)
            while pending:
                _take(pending.popleft(), parts, null_parts)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _parquet_error(path, exc) from None
    encoded = _from_dictionary(parts.result(), start)
    del parts
    has_null = any(bool(n.any()) for n in null_parts)
    return encoded, (np.concatenate(null_parts) if has_null else None)


def _take(
    done: Future[tuple[list[pa.DictionaryArray], np.ndarray]], parts: _Folded, null_parts: list[np.ndarray]
) -> None:
    encoded, null = done.result()
    parts.add(encoded)
    null_parts.append(null)


def _is_string(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _stored_as_dictionary(parquet: pq.ParquetFile, original: str) -> bool:
    """Whether every row group stores text column ``original`` with a dictionary page (repository
    names do; digests, mostly distinct, fall back to plain pages), so it reads as dictionaries."""
    if not _is_string(parquet.schema_arrow.field(original).type):
        return False
    meta = parquet.metadata
    leaves = [meta.schema.column(i).path for i in range(meta.num_columns)]  # Parquet's own columns
    if original not in leaves:
        return False
    at = leaves.index(original)
    return meta.num_row_groups > 0 and all(
        meta.row_group(g).column(at).has_dictionary_page for g in range(meta.num_row_groups)
    )


FOLD_BYTES = 256 << 20  # batch dictionaries' text held before a merge


class _Folded:
    """Dictionary-encoded batches of one column, folded into one dictionary as they come: the
    batches' own dictionaries are merged into it whenever they hold more text than a quarter of it
    (and at least ``FOLD_BYTES``). Memory then holds the merged dictionary and a bounded backlog, not
    one dictionary per batch: at 100M layer rows that was 96 dictionaries of digests, 4 GB at once.
    Each merge hashes the merged dictionary again, so merges are few (at 10M layer rows, two)."""

    def __init__(self) -> None:
        self.merged: pa.DictionaryArray | None = None
        self.backlog: list[pa.DictionaryArray] = []
        self.backlog_bytes = 0

    def add(self, parts: list[pa.DictionaryArray]) -> None:
        self.backlog.extend(parts)
        self.backlog_bytes += sum(p.dictionary.nbytes for p in parts)
        merged_bytes = self.merged.dictionary.nbytes if self.merged is not None else 0
        if self.backlog_bytes > max(FOLD_BYTES, merged_bytes // 4):
            self._merge()

    def _merge(self) -> None:
        chunks = ([self.merged] if self.merged is not None else []) + self.backlog
        if not chunks:
            return
        unified = pa.chunked_array(chunks, type=_TEXT).unify_dictionaries()
        indices = pa.concat_arrays([c.indices for c in unified.chunks])
        self.merged = pa.DictionaryArray.from_arrays(indices, unified.chunk(0).dictionary)
        self.backlog, self.backlog_bytes = [], 0

    def result(self) -> pa.ChunkedArray:
        """The column: one chunk over the merged dictionary (none for an empty column)."""
        self._merge()
        return pa.chunked_array([] if self.merged is None else [self.merged], type=_TEXT)


def _plain_column(
    col: pa.ChunkedArray, name: str, path: Source, joinable: bool, start: int = 0
) -> pa.ChunkedArray:
    """A Parquet column as a flat type the checks know: binary decoded as UTF-8, a list of text
    joined by spaces where ``joinable``; other nested types are refused."""
    kind = col.type
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return _decoded(col, name, path, start)
    if _listed_text(kind) and joinable:
        return pa.chunked_array([_joined(c) for c in col.chunks], type=kind.value_type)
    _check_shape(kind, name, path, joinable)
    return col


def _listed_text(kind: pa.DataType) -> bool:
    listed = pa.types.is_list(kind) or pa.types.is_large_list(kind)
    return listed and (pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type))


def _check_shape(kind: pa.DataType, name: str, path: Source, joinable: bool) -> None:
    """A nested type (other than a list of text where ``joinable``) is an error naming the column: known
    from the schema alone, so a column that is not read is checked too."""
    if pa.types.is_nested(kind) and not (joinable and _listed_text(kind)):
        want = "text or a list of text" if joinable else "a single value"
        raise InputError(f"must be {want}, the file stores {kind}", file=path, column=name)


def _joined(chunk: pa.Array) -> pa.Array:
    """Each list of text as one text, its items joined by spaces (a null item is skipped)."""
    if chunk.offset:  # the offsets of a slice cannot carry a null mask: take a compact copy first
        chunk = pc.take(chunk, pa.array(np.arange(len(chunk))))
    make = pa.LargeListArray if pa.types.is_large_list(chunk.type) else pa.ListArray
    filled = make.from_arrays(chunk.offsets, chunk.values.fill_null(""), mask=chunk.is_null())
    return pc.utf8_trim_whitespace(pc.binary_join(filled, " "))


def _decoded(col: pa.ChunkedArray, name: str, path: Source, start: int = 0) -> pa.ChunkedArray:
    """Binary cells as UTF-8 text; the first cell that is not UTF-8 is an error naming its row
    (``start``: the file row of the column's first cell, 0-based)."""
    chunks = []
    for chunk in col.chunks:
        try:
            chunks.append(
                chunk.cast(pa.large_string() if pa.types.is_large_binary(chunk.type) else pa.string())
            )
        except pa.ArrowInvalid:
            for i, cell in enumerate(chunk.to_pylist()):  # only on the way to an error
                try:
                    if cell is not None:
                        cell.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InputError(
                        f"not UTF-8 text (byte 0x{cell[exc.start]:02x})",
                        file=path,
                        row=start + i + 1,
                        column=name,
                        row_label="row",
                    ) from None
            raise
        start += len(chunk)
    return pa.chunked_array(chunks, type=chunks[0].type if chunks else pa.string())


def _to_pandas(col: pa.ChunkedArray) -> pd.Series | pd.Categorical:
    """Text becomes a categorical (one dictionary for the column), so checks and joins touch each
    distinct value once: 10M layer rows hold only ~2M distinct digests and a few thousand names."""
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return categorical(col)
    return col.to_pandas()


def categorical(col: pa.ChunkedArray | pa.Array) -> pd.Categorical:
    """A text column (string or large_string, any number of chunks) as a pandas categorical.

    The chunks are encoded as they are, never combined into one array: a combined column over 2 GiB
    of text overflows the 32-bit offsets of ``string``, and the dictionary is ``large_string`` (64-bit
    offsets) for the same reason. Nulls become code -1."""
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col])
    encoded = pc.dictionary_encode(col.cast(pa.large_string()))  # one dictionary shared by every chunk
    return _from_dictionary(encoded, len(col))


def _from_dictionary(encoded: pa.ChunkedArray, length: int) -> pd.Categorical:
    """A categorical from chunks that share one dictionary."""
    if not encoded.num_chunks:
        return pd.Categorical.from_codes(
            np.empty(0, np.int32), dtype=unique_categories(pa.array([], pa.large_string()))
        )
    codes = np.empty(length, dtype=np.int32)
    at = 0
    for chunk in encoded.chunks:
        codes[at : at + len(chunk)] = chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        at += len(chunk)
    return pd.Categorical.from_codes(codes, dtype=unique_categories(encoded.chunk(0).dictionary))


def unique_categories(values: pa.Array) -> pd.CategoricalDtype:
    """A categorical dtype for text values already known to be distinct (a dictionary): skips pandas'
    uniqueness check, which costs seconds on millions of digests."""
    index = pd.Index(values.to_pandas(), dtype="str")
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)  # private; the public path is the fallback
    return fast(index, ordered=False) if fast is not None else pd.CategoricalDtype(index)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _check_header(
    path: Source,
    names: list[str],
    required: list[str],
    optional: list[str],
    header_row: int | None,
    extra: bool = False,
) -> None:
    dups = sorted(n for n, c in Counter(names).items() if c > 1)
    if dups:
        raise InputError(f"duplicate column(s): {', '.join(dups)}", file=path, row=header_row, column=dups[0])
    blank = [i + 1 for i, n in enumerate(names) if not n]
    if blank:
        raise InputError(f"header has an empty column name (column {blank[0]})", file=path, row=header_row)
    allowed = set(required) | set(optional)
    unknown = [n for n in names if n not in allowed]
    if extra:  # kept, except a name that looks like a misspelt known one
        unknown = [n for n in unknown if misspelt(n, required + optional)]
    if unknown:
        near = misspelt(unknown[0], required + optional)
        hint = f"did you mean '{near}'? " if near else ""
        raise InputError(
            f"unknown column(s): {', '.join(unknown)} ({hint}allowed: {', '.join(required + optional)})",
            file=path,
            row=header_row,
            column=unknown[0],
        )
    missing = [n for n in required if n not in names]
    odd = next((s for s in (";", "\t", "|") if len(names) == 1 and s in names[0]), None)
    if missing and odd:
        shown = "tab" if odd == "\t" else f"'{odd}'"
        raise InputError(
            f"the header is one column: the file looks separated by {shown}; save it as CSV with commas",
            file=path,
            row=header_row,
            column=names[0],
        )
    if missing:
        raise InputError(
            f"missing required column(s): {', '.join(missing)}", file=path, row=header_row, column=missing[0]
        )


def misspelt(name: str, known: list[str]) -> str:
    """The known column ``name`` is most likely a misspelling of ("" if none is close): a near match
    (``internet_gb`` → ``internet_out_gb``), or a known name that starts with it (``storage`` →
    ``storage_gb``)."""
    near = difflib.get_close_matches(name, known, 1, cutoff=0.75)
    if near:
        return near[0]
    longer = [k for k in known if k.startswith(name + "_")]
    return longer[0] if longer else ""


def _parquet_error(path: Source, exc: BaseException) -> InputError:
    message = _first_line(exc)
    if "magic bytes" in message:
        message = "no Parquet magic bytes: corrupted, truncated or not Parquet"
    return InputError(f"not a readable Parquet file ({message})", file=path)


def _open_parquet(path: Path | S3File, dictionary: str | None = None) -> pq.ParquetFile:
    """``dictionary``: a text column to read as Arrow dictionaries."""
    read_dictionary = [dictionary] if dictionary is not None else None
    try:
        if isinstance(path, S3File):
            return pq.ParquetFile(path.key, filesystem=path.fs, read_dictionary=read_dictionary)
        return pq.ParquetFile(path, read_dictionary=read_dictionary)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _parquet_error(path, exc) from None


def _read_parquet_column(parquet: pq.ParquetFile, name: str, path: Source) -> pa.ChunkedArray:
    try:
        return parquet.read(columns=[name]).column(0)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _parquet_error(path, exc) from None


def _sniff_text(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=path) from None
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputError("file is empty (expected a header row)", file=path)
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            raise InputError(f"not CSV text but {what}", file=path)
    if b"\x00" in head:
        raise InputError("binary file: expected CSV text (UTF-8)", file=path)


def comments(path: Path) -> tuple[int, int]:
    """The comment block a CSV may open with (a starter file's guide): lines starting with ``#``, and
    blank lines among and after them, before the header. Its number of lines and of bytes; (0, 0)
    without one. Only the first 1 MiB is looked at: a guide is short."""
    lines = size = 0
    commented = False
    with path.open("rb") as fh:
        while size < 2**20:
            line = fh.readline(2**20)
            text = line.removeprefix(b"\xef\xbb\xbf") if lines == 0 else line
            if text.lstrip(b" \t").startswith(b"#"):
                commented = True
            elif text.strip() or not line:
                break
            lines, size = lines + 1, size + len(line)
    return (lines, size) if commented else (0, 0)


def _skip_comments(fh: TextIO, path: Path) -> int:
    """Move a text handle past the comment block; its number of lines."""
    lines = comments(path)[0]
    for _ in range(lines):
        fh.readline()
    return lines


def _csv_header(path: Path) -> list[str]:
    _sniff_text(path)
    skipped = 0
    try:
        with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
            skipped = _skip_comments(fh, path)
            header = next(csv.reader(fh, strict=True), [])
    except csv.Error as exc:
        raise InputError(f"malformed header ({exc})", file=path, row=skipped + 1) from None
    if not header:
        what = (
            "no header row after the comments"
            if skipped
            else "the first line is blank: expected the header row"
        )
        raise InputError(what, file=path, row=skipped + 1)
    bad = [i for i, name in enumerate(header) if _SURROGATE.search(name)]
    if bad:
        raise _not_utf8(path, skipped + 1, None, header[bad[0]])
    return [h.strip() for h in header]


def _not_utf8(path: Path, line: int, column: str | None, text: str) -> InputError:
    byte = ord(_SURROGATE.search(text).group()) - 0xDC00  # type: ignore[union-attr]
    return InputError(
        f"not UTF-8 text (byte 0x{byte:02x}): save the file as UTF-8", file=path, row=line, column=column
    )


# Bytes of CSV text parsed at a time: memory holds one block of raw text, plus every column encoded.
BLOCK = 16 * 2**20
_TEXT = pa.dictionary(pa.int32(), pa.large_string())


def _read_csv(path: Path, names: list[str], max_rows: int | None = None) -> dict[str, pd.Categorical]:
    """Every column as a categorical of stripped text, read a block at a time: each block's columns are
    stripped and dictionary-encoded at once, and the blocks' dictionaries unified at the end, so the
    raw text of the whole file is never in memory."""
    parts: dict[str, list[pa.DictionaryArray]] = {name: [] for name in names}
    rows = 0
    skip = comments(path)[1]
    source: Path | pa.NativeFile = path
    if skip:  # start past the comment block (a BOM, if any, is inside it)
        source = pa.OSFile(str(path))
        source.seek(skip)
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, encoding="utf8", block_size=BLOCK
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            if max_rows is not None and rows + batch.num_rows > max_rows:
                raise _too_many(path, max_rows, _csv_line_of(path, max_rows), "line")
            rows += batch.num_rows
            for name, column in zip(names, batch.columns, strict=True):
                stripped = pc.utf8_trim_whitespace(column).cast(pa.large_string())
                parts[name].append(pc.dictionary_encode(stripped))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        error, found = _locate_csv_error(path, names)
        if error is None and found == 0:  # a header without a line break after it
            return {name: categorical(pa.array([], pa.string())) for name in names}
        raise (error or InputError("malformed CSV", file=path)) from None
    finally:
        if isinstance(source, pa.NativeFile):
            source.close()
    columns = {}
    for name in names:
        chunks = pa.chunked_array(parts.pop(name), type=_TEXT).unify_dictionaries()
        columns[name] = _from_dictionary(chunks, rows)
        del chunks
        pa.default_memory_pool().release_unused()  # give the encoding's scratch space back at once
    return columns


def _locate_csv_error(path: Path, names: list[str]) -> tuple[InputError | None, int]:
    """The first line a strict CSV reader rejects, and how many data rows it read (only called after
    the fast reader failed). Streams the file: one row in memory at a time."""
    rows, header = 0, True
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        end = skipped = _skip_comments(fh, path)
        reader = csv.reader(fh, strict=True)
        try:
            for row in reader:
                start, end = end + 1, skipped + reader.line_num
                if not row:
                    continue
                bad = [i for i, cell in enumerate(row) if _SURROGATE.search(cell)]
                if bad:
                    column = names[bad[0]] if not header and bad[0] < len(names) else None
                    return _not_utf8(path, start, column, row[bad[0]]), rows
                if header:
                    header = False
                else:
                    rows += 1
                    if len(row) != len(names):
                        fields = f"{len(row)} field" + ("s" if len(row) != 1 else "")
                        return InputError(
                            f"row has {fields}, the header has {len(names)}", file=path, row=start
                        ), rows
        except csv.Error as exc:
            if "end of data" in str(exc) or "EOF" in str(exc):
                return InputError("unterminated quoted field", file=path, row=end + 1), rows
            return InputError(f"malformed CSV ({exc})", file=path, row=end + 1), rows
        return None, rows


def _csv_line_of(path: Path, index: int) -> int:
    """The line number where data row ``index`` (0-based) starts, counting quoted newlines and
    skipping blank lines as the reader does."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        skipped = _skip_comments(fh, path)
        reader = csv.reader(fh)
        next(reader, None)
        end, i = skipped + reader.line_num, 0
        for row in reader:
            start, end = end + 1, skipped + reader.line_num
            if not row:
                continue
            if i == index:
                return start
            i += 1
    return skipped + index + 2
