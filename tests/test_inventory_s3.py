"""An inventory under ``s3://bucket/prefix``, read in place over HTTP from moto's S3 (behind the test
front, which logs each request): only the partitions ``--account``/``--region`` select are listed and
fetched, only the columns pricing uses are read, and errors name each file by its URL."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import pyarrow.parquet as pq
import pytest
from factories import set_cell
from test_input_errors import assert_one_error, estimate, runner
from test_partitioned import MONTH, _two_accounts, spoil_column

from ecrcost.cli import app
from tests.collect_seed import aws_env

ACCOUNT, OTHER = "111122223333", "444455556666"


@pytest.fixture(scope="module")
def front():
    from tests.fakeaws import Server

    server = Server()
    yield server
    server.stop()


def upload(folder: Path) -> str:
    """Every file of ``folder`` into a new bucket, under ``org/``; the prefix's URL."""
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = f"inventory-{uuid.uuid4().hex[:12]}"  # moto's state outlives this module's server
    s3.create_bucket(Bucket=bucket)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        s3.put_object(Bucket=bucket, Key=f"org/{path.relative_to(folder).as_posix()}", Body=path.read_bytes())
    return f"s3://{bucket}/org"


def tag_chunks(path: Path) -> list[tuple[int, int]]:
    """The byte spans (first, last) of the image_tags column's chunks."""
    meta = pq.ParquetFile(path).metadata
    spans = []
    for g in range(meta.num_row_groups):
        for i in range(meta.num_columns):
            chunk = meta.row_group(g).column(i)
            if chunk.path_in_schema.split(".")[0] == "image_tags":
                start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
                spans.append((start, start + chunk.total_compressed_size - 1))
    return spans


def _json(result, out: Path) -> dict:
    assert result.exit_code == 0, result.output
    got = json.loads(out.read_text())
    out.unlink()
    got["assumptions"].pop("source")
    return got


def test_an_s3_inventory_reads_only_the_selected_partitions_and_columns(front, tmp_path, monkeypatch):
    aws_env(monkeypatch, front.url)
    whole, split = _two_accounts(tmp_path)
    expected = _json(*estimate(tmp_path, whole, *MONTH, "--account", ACCOUNT))
    # the selected partition's tags are garbage (pricing never reads them); the other is not Parquet
    spoil_column(split / f"account_id={ACCOUNT}" / "region=us-east-1" / "images.parquet", "image_tags")
    (split / f"account_id={OTHER}" / "region=eu-west-1" / "images.parquet").write_bytes(b"not parquet")
    url = upload(split)
    front.front.reset()
    assert _json(*estimate(tmp_path, url, *MONTH, "--account", ACCOUNT)) == expected
    asked = [where for _, where, _ in front.front.rest]
    assert any(f"account_id={ACCOUNT}/region=us-east-1/images.parquet" in w for w in asked)
    assert not [w for w in asked if OTHER in w], "the other account's folder is neither listed nor read"
    once = [f"{m} {w}" for m, w, _ in front.front.rest if m == "HEAD" or "list-type=2" in w]
    assert len(once) == len(set(once)) == 6, "each folder is listed once, each file opened once"
    # a Parquet file is read in ranges: its end (a file this small whole), then only the chunks of the
    # columns read, never image_tags'
    images = [r for m, w, r in front.front.rest if m == "GET" and w.endswith("us-east-1/images.parquet?")]
    assert images and all(r.startswith("bytes=") for r in images)
    chunks = [tuple(int(n) for n in r.removeprefix("bytes=").split("-")) for r in images[1:]]
    tags = tag_chunks(split / f"account_id={ACCOUNT}" / "region=us-east-1" / "images.parquet")
    assert len(chunks) >= 5 and tags
    assert not [c for c in chunks for t in tags if c[0] <= t[1] and t[0] <= c[1]], (chunks, tags)
    focus = runner.invoke(app, ["export", url, *MONTH, "--region", "us-east-1", "--format", "simple", "-q"])
    assert focus.exit_code == 2, focus.output  # export reads the tags: the spoiled column is named
    assert focus.stderr.startswith(f"error: {url}/account_id={ACCOUNT}/region=us-east-1/images.parquet: ")
    result, out = estimate(tmp_path, url, *MONTH, "--account", OTHER)
    assert_one_error(
        result, out, f"error: {url}/account_id={OTHER}/region=eu-west-1/images.parquet: ", "magic bytes"
    )


def test_errors_name_the_s3_file_row_and_column(front, tmp_path, monkeypatch):
    aws_env(monkeypatch, front.url)
    _, split = _two_accounts(tmp_path)
    layers = split / f"account_id={ACCOUNT}" / "region=us-east-1" / "layers.parquet"
    set_cell(layers, "layer_digest", 4, "sha256:not a digest")
    url = upload(split)
    result, out = estimate(tmp_path, url, *MONTH)
    assert_one_error(
        result,
        out,
        f"error: {url}/account_id={ACCOUNT}/region=us-east-1/layers.parquet, row 5, column 'layer_digest': ",
    )
    # the tables at the top are fetched whole and read as in a folder; their errors name their URL
    (split / "transfer.csv").write_text((split / "transfer.csv").read_text().replace(",850,", ",lots,"))
    layers.unlink()
    url = upload(split)
    result, out = estimate(tmp_path, url, *MONTH, "--region", "eu-west-1")
    assert_one_error(result, out, f"error: {url}/transfer.csv, line 2, column 'internet_out_gb': ")
    result, out = estimate(tmp_path, f"{url}/nothing-here", *MONTH)
    assert_one_error(result, out, f"error: {url}/nothing-here: ", "nothing under this prefix")
