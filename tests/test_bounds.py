"""Bounded memory and time on any input, in the small: CSV read a block at a time (the same tables and
the same error lines whatever the block size), text columns over 2 GiB encoded chunk by chunk, the
scenario row limit, and wildcard patterns matched in linear time within ECR's limits.

The 2 GB files themselves are in ``test_memory.py`` (slow)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from factories import GiB, Inventory, digest
from test_input_errors import IMAGES_HEADER, assert_one_error, estimate, image, lines
from typer.testing import CliRunner

from ecrcost.analysis.lifecycle.policy import MAX_TAG_LENGTH, tag_patterns, wildcard_matches
from ecrcost.cli import app
from ecrcost.core.errors import InputError
from ecrcost.sources import files, inventory, scenario

runner = CliRunner()


# ------------------------------------------------------------------------------- CSV, block by block


def _inventory(folder: Path, n: int) -> Path:
    """``n`` images in a handful of repositories, with quoted cells holding commas and line breaks."""
    rows = [IMAGES_HEADER + ",image_tags"]
    for i in range(n):
        tags = f'"v{i}, latest\nnext"' if i % 7 == 0 else f"v{i}"
        rows.append(image(repo=f"team-{i % 5}/app", digest=digest(str(i)), size=str(1000 + i)) + "," + tags)
    (folder / "images.csv").parent.mkdir(parents=True, exist_ok=True)
    (folder / "images.csv").write_text(lines(*rows))
    return folder


def test_reading_a_block_at_a_time_gives_the_same_table(tmp_path, monkeypatch):
    folder = _inventory(tmp_path / "inv", 3000)
    raw = files.read_table(folder / "images.csv", inventory.IMAGES_REQUIRED, inventory.IMAGES_OPTIONAL)
    monkeypatch.setattr(files, "BLOCK", 4096)  # ~60 blocks: every column's dictionaries get unified
    small = files.read_table(folder / "images.csv", inventory.IMAGES_REQUIRED, inventory.IMAGES_OPTIONAL)
    assert len(raw.frame) == len(small.frame) == 3000
    for name in raw.frame:
        assert isinstance(small.frame[name].dtype, pd.CategoricalDtype)
        assert small.frame[name].cat.categories.is_unique
        assert small.frame[name].astype(str).tolist() == raw.frame[name].astype(str).tolist()
    assert small.frame["image_tags"].iloc[7] == "v7, latest\nnext"
    assert small.frame["repository"].cat.categories.size == 5


def test_estimates_do_not_depend_on_the_block_size(tmp_path, monkeypatch):
    folder = _inventory(tmp_path / "inv", 3000)
    whole, out = estimate(tmp_path, folder)
    assert whole.exit_code == 0, whole.output
    expected = json.loads(out.read_text())
    out.unlink()
    monkeypatch.setattr(files, "BLOCK", 4096)
    blocks, out = estimate(tmp_path, folder)
    assert blocks.exit_code == 0, blocks.output
    assert json.loads(out.read_text()) == expected


def test_parquet_text_reads_the_same_from_dictionary_pages_plain_pages_and_small_batches(
    tmp_path, monkeypatch
):
    """Names stored with dictionary pages are read as Arrow dictionaries, digests (plain pages) are
    encoded batch by batch and folded into one dictionary: the frame, and the row an error names, are
    the same whichever way, and whatever the batch size."""
    folder = _inventory(tmp_path / "inv", 3000)
    frame = pd.read_csv(folder / "images.csv", dtype=str, keep_default_na=False)
    frame.loc[2345, "repository"] = "Team-X/App"  # not a valid repository name: the error's row
    table = pa.Table.from_pandas(frame, preserve_index=False)
    ways = {"dictionary": {"use_dictionary": True}, "plain": {"use_dictionary": False}}
    for way, options in ways.items():
        pq.write_table(table, tmp_path / f"{way}.parquet", row_group_size=1000, **options)
    meta = pq.ParquetFile(tmp_path / "dictionary.parquet").metadata
    assert meta.row_group(0).column(2).has_dictionary_page  # repository
    read = {}
    for batch in (files.PARQUET_BATCH, 128):
        monkeypatch.setattr(files, "PARQUET_BATCH", batch)
        for way in ways:
            raw = files.read_table(
                tmp_path / f"{way}.parquet", inventory.IMAGES_REQUIRED, inventory.IMAGES_OPTIONAL
            )
            read[(way, batch)] = raw.frame
    first = read[("plain", 128)]
    for got in read.values():
        for name in first:
            assert got[name].cat.categories.is_unique
            assert got[name].astype(str).tolist() == first[name].astype(str).tolist()
    for way in ways:
        (tmp_path / way).mkdir()
        (tmp_path / f"{way}.parquet").rename(tmp_path / way / "images.parquet")
        result = runner.invoke(app, ["estimate", str(tmp_path / way), "--month", "2026-11"])
        assert result.exit_code == 2
        assert "images.parquet, row 2346, column 'repository'" in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        pytest.param(
            "111122223333,us-east-1,oops", "line {line}: row has 3 fields, the header has 7", id="fields"
        ),
        pytest.param('111122223333,us-east-1,"team/x', "line {line}: unterminated quoted field", id="quote"),
        pytest.param(
            image(digest="sha256:@@") + ",x",
            "line {line}, column 'image_digest': not UTF-8 text (byte 0xff)",
            id="utf-8",
        ),
    ],
)
def test_an_error_in_a_later_block_names_its_line(tmp_path, monkeypatch, bad, says):
    folder = _inventory(tmp_path / "inv", 2000)
    text = (folder / "images.csv").read_bytes()
    line = text.count(b"\n") + 1  # quoted line breaks included: a line of the file, not a row
    (folder / "images.csv").write_bytes(text + bad.encode().replace(b"@@", b"\xff") + b"\n")
    monkeypatch.setattr(files, "BLOCK", 4096)
    result, out = estimate(tmp_path, folder)
    assert_one_error(result, out, f"error: {folder / 'images.csv'}, ", says.format(line=line))


def test_a_bad_cell_in_a_later_block_names_its_line(tmp_path, monkeypatch):
    folder = _inventory(tmp_path / "inv", 2000)
    text = (folder / "images.csv").read_text()
    line = text.count("\n") + 1
    (folder / "images.csv").write_text(text + image(digest="sha256:BAD!", size="12") + ",x\n")
    monkeypatch.setattr(files, "BLOCK", 4096)
    result, out = estimate(tmp_path, folder)
    assert_one_error(
        result,
        out,
        f"error: {folder / 'images.csv'}, line {line}, column 'image_digest': ",
        "not a valid digest",
    )


# ------------------------------------------------------------------- Parquet text, batch by batch


def _parquet_inventory(folder: Path, bad_row: int | None = None) -> Path:
    """60 images in 3 repositories and 4 layer rows each, written as Parquet: layer digests stored as
    binary (a writer without the UTF-8 annotation), media types with nulls, tags as lists; with
    ``bad_row``, that layer row's digest is not UTF-8."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 60
    repos = [f"team-{i % 3}/app" for i in range(n)]
    digests = [digest(f"image-{i}") for i in range(n)]
    pq.write_table(
        pa.table(
            {
                "account_id": ["111122223333"] * n,
                "region": ["us-east-1"] * n,
                "repository": repos,
                "image_digest": digests,
                "size_bytes": pa.array([10**6 + i for i in range(n)], pa.int64()),
                "pushed_at": pa.array([f"2026-09-{1 + i % 28:02d}T00:00:00Z" for i in range(n)]),
                "image_tags": pa.array([[f"v{i}", None] if i % 4 else None for i in range(n)]),
            }
        ),
        folder / "images.parquet",
        row_group_size=25,
    )
    blobs = [digest(f"layer-{(i * 4 + j) % 37}").encode() for i in range(n) for j in range(4)]
    if bad_row is not None:
        blobs[bad_row - 1] = b"sha256:\xff" + blobs[bad_row - 1][8:]
    pq.write_table(
        pa.table(
            {
                "account_id": ["111122223333"] * (4 * n),
                "region": ["us-east-1"] * (4 * n),
                "repository": [r for r in repos for _ in range(4)],
                "image_digest": [d for d in digests for _ in range(4)],
                "layer_digest": pa.array(blobs, pa.binary()),
                "size_bytes": pa.array([1000 * (1 + k % 37) for k in range(4 * n)], pa.int64()),
                "media_type": [
                    None if k % 3 else "application/vnd.oci.image.layer.v1.tar+gzip" for k in range(4 * n)
                ],
            }
        ),
        folder / "layers.parquet",
        row_group_size=100,
    )
    return folder


