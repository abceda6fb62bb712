"""Bad input never crashes: exit code 2, exactly one line on stderr that starts with ``error: `` and names
the file, the line (CSV, header = line 1) or row (Parquet) and the column, no traceback, and no output
file left behind (docs/formats.md, exit codes).

Every case writes its files into ``tmp_path`` and runs ``ecrcost estimate`` through typer's CliRunner;
a few run the real console script in a subprocess to see the raw stderr.

Decision recorded here: ``-0`` (and ``-0.0``, ``-0e5``) is zero, so it satisfies "≥ 0" and is accepted
everywhere (scenario quantities, byte counts, Parquet floats), read as 0.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from ecrcost.cli import app

runner = CliRunner()

ACCOUNT = "111122223333"
D1 = "sha256:" + "a" * 64
D2 = "sha256:" + "b" * 64
D3 = "sha256:" + "c" * 64
L1 = "sha256:" + "1" * 64
L2 = "sha256:" + "2" * 64
PUSHED = "2026-09-01T00:00:00Z"

Files = dict[str, "str | bytes | pa.Table | None"]  # None: leave the file out


# ---------------------------------------------------------------------------------------------- helpers


def lines(*rows: str, end: str = "\n") -> str:
    """CSV text, one physical line per argument."""
    return end.join(rows) + end


IMAGES_HEADER = "account_id,region,repository,image_digest,size_bytes,pushed_at"
LAYERS_HEADER = "account_id,region,repository,image_digest,layer_digest,size_bytes"


def image(
    repo: str = "team-a/web",
    digest: str = D1,
    size: str = "1048576",
    pushed: str = PUSHED,
    account: str = ACCOUNT,
    region: str = "us-east-1",
) -> str:
    return ",".join([account, region, repo, digest, size, pushed])


def layer(digest: str = D1, blob: str = L1, size: str = "524288", repo: str = "team-a/web") -> str:
    return ",".join([ACCOUNT, "us-east-1", repo, digest, blob, size])


IMAGES_OK = lines(IMAGES_HEADER, image(digest=D1), image(digest=D2))
LAYERS_OK = lines(LAYERS_HEADER, layer(D1, L1), layer(D1, L2), layer(D2, L1))


def images_table(**columns: pa.Array) -> pa.Table:
    """Two valid images as Parquet columns; keyword arguments replace or add columns."""
    base = {
        "account_id": pa.array([ACCOUNT, ACCOUNT]),
        "region": pa.array(["us-east-1", "us-east-1"]),
        "repository": pa.array(["team-a/web", "team-a/web"]),
        "image_digest": pa.array([D1, D2]),
        "size_bytes": pa.array([100, 200], pa.int64()),
        "pushed_at": pa.array([datetime(2026, 9, 1, tzinfo=UTC)] * 2, pa.timestamp("us", tz="UTC")),
    }
    base.update(columns)
    return pa.table(base)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def materialize(root: Path, files: Files) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, pa.Table):
            pq.write_table(content, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))


def estimate(tmp_path: Path, target: str | Path, *options: str) -> tuple[Result, Path]:
    """``ecrcost estimate TARGET --format json --output FILE`` (month 2026-10 unless given)."""
    out = tmp_path / "out" / "estimate.json"
    args = ["estimate", str(target), "--format", "json", "--output", str(out), "--quiet", *options]
    if "--month" not in options:
        args += ["--month", "2026-10"]
    return runner.invoke(app, args), out


def assert_one_error(result: Result, out: Path, prefix: str, says: str = "") -> str:
    """Exit 2, stderr is the one line ``prefix...`` mentioning ``says``, nothing else anywhere."""
    detail = f"exit {result.exit_code}, stderr={result.stderr!r}, exception={result.exception!r}"
    assert result.exit_code == 2, detail
    # Exit 2 must come from the CLI's own exit, not an exception escaping into the runner.
    assert isinstance(result.exception, SystemExit), detail
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stdout == ""
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, detail
    message = result.stderr.rstrip("\n")
    assert message.startswith("error: "), detail
    assert message.startswith(prefix), f"expected prefix {prefix!r}\n got {message!r}"
    assert len(message) > len(prefix), "the message says what is wrong"
    assert says.lower() in message.lower(), f"expected {says!r} in {message!r}"
    assert not out.exists(), "no output file may be left behind"
    assert not out.parent.exists() or not any(out.parent.iterdir()), "no temporary file left behind"
    return message


def location(path: Path, line: int | None = None, row: int | None = None, column: str | None = None) -> str:
    where = [str(path)]
    if line is not None:
        where.append(f"line {line}")
    if row is not None:
        where.append(f"row {row}")
    if column is not None:
        where.append(f"column '{column}'")
    return "error: " + ", ".join(where) + ": "


# ------------------------------------------------------------------------------------------ the cases


@dataclass(frozen=True)
class Case:
    files: Files
    file: str  # the file the message must name (relative to tmp_path)
    line: int | None = None  # CSV: 1-based physical line, header = 1
    row: int | None = None  # Parquet: 1-based row
    column: str | None = None
    says: str = ""  # a fragment of the reason
    target: str = ""  # what to pass to estimate (default: ``file``)


def scenario(text: str | bytes, line: int | None = None, column: str | None = None, says: str = "") -> Case:
    return Case({"scenario.csv": text}, "scenario.csv", line=line, column=column, says=says)


HDR = "repository,storage_gb"

SCENARIO_CASES = [
    # header
    pytest.param(
        scenario(lines("repository", "web"), 1, "storage_gb", "missing required column"),
        id="missing-required-column",
    ),
    pytest.param(
        scenario(lines("repository,region", "web,us-east-1"), 1, "storage_gb", "missing required"),
        id="missing-required-column-with-optional",
    ),
    pytest.param(
        scenario(lines("repository,storage_gb,internet_gb", "web,1,2"), 1, "internet_gb", "internet_out_gb"),
        id="misspelt-column",
    ),
    pytest.param(
        scenario(
            lines("repository,storage_gb,Region,region", "web,1,us-east-1,us-east-1"),
            1,
            "region",
            "duplicate",
        ),
        id="duplicate-column-any-case",
    ),
    pytest.param(
        scenario(lines("repository,storage_gb,storage_gb", "web,1,2"), 1, "storage_gb", "duplicate"),
        id="duplicate-column",
    ),
    pytest.param(
        scenario(lines("repository, storage_gb ,storage_gb", "web,1,2"), 1, "storage_gb", "duplicate"),
        id="duplicate-column-after-stripping",
    ),
    pytest.param(
        scenario(lines("repository,storage_gb,", "web,1,"), 1, None, "empty column name"),
        id="empty-column-name",
    ),
    pytest.param(scenario(lines("", HDR, "web,1"), 1, None, "blank"), id="blank-first-line"),
    pytest.param(
        scenario(lines("repository;storage_gb", "web;1"), 1, "repository;storage_gb", "separated by ';'"),
        id="semicolon-separated",
    ),
    # not CSV text
    pytest.param(scenario(""), id="empty-file"),
    pytest.param(scenario(" \n\r\n\n", says="empty"), id="whitespace-only-file"),
    pytest.param(scenario(b"\xef\xbb\xbf", says="empty"), id="bom-only-file"),
    pytest.param(
        scenario(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", says="PNG"), id="png-bytes"
    ),
    pytest.param(scenario(gzip.compress(lines(HDR, "web,1").encode()), says="gzip"), id="gzip-bytes"),
    pytest.param(scenario(b"PK\x03\x04\x14\x00\x06\x00", says="ZIP"), id="xlsx-zip-bytes"),
    pytest.param(
        scenario(parquet_bytes(pa.table({"repository": ["web"], "storage_gb": [1.0]})), says="Parquet"),
        id="parquet-bytes-named-csv",
    ),
    pytest.param(scenario(b"repository,storage_gb\nweb,\x00\x01\x02\n", says="binary"), id="nul-bytes"),
    pytest.param(scenario(lines(HDR, "web,1").encode("utf-16"), says="UTF-16"), id="utf-16"),
    pytest.param(
        scenario(lines(HDR, "web,1", "caf\xe9,2").encode("latin-1"), 3, "repository", "not UTF-8"),
        id="latin-1-in-data",
    ),
    pytest.param(
        scenario(lines("repository,storage_gb,caf\xe9", "web,1,2").encode("latin-1"), 1, None, "not UTF-8"),
        id="latin-1-in-header",
    ),
    pytest.param(
        scenario(
            lines(HDR, '"multi', 'line",1', "web,1", "api,\xff").encode("latin-1"),
            5,
            "storage_gb",
            "not UTF-8",
        ),
        id="latin-1-after-quoted-newline",
    ),
    # CSV structure
    pytest.param(
        scenario(lines(HDR, "web,1", '"api,2', "batch,3"), 3, None, "unterminated"), id="unterminated-quote"
    ),
    pytest.param(
        scenario(lines('"repository,storage_gb', "web,1"), 1, None, "header"),
        id="unterminated-quote-in-header",
    ),
    pytest.param(scenario(lines(HDR, "web,1", "api,2,3"), 3, None, "3 fields"), id="too-many-fields"),
    pytest.param(scenario(lines(HDR, "web,1", "api"), 3, None, "1 field"), id="too-few-fields"),
    pytest.param(scenario(lines(HDR, "web,1", "api,2,"), 3, None, "3 fields"), id="trailing-comma"),
    # numbers
    pytest.param(scenario(lines(HDR, "web,1", "api,-1"), 3, "storage_gb", "negative"), id="negative"),
    pytest.param(scenario(lines(HDR, "web,-0.5"), 2, "storage_gb", "negative"), id="negative-fraction"),
    pytest.param(
        scenario(lines(HDR + ",internet_out_gb", "web,1,-3e2"), 2, "internet_out_gb", "negative"),
        id="negative-transfer",
    ),
    pytest.param(scenario(lines(HDR, "web,abc"), 2, "storage_gb", "not a number"), id="non-numeric"),
    pytest.param(scenario(lines(HDR, 'web,"1,5"'), 2, "storage_gb", "not a number"), id="decimal-comma"),
    pytest.param(scenario(lines(HDR, "web,1_000"), 2, "storage_gb", "not a number"), id="underscore"),
    pytest.param(scenario(lines(HDR, "web,0x10"), 2, "storage_gb", "not a number"), id="hex"),
    pytest.param(scenario(lines(HDR, "web,1 GB"), 2, "storage_gb", "not a number"), id="unit-suffix"),
    pytest.param(scenario(lines(HDR, "web,--1"), 2, "storage_gb", "not a number"), id="double-sign"),
    pytest.param(scenario(lines(HDR, "web,inf"), 2, "storage_gb", "finite"), id="inf"),
    pytest.param(scenario(lines(HDR, "web,-Infinity"), 2, "storage_gb", "finite"), id="minus-infinity"),
    pytest.param(scenario(lines(HDR, "web,nan"), 2, "storage_gb", "finite"), id="nan"),
    pytest.param(scenario(lines(HDR, "web,NaN"), 2, "storage_gb", "finite"), id="NaN"),
    pytest.param(scenario(lines(HDR, "web,1e30"), 2, "storage_gb", "too large"), id="absurdly-large"),
    pytest.param(scenario(lines(HDR, "web,1e999999"), 2, "storage_gb", "too large"), id="huge-exponent"),
    # regions and enums
    pytest.param(
        scenario(
            lines(HDR + ",region", "web,1,us-east-1", "api,1,xx-nowhere-9"), 3, "region", "unknown region"
        ),
        id="unknown-region",
    ),
    pytest.param(
        scenario(lines(HDR + ",region", "web,1,US East"), 2, "region", "not a region code"),
        id="malformed-region",
    ),
    pytest.param(
        scenario(lines(HDR + ",region", "web,1,us_east_1"), 2, "region", "not a region code"),
        id="malformed-region-underscores",
    ),
    pytest.param(
        scenario(
            lines(HDR + ",cross_region_out_gb,destination_region", "web,1,5,xx-north-9"),
            2,
            "destination_region",
            "unknown region",
        ),
        id="unknown-destination-region",
    ),
    pytest.param(
        scenario(lines(HDR + ",storage_class", "web,1,glacier"), 2, "storage_class", "glacier"),
        id="unknown-storage-class",
    ),
    pytest.param(
        scenario(lines(HDR + ",registry", "web,1,secret"), 2, "registry", "secret"), id="unknown-registry"
    ),
    # names and ids
    pytest.param(scenario(lines(HDR, "web,1", ",2"), 3, "repository", "blank"), id="blank-repository"),
    pytest.param(scenario(lines(HDR, "   ,2"), 2, "repository", "blank"), id="whitespace-repository"),
    pytest.param(
        scenario(lines(HDR, "Team-A/Web,1"), 2, "repository", "not a valid repository name"),
        id="uppercase-repository",
    ),
    pytest.param(
        scenario(lines(HDR, "team-a//web,1"), 2, "repository", "not a valid repository name"),
        id="empty-namespace-segment",
    ),
    pytest.param(scenario(lines(HDR, "w,1"), 2, "repository", "2 to 256"), id="one-character-repository"),
    pytest.param(scenario(lines(HDR, "a" * 257 + ",1"), 2, "repository", "2 to 256"), id="long-repository"),
    pytest.param(
        scenario(lines(HDR, '"web\napp",1'), 2, "repository", "web\\napp"),
        id="newline-in-value-stays-one-line",
    ),
    pytest.param(
        scenario(lines(HDR + ",account_id", "web,1,12345678901"), 2, "account_id", "12-digit"),
        id="account-id-11-digits",
    ),
    pytest.param(
        scenario(lines(HDR + ",account_id", "web,1,1234567890123"), 2, "account_id", "12-digit"),
        id="account-id-13-digits",
    ),
    pytest.param(
        scenario(lines(HDR + ",account_id", "web,1,12345678901a"), 2, "account_id", "12-digit"),
        id="account-id-letters",
    ),
    pytest.param(
        scenario(lines(HDR + ",account_id", "web,1,１１１１２２２２３３３３"), 2, "account_id", "12-digit"),
        id="account-id-fullwidth-digits",
    ),
    # rows that contradict each other
    pytest.param(scenario(lines(HDR, "web,1", "web,2"), 3, "repository", "twice"), id="duplicate-repository"),
    pytest.param(
        scenario(lines(HDR + ",registry,region", "web,1,public,eu-west-1"), 2, "region", "Public"),
        id="public-outside-us-east-1",
    ),
    pytest.param(
        scenario(
            lines(HDR + ",registry,archive_restored_gb", "web,1,public,5"), 2, "archive_restored_gb", "Public"
        ),
        id="public-restore-from-archive",
    ),
    pytest.param(
        scenario(
            lines(HDR + ",cross_region_out_gb,destination_region", "web,1,5,us-east-1"),
            2,
            "destination_region",
            "source region",
        ),
        id="destination-is-source",
    ),
    # line numbers: quoted newlines, blank lines, CRLF and a BOM
    pytest.param(
        scenario(lines(HDR, '"web",1', '"api', '",2', "ok,-3"), 5, "storage_gb", "negative"),
        id="line-after-quoted-newline",
    ),
    pytest.param(
        scenario(lines(HDR, "", "web,1", "", "", "api,-2"), 6, "storage_gb", "negative"),
        id="line-after-blank-lines",
    ),
    pytest.param(
        scenario("\ufeff" + lines(HDR, "web,1", "api,x", end="\r\n"), 3, "storage_gb", "not a number"),
        id="crlf-and-bom",
    ),
    pytest.param(
        scenario(lines(HDR, "web,1", "api,x", end="\r"), 3, "storage_gb", "not a number"),
        id="cr-only-newlines",
    ),
]


@pytest.mark.parametrize("case", SCENARIO_CASES)
def test_scenario_errors(tmp_path: Path, case: Case) -> None:
    materialize(tmp_path, case.files)
    result, out = estimate(tmp_path, tmp_path / (case.target or case.file))
    assert_one_error(result, out, location(tmp_path / case.file, case.line, case.row, case.column), case.says)


def inventory(
    files: Files,
    file: str,
    line: int | None = None,
    row: int | None = None,
    column: str | None = None,
    says: str = "",
) -> Case:
    """An inventory folder ``inv``: ``images.csv`` is valid unless ``files`` says otherwise."""
    tables = {"images.csv": IMAGES_OK} if not any(n.startswith("images.") for n in files) else {}
    tables.update(files)
    return Case(
        {f"inv/{n}": c for n, c in tables.items()},
        f"inv/{file}" if file else "inv",
        line=line,
        row=row,
        column=column,
        says=says,
        target="inv",
    )


def images(*rows: str, header: str = IMAGES_HEADER) -> Files:
    return {"images.csv": lines(header, *rows)}


INVENTORY_CSV_CASES = [
    # the folder itself
    pytest.param(inventory({"images.csv": None}, "", says="not an inventory"), id="folder-without-images"),
    pytest.param(
        inventory({"images.csv": None, "scenario.csv": lines(HDR, "web,1")}, "", says="images.csv"),
        id="scenario-folder-is-not-an-inventory",
    ),
    pytest.param(
        inventory({"images.csv": IMAGES_OK, "images.parquet": images_table()}, "", says="both"),
        id="images-csv-and-parquet",
    ),
    pytest.param(
        inventory({"layers.csv": LAYERS_OK, "layers.parquet": pa.table({"x": [1]})}, "", says="both"),
        id="layers-csv-and-parquet",
    ),
    # images.csv header and bytes
    pytest.param(
        inventory(
            images(header="repository,image_digest,size_bytes"),
            "images.csv",
            1,
            column="pushed_at",
            says="missing required",
        ),
        id="images-missing-column",
    ),
    pytest.param(
        inventory(
            images(image() + ",x", header=IMAGES_HEADER + ",colour"),
            "images.csv",
            1,
            column="colour",
            says="unknown column",
        ),
        id="images-unknown-column",
    ),
    pytest.param(
        inventory(
            {"images.csv": lines(IMAGES_HEADER + ",region", image() + ",us-east-1")},
            "images.csv",
            1,
            column="region",
            says="duplicate",
        ),
        id="images-duplicate-column",
    ),
    pytest.param(inventory({"images.csv": ""}, "images.csv", says="empty"), id="images-empty-file"),
    pytest.param(
        inventory({"images.csv": b"\x89PNG\r\n\x1a\n\x00\x00"}, "images.csv", says="PNG"), id="images-png"
    ),
    pytest.param(
        inventory({"images.csv": gzip.compress(IMAGES_OK.encode())}, "images.csv", says="gzip"),
        id="images-gzip",
    ),
    pytest.param(
        inventory(
            {"images.csv": lines(IMAGES_HEADER, image(), image(repo="caf\xe9", digest=D2)).encode("latin-1")},
            "images.csv",
            3,
            column="repository",
            says="not UTF-8",
        ),
        id="images-latin-1",
    ),
    pytest.param(
        inventory(images(image(), image(digest=D2) + ",extra"), "images.csv", 3, says="7 fields"),
        id="images-too-many-fields",
    ),
    pytest.param(
        inventory(images(image(), '"' + image(digest=D2)), "images.csv", 3, says="unterminated"),
        id="images-unterminated-quote",
    ),
    # images.csv values
    pytest.param(
        inventory(
            images(image(), image(digest=D2, size="-100")),
            "images.csv",
            3,
            column="size_bytes",
            says="negative",
        ),
        id="images-negative-size",
    ),
    pytest.param(
        inventory(images(image(size="1.5")), "images.csv", 2, column="size_bytes", says="whole"),
        id="images-fractional-size",
    ),
    pytest.param(
        inventory(images(image(size="12MB")), "images.csv", 2, column="size_bytes", says="whole"),
        id="images-non-numeric-size",
    ),
    pytest.param(
        inventory(images(image(size="nan")), "images.csv", 2, column="size_bytes", says="finite"),
        id="images-nan-size",
    ),
    pytest.param(
        inventory(images(image(size="inf")), "images.csv", 2, column="size_bytes", says="finite"),
        id="images-inf-size",
    ),
    pytest.param(
        inventory(images(image(size="")), "images.csv", 2, column="size_bytes", says="blank"),
        id="images-blank-size",
    ),
    pytest.param(
        inventory(images(image(size="9" * 19)), "images.csv", 2, column="size_bytes", says="too large"),
        id="images-size-beyond-int64",
    ),
    pytest.param(
        inventory(images(image(pushed="yesterday")), "images.csv", 2, column="pushed_at", says="ISO 8601"),
        id="images-unparseable-timestamp",
    ),
    pytest.param(
        inventory(images(image(pushed="now")), "images.csv", 2, column="pushed_at", says="ISO 8601"),
        id="images-timestamp-now",
    ),
    pytest.param(
        inventory(
            images(image(pushed="2026-02-30T00:00:00Z")),
            "images.csv",
            2,
            column="pushed_at",
            says="not a valid date",
        ),
        id="images-february-30",
    ),
    pytest.param(
        inventory(
            images(image(pushed="2026-09-01T25:00:00Z")),
            "images.csv",
            2,
            column="pushed_at",
            says="not a valid date",
        ),
        id="images-hour-25",
    ),
    pytest.param(
        inventory(
            images(image(pushed="2026-00-10T00:00:00Z")),
            "images.csv",
            2,
            column="pushed_at",
            says="not a valid date",
        ),
        id="images-month-0",
    ),
    pytest.param(
        inventory(images(image(pushed="")), "images.csv", 2, column="pushed_at", says="blank"),
        id="images-blank-timestamp",
    ),
    pytest.param(
        inventory(
            images(image() + ",2026-08-01T00:00:00Z", header=IMAGES_HEADER + ",deleted_at"),
            "images.csv",
            2,
            column="deleted_at",
            says="before it was pushed",
        ),
        id="images-deleted-before-pushed",
    ),
    pytest.param(
        inventory(
            images(image() + ",GONE", header=IMAGES_HEADER + ",image_status"),
            "images.csv",
            2,
            column="image_status",
            says="GONE",
        ),
        id="images-unknown-status",
    ),
    pytest.param(
        inventory(
            images(image(region="xx-nowhere-9")), "images.csv", 2, column="region", says="unknown region"
        ),
        id="images-unknown-region",
    ),
    pytest.param(
        inventory(
            images(image(region="Virginia")), "images.csv", 2, column="region", says="not a region code"
        ),
        id="images-malformed-region",
    ),
    pytest.param(
        inventory(
            images(image(account="12345678901")), "images.csv", 2, column="account_id", says="12-digit"
        ),
        id="images-account-11-digits",
    ),
    pytest.param(
        inventory(
            images(image(account="abcdefghijkl")), "images.csv", 2, column="account_id", says="12-digit"
        ),
        id="images-account-letters",
    ),
    pytest.param(
        inventory(images(image(repo="")), "images.csv", 2, column="repository", says="blank"),
        id="images-blank-repository",
    ),
    pytest.param(
        inventory(
            images(image(repo="Team-A/Web")),
            "images.csv",
            2,
            column="repository",
            says="not a valid repository",
        ),
        id="images-uppercase-repository",
    ),
    pytest.param(
        inventory(images(image(digest="latest")), "images.csv", 2, column="image_digest", says="digest"),
        id="images-malformed-digest",
    ),
    pytest.param(
        inventory(
            images(
                image() + ',"v1\nlatest"',
                image(digest=D2) + ',"a\n\nb"',
                image(digest=D3, size="x") + ",",
                header=IMAGES_HEADER + ",image_tags",
            ),
            "images.csv",
            7,
            column="size_bytes",
            says="whole",
        ),
        id="images-line-after-quoted-newlines",
    ),
    pytest.param(
        inventory(
            images(image(), image(digest=D2), image(digest=D1, size="5")),
            "images.csv",
            4,
            column="image_digest",
            says="line 2",
        ),
        id="images-duplicate-rows",
    ),
    # layers.csv
    pytest.param(
        inventory(
            {"layers.csv": lines(LAYERS_HEADER, layer(D1), layer(D3, L2))},
            "layers.csv",
            3,
            column="image_digest",
            says=D3,
        ),
        id="layers-reference-missing-image",
    ),
    pytest.param(
        inventory(
            {"layers.csv": lines(LAYERS_HEADER, layer(D1, repo="team-a/api"))},
            "layers.csv",
            2,
            column="image_digest",
            says="team-a/api",
        ),
        id="layers-image-in-other-repository",
    ),
    pytest.param(
        inventory(
            {"images.csv": lines(IMAGES_HEADER), "layers.csv": LAYERS_OK},
            "layers.csv",
            2,
            column="image_digest",
            says="not in images",
        ),
        id="layers-without-any-images",
    ),
    pytest.param(
        inventory(
            {"layers.csv": lines(LAYERS_HEADER, layer(D1, L1), layer("sha256:not hex!", L2))},
            "layers.csv",
            3,
            column="image_digest",
            says="'sha256:not hex!' is not a valid digest",
        ),
        id="layers-image-digest-not-a-digest",  # found by the orphan check: no image has it
    ),
    pytest.param(
        inventory(
            {"layers.csv": lines(LAYERS_HEADER, layer(size="-1"))},
            "layers.csv",
            2,
            column="size_bytes",
            says="negative",
        ),
        id="layers-negative-size",
    ),
    pytest.param(
        inventory(
            {"layers.csv": lines("repository,image_digest,size_bytes", f"team-a/web,{D1},5")},
            "layers.csv",
            1,
            column="layer_digest",
            says="missing required",
        ),
        id="layers-missing-column",
    ),
    pytest.param(
        inventory(
            {"layers.csv": lines(LAYERS_HEADER + ",created", layer() + ",x")},
            "layers.csv",
            1,
            column="created",
            says="unknown column",
        ),
        id="layers-unknown-column",
    ),
    pytest.param(
        inventory(
            {"layers.csv": lines(LAYERS_HEADER, layer(blob="nope"))},
            "layers.csv",
            2,
            column="layer_digest",
            says="digest",
        ),
        id="layers-malformed-digest",
    ),
    pytest.param(inventory({"layers.csv": " \n"}, "layers.csv", says="empty"), id="layers-empty-file"),
    # transfer.csv
    pytest.param(
        inventory(
            {"transfer.csv": lines("repository,internet_out_gb", "team-a/web,-1")},
            "transfer.csv",
            2,
            column="internet_out_gb",
            says="negative",
        ),
        id="transfer-negative",
    ),
    pytest.param(
        inventory(
            {"transfer.csv": lines("repository,internet_out_gb", "team-a/web,lots")},
            "transfer.csv",
            2,
            column="internet_out_gb",
            says="not a number",
        ),
        id="transfer-non-numeric",
    ),
    pytest.param(
        inventory(
            {"transfer.csv": lines("repository,region", "team-a/web,eu-nowhere-1")},
            "transfer.csv",
            2,
            column="region",
            says="unknown region",
        ),
        id="transfer-unknown-region",
    ),
    pytest.param(
        inventory(
            {"transfer.csv": lines("repository,registry", "team-a/web,hub")},
            "transfer.csv",
            2,
            column="registry",
            says="hub",
        ),
        id="transfer-unknown-registry",
    ),
    pytest.param(
        inventory(
            {"transfer.csv": lines("repository,storage_gb", "team-a/web,1")},
            "transfer.csv",
            1,
            column="storage_gb",
            says="unknown column",
        ),
        id="transfer-unknown-column",
    ),
]


def ts(*values: datetime | None) -> pa.Array:
    return pa.array(list(values), pa.timestamp("us", tz="UTC"))


SEPT = datetime(2026, 9, 1, tzinfo=UTC)

INVENTORY_PARQUET_CASES = [
    pytest.param(
        inventory(
            {"images.parquet": images_table(size_bytes=pa.array([1.0, 1.5]))},
            "images.parquet",
            row=2,
            column="size_bytes",
            says="whole",
        ),
        id="parquet-float-size-1.5",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(size_bytes=pa.array([1, -2], pa.int64()))},
            "images.parquet",
            row=2,
            column="size_bytes",
            says="negative",
        ),
        id="parquet-negative-int-size",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(size_bytes=pa.array([-1.0, 2.0]))},
            "images.parquet",
            row=1,
            column="size_bytes",
            says="negative",
        ),
        id="parquet-negative-float-size",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(size_bytes=pa.array([1.0, float("nan")]))},
            "images.parquet",
            row=2,
            column="size_bytes",
            says="finite",
        ),
        id="parquet-nan-size",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(size_bytes=pa.array([float("inf"), 1.0]))},
            "images.parquet",
            row=1,
            column="size_bytes",
            says="finite",
        ),
        id="parquet-inf-size",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(size_bytes=pa.array([1, None], pa.int64()))},
            "images.parquet",
            row=2,
            column="size_bytes",
            says="missing",
        ),
        id="parquet-null-size",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(size_bytes=pa.array([1.0, 1e30]))},
            "images.parquet",
            row=2,
            column="size_bytes",
            says="too large",
        ),
        id="parquet-float-size-beyond-int64",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(size_bytes=pa.array([1, 2**63 + 5], pa.uint64()))},
            "images.parquet",
            row=2,
            column="size_bytes",
            says="too large",
        ),
        id="parquet-uint64-size-beyond-int64",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(size_bytes=pa.array([True, False]))},
            "images.parquet",
            column="size_bytes",
            says="whole number",
        ),
        id="parquet-bool-size",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(pushed_at=pa.array([PUSHED, "last tuesday"]))},
            "images.parquet",
            row=2,
            column="pushed_at",
            says="ISO 8601",
        ),
        id="parquet-unparseable-timestamp-text",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(pushed_at=ts(SEPT, None))},
            "images.parquet",
            row=2,
            column="pushed_at",
            says="blank",
        ),
        id="parquet-null-timestamp",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(deleted_at=ts(None, datetime(2026, 8, 1, tzinfo=UTC)))},
            "images.parquet",
            row=2,
            column="deleted_at",
            says="before it was pushed",
        ),
        id="parquet-deleted-before-pushed",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(image_digest=pa.array([D1, D1]))},
            "images.parquet",
            row=2,
            column="image_digest",
            says="row 1",
        ),
        id="parquet-duplicate-image",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(image_status=pa.array(["ACTIVE", "DELETED"]))},
            "images.parquet",
            row=2,
            column="image_status",
            says="DELETED",
        ),
        id="parquet-unknown-status",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(repository=pa.array([1, 2]))},
            "images.parquet",
            column="repository",
            says="text",
        ),
        id="parquet-numeric-repository",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(repository=pa.array(["team-a/web", None]))},
            "images.parquet",
            row=2,
            column="repository",
            says="missing",
        ),
        id="parquet-null-repository",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table(colour=pa.array(["r", "g"]))},
            "images.parquet",
            column="colour",
            says="unknown column",
        ),
        id="parquet-unknown-column",
    ),
    pytest.param(
        inventory(
            {"images.parquet": images_table().drop_columns(["pushed_at"])},
            "images.parquet",
            column="pushed_at",
            says="missing required",
        ),
        id="parquet-missing-column",
    ),
    pytest.param(
        inventory(
            {"images.parquet": b"PAR1 this is not really parquet"},
            "images.parquet",
            says="not a readable Parquet",
        ),
        id="parquet-garbage",
    ),
    pytest.param(
        inventory({"images.parquet": b""}, "images.parquet", says="not a readable Parquet"),
        id="parquet-empty-file",
    ),
    pytest.param(
        inventory(
            {"images.parquet": lines(IMAGES_HEADER, image())}, "images.parquet", says="not a readable Parquet"
        ),
        id="parquet-that-is-csv",
    ),
    pytest.param(
        inventory(
            {"images.parquet": parquet_bytes(images_table())[:-20]},
            "images.parquet",
            says="not a readable Parquet",
        ),
        id="parquet-truncated",
    ),
    pytest.param(
        inventory(
            {
                "images.parquet": images_table(),
                "layers.parquet": pa.table(
                    {
                        "repository": ["team-a/web"] * 2,
                        "image_digest": [D1, D3],
                        "layer_digest": [L1, L2],
                        "size_bytes": [1, 2],
                    }
                ),
            },
            "layers.parquet",
            row=2,
            column="image_digest",
            says=D3,
        ),
        id="parquet-layers-reference-missing-image",
    ),
    pytest.param(
        inventory(
            {"transfer.parquet": pa.table({"repository": ["team-a/web"], "internet_out_gb": [float("nan")]})},
            "transfer.parquet",
            row=1,
            column="internet_out_gb",
            says="finite",
        ),
        id="parquet-transfer-nan",
    ),
    pytest.param(
        inventory(
            {"transfer.parquet": pa.table({"repository": ["team-a/web"], "internet_out_gb": [-0.5]})},
            "transfer.parquet",
            row=1,
            column="internet_out_gb",
            says="negative",
        ),
        id="parquet-transfer-negative",
    ),
]


def _drop_none(files: Files) -> Files:
    return {name: content for name, content in files.items() if content is not None}


@pytest.mark.parametrize("case", INVENTORY_CSV_CASES + INVENTORY_PARQUET_CASES)
def test_inventory_errors(tmp_path: Path, case: Case) -> None:
    materialize(tmp_path, _drop_none(case.files))
    (tmp_path / "inv").mkdir(exist_ok=True)
    result, out = estimate(tmp_path, tmp_path / case.target)
    assert_one_error(result, out, location(tmp_path / case.file, case.line, case.row, case.column), case.says)


# ------------------------------------------------------------------------------------- paths and options


def test_path_that_does_not_exist(tmp_path: Path) -> None:
    result, out = estimate(tmp_path, tmp_path / "nowhere.csv")
    assert_one_error(result, out, location(tmp_path / "nowhere.csv"), "no such file")


def test_folder_that_does_not_exist(tmp_path: Path) -> None:
    result, out = estimate(tmp_path, tmp_path / "nowhere")
    assert_one_error(result, out, location(tmp_path / "nowhere"), "no such file or folder")


@pytest.mark.parametrize("name", ["images.csv", "layers.csv", "transfer.csv", "images.parquet"])
def test_one_table_of_an_inventory(tmp_path: Path, name: str) -> None:
    materialize(tmp_path, {f"inv/{name}": IMAGES_OK})
    result, out = estimate(tmp_path, tmp_path / "inv" / name)
    assert_one_error(result, out, location(tmp_path / "inv" / name), "pass its folder")


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_not_a_regular_file(tmp_path: Path) -> None:
    result, out = estimate(tmp_path, "/dev/null")
    assert_one_error(result, out, location(Path("/dev/null")), "not a regular file")


def valid_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "scenario.csv"
    path.write_text(lines(HDR + ",internet_out_gb", "team-a/web,10,5"))
    return path


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "26-10", "abc", "2026/10", ""])
def test_bad_month(tmp_path: Path, month: str) -> None:
    result, out = estimate(tmp_path, valid_scenario(tmp_path), "--month", month)
    assert_one_error(result, out, "error: option --month: ", "YYYY-MM")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("abc", "not a number"),
        ("", "not a number"),
        ("inf", "between 0 and"),
        ("nan", "between 0 and"),
        ("-5", "between 0 and"),
    ],
)
def test_bad_free_internet_gb(tmp_path: Path, value: str, says: str) -> None:
    result, out = estimate(tmp_path, valid_scenario(tmp_path), "--free-internet-gb", value)
    assert_one_error(result, out, "error: option --free-internet-gb: ", says)


BUNDLED_REGION_PATCH = {"regions": {"us-east-1": {"storage": {"value": "0.2"}}}}

PRICE_FILES = [
    pytest.param("prices.json", '{"regions": {\n  "us-east-1": \n', 3, "JSON", id="malformed-json"),
    pytest.param("prices.json", "", 1, "JSON", id="empty-file"),
    pytest.param("prices.json", b"\xff\xfe{\x00}\x00", None, "JSON", id="not-utf-8"),
    pytest.param("prices.json", "[1, 2]", None, "JSON object", id="not-an-object"),
    pytest.param(
        "prices.json",
        json.dumps({"regions": {"zz-new-1": {"storage": {"value": 0.1}}}}),
        None,
        "lacks",
        id="new-region-missing-fields",
    ),
    pytest.param(
        "prices.json",
        json.dumps({"regions": {"us-east-1": {"storage": {"value": "cheap"}}}}),
        None,
        "malformed",
        id="non-numeric-price",
    ),
    pytest.param(
        "prices.json",
        json.dumps({"regions": {"us-east-1": {"storage": {"value": -1}}}}),
        None,
        "finite number",
        id="negative-price",
    ),
    pytest.param(
        "prices.json",
        json.dumps({"regions": {"us-east-1": {"storage": {"value": "NaN"}}}}),
        None,
        "finite",
        id="nan-price",
    ),
    pytest.param(
        "prices.json",
        json.dumps({"regions": {"us-east-1": None}}),
        None,
        "regions.us-east-1: must be a JSON object",
        id="null-region",
    ),
    pytest.param(
        "prices.json",
        json.dumps(
            {"regions": {"us-east-1": {"internet_out": {"tiers": [{"up_to_gb": 10, "usd_per_gb": 0.09}]}}}}
        ),
        None,
        "open tier",
        id="tiers-without-open-end",
    ),
    pytest.param("missing.json", None, None, "not found", id="file-not-found"),
]


@pytest.mark.parametrize(("name", "content", "line", "says"), PRICE_FILES)
def test_bad_price_file(
    tmp_path: Path, name: str, content: str | bytes | None, line: int | None, says: str
) -> None:
    prices = tmp_path / name
    if content is not None:
        materialize(tmp_path, {name: content})
    result, out = estimate(tmp_path, valid_scenario(tmp_path), "--prices", str(prices))
    message = assert_one_error(result, out, location(prices, line), says)
    assert "Traceback" not in message


def test_price_file_missing_a_field_names_it(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"regions": {"zz-new-1": {"storage": {"value": 0.1}}}}))
    result, out = estimate(tmp_path, valid_scenario(tmp_path), "--prices", str(prices))
    message = assert_one_error(result, out, location(prices), "regions.zz-new-1 lacks")
    assert "inter_region_out" in message or "billing_code" in message or "archive_storage" in message


# Errors outside the input readers: the price file, options, the output path, usage errors.


def test_price_file_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "prices").mkdir()
    result, out = estimate(tmp_path, valid_scenario(tmp_path), "--prices", str(tmp_path / "prices"))
    assert_one_error(result, out, location(tmp_path / "prices"))


def test_absurd_free_internet_gb(tmp_path: Path) -> None:
    result, out = estimate(tmp_path, valid_scenario(tmp_path), "--free-internet-gb", "1e30")
    assert_one_error(result, out, "error: option --free-internet-gb: ")


def test_month_with_fullwidth_digits(tmp_path: Path) -> None:
    result, out = estimate(tmp_path, valid_scenario(tmp_path), "--month", "２０２６-10")
    assert_one_error(result, out, "error: option --month: ", "YYYY-MM")


def test_output_is_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    result = runner.invoke(
        app,
        [
            "estimate",
            str(valid_scenario(tmp_path)),
            "--month",
            "2026-10",
            "--format",
            "json",
            "--output",
            str(folder),
        ],
    )
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


def test_usage_error_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["estimate", str(valid_scenario(tmp_path)), "--format", "xml"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr


# ------------------------------------------------------------------------------- a real process, raw stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from ecrcost.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow  # a new Python process per case
@pytest.mark.parametrize(
    ("files", "target", "says"),
    [
        pytest.param({"s.csv": b"\x1f\x8b\x08\x00\x00\x00\x00\x00"}, "s.csv", "gzip", id="gzip"),
        pytest.param({"s.csv": lines(HDR, '"we\nb",1')}, "s.csv", "we\\nb", id="newline-in-value"),
        pytest.param(
            {"inv/images.parquet": images_table(size_bytes=pa.array([1.5, 2.0]))},
            "inv",
            "row 1",
            id="parquet-float",
        ),
    ],
)
def test_subprocess_stderr_is_one_line(tmp_path: Path, files: Files, target: str, says: str) -> None:
    materialize(tmp_path, files)
    out = tmp_path / "out.json"
    proc = _cli(
        "estimate", str(tmp_path / target), "--format", "json", "--output", str(out), "--month", "2026-10"
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: "), proc.stderr
    assert says in proc.stderr
    assert not out.exists()


# ----------------------------------------------------------------------------------------------- happy paths


def assert_ok(result: Result, out: Path) -> dict:
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert result.stderr == ""
    return json.loads(out.read_text())


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(lines(HDR + ",internet_out_gb", "team-a/web,10,5"), id="plain"),
        pytest.param("\ufeff repository , storage_gb \r\n team-a/web , 1 \r\n", id="bom-crlf-spaces"),
        pytest.param(
            lines(
                '"repository","storage_gb","region","storage_class","registry"',
                '"team-a/web","1.5","eu-west-1","ARCHIVE","Private"',
            ),
            id="quoted-and-case-folded",
        ),
        pytest.param(
            lines(HDR, "team-a/web,+1e1", "team-b/api,.5", "team-c/x,5.", ""), id="number-spellings"
        ),
        pytest.param("repository,storage_gb\rteam-a/web,1\rteam-b/api,2", id="cr-newlines-no-final-newline"),
        pytest.param(
            lines(
                HDR + ",account_id,destination_region,cross_region_out_gb",
                "team-a/web,1,,,",
                "team-a/web,1,123456789012,us-west-2,3",
            ),
            id="blank-optionals",
        ),
    ],
)
def test_valid_scenarios(tmp_path: Path, text: str) -> None:
    (tmp_path / "scenario.csv").write_bytes(text.encode())
    doc = assert_ok(*estimate(tmp_path, tmp_path / "scenario.csv"))
    assert doc["period"] == "2026-10"
    assert float(doc["total_usd"]) > 0


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(lines(HDR), id="header-only"),
        pytest.param(HDR, id="header-only-no-newline"),
        pytest.param("\ufeff" + lines(HDR, "", "", end="\r\n"), id="header-bom-crlf-blank-lines"),
    ],
)
def test_header_only_scenario_is_ok(tmp_path: Path, text: str) -> None:
    (tmp_path / "scenario.csv").write_bytes(text.encode())
    result, out = estimate(tmp_path, tmp_path / "scenario.csv")
    doc = assert_ok(result, out)
    assert float(doc["total_usd"]) == 0
    assert doc["repositories"] == []


@pytest.mark.parametrize("zero", ["-0", "-0.0", "+0", "-.0", "0e5", "-0e-3"])
def test_negative_zero_is_zero(tmp_path: Path, zero: str) -> None:
    (tmp_path / "scenario.csv").write_text(lines(HDR + ",internet_out_gb", f"team-a/web,{zero},{zero}"))
    doc = assert_ok(*estimate(tmp_path, tmp_path / "scenario.csv"))
    assert float(doc["total_usd"]) == 0
    assert not str(doc["total_usd"]).startswith("-")


@pytest.mark.parametrize("zero", ["-0", "0.0", "-0.0"])
def test_negative_zero_bytes_is_zero(tmp_path: Path, zero: str) -> None:
    materialize(tmp_path, {"inv/images.csv": lines(IMAGES_HEADER, image(size=zero))})
    doc = assert_ok(*estimate(tmp_path, tmp_path / "inv"))
    assert float(doc["storage_usd"]) == 0


def test_valid_inventory_csv(tmp_path: Path) -> None:
    materialize(
        tmp_path,
        {
            "inv/images.csv": lines(
                IMAGES_HEADER + ",image_status,deleted_at",
                image(digest=D1) + ",active,",
                image(digest=D2, size="100.0") + ",ARCHIVED,2026-10-15T00:00:00Z",
            ),
            "inv/layers.csv": LAYERS_OK,
            "inv/transfer.csv": lines(
                "repository,internet_out_gb,cross_region_out_gb,destination_region",
                "team-a/web,10,,",
                "team-a/web,,5,eu-west-1",
            ),
        },
    )
    doc = assert_ok(*estimate(tmp_path, tmp_path / "inv"))
    assert float(doc["total_usd"]) > 0


def test_header_only_inventory_is_ok(tmp_path: Path) -> None:
    materialize(tmp_path, {"inv/images.csv": lines(IMAGES_HEADER), "inv/layers.csv": LAYERS_HEADER})
    doc = assert_ok(*estimate(tmp_path, tmp_path / "inv"))
    assert float(doc["total_usd"]) == 0


def test_valid_inventory_parquet(tmp_path: Path) -> None:
    materialize(
        tmp_path,
        {
            "inv/images.parquet": images_table(
                size_bytes=pa.array([2.0**30, -0.0]),
                region=pa.array(["us-east-1", None]),
                deleted_at=ts(None, None),
            ),
            "inv/transfer.parquet": pa.table(
                {"repository": ["team-a/web"], "internet_out_gb": pa.array([None], pa.float64())}
            ),
        },
    )
    doc = assert_ok(*estimate(tmp_path, tmp_path / "inv"))
    assert float(doc["storage_usd"]) > 0
    assert float(doc["transfer_usd"]) == 0


def test_bundled_sample_still_loads(tmp_path: Path) -> None:
    from ecrcost.sources.load import sample_path

    doc = assert_ok(*estimate(tmp_path, sample_path()))
    assert float(doc["total_usd"]) > 0
