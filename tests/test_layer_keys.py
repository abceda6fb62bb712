"""Layers keyed in DuckDB (a Parquet inventory of 20 million layer rows or more, docs/scale.md) price
exactly as the same layers read as text, and a bad layers file gives the text path's own error (file,
row, column). ``ECRCOST_KEYED_LAYERS_FROM=0`` keys the small inventories here."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from factories import RANDOM_MONTH, Inventory, inventories, set_cell
from hypothesis import HealthCheck, given, settings
from test_input_errors import estimate

import ecrcost
from ecrcost.core.usage import KEYED_LAYER_COLUMNS, LAYER_COLUMNS

MONTH = "2026-10"


def _rich(folder: Path) -> Path:
    """Two accounts and regions, layers shared across images and repositories, a multi-arch index and
    its children, an image archived and one restored, one deleted mid-month, one without layer rows,
    and blob mounting found enabled for one registry."""
    inv = Inventory(folder)
    inv.push("svc-a", "v1", "2026-08-01", {"base": 50_000_000, "app1": 7_000_000})
    inv.push("svc-a", "v2", "2026-10-10T06:00:00Z", {"base": 50_000_000, "app2": 9_000_000})
    inv.push("svc-b", "v1", "2026-09-01", {"base": 50_000_000, "b": 3_000_000}, deleted_at="2026-10-20")
    index = inv.push("svc-b", "multi", "2026-09-15", {}, media_type="application/vnd.oci.image.index.v1+json")
    inv.push("svc-b", "amd64", "2026-09-15", {"base": 50_000_000, "x86": 4_000_000}, parent=index)
    inv.push("svc-b", "arm64", "2026-09-15", {"base-arm": 48_000_000}, parent=index)
    inv.push(
        "svc-c",
        "old",
        "2026-01-01",
        {"c-old": 80_000_000},
        status="ARCHIVED",
        last_archived_at="2026-09-20",
    )
    inv.push(
        "svc-c",
        "back",
        "2026-01-01",
        {"c-back": 20_000_000},
        last_archived_at="2026-06-01",
        last_activated_at="2026-10-05",
    )
    inv.push("svc-c", "bare", "2026-10-01", size_bytes=12_345_678)  # no layer rows: billed by its size
    inv.push("web", "v1", "2026-07-01", {"base": 50_000_000, "w": 2_000_000}, region="eu-west-1")
    inv.push("web", "v1", "2026-07-01", {"base": 50_000_000, "w": 2_000_000}, account="444455556666")
    inv.registry("ENABLED")
    return inv.write(format="parquet")


def _exact(usage: ecrcost.Usage, **options: Any) -> list[dict[str, Any]]:
    est = ecrcost.estimate(usage, month=MONTH, **options)
    return est.exact.to_dict("records")


@pytest.mark.parametrize("mounting", ["on", "off", "collected"])
def test_keyed_layers_price_as_text_layers(tmp_path, mounting):
    folder = _rich(tmp_path / "inv")
    text = ecrcost.load(folder, layers="text")
    keyed = ecrcost.load(folder, layers="keyed")
    assert list(text.layers.columns) == LAYER_COLUMNS
    assert list(keyed.layers.columns) == KEYED_LAYER_COLUMNS
    assert len(keyed.layers) == len(text.layers)
    # the same blobs: as many ids as distinct digests, each image row's blobs the same set
    assert keyed.layers["blob"].nunique() == text.layers["layer_digest"].nunique()
    expected = _exact(text, blob_mounting=mounting)
    assert sum(r["storage_gb_month"] for r in expected) > 0
    assert _exact(keyed, blob_mounting=mounting) == expected


def test_auto_keys_layers_from_the_configured_row_count(tmp_path, monkeypatch):
    folder = _rich(tmp_path / "inv")
    rows = pq.ParquetFile(folder / "layers.parquet").metadata.num_rows
    assert list(ecrcost.load(folder).layers.columns) == LAYER_COLUMNS  # far below 20 million: text
    monkeypatch.setenv("ECRCOST_KEYED_LAYERS_FROM", str(rows))
    assert list(ecrcost.load(folder).layers.columns) == KEYED_LAYER_COLUMNS
    monkeypatch.setenv("ECRCOST_KEYED_LAYERS_FROM", str(rows + 1))
    assert list(ecrcost.load(folder).layers.columns) == LAYER_COLUMNS


def test_narrowing_and_repository_scopes_follow_keyed_layers(tmp_path, monkeypatch):
    folder = _rich(tmp_path / "inv")
    outputs = {}
    for mode, rows in (("text", "1000000000"), ("keyed", "0")):
        monkeypatch.setenv("ECRCOST_KEYED_LAYERS_FROM", rows)
        result, out = estimate(tmp_path / mode, folder, "--month", MONTH, "--region", "us-east-1")
        assert result.exit_code == 0, result.output
        outputs[mode] = json.loads(out.read_text())
        usage = ecrcost.load(folder, accounts=["444455556666"], layers=mode)  # type: ignore[arg-type]
        outputs[mode + " account"] = _exact(usage)
    assert outputs["keyed"]["repositories"] == outputs["text"]["repositories"]
    assert {r["region"] for r in outputs["keyed"]["repositories"]} == {"us-east-1"}
    assert outputs["keyed account"] == outputs["text account"]
    assert {r["account_id"] for r in outputs["keyed account"]} == {"444455556666"}

    from ecrcost.analysis.lifecycle.scope import only_repositories

    keyed = only_repositories(ecrcost.load(folder, layers="keyed"), ["svc-b"])
    text = only_repositories(ecrcost.load(folder, layers="text"), ["svc-b"])
    assert len(keyed.layers) == len(text.layers) == 5
    assert _exact(keyed, blob_mounting="on") == _exact(text, blob_mounting="on")


@pytest.mark.slow
@given(inventories())
@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=40, deadline=None)
def test_random_inventories_price_the_same_keyed(inventory):
    with tempfile.TemporaryDirectory() as tmp:
        folder = inventory.write(Path(tmp), format="parquet")
        for mounting in (True, False):
            text = ecrcost.estimate(
                ecrcost.load(folder, layers="text"), month=RANDOM_MONTH, blob_mounting=mounting
            )
            keyed = ecrcost.estimate(
                ecrcost.load(folder, layers="keyed"), month=RANDOM_MONTH, blob_mounting=mounting
            )
            assert keyed.exact.to_dict("records") == text.exact.to_dict("records")


def _retype(path: Path, column: str, kind: pa.DataType) -> None:
    table = pq.read_table(path)
    field = table.schema.get_field_index(column)
    pq.write_table(table.set_column(field, column, table[column].cast(kind)), path)


BAD = {
    "an image not in images": lambda p: set_cell(p, "image_digest", 3, "sha256:" + "0" * 64),
    "not a digest": lambda p: set_cell(p, "layer_digest", 2, "sha256:not a digest"),
    "blank digest": lambda p: set_cell(p, "layer_digest", 5, ""),
    "null digest": lambda p: set_cell(p, "layer_digest", 5, None),
    "negative size": lambda p: set_cell(p, "size_bytes", 1, -5),
    "null size": lambda p: set_cell(p, "size_bytes", 4, None),
    "huge size": lambda p: set_cell(p, "size_bytes", 4, 10**18),
    "size not a number": lambda p: (
        _retype(p, "size_bytes", pa.string()),
        set_cell(p, "size_bytes", 3, "12 MB"),
    ),
    "size not whole": lambda p: (_retype(p, "size_bytes", pa.float64()), set_cell(p, "size_bytes", 3, 1.5)),
    "unknown repository": lambda p: set_cell(p, "repository", 6, "nope"),
    "invalid repository": lambda p: set_cell(p, "repository", 6, "Not Valid"),
    "another region": lambda p: set_cell(p, "region", 0, "ap-south-1"),
    "missing column": lambda p: pq.write_table(pq.read_table(p).drop_columns(["layer_digest"]), p),
    "unknown column": lambda p: pq.write_table(
        pq.read_table(p).append_column("layer_digests", pa.array(["x"] * pq.read_table(p).num_rows)), p
    ),
    "nested media type": lambda p: pq.write_table(
        pq.read_table(p).append_column("media_type", pa.array([["a"]] * pq.read_table(p).num_rows)), p
    ),
}
# accepted by the text path as it trims or converts them: the keyed path leaves them to it
ACCEPTED = {
    "padded repository": lambda p: set_cell(p, "repository", 6, "  svc-b "),
    "binary digests": lambda p: _retype(p, "layer_digest", pa.binary()),
    "sizes as text": lambda p: _retype(p, "size_bytes", pa.string()),
    "sizes as floats": lambda p: _retype(p, "size_bytes", pa.float64()),
}


@pytest.mark.parametrize("bad", [*BAD, *ACCEPTED])
def test_a_bad_layers_file_gives_the_text_paths_error(tmp_path, monkeypatch, bad):
    folder = _rich(tmp_path / "inv")
    {**BAD, **ACCEPTED}[bad](folder / "layers.parquet")
    got = {}
    for mode, rows in (("text", "1000000000"), ("keyed", "0")):
        monkeypatch.setenv("ECRCOST_KEYED_LAYERS_FROM", rows)
        result, out = estimate(tmp_path / mode, folder, "--month", MONTH)
        got[mode] = (result.exit_code, result.stderr, out.read_text() if out.exists() else None)
    assert got["keyed"] == got["text"]
    if bad in ACCEPTED:
        assert got["text"][0] == 0
    else:
        assert got["text"][0] == 2 and "layers.parquet" in got["text"][1], got["text"]


@pytest.mark.parametrize("keep_columns", [False, True])
def test_a_partitioned_inventory_keys_as_text(tmp_path, monkeypatch, keep_columns):
    from test_partitioned import _split

    _, split = _split(tmp_path, keep_columns=keep_columns)
    for part in split.glob("account_id=*/region=*/layers.parquet"):
        _retype(part, "size_bytes", pa.int64())  # the split writes every column as text
    text = ecrcost.load(split, layers="text")
    keyed = ecrcost.load(split, layers="keyed")
    assert list(keyed.layers.columns) == KEYED_LAYER_COLUMNS
    for mounting in ("on", "off"):
        assert _exact(keyed, blob_mounting=mounting) == _exact(text, blob_mounting=mounting)
    # a row in the wrong partition's folder: the text path's error, whichever path was asked for
    path = split / "account_id=111122223333" / "region=us-east-1" / "layers.parquet"
    if keep_columns:
        set_cell(path, "region", 2, "eu-west-1")
        got = {}
        for mode, rows in (("text", "1000000000"), ("keyed", "0")):
            monkeypatch.setenv("ECRCOST_KEYED_LAYERS_FROM", rows)
            result, _ = estimate(tmp_path / mode, split, "--month", MONTH)
            got[mode] = (result.exit_code, result.stderr)
        assert got["keyed"] == got["text"]
        assert got["text"][0] == 2 and "region=us-east-1" in got["text"][1], got


POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
            "action": {"type": "expire"},
        }
    ]
}


def test_every_command_says_the_same_of_keyed_layers(tmp_path, monkeypatch):
    """report (terminal and HTML), export and lifecycle: the same bytes out, keyed or text."""
    from test_input_errors import runner

    from ecrcost.cli import app

    folder = _rich(tmp_path / "inv")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(POLICY))
    outputs: dict[str, list[str]] = {}
    for mode, rows in (("text", "1000000000"), ("keyed", "0")):
        monkeypatch.setenv("ECRCOST_KEYED_LAYERS_FROM", rows)
        out = tmp_path / mode
        commands = [
            ["report", str(folder), "--month", MONTH, "-q", "--html", str(out / "report.html")],
            ["export", str(folder), "--month", MONTH, "-q", "-o", str(out / "focus.csv")],
            ["lifecycle", str(folder), "--month", MONTH, "--as-of", "2026-10-31T00:00:00Z", "-q",
             "--policy", str(policy), "-o", str(out / "lifecycle.json")],
        ]  # fmt: skip
        shown = []
        for argv in commands:
            result = runner.invoke(app, argv)
            assert result.exit_code == 0, result.output
            shown.append(result.stdout)
        files = [(out / name).read_text() for name in ("report.html", "focus.csv", "lifecycle.json")]
        outputs[mode] = [*files, *shown]
    assert outputs["keyed"] == outputs["text"]
    assert json.loads(outputs["keyed"][2])["policies"][0]["bytes_freed"] > 0


def test_duckdb_gives_back_what_its_queries_freed():
    """Keying 100M layer rows frees GBs inside DuckDB's allocator; its background threads return them to
    the system (without them 3.1M images stayed at 3.0 GB resident after the load instead of 1.3 GB)."""
    from ecrcost.core.sql import connect

    con = connect()
    try:
        assert con.execute("SELECT current_setting('allocator_background_threads')").fetchall() == [(True,)]
    finally:
        con.close()


def test_the_command_line_keys_every_parquet_inventory_and_only_while_it_runs(tmp_path, monkeypatch):
    from test_input_errors import runner

    from ecrcost.cli import app
    from ecrcost.core.memory import COMMAND_LINE

    monkeypatch.delenv("ECRCOST_KEYED_LAYERS_FROM", raising=False)
    folder = _rich(tmp_path / "inv")
    token = COMMAND_LINE.set(True)  # what the command line's root callback does for one command
    try:
        assert list(ecrcost.load(folder).layers.columns) == KEYED_LAYER_COLUMNS
    finally:
        COMMAND_LINE.reset(token)
    result = runner.invoke(
        app, ["estimate", str(folder), "--month", MONTH, "-q", "-o", str(tmp_path / "e.json")]
    )
    assert result.exit_code == 0, result.output
    assert not COMMAND_LINE.get()  # reset when the command is done: the Python API keeps its text
    assert list(ecrcost.load(folder).layers.columns) == LAYER_COLUMNS