def test_parquet_text_read_a_batch_at_a_time_gives_the_same_table_and_estimate(tmp_path, monkeypatch):
    folder = _parquet_inventory(tmp_path / "inv")
    layers = files.read_table(folder / "layers.parquet", inventory.LAYERS_REQUIRED, inventory.LAYERS_OPTIONAL)
    images = files.read_table(
        folder / "images.parquet", inventory.IMAGES_REQUIRED, inventory.IMAGES_OPTIONAL, lists=["image_tags"]
    )
    whole, out = estimate(tmp_path, folder)
    assert whole.exit_code == 0, whole.output
    expected = json.loads(out.read_text())
    out.unlink()
    monkeypatch.setattr(files, "PARQUET_BATCH", 7)  # batches that cut across row groups: 35 of them
    small = files.read_table(folder / "layers.parquet", inventory.LAYERS_REQUIRED, inventory.LAYERS_OPTIONAL)
    small_images = files.read_table(
        folder / "images.parquet", inventory.IMAGES_REQUIRED, inventory.IMAGES_OPTIONAL, lists=["image_tags"]
    )
    for before, after in ((layers, small), (images, small_images)):
        for name in before.frame:
            assert after.frame[name].astype(str).tolist() == before.frame[name].astype(str).tolist()
        assert before.nulls.keys() == after.nulls.keys()
        for name, mask in before.nulls.items():
            assert np.array_equal(mask, after.nulls[name])
    assert small.frame["layer_digest"].cat.categories.size == 37  # one dictionary, no repeats
    assert small.nulls["media_type"].sum() == 160
    assert small_images.frame["image_tags"].iloc[1] == "v1"
    batched, out = estimate(tmp_path, folder)
    assert batched.exit_code == 0, batched.output
    assert json.loads(out.read_text()) == expected
    assert expected["total_usd"] > 0


