"""The metering queries docs/scale.md shows for Athena (Trino) and Spark SQL, run as written in DuckDB over
the partitioned inventory the same page builds: Athena's tables (every file under the location, told
apart by ``"$path"``) and Spark's views (``pathGlobFilter``) stood in for by DuckDB views, and the
two engines' timestamp functions by macros. Each line's GB-month is ecrcost's, and the result, priced
as a scenario CSV, costs what ecrcost's estimate of the same partitions costs, to the cent."""

from __future__ import annotations

import csv
import re
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import ecrcost

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", PAGE, re.S | re.M)
MONTH = "2026-11"


def query(engine: str) -> str:
    (text,) = [b for lang, b in BLOCKS if lang == "sql" and b.startswith(f"-- metering query: {engine}")]
    return text


@pytest.fixture(scope="module")
def inventory(tmp_path_factory) -> Path:
    """The partitioned inventory, built by the page's own Python block."""
    root = tmp_path_factory.mktemp("scale-sql")
    shutil.copytree(ROOT / "data" / "sample-registry", root / "data" / "sample-registry")
    (block,) = [b for lang, b in BLOCKS if lang == "python" and '"partitioned-inventory"' in b]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        exec(compile(block, "docs/scale.md", "exec"), {})
    return root / "partitioned-inventory"


def _source(folder: Path, name: str) -> str:
    return (
        f"read_parquet('{folder}/*/*/{name}', hive_partitioning = true, union_by_name = true, "
        "filename = true, hive_types = {'account_id': VARCHAR, 'region': VARCHAR})"
    )


def _views(con: duckdb.DuckDBPyConnection, folder: Path, athena: bool) -> None:
    # Athena: both tables over every file of the partitions (its "$path" keeps each table's own);
    # Spark: each view over one file name (its pathGlobFilter)
    images = _source(folder, "*.parquet" if athena else "images.parquet")
    layers = _source(folder, "*.parquet" if athena else "layers.parquet")
    stored = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {images}").fetchall()}
    # a column no file has reads as null, as in a declared table
    times = ", ".join(
        f"{c if c in stored else 'NULL::TIMESTAMPTZ'} AS {c}"
        for c in ("deleted_at", "last_archived_at", "last_activated_at")
    )
    con.execute(
        f"""CREATE VIEW images AS SELECT repository, image_digest, size_bytes, pushed_at, {times},
            image_status, parent_digest, account_id, region, filename AS "$path" FROM {images}"""
    )
    con.execute(
        f"""CREATE VIEW layers AS SELECT repository, image_digest, layer_digest, size_bytes, account_id,
            region, filename AS "$path" FROM {layers}"""
    )


@pytest.mark.parametrize("engine", ["Athena (Trino)", "Spark SQL"])
def test_the_documented_metering_query_gives_ecrcosts_gb_month_and_cents(inventory, engine, tmp_path):
    con = duckdb.connect()
    con.execute("CREATE MACRO to_unixtime(t) AS epoch_us(t) / 1e6")  # Trino: seconds as a double
    con.execute("CREATE MACRO unix_micros(t) AS epoch_us(t)")  # Spark: microseconds
    _views(con, inventory, athena=engine.startswith("Athena"))
    result = con.execute(query(engine))
    names = [d[0] for d in result.description]
    rows = [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    assert names == ["account_id", "region", "registry", "repository", "storage_class", "storage_gb"]

    ours = ecrcost.estimate(
        ecrcost.load(inventory, accounts=["111122223333"], regions=["us-east-1"]), month=MONTH
    )
    exact = {
        (r.account_id, r.region, r.repository): r
        for r in ours.exact.itertuples(index=False)
        if r.storage_gb_month or r.archive_gb_month
    }
    assert {(r["account_id"], r["region"], r["repository"]) for r in rows} == set(exact)
    assert len(exact) >= 5 and {r["storage_class"] for r in rows} == {"standard", "archive"}
    for row in rows:
        line = exact[row["account_id"], row["region"], row["repository"]]
        # ecrcost's storage_gb_month is every class's; archive_gb_month the archive's part of it
        archive = line.archive_gb_month
        gb = archive if row["storage_class"] == "archive" else line.storage_gb_month - archive
        assert abs(Decimal(row["storage_gb"]) - gb) <= gb * Decimal("1e-12"), (row, gb)

    scenario = tmp_path / "storage.csv"
    with scenario.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=names)
        writer.writeheader()
        writer.writerows({**r, "storage_gb": repr(r["storage_gb"])} for r in rows)
    priced = ecrcost.estimate(ecrcost.load(scenario), month=MONTH)
    cent = Decimal("0.01")
    for column in ("standard_storage_usd", "archive_storage_usd"):
        theirs, mine = sum(priced.exact[column], Decimal(0)), sum(ours.exact[column], Decimal(0))
        assert theirs.quantize(cent) == mine.quantize(cent) and abs(theirs - mine) < Decimal("1e-12"), column
    assert sum(priced.exact["standard_storage_usd"]) > 0
