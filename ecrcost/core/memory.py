"""Arrow's memory pool for the command line (docs/scale.md).

pyarrow allocates through mimalloc by default, which keeps memory it has freed for reuse. Reading an
inventory frees much of what it allocates (each batch of text, each batch's dictionary), so with
mimalloc the process's peak stays well above what it holds; Arrow's jemalloc pool, told to return freed
pages at once, brought ``estimate`` on a million images from 1.58–1.71 GB to 1.46–1.47 GB
(benchmarks/README.md). The command line asks for it unless ``ARROW_DEFAULT_MEMORY_POOL`` names a pool;
a library user's process is left as it is. Where pyarrow was built without jemalloc, nothing changes."""

from __future__ import annotations

import os

import pyarrow as pa


def lean_pool() -> str:
    """Use jemalloc, returning freed pages at once, unless the user chose a pool; the pool in use."""
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        try:
            pool = pa.jemalloc_memory_pool()
            pa.jemalloc_set_decay_ms(0)
        except (NotImplementedError, pa.ArrowException):
            pass
        else:
            pa.set_memory_pool(pool)
    return str(pa.default_memory_pool().backend_name)