def test_a_bad_parquet_cell_in_a_later_batch_names_its_row(tmp_path, monkeypatch):
    folder = _parquet_inventory(tmp_path / "inv", bad_row=201)
    monkeypatch.setattr(files, "PARQUET_BATCH", 7)
    result, out = estimate(tmp_path, folder)
    assert_one_error(
        result,
        out,
        f"error: {folder / 'layers.parquet'}, row 201, column 'layer_digest': ",
        "not UTF-8 text (byte 0xff)",
    )


# ------------------------------------------------------------------------- text columns over 2 GiB


@pytest.mark.slow
def test_a_text_column_over_2_gib_is_encoded_chunk_by_chunk():
    # 3 × 760 MiB of text, but one physical chunk repeated, its bytes the untouched zero pages of a
    # calloc'd buffer: the column costs little memory while its offsets no longer fit in 32 bits.
    n, width = 8_000_000, 100
    data = pa.py_buffer(bytes(n * width))
    offsets = pa.py_buffer(np.arange(0, n * width + 1, width, dtype=np.int32).tobytes())
    chunk = pa.StringArray.from_buffers(n, offsets, data)
    column = pa.chunked_array([chunk, chunk, chunk])
    assert sum(c.nbytes for c in column.chunks) > 2 * GiB
    with pytest.raises(pa.ArrowInvalid, match="overflow"):
        column.combine_chunks()  # what reading a Parquet text column used to do
    encoded = files.categorical(column)
    assert len(encoded) == 3 * n
    assert list(encoded.categories) == ["\x00" * width]
    assert not np.asarray(encoded.codes).any()


# ------------------------------------------------------------------------------- scenario row limit


def test_a_scenario_past_the_row_limit_is_refused_at_the_first_row_past_it(tmp_path, monkeypatch):
    monkeypatch.setattr(scenario, "MAX_ROWS", 50)
    monkeypatch.setattr(files, "BLOCK", 512)  # the limit falls inside a block
    rows = [f"team/app-{i},1.5" for i in range(60)]
    path = tmp_path / "s.csv"
    path.write_text(lines("repository,storage_gb", *rows[:50]))
    ok, out = estimate(tmp_path, path)
    assert ok.exit_code == 0, ok.output
    out.unlink()
    path.write_text(lines("repository,storage_gb", *rows[:20], '"team/app-x\n",1', *rows[20:]))
    result, out = estimate(tmp_path, path)
    # data row 51 starts on line 53: the header, then one row that spans two lines
    assert_one_error(result, out, f"error: {path}, line 53: ", "too many rows: at most 50 are allowed")


def test_a_parquet_scenario_past_the_row_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(scenario, "MAX_ROWS", 50)
    path = tmp_path / "s.parquet"
    n = 51
    pq.write_table(
        pa.table({"repository": [f"team/app-{i}" for i in range(n)], "storage_gb": [1.0] * n}), path
    )
    result, out = estimate(tmp_path, path)
    assert_one_error(result, out, f"error: {path}, row 51: ", "too many rows: at most 50 are allowed")


def test_the_default_scenario_limit_is_generous():
    assert scenario.MAX_ROWS == 100_000


