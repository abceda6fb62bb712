"""The per-image list of a lifecycle what-if as a table (``lifecycle --actions FILE``): one row per
policy and image it expires or archives, the fields of the JSON ``actions`` items after the policy's
name, as Parquet or CSV (by the file's suffix), written a column at a time and atomically. In the CSV,
a cell a spreadsheet would run as a formula gets a leading quote, as in exports."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from ..analysis.lifecycle.evaluate import KEEP
from ..analysis.lifecycle.simulation import Simulation
from ..core.errors import InputError
from .export.encode import neutralised
from .json_columns import ROWS, arrow_column
from .lifecycle import ACTION_KEYS
from .write import opened

FORMATS = {".parquet": "parquet", ".csv": "csv"}
INTEGERS = {"size_bytes", "rule_priority"}
SCHEMA = pa.schema(
    [("policy", pa.string())] + [(k, pa.int64() if k in INTEGERS else pa.string()) for k in ACTION_KEYS]
)


def actions_format(path: Path) -> str:
    """``parquet`` or ``csv``, as the file name's suffix says; anything else is a bad ``--actions``."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"'{path}' names no table format: a file name ending in .parquet or .csv",
            column="--actions",
        )
    return fmt


def batches(sims: Sequence[Simulation]) -> Iterator[pa.RecordBatch]:
    """The table's rows, policy after policy, a few thousand at a time (text decoded per batch)."""
    for s in sims:
        d = s.decisions
        acted = d["action"] != KEEP
        columns = [arrow_column(d.loc[acted, k]) for k in ACTION_KEYS]
        n = int(acted.sum())
        for start in range(0, n, ROWS * 8):
            part = [c.slice(start, ROWS * 8) for c in columns]
            arrays = [pa.repeat(pa.scalar(s.name, pa.string()), len(part[0]))]
            arrays += [
                a if a.type == field.type else a.cast(pa.string()).fill_null("")
                for a, field in zip(part, list(SCHEMA)[1:], strict=True)
            ]
            yield pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)


def write_actions(sims: Sequence[Simulation], path: Path) -> None:
    """The table at ``path`` (Parquet or CSV by its suffix), replaced only once wholly written."""
    fmt = actions_format(path)
    with opened(path) as sink:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            with pq.ParquetWriter(sink, SCHEMA) as parquet:
                for batch in batches(sims):
                    parquet.write_batch(batch)
        else:
            import pyarrow.csv as pcsv

            with pcsv.CSVWriter(sink, SCHEMA) as csv:
                for batch in batches(sims):  # cells a spreadsheet would run as formulas get a quote
                    columns = [neutralised(c) for c in batch.columns]
                    csv.write_batch(pa.RecordBatch.from_arrays(columns, schema=SCHEMA))
