"""A hive-partitioned inventory (``account_id=…/region=…/images.parquet`` and ``layers.parquet``, how an
organisation collects per account and region) prices exactly as the same rows in one folder, and its
errors name the partition file and row they are in."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from factories import set_cell
from test_input_errors import assert_one_error, estimate, runner

import ecrcost
from ecrcost.cli import app
from ecrcost.core.errors import InputError
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
    set_cell(path, "layer_digest", 4, "sha256:not a digest")
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


def test_object_storage_other_than_s3_is_refused_with_the_way_round(tmp_path):
    result, out = estimate(tmp_path, "gs://bucket/inventory", *MONTH)
    assert_one_error(result, out, "error: gs://bucket/inventory: ", "copy")


def spoil_column(path: Path, column: str) -> None:
    """Overwrite every chunk of ``column`` in a Parquet file with garbage: reading it fails, reading the
    other columns does not (their bytes and the footer are intact)."""
    meta = pq.ParquetFile(path).metadata
    data = bytearray(path.read_bytes())
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for i in range(group.num_columns):
            chunk = group.column(i)
            if chunk.path_in_schema.split(".")[0] != column:
                continue
            start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
            data[start : start + chunk.total_compressed_size] = b"\xff" * chunk.total_compressed_size
    path.write_bytes(bytes(data))


def _json(result, out: Path) -> dict:
    assert result.exit_code == 0, result.output
    got = json.loads(out.read_text())
    out.unlink()
    return got


def test_only_the_image_columns_pricing_uses_are_read(tmp_path):
    """A corrupt image_tags column (pricing never uses tags) costs estimate nothing, in a partitioned and
    a plain Parquet inventory; whatever reads every column (ecrcost.load) names the file."""
    whole, split = _split(tmp_path)
    expected = _json(*estimate(tmp_path, whole, *MONTH))
    plain = tmp_path / "plain"
    shutil.copytree(whole, plain)
    for table in ("images", "layers"):
        pq.write_table(pacsv.read_csv(plain / f"{table}.csv"), plain / f"{table}.parquet")
        (plain / f"{table}.csv").unlink()
    # a checked column that is read keeps its check: file, row, column, exit 2
    path = next(split.glob("account_id=*/region=us-east-1/images.parquet"))
    original = path.read_bytes()
    table = pq.read_table(path)
    sizes = table["size_bytes"].to_pylist()
    sizes[3] = "-5"
    at = table.schema.get_field_index("size_bytes")
    pq.write_table(table.set_column(at, "size_bytes", pa.array(sizes)), path)
    result, out = estimate(tmp_path, split, *MONTH)
    assert_one_error(result, out, f"error: {path}, row 4, column 'size_bytes': ")
    path.write_bytes(original)
    spoiled = [plain / "images.parquet", *sorted(split.glob("account_id=*/region=*/images.parquet"))]
    for path in spoiled:
        spoil_column(path, "image_tags")
    for folder, path in ((plain, spoiled[0]), (split, spoiled[1])):
        assert _json(*estimate(tmp_path, folder, *MONTH))["total_usd"] == expected["total_usd"]
        with pytest.raises(InputError, match="not a readable Parquet file") as caught:
            ecrcost.load(folder)
        assert caught.value.file == str(path)
    # export reads the tags too (a workload may name its image by tag): it names the file
    result = runner.invoke(app, ["export", str(split), *MONTH, "--quiet"])
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {spoiled[1]}: not a readable Parquet")


def _two_accounts(tmp_path: Path) -> tuple[Path, Path]:
    """The sample as a plain folder and as partitions, its eu-west-1 images and layers moved to a second
    account (444455556666) in both."""
    whole, split = _split(tmp_path)
    for table in ("images", "layers"):
        text = (whole / f"{table}.csv").read_text()
        (whole / f"{table}.csv").write_text(text.replace("111122223333,eu-west-1", "444455556666,eu-west-1"))
    text = (whole / "transfer.csv").read_text().replace("111122223333,eu-west-1", "444455556666,eu-west-1")
    for folder in (whole, split):
        (folder / "transfer.csv").write_text(text)
        (folder / "repositories.csv").unlink()  # its eu-west-1 rows would name the first account
    (split / "account_id=444455556666").mkdir()
    (split / "account_id=111122223333" / "region=eu-west-1").rename(
        split / "account_id=444455556666" / "region=eu-west-1"
    )
    return whole, split


@pytest.mark.parametrize("option", [("--account", "111122223333"), ("--region", "us-east-1")])
def test_a_partition_not_selected_is_never_opened(tmp_path, option):
    """The other partition's images are not Parquet at all: estimate and export of the selection
    succeed, price what the plain folder's rows of the selection price, and selecting that partition
    is exit 2 naming its file."""
    whole, split = _two_accounts(tmp_path)
    everything = _json(*estimate(tmp_path, whole, *MONTH))
    assert {r["account_id"] for r in everything["repositories"]} == {"111122223333", "444455556666"}
    expected = _json(*estimate(tmp_path, whole, *MONTH, *option))
    kept = {(r["account_id"], r["region"]) for r in expected["repositories"]}
    assert kept == {("111122223333", "us-east-1")}
    assert 0 < expected["total_usd"] < everything["total_usd"]
    broken = split / "account_id=444455556666" / "region=eu-west-1" / "images.parquet"
    broken.write_bytes(b"not parquet")
    got = _json(*estimate(tmp_path, split, *MONTH, *option))
    assert got["assumptions"].pop("source") == str(split)
    expected["assumptions"].pop("source")
    assert got == expected
    focus = runner.invoke(app, ["export", str(split), *MONTH, *option, "--quiet"])
    assert focus.exit_code == 0, focus.output
    lines = list(csv.DictReader(io.StringIO(focus.stdout)))
    assert lines and {row["RegionId"] for row in lines} == {"us-east-1"}
    other = "444455556666" if option[0] == "--account" else "eu-west-1"
    result, out = estimate(tmp_path, split, *MONTH, option[0], other)
    assert_one_error(result, out, f"error: {broken}: ", "no Parquet magic bytes")


def test_a_selection_that_matches_nothing_names_the_option(tmp_path):
    whole, split = _two_accounts(tmp_path)
    for folder in (whole, split):
        result, out = estimate(tmp_path, folder, *MONTH, "--account", "999999999999")
        assert_one_error(result, out, f"error: {folder}, option --account: ", "account 999999999999")
    result, out = estimate(tmp_path, split, *MONTH, "--account", "111122223333", "--region", "ap-south-1")
    assert_one_error(result, out, f"error: {split}, option --account: ", "region ap-south-1")


def test_a_scenario_keeps_the_selected_regions_rows(tmp_path):
    scenario = Path(__file__).resolve().parent.parent / "data" / "examples" / "scenario.csv"
    got = _json(*estimate(tmp_path, scenario, *MONTH, "--region", "eu-west-1"))
    assert {(r["repository"], r["region"]) for r in got["repositories"]} == {("team-b/api", "eu-west-1")}
    everything = _json(*estimate(tmp_path, scenario, *MONTH))
    assert 0 < got["total_usd"] < everything["total_usd"]
