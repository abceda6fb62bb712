"""`lifecycle --format json` written a piece at a time (the same text as ``to_json``), the column-wise
JSON lists it is made of, atomic streamed writes, and the `--actions` table beside it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from factories import GiB, Inventory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ecrcost.analysis.lifecycle import read_in_use, read_policy
from ecrcost.app.lifecycle import what_if
from ecrcost.cli import app
from ecrcost.core.options import PricingOptions
from ecrcost.outputs import json_columns
from ecrcost.outputs import lifecycle as render
from ecrcost.outputs.json_columns import ColumnList
from ecrcost.outputs.machine import dumps
from ecrcost.outputs.write import write_chunks

FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
POLICIES = [FIXTURES / "aws-all-images.json", FIXTURES / "aws-keep-one-untagged.json"]
runner = CliRunner()


@pytest.fixture
def small_chunks(monkeypatch):
    """A few items per chunk, so that a small list crosses chunk boundaries."""
    monkeypatch.setattr(json_columns, "ROWS", 3)


def inventory(tmp_path: Path) -> Path:
    """Tags json must escape (quotes, backslash, non-ASCII), an index with a kept child, two repositories."""
    inv = Inventory(tmp_path / "inv")
    for i in range(9):
        inv.push("app", f"v{i}", f"2026-0{1 + i % 9}-01", {f"base-{i % 2}": GiB, f"app-{i}": 10 + i},
                 tags=["", 'q"uote', "back\\slash", "café", "release-1", "plain"][i % 6])  # fmt: skip
    index = inv.push("multi", "index", "2026-01-01", {"idx": 5})
    inv.push("multi", "child", "2026-10-31T12:00:00Z", {"c": 7}, parent=index)  # newest: kept
    inv.push("multi", "new", "2026-10-01", {"n": 9}, tags="latest")
    return inv.write()


def simulations(folder: Path, in_use: Path) -> list:
    return what_if(
        folder,
        [read_policy(p) for p in POLICIES],
        options=PricingOptions.of("2026-10"),
        as_of="2026-11-01T00:00:00Z",
        in_use=read_in_use(in_use),
        keep_tags=["release-*"],
    )


@pytest.fixture
def sims(tmp_path):
    in_use = tmp_path / "in-use.txt"
    in_use.write_text("app:v1\n")
    return simulations(inventory(tmp_path), in_use)


def test_the_streamed_json_is_the_text_of_to_json(sims, small_chunks):
    streamed = b"".join(render.json_chunks(sims)).decode()
    assert streamed == render.to_json(sims)
    doc = json.loads(streamed)
    first = doc["policies"][0]
    assert len(first["actions"]) > 3 and first["protected"] and first["orphans"]  # lists cross chunks
    assert any("\\u00e9" in line for line in streamed.splitlines())  # café, escaped as json escapes it


def test_the_cli_writes_the_same_text_to_a_file_and_to_stdout(sims, tmp_path, small_chunks):
    folder = tmp_path / "inv"
    args = ["lifecycle", str(folder), *(a for p in POLICIES for a in ("--policy", str(p)))]
    args += [
        "--as-of",
        "2026-11-01T00:00:00Z",
        "--month",
        "2026-10",
        "--in-use",
        str(tmp_path / "in-use.txt"),
    ]
    args += ["--keep-tags", "release-*", "-f", "json"]
    out = tmp_path / "what-if.json"
    assert runner.invoke(app, [*args, "-o", str(out), "-q"]).exit_code == 0
    printed = runner.invoke(app, args)
    assert printed.exit_code == 0
    assert out.read_text() == printed.stdout == render.to_json(sims)


texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(texts, st.integers(-(2**62), 2**62), st.sampled_from(["a", "b\u2192", ""])), max_size=8
    ),
    st.integers(0, 3),
)
def test_a_column_list_is_the_text_dumps_writes_for_its_python_list(small_chunks, rows, depth):
    text = pd.Series([r[0] for r in rows], dtype="str")
    ints = pd.Series([r[1] for r in rows], dtype="int64")
    codes = pd.Series([r[2] for r in rows], dtype="category")
    doc: object = {"o": ColumnList([text, ints, codes], ["t", "n", "c"]), "v": ColumnList([text])}
    expected: object = {"o": [{"t": t, "n": n, "c": c} for t, n, c in rows], "v": [r[0] for r in rows]}
    for _ in range(depth):
        doc, expected = [doc, 1], [expected, 1]
    assert dumps(doc) == dumps(expected)


def test_a_failed_stream_leaves_the_earlier_file(tmp_path):
    out = tmp_path / "what-if.json"
    out.write_text("earlier\n")

    def pieces():
        yield b'{"policies": ['
        raise RuntimeError("rendering failed")

    with pytest.raises(RuntimeError):
        write_chunks(out, pieces())
    assert out.read_text() == "earlier\n"
    assert [p.name for p in tmp_path.iterdir()] == ["what-if.json"]  # no temporary file left


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_actions_table_holds_the_json_actions(sims, tmp_path, suffix):
    table = tmp_path / f"actions{suffix}"
    folder = tmp_path / "inv"
    args = ["lifecycle", str(folder), *(a for p in POLICIES for a in ("--policy", str(p)))]
    args += ["--as-of", "2026-11-01T00:00:00Z", "--month", "2026-10", "-f", "json"]
    result = runner.invoke(app, [*args, "--actions", str(table)])
    assert result.exit_code == 0, result.output
    assert f"wrote {table}" in result.stderr
    expected = [
        {"policy": p["policy"], **a} for p in json.loads(result.stdout)["policies"] for a in p["actions"]
    ]
    assert len({r["policy"] for r in expected}) == 2 and len(expected) > 3
    if suffix == ".csv":
        with table.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        for r in rows:
            r["size_bytes"], r["rule_priority"] = int(r["size_bytes"]), int(r["rule_priority"])
    else:
        rows = pq.read_table(table).to_pylist()
    assert list(rows[0]) == ["policy", *render.ACTION_KEYS]
    assert rows == expected


def test_the_actions_table_of_nothing_acted_on_has_its_header(tmp_path):
    inv = Inventory(tmp_path / "inv")
    inv.push("app", "one", "2026-10-01", {"a": 1}, tags="latest")
    table = tmp_path / "actions.csv"
    policy = str(FIXTURES / "keep-10-untagged.json")
    result = runner.invoke(
        app, ["lifecycle", str(inv.write()), "--policy", policy, "--actions", str(table), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert table.read_text().splitlines() == [",".join(f'"{k}"' for k in ["policy", *render.ACTION_KEYS])]


def test_an_actions_csv_cell_a_spreadsheet_would_run_gets_a_quote_and_parquet_keeps_the_text(tmp_path):
    inv = Inventory(tmp_path / "inv")
    inv.push("app", "one", "2026-01-01", {"a": 1}, tags="=HYPERLINK(1)")
    inv.push("app", "two", "2026-01-02", {"b": 1}, tags="+plain")
    inv.push("app", "new", "2026-10-01", {"c": 1}, tags="latest")  # the one image the policy keeps
    folder = inv.write()
    policy = str(FIXTURES / "aws-all-images.json")
    got = {}
    for suffix in (".csv", ".parquet"):
        table = tmp_path / f"actions{suffix}"
        args = ["lifecycle", str(folder), "--policy", policy, "--actions", str(table), "-q"]
        result = runner.invoke(app, [*args, "--as-of", "2026-11-01T00:00:00Z", "--month", "2026-10"])
        assert result.exit_code == 0, result.output
        if suffix == ".csv":
            with table.open(newline="", encoding="utf-8") as f:
                got[suffix] = sorted(r["image_tags"] for r in csv.DictReader(f))
        else:
            got[suffix] = sorted(pq.read_table(table).column("image_tags").to_pylist())
    assert got[".parquet"] == ["+plain", "=HYPERLINK(1)"]
    assert got[".csv"] == ["'+plain", "'=HYPERLINK(1)"]


def test_an_actions_file_of_no_table_format_is_exit_2_in_one_line(tmp_path):
    folder = inventory(tmp_path)
    table = tmp_path / "actions.json"
    result = runner.invoke(
        app, ["lifecycle", str(folder), "--policy", str(POLICIES[0]), "--actions", str(table)]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: option --actions: '{table}' names no table format: a file name ending in .parquet or .csv"
    ]
    assert not table.exists() and result.stdout == ""
