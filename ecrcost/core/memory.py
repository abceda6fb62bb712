"""Arrow's memory pool for the command line (docs/scale.md).

pyarrow allocates through mimalloc by default, which keeps memory it has freed for reuse. Reading an
inventory frees much of what it allocates (each batch of text, each batch's dictionary), so with
mimalloc the process's peak stays well above what it holds; Arrow's jemalloc pool brought ``estimate``
on a million images from 1.58–1.71 GB to 1.46–1.54 GB (benchmarks/README.md). The command line asks
for it on x86-64 Linux, whose pyarrow wheels carry jemalloc (elsewhere Arrow would warn that it has
none), through ``ARROW_DEFAULT_MEMORY_POOL`` (read when Arrow first allocates, so ``--help`` still
imports no pyarrow), unless the user set that variable; a library user's process is left as it is.

The command line also keys every Parquet inventory's layers (:mod:`ecrcost.sources.layer_keys`): it
never shows their text, and keyed layers are faster and leaner at every size (benchmarks/README.md).
The Python API keys them from 20 million rows only, so that ``usage.layers`` keeps its text for the
inventories people explore. :data:`COMMAND_LINE` says which one is running; it is set for one command
at a time, never for the process."""

from __future__ import annotations

import os
import platform
import sys
from contextvars import ContextVar

COMMAND_LINE: ContextVar[bool] = ContextVar("ecrcost_command_line", default=False)


def lean_pool() -> None:
    """Ask Arrow for its jemalloc pool, unless the user chose a pool (x86-64 Linux only)."""
    if sys.platform == "linux" and platform.machine() == "x86_64":
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
