"""A hive-partitioned inventory (``account_id=…/region=…/images.parquet`` and ``layers.parquet``, how an
organisation collects per account and region) prices exactly as the same rows in one folder, and its
errors name the partition file and row they are in."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from test_input_errors import assert_one_error, estimate

from ecrcost.sources.load import sample_path

MONTH = ("--month", "2026-11")


def _split(tmp_path: Path, keep_columns: bool = False) -> tuple[Path, Path]:
    """The sample registry as one folder, and as partitions (Parquet; account and region in the
    folder names only, unless ``keep_columns``); repositories and transfer stay at the top."""
    whole = tmp_path / "whole"
    shutil.copytree(sample_path(), whole)
    split = tmp_path / "split"
    split.mkdir()
    for name in ("repositories.csv", "transfer.csv"):
        shutil.copy(whole / name, split / name)
    for table in ("images", "layers"):
        rows = pacsv.read_csv(
            whole / f"{table}.csv", convert_options=pacsv.ConvertOptions(strings_can_be_null=False)
        )
        rows = rows.cast(pa.schema([pa.field(f.name, pa.string()) for f in rows.schema]))
        for account, region in sorted(
            {(a, r) for a, r in zip(rows["account_id"].to_pylist(), rows["region"].to_pylist(), strict=True)}
        ):
            part = rows.filter(
                pa.compute.and_(
                    pa.compute.equal(rows["account_id"], account), pa.compute.equal(rows["region"], region)
                )
            )
            if not keep_columns:
                part = part.drop_columns(["account_id", "region"])
            folder = split / f"account_id={account}" / f"region={region}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(part, folder / f"{table}.parquet")
    return whole, split


def test_a_partitioned_inventory_prices_as_one_folder(tmp_path):
    whole, split = _split(tmp_path)
    assert len(list(split.glob("account_id=*/region=*/images.parquet"))) == 2
    one, out = estimate(tmp_path, whole, *MONTH)
    assert one.exit_code == 0, one.output
    expected = json.loads(out.read_text())
    out.unlink()
    parts, out = estimate(tmp_path, split, *MONTH)
    assert parts.exit_code == 0, parts.output
    got = json.loads(out.read_text())
    assert got["total_usd"] == expected["total_usd"] > 0
    assert {r["region"] for r in got["repositories"]} == {"us-east-1", "eu-west-1"}
    assert got["repositories"] == expected["repositories"]


def test_an_error_names_the_partition_file_and_its_row(tmp_path):
    _, split = _split(tmp_path, keep_columns=True)
    path = split / "account_id=111122223333" / "region=us-east-1" / "layers.parquet"
    table = pq.read_table(path)
    digests = table["layer_digest"].to_pylist()
    digests[4] = "sha256:not a digest"
    pq.write_table(
        table.set_column(table.schema.get_field_index("layer_digest"), "layer_digest", pa.array(digests)),
        path,
    )
    result, out = estimate(tmp_path, split, *MONTH)
    assert_one_error(result, out, f"error: {path}, row 5, column 'layer_digest': ", "digest")


def test_a_row_in_another_partitions_folder_is_refused(tmp_path):
    _, split = _split(tmp_path, keep_columns=True)
    path = split / "account_id=111122223333" / "region=eu-west-1" / "images.parquet"
    table = pq.read_table(path)
    regions = table["region"].to_pylist()
    regions[2] = "us-east-1"
    pq.write_table(
        table.set_column(table.schema.get_field_index("region"), "region", pa.array(regions)), path
    )
    result, out = estimate(tmp_path, split, *MONTH)
    assert_one_error(result, out, f"error: {path}, row 3, column 'region': ", "region=eu-west-1")


def test_object_storage_is_refused_with_the_way_round(tmp_path):
    result, out = estimate(tmp_path, "s3://bucket/inventory", *MONTH)
    assert_one_error(result, out, "error: s3://bucket/inventory: ", "aws s3 sync")
