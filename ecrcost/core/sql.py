"""DuckDB, the column engine behind metering and joins. Opening a database costs ~80 ms, so one
in-memory database is shared and each caller works on its own cursor (its own registered tables).

Memory (docs/scale.md): DuckDB keeps its working memory under ``memory_limit`` and spills what does not
fit (a large group-by or window) to ``temp_directory``. ecrcost sets the limit to
``ECRCOST_DUCKDB_MEMORY`` (DuckDB's syntax: ``4GB``, ``500MB``), by default 40 % of the machine's
memory: the rest is for the columns ecrcost holds in numpy and Arrow beside it. Spill files go to
``ECRCOST_DUCKDB_TEMP``, by default a folder ``ecrcost-duckdb`` in the system's temporary folder
(``TMPDIR``), never the working directory; DuckDB removes them when done."""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

import duckdb
from duckdb import DuckDBPyConnection

from .errors import InputError

__all__ = ["DuckDBPyConnection", "connect", "settings"]

DEFAULT_SHARE = 0.4  # of physical memory, for DuckDB's own working memory


def settings() -> dict[str, str]:
    """The ``memory_limit`` and ``temp_directory`` the shared database is opened with."""
    limit = os.environ.get("ECRCOST_DUCKDB_MEMORY", "").strip()
    if not limit:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            total = 0
        limit = f"{max(int(total * DEFAULT_SHARE) // 2**20, 256)}MB" if total > 0 else ""
    temp = os.environ.get("ECRCOST_DUCKDB_TEMP", "").strip() or str(
        Path(tempfile.gettempdir()) / "ecrcost-duckdb"
    )
    return {"temp_directory": temp, **({"memory_limit": limit} if limit else {})}


@cache
def _database() -> duckdb.DuckDBPyConnection:
    config: dict[str, str | bool | int | float | list[str]] = dict(settings())
    # DuckDB's jemalloc keeps what a query freed until a thread purges it: without background threads
    # that is the next allocation on the same thread, so after keying 100M layer rows several GB stay
    # resident while Python works on (docs/scale.md). Background threads give it back to the system.
    config["allocator_background_threads"] = True
    try:
        return duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:  # a limit DuckDB cannot parse, a temporary folder it cannot use
        raise InputError(
            f"DuckDB refused its settings {config} ({str(exc).splitlines()[0]}): "
            "check ECRCOST_DUCKDB_MEMORY (e.g. 4GB) and ECRCOST_DUCKDB_TEMP"
        ) from None


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh connection to the shared in-memory database; close it when done."""
    return _database().cursor()
