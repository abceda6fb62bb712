"""Reading CSV and Parquet files safely: every failure becomes an InputError naming file, line, column."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import InputError


@dataclass(frozen=True)
class RawTable:
    """A file's rows before checking: CSV cells as strings, Parquet columns as stored."""

    path: Path
    frame: pd.DataFrame
    kind: str  # "csv" or "parquet"

    def error(self, message: str, index: int | None = None, column: str | None = None) -> InputError:
        """An InputError for data row ``index`` (0-based) of this file."""
        if index is None:
            return InputError(message, file=self.path, column=column)
        if self.kind == "parquet":
            return InputError(message, file=self.path, row=index + 1, column=column, row_label="row")
        return InputError(message, file=self.path, row=_csv_line_of(self.path, index), column=column)


def read_table(path: Path, required: Iterable[str], optional: Iterable[str]) -> RawTable:
    """Read ``path`` (CSV or Parquet by suffix) and check its header against the allowed columns."""
    required, optional = list(required), list(optional)
    if not path.is_file():
        raise InputError("file not found", file=path)
    if path.suffix.lower() == ".parquet":
        table = _read_parquet(path)
        names = table.column_names
        _check_header(path, names, required, optional)
        frame = table.to_pandas()
        kind = "parquet"
    else:
        names = _csv_header(path)
        _check_header(path, names, required, optional)
        frame = _read_csv(path, names)
        kind = "csv"
    return RawTable(path, frame, kind)


def _check_header(path: Path, names: list[str], required: list[str], optional: list[str]) -> None:
    dups = sorted(n for n, c in Counter(names).items() if c > 1)
    if dups:
        raise InputError(f"duplicate column(s): {', '.join(dups)}", file=path, row=1, column=dups[0])
    blank = [i + 1 for i, n in enumerate(names) if not n]
    if blank:
        raise InputError(f"header has an empty column name (column {blank[0]})", file=path, row=1)
    allowed = set(required) | set(optional)
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise InputError(
            f"unknown column(s): {', '.join(unknown)} (allowed: {', '.join(required + optional)})",
            file=path, row=1, column=unknown[0],
        )
    missing = [n for n in required if n not in names]
    if missing:
        raise InputError(f"missing required column(s): {', '.join(missing)}", file=path, row=1, column=missing[0])


def _read_parquet(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"not a readable Parquet file ({str(exc).splitlines()[0]})", file=path) from None


def _sniff_text(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(65536)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputError("file is empty (expected a header row)", file=path)
    if b"\x00" in head:
        raise InputError("binary file: expected CSV text (UTF-8)", file=path)


def _csv_header(path: Path) -> list[str]:
    _sniff_text(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh, strict=True))
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=path, row=1) from None
    except csv.Error as exc:
        raise InputError(f"malformed header ({exc})", file=path, row=1) from None
    return [h.strip() for h in header]


def _read_csv(path: Path, names: list[str]) -> pd.DataFrame:
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, encoding="utf8"),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        raise _locate_csv_error(path, len(names)) from None
    frame = table.to_pandas()
    for name in names:
        frame[name] = frame[name].str.strip()
    return frame


def _locate_csv_error(path: Path, ncols: int) -> InputError:
    """Find the first line a strict CSV reader rejects (only called after the fast reader failed)."""
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return InputError(f"not UTF-8 text ({exc.reason})", file=path, row=number)
    end = 0
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            for row in reader:
                start, end = end + 1, reader.line_num
                if start > 1 and row and len(row) != ncols:
                    return InputError(f"row has {len(row)} fields, the header has {ncols}", file=path, row=start)
    except csv.Error as exc:
        if "end of data" in str(exc):
            return InputError("unterminated quoted field", file=path, row=end + 1)
        return InputError(f"malformed CSV ({exc})", file=path, row=end + 1)
    return InputError("malformed CSV", file=path)


def _csv_line_of(path: Path, index: int) -> int:
    """The line number where data row ``index`` (0-based) starts, counting quoted newlines and
    skipping blank lines as the reader does."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        end, i = reader.line_num, 0
        for row in reader:
            start, end = end + 1, reader.line_num
            if not row:
                continue
            if i == index:
                return start
            i += 1
    return index + 2
