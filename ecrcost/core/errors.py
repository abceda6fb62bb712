"""The one exception type for problems a user can cause (bad files, bad options, unknown regions)."""

from __future__ import annotations

import re
from pathlib import Path

# Characters that would break "one line on stderr" or garble a terminal: C0/C1 controls, DEL, the
# Unicode line and paragraph separators, and lone surrogates (undecodable bytes of a file name).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """``text`` with every control character escaped, so it prints as exactly one line."""

    def escape(m: re.Match[str]) -> str:
        ch = m.group()
        if ch in _ESCAPES:
            return _ESCAPES[ch]
        return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"

    return _UNPRINTABLE.sub(escape, text)


class InputError(Exception):
    """Bad input. The CLI turns it into one line on stderr and exit code 2.

    ``file``, ``row`` (1-based line number in a CSV, row number in Parquet) and ``column`` locate the
    problem when it has a place. ``field`` names the parameter whose value is wrong (``month``,
    ``free_internet_gb``): the command line turns it into its option (``--month``), so the core never
    names command-line options. A ``column`` starting with ``-`` is a command-line option.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | object | None = None,  # named by str(): a path, an s3:// file
        row: int | None = None,
        column: str | None = None,
        row_label: str = "line",
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.row_label = row_label
        self.field = field

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"{self.row_label} {self.row}")
        if self.column:
            where.append(
                f"option {self.column}" if self.column.startswith("-") else f"column '{self.column}'"
            )
        elif self.field and not self.file:
            where.append(self.field)
        return one_line(f"{', '.join(where)}: {self.message}" if where else self.message)


class OutputError(InputError):
    """A result that could not be written for a reason the user did not choose: a full disk, a quota,
    an I/O error. One line like :class:`InputError`, but exit code 1 (the input was fine)."""

    exit_code = 1


class Unreachable(InputError):
    """A service that could not be reached (no network, a wrong endpoint): one line like
    :class:`InputError`, exit code 1 (nothing was rejected; try again)."""

    exit_code = 1
