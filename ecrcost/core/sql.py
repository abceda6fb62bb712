"""DuckDB, the column engine behind metering and joins. Opening a database costs ~80 ms, so one
in-memory database is shared and each caller works on its own cursor (its own registered tables)."""

from __future__ import annotations

from functools import cache

import duckdb
from duckdb import DuckDBPyConnection

__all__ = ["DuckDBPyConnection", "connect"]


@cache
def _database() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:")


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh connection to the shared in-memory database; close it when done."""
    return _database().cursor()
