"""The one exception type for problems a user can cause (bad files, bad options, unknown regions)."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input. The CLI turns it into one line on stderr and exit code 2.

    ``file``, ``row`` (1-based line number in a CSV, row number in Parquet) and ``column`` locate the
    problem when it has a place.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        row_label: str = "line",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.row_label = row_label

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"{self.row_label} {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message