# ------------------------------------------------------------------------------------------ wildcards


def _reference(text: str, pattern: str) -> bool:
    """Wildcard matching by its definition ('*' any run, the rest literal), greedy piece by piece."""
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return text == pattern
    first, *middle, last = pieces
    if not text.startswith(first) or len(text) < len(first) + len(last) or not text.endswith(last):
        return False
    at, end = len(first), len(text) - len(last)
    for piece in middle:
        found = text.find(piece, at, end)
        if found < 0:
            return False
        at = found + len(piece)
    return True


TAGS = [
    "release-1.2",
    "release-",
    "rel.x",
    "relax",
    "a*b",
    "a.b",
    "(prod)",
    "x\ny",
    "é-1",
    "",
    "v1 v2",
    "a\\b",
]
PATTERNS = [
    "release-*",
    "rel.x",
    "*",
    "**",
    "a*b",
    "a.b",
    "(prod)",
    "x*y",
    "é*",
    "*-*",
    "a\\b",
    "[a]*",
    "?*",
    "*2",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_wildcards_match_whole_values_and_nothing_else_is_special(pattern):
    assert wildcard_matches(TAGS, pattern).tolist() == [_reference(t, pattern) for t in TAGS]


@pytest.mark.slow
def test_a_pathological_pattern_against_long_tags_stays_linear(tmp_path):
    # A backtracking matcher takes minutes here (0.48 s per tag at 300 characters, far more at 3,000);
    # the limit on CPU seconds turns "minutes" into a failure instead of a hung test run.
    script = textwrap.dedent(
        """
        import resource
        resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
        import pandas as pd
        from ecrcost.analysis.lifecycle.evaluate import evaluate
        from ecrcost.analysis.lifecycle.policy import parse_policy
        from ecrcost.analysis.lifecycle.protect import keeps_tags
        n = 200
        images = pd.DataFrame({
            "account_id": "123456789012", "region": "us-east-1", "repository": "app",
            "image_digest": [f"sha256:{i:064x}" for i in range(n)],
            "image_tags": ["a" * 3000] * (n - 1) + ["a" * 2999 + "b"],
            "image_status": "ACTIVE", "parent_digest": "", "subject_digest": "",
            "pushed_at": pd.Timestamp("2026-01-01", tz="UTC"),
        })
        policy = parse_policy('{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "tagged",'
            '"tagPatternList": ["*a*a*a*b"], "countType": "imageCountMoreThan", "countNumber": 1},'
            '"action": {"type": "expire"}}]}')
        decided = evaluate(images, policy, pd.Timestamp("2026-06-01", tz="UTC"))
        kept = keeps_tags(images, ["*a*a*a*b"])
        print(int((decided["action"] == "expire").sum()), int(kept.sum()))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["0", "1"]  # one image matches: the only one, so nothing expires


def test_keep_tags_follow_ecr_limits():
    assert tag_patterns(["*a*b*c*", "release-*", "x" * MAX_TAG_LENGTH + "*"]) == (
        "*a*b*c*",
        "release-*",
        "x" * MAX_TAG_LENGTH + "*",
    )
    with pytest.raises(InputError, match=r"more than 4 wildcards") as five:
        tag_patterns(["*a*b*c*d*"])
    assert five.value.field == "keep_tags"
    with pytest.raises(InputError, match="image tags are at most 300 characters"):
        tag_patterns(["x" * (MAX_TAG_LENGTH + 1)])
    with pytest.raises(InputError, match="cannot be empty"):
        tag_patterns([""])


def test_keep_tags_past_the_limits_exit_2_before_reading_the_inventory(tmp_path):
    reg = Inventory(tmp_path / "inv")
    reg.push("app", "one", "2026-09-01T00:00:00Z", {"base": GiB}, tags="release-1")
    folder = reg.write()
    policy = Path(__file__).parent / "fixtures" / "lifecycle" / "aws-all-images.json"
    for pattern, says in [("*a*a*a*a*b", "more than 4 wildcards"), ("y" * 301, "can never match")]:
        result = runner.invoke(
            app, ["lifecycle", str(folder), "--policy", str(policy), "--keep-tags", pattern]
        )
        assert result.exit_code == 2, result.output
        line = result.stderr.strip()
        assert line.count("\n") == 0 and line.startswith("error: option --keep-tags: ") and says in line
    missing = tmp_path / "nowhere"
    result = runner.invoke(
        app, ["lifecycle", str(missing), "--policy", str(policy), "--keep-tags", "*a*b*c*d*e"]
    )
    assert "option --keep-tags" in result.stderr  # checked first: the missing folder is not reached
