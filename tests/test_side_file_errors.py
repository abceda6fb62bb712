"""Side files and options (issue 10, section 5): ``collection.json``, the repositories' tags, lifecycle
policies, ``--prices`` files, huge numbers, Parquet column types, links and encodings. Each bad one is
exit 2 and one line naming the file and the place, with no output file left; what a user means is
accepted (a UTF-8 byte-order mark, list-typed image tags). User text is never read as rich markup or
matplotlib mathtext, and control characters from an input never reach the terminal.

The helpers (``inventory``, ``estimate``, ``assert_one_error``, ``location``) are those of
``test_input_errors.py``: the same contract, the same checks.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
import typer
from test_input_errors import (
    HDR,
    IMAGES_OK,
    Case,
    Files,
    assert_ok,
    estimate,
    images_table,
    inventory,
    lines,
    location,
    materialize,
    runner,
    valid_scenario,
)
from test_input_errors import assert_one_error as _assert_one_error
from typer.testing import CliRunner, Result

from ecrcost.cli import app
from ecrcost.cli.main import OneLineErrors
from ecrcost.core.pricebook import load_pricebook
from ecrcost.sources.load import load

DEEP = "[" * 100_000 + "]" * 100_000  # beyond the JSON parser's recursion limit
NESTED = "[" * 500 + "]" * 500  # under it: parsed, then refused before any code walks it


def assert_one_error(result: Result, out: Path, prefix: str, says: str = "") -> str:
    """As in test_input_errors, and the message never carries a raw control character."""
    message = _assert_one_error(result, out, prefix, says)
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in message), repr(message)
    return message


def collection(doc: object) -> Files:
    return {"collection.json": doc if isinstance(doc, str | bytes) else json.dumps(doc)}


# ------------------------------------------------------------------------------------- collection.json

COLLECTION_CASES = [
    pytest.param(collection({"coverage": {"gaps": 5}}), "coverage.gaps", id="gaps-a-number"),
    pytest.param(collection({"coverage": {"gaps": ["x"]}}), "coverage.gaps[0]", id="gap-not-an-object"),
    pytest.param(
        collection({"coverage": {"gaps": [{"repository": ["a"]}]}}),
        "coverage.gaps[0].repository",
        id="gap-value-a-list",
    ),
    pytest.param(collection({"coverage": []}), "coverage", id="coverage-a-list"),
    pytest.param(collection({"transfer": "abc"}), "transfer", id="transfer-text"),
    pytest.param(
        collection({"transfer": {"bytes_per_pull": {"a": 1}}}), "transfer.bytes_per_pull", id="t-obj"
    ),
    pytest.param(collection({"month": 202610}), "month", id="month-a-number"),
    pytest.param(collection("[1, 2]"), "JSON object", id="not-an-object"),
    pytest.param(collection('{"coverage": ' + DEEP + "}"), "levels deep", id="nested-past-the-parser"),
    pytest.param(
        collection({"coverage": {"gaps": [json.loads("[" * 20 + "]" * 20)]}}),
        "levels deep (at coverage.gaps[0][0][0]",
        id="nested-a-little-too-deep",
    ),
    pytest.param(collection('{"coverage": ' + NESTED + "}"), "levels deep", id="nested-under-the-parser"),
    pytest.param(collection('{"coverage": {'), "JSON", id="truncated"),
    pytest.param(
        collection('{"n": ' + "9" * 5000 + "}"), "too many digits to read", id="integer-of-5000-digits"
    ),
    pytest.param(collection("{}".encode("utf-32")), "UTF-32", id="utf-32"),
    pytest.param(collection(b'{"month": "\xff"}'), "UTF-8", id="not-utf-8"),
]


@pytest.mark.parametrize(("files", "says"), COLLECTION_CASES)
def test_bad_collection_summary(tmp_path: Path, files: Files, says: str) -> None:
    case = inventory(files, "collection.json")
    materialize(tmp_path, case.files)
    result, out = estimate(tmp_path, tmp_path / "inv")
    # where the decoder or the parser stopped (past the parser's limit, a scan finds the line)
    line = 1 if says in ("JSON", "UTF-8") or DEEP in str(files.get("collection.json")) else None
    assert_one_error(result, out, location(tmp_path / case.file, line), says)


def test_collection_summary_that_is_a_broken_link(tmp_path: Path) -> None:
    materialize(tmp_path, {"inv/images.csv": IMAGES_OK})
    (tmp_path / "inv" / "collection.json").symlink_to(tmp_path / "gone.json")
    result, out = estimate(tmp_path, tmp_path / "inv")
    assert_one_error(result, out, location(tmp_path / "inv" / "collection.json"), "broken symbolic link")


def test_compare_names_the_month_of_its_collection_summary(tmp_path: Path) -> None:
    materialize(tmp_path, {"inv/images.csv": IMAGES_OK, "old/images.csv": IMAGES_OK})
    materialize(tmp_path, {"old/collection.json": json.dumps({"month": "2026-13"})})
    html = tmp_path / "out" / "report.html"
    args = ["report", str(tmp_path / "inv"), "--month", "2026-10", "--html", str(html)]
    result = runner.invoke(app, [*args, "--compare", str(tmp_path / "old")])
    assert_one_error(result, html, location(tmp_path / "old" / "collection.json"), "month")


def test_collection_summary_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    doc = {"month": "2026-10", "coverage": {"gaps": [{"repository": "team-a/web", "operation": "Op"}]}}
    materialize(tmp_path, {"inv/images.csv": IMAGES_OK})
    (tmp_path / "inv" / "collection.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(doc).encode())
    result, out = estimate(tmp_path, tmp_path / "inv")
    notes = assert_ok(result, out)["notes"]
    assert any("Partial coverage: 1 item(s)" in n and "team-a/web Op" in n for n in notes), notes


ESCAPES = "a\x1b[31mRED\x1b]0;pwned\x07\rb"


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_control_characters_from_collection_json_never_reach_the_terminal(tmp_path: Path, fmt: str) -> None:
    doc = {"coverage": {"gaps": [{"repository": ESCAPES, "operation": "x"}]}}
    materialize(
        tmp_path, {"inv/images.csv": IMAGES_OK, **{f"inv/{k}": v for k, v in collection(doc).items()}}
    )
    command = "report" if fmt == "table" else "estimate"
    extra = [] if fmt == "table" else ["--format", "markdown"]
    result = runner.invoke(app, [command, str(tmp_path / "inv"), "--month", "2026-10", *extra])
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "Partial coverage" in result.stdout
    assert "\\x1b[31mRED\\x1b]0;pwned\\x07\\rb" in result.stdout.replace("\n", "").replace("│", "").replace(
        " ", ""
    )
    assert not any(c in result.stdout for c in "\x1b\x07\r"), "a raw control character reached the terminal"


# -------------------------------------------------------------------------------------- repositories tags


def test_deeply_nested_repository_tags(tmp_path: Path) -> None:
    tags = '"' + "[" * 5000 + "]" * 5000 + '"'
    case = inventory({"repositories.csv": lines("repository,tags", f"team-a/web,{tags}")}, "repositories.csv")
    materialize(tmp_path, case.files)
    result, out = estimate(tmp_path, tmp_path / "inv")
    assert_one_error(result, out, location(tmp_path / case.file, 2, None, "tags"), "JSON object")


# -------------------------------------------------------------------------------------- lifecycle policies


def rule(**selection: object) -> dict[str, object]:
    base: dict[str, object] = {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}
    base.update(selection)
    action = {"type": "transition", "targetStorageClass": "archive"}
    if selection.get("countType") != "sinceImagePulled":
        action = {"type": "expire"}
    return {"rules": [{"rulePriority": 1, "selection": base, "action": action}]}


def lifecycle(tmp_path: Path, policy: Path, *extra: str) -> tuple[Result, Path]:
    materialize(tmp_path, {"inv/images.csv": IMAGES_OK})
    out = tmp_path / "out" / "what-if.json"
    args = ["lifecycle", str(tmp_path / "inv"), "--policy", str(policy), "--as-of", "2026-10-15T00:00:00Z"]
    return runner.invoke(app, [*args, "--format", "json", "--output", str(out), *extra]), out


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param('{"rules": ' + NESTED + "}", "levels deep", id="nested-arrays"),
        pytest.param(
            '{"rules": [' + '{"a":' * 5000 + "1" + "}" * 5000 + "]}", "levels deep", id="nested-objects"
        ),
        pytest.param(json.dumps(rule(countNumber=10**30)), "countNumber", id="count-10e30"),
        pytest.param(
            json.dumps(rule(countType="sinceImagePushed", countUnit="days", countNumber=2**31)),
            "at most 2,147,483,647",
            id="days-2e31",
        ),
        pytest.param(b"\xff\xfe\x00\x00" + "{}".encode("utf-32-le"), "UTF-32", id="utf-32"),
        pytest.param(b"\xff\xfe" + "{}".encode("utf-16-le"), "UTF-16", id="utf-16"),
    ],
)
def test_bad_policy_file(tmp_path: Path, text: str | bytes, says: str) -> None:
    policy = tmp_path / "policy.json"
    policy.write_bytes(text if isinstance(text, bytes) else text.encode())
    if isinstance(text, str):
        assert len(text) <= 30_720, "under ECR's size limit: the nesting is what is refused"
    result, out = lifecycle(tmp_path, policy)
    past_the_parser = isinstance(text, str) and text.count("{") > 1000
    assert_one_error(result, out, location(policy, 1 if past_the_parser else None), says)


def test_policy_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_bytes(b"\xef\xbb\xbf" + json.dumps(rule()).encode())
    result, out = lifecycle(tmp_path, policy)
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert json.loads(out.read_text())["policies"][0]["policy"] == "policy.json"


@pytest.mark.parametrize("days", [200_000, 2**31 - 1])
def test_more_days_than_a_timedelta_holds_expire_nothing(tmp_path: Path, days: int) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(rule(countType="sinceImagePushed", countUnit="days", countNumber=days)))
    result, out = lifecycle(tmp_path, policy)
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert json.loads(out.read_text())["policies"][0]["expired"] == []


def test_policy_named_like_markup_is_shown_as_written(tmp_path: Path) -> None:
    policy = tmp_path / "keep-[bold]x.json"
    policy.write_text(json.dumps(rule()))
    materialize(tmp_path, {"inv/images.csv": IMAGES_OK})
    args = ["lifecycle", str(tmp_path / "inv"), "--policy", str(policy), "--as-of", "2026-10-15T00:00:00Z"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "keep-[bold]x.json" in result.stdout


# -------------------------------------------------------------------------------------------- --prices


def prices_case(doc: object, says: str, line: int | None = None) -> tuple[str | bytes, str, int | None]:
    text = doc if isinstance(doc, str | bytes) else json.dumps(doc)
    return text, says, line


def storage(value: object, **more: object) -> dict[str, object]:
    return {"regions": {"us-east-1": {"storage": {"value": value, **more}}}}


PRICE_CASES = [
    pytest.param(*prices_case('{"regions": ' + DEEP + "}", "levels deep", 1), id="nested-past-the-parser"),
    pytest.param(*prices_case('{"regions": ' + NESTED + "}", "levels deep"), id="nested-under-the-parser"),
    pytest.param(*prices_case(storage("1e100000"), "regions.us-east-1.storage"), id="exponent-1e100000"),
    pytest.param(*prices_case(storage("1e-100000"), "out of range"), id="exponent-1e-100000"),
    pytest.param(*prices_case(storage("9" * 5000), "out of range"), id="5000-digit-text"),
    pytest.param(
        *prices_case('{"n": ' + "9" * 5000 + "}", "too many digits to read"), id="5000-digit-integer"
    ),
    pytest.param(*prices_case(storage(1e300), "out of range"), id="1e300"),
    pytest.param(*prices_case(storage(True), "must be a number"), id="boolean"),
    pytest.param(
        *prices_case({"regions": {"us-east-1": {"storag": {"value": "0.2"}}}}, "did you mean 'storage'"),
        id="typo-item",
    ),
    pytest.param(*prices_case({"regons": {}}, "did you mean 'regions'"), id="typo-top"),
    pytest.param(*prices_case({"currency": "EUR"}, 'currency: must be "USD"'), id="currency-eur"),
    pytest.param(*prices_case({"schema_version": 2}, "schema_version: must be 1"), id="schema-2"),
    pytest.param(*prices_case(storage("0.2", vaule="0.3"), "did you mean 'value'"), id="typo-field"),
    pytest.param(
        *prices_case(
            {"regions": {"us-east-1": {"internet_out": {"tiers": [{"up_to": None, "usd_per_gb": "1"}]}}}},
            "regions.us-east-1.internet_out.tiers[0].up_to: unknown key (did you mean 'up_to_gb'?)",
        ),
        id="typo-tier",
    ),
    pytest.param(
        *prices_case({"regions": {"us-esat-1": {"storage": {"value": "0.2"}}}}, "did you mean 'us-east-1'"),
        id="typo-region",
    ),
    pytest.param(*prices_case({"public": {"storage": {"vale": 1}}}, "public.storage.vale"), id="typo-public"),
    pytest.param(*prices_case({"sources": {"s": {"titel": "x"}}}, "sources.s.titel"), id="typo-source"),
    pytest.param(
        *prices_case(storage("0.2", source=["x"]), "storage.source: must be text"), id="source-list"
    ),
    pytest.param(*prices_case({"regions": []}, "regions: must be a JSON object"), id="regions-a-list"),
    pytest.param(*prices_case(b"\xff\xfe\x00\x00{\x00\x00\x00}\x00\x00\x00", "UTF-32"), id="utf-32"),
]


@pytest.mark.parametrize(("content", "says", "line"), PRICE_CASES)
def test_bad_price_file(tmp_path: Path, content: str | bytes, says: str, line: int | None) -> None:
    prices = tmp_path / "prices.json"
    prices.write_bytes(content if isinstance(content, bytes) else content.encode())
    result, out = estimate(tmp_path, valid_scenario(tmp_path), "--prices", str(prices))
    assert_one_error(result, out, location(prices, line), says)


def test_price_file_that_is_a_broken_link(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.symlink_to(tmp_path / "gone.json")
    result, out = estimate(tmp_path, valid_scenario(tmp_path), "--prices", str(prices))
    assert_one_error(result, out, location(prices), "broken symbolic link")


def test_price_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_bytes(b"\xef\xbb\xbf" + json.dumps(storage("0.2")).encode())
    assert load_pricebook(prices).region("us-east-1").storage == Decimal("0.2")
    result, out = estimate(tmp_path, valid_scenario(tmp_path), "--prices", str(prices))
    assert assert_ok(result, out)["storage_usd"] == pytest.approx(2.0)  # 10 GB-month at $0.20


def test_price_source_is_shown_as_written(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps(storage("0.2", source="[/oops] [bold]x\x1b[2J")))
    result = runner.invoke(app, ["prices", "--prices", str(prices), "--region", "us-east-1"])
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "[/oops] [bold]x\\x1b[2J" in result.stdout
    assert "\x1b" not in result.stdout


# ---------------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "says"),
    [
        pytest.param("9" * 5000, "too many digits", id="5000-digits"),
        pytest.param("1" + "0" * 45, "too many digits", id="46-digits"),
        pytest.param("1e-99999", "too many digits", id="exponent-5-digits"),
        pytest.param("1e9999", "too large", id="exponent-huge"),
        pytest.param("0." + "0" * 50 + "1", "too many digits", id="many-decimals"),
    ],
)
def test_scenario_number_with_too_many_digits(tmp_path: Path, value: str, says: str) -> None:
    case = Case(
        {"scenario.csv": lines(HDR, f"team-a/web,{value}")}, "scenario.csv", line=2, column="storage_gb"
    )
    materialize(tmp_path, case.files)
    result, out = estimate(tmp_path, tmp_path / case.file)
    assert_one_error(result, out, location(tmp_path / case.file, 2, None, "storage_gb"), says)


def test_transfer_number_with_too_many_digits(tmp_path: Path) -> None:
    transfer = lines("repository,internet_out_gb", "team-a/web," + "1" * 5000)
    case = inventory({"transfer.csv": transfer}, "transfer.csv")
    materialize(tmp_path, case.files)
    result, out = estimate(tmp_path, tmp_path / "inv")
    assert_one_error(result, out, location(tmp_path / case.file, 2, None, "internet_out_gb"), "digits")


# ------------------------------------------------------------------------- Parquet types, links, encodings


def test_list_typed_image_tags_are_tags(tmp_path: Path) -> None:
    tags = pa.array([["v1", "latest"], None], pa.list_(pa.string()))
    materialize(tmp_path, {"inv/images.parquet": images_table(image_tags=tags)})
    usage = load(tmp_path / "inv", load_pricebook())
    assert list(usage.images["image_tags"]) == ["v1 latest", ""]
    # and the lifecycle what-if matches them as tags, as it would the same tags written as text
    selection = {"tagStatus": "tagged", "tagPatternList": ["v1"], "countType": "sinceImagePushed"}
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(rule(**selection, countUnit="days", countNumber=1)))
    out = tmp_path / "what-if.json"
    args = ["lifecycle", str(tmp_path / "inv"), "--policy", str(policy), "--as-of", "2026-10-15T00:00:00Z"]
    result = runner.invoke(app, [*args, "--format", "json", "--output", str(out)])
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert len(json.loads(out.read_text())["policies"][0]["expired"]) == 1  # the image tagged v1


def test_large_list_typed_image_tags_with_a_null_item(tmp_path: Path) -> None:
    tags = pa.array([["v1", None, "prod"], []], pa.large_list(pa.string()))
    materialize(tmp_path, {"inv/images.parquet": images_table(image_tags=tags)})
    assert list(load(tmp_path / "inv", load_pricebook()).images["image_tags"]) == ["v1  prod", ""]


@pytest.mark.parametrize(
    ("column", "values", "says"),
    [
        pytest.param("repository", pa.array([["a"], ["b"]]), "single value", id="list-repository"),
        pytest.param("image_tags", pa.array([[1], [2]]), "int64", id="list-of-numbers-tags"),
        pytest.param(
            "manifest_media_type", pa.array([{"a": "x"}, {"a": "y"}]), "struct", id="struct-media-type"
        ),
    ],
)
def test_nested_parquet_column_is_an_error(tmp_path: Path, column: str, values: pa.Array, says: str) -> None:
    materialize(tmp_path, {"inv/images.parquet": images_table(**{column: values})})
    result, out = estimate(tmp_path, tmp_path / "inv")
    assert_one_error(result, out, location(tmp_path / "inv/images.parquet", None, None, column), says)


def test_binary_typed_text_that_is_utf8_is_text(tmp_path: Path) -> None:
    repo = pa.array([b"team-a/web", b"team-a/web"], pa.binary())
    materialize(tmp_path, {"inv/images.parquet": images_table(repository=repo)})
    assert list(load(tmp_path / "inv", load_pricebook()).images["repository"]) == ["team-a/web"] * 2


@pytest.mark.parametrize("table", ["images", "layers"])
def test_binary_typed_text_that_is_not_utf8_names_its_file(tmp_path: Path, table: str) -> None:
    bad = pa.array([b"team-a/web", b"team-a/\xffweb"], pa.binary())
    files: Files
    if table == "images":
        files = {"images.parquet": images_table(repository=bad)}
    else:
        digests = images_table().column("image_digest")
        layers = pa.table(
            {
                "repository": bad,
                "image_digest": digests,
                "layer_digest": pa.array(["sha256:" + "1" * 64] * 2),
                "size_bytes": pa.array([1, 2], pa.int64()),
            }
        )
        files = {"images.parquet": images_table(), "layers.parquet": layers}
    case = inventory(files, f"{table}.parquet")
    materialize(tmp_path, case.files)
    result, out = estimate(tmp_path, tmp_path / "inv")
    assert_one_error(result, out, location(tmp_path / case.file, None, 2, "repository"), "not UTF-8")


@pytest.mark.parametrize("name", ["layers.csv", "transfer.csv", "repositories.parquet", "images.csv"])
def test_table_that_is_a_broken_link_is_not_ignored(tmp_path: Path, name: str) -> None:
    (tmp_path / "inv").mkdir()
    if name != "images.csv":
        materialize(tmp_path, {"inv/images.csv": IMAGES_OK})
    (tmp_path / "inv" / name).symlink_to(tmp_path / "gone.csv")
    result, out = estimate(tmp_path, tmp_path / "inv")
    assert_one_error(result, out, location(tmp_path / "inv" / name), "broken symbolic link")


def test_utf32_csv_is_named_utf32(tmp_path: Path) -> None:
    for encoding in ("utf-32", "utf-32-be"):
        text = lines(HDR, "team-a/web,1").encode(encoding)
        if encoding == "utf-32-be":
            text = b"\x00\x00\xfe\xff" + text
        materialize(tmp_path, {"scenario.csv": text})
        result, out = estimate(tmp_path, tmp_path / "scenario.csv")
        assert_one_error(result, out, location(tmp_path / "scenario.csv"), "UTF-32")


# ---------------------------------------------------------------------------- markup and mathtext


def test_input_named_like_markup_is_shown_as_written(tmp_path: Path) -> None:
    path = tmp_path / "x[" / "y]"
    path.parent.mkdir()
    path.write_text(lines(HDR, "team-a/web,10"))
    result = runner.invoke(app, ["report", str(path), "--month", "2026-10"])
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "x[/y]" in result.stdout


@pytest.mark.slow
def test_compare_label_is_not_mathtext(tmp_path: Path) -> None:
    """An inventory folder named like TeX mathematics labels the cost-over-time chart as written."""
    name = r"inv-$\frac$"
    materialize(tmp_path, {"now/images.csv": IMAGES_OK, f"{name}/images.csv": IMAGES_OK})
    html = tmp_path / "out" / "report.html"
    charts = tmp_path / "out" / "charts"
    args = [
        "report",
        str(tmp_path / "now"),
        "--month",
        "2026-10",
        "--html",
        str(html),
        "--charts",
        str(charts),
    ]
    result = runner.invoke(app, [*args, "--compare", str(tmp_path / name)])
    assert result.exit_code == 0, (result.stderr, result.exception)
    svg = (charts / "cost-over-time.svg").read_text()
    assert r"inv-$\frac$" in svg


# ------------------------------------------------------------------------------- the last-resort net

net = typer.Typer(cls=OneLineErrors, pretty_exceptions_enable=False)


@net.command()
def boom(kind: str) -> None:
    """Raises what the net catches: each stands for a failure no input check foresaw."""
    import decimal

    if kind == "recursion":
        raise RecursionError("maximum recursion depth exceeded")
    if kind == "decimal":
        decimal.Context(traps=[decimal.InvalidOperation]).quantize(
            decimal.Decimal("1e100"), decimal.Decimal(1)
        )
    if kind == "os":
        Path("/nonexistent-ecrcost-dir/file.txt").read_text()
    if kind == "bug":
        raise KeyError("a genuine bug")


@net.command()
def other() -> None:
    pass


@pytest.mark.parametrize(
    ("kind", "code", "says"),
    [
        ("recursion", 2, "nested too deeply"),
        ("decimal", 2, "out of range"),
        ("os", 1, "/nonexistent-ecrcost-dir/file.txt: No such file or directory"),
    ],
)
def test_last_resort_is_one_line(monkeypatch: pytest.MonkeyPatch, kind: str, code: int, says: str) -> None:
    monkeypatch.delenv("ECRCOST_DEBUG", raising=False)
    result = CliRunner().invoke(net, ["boom", kind])
    assert result.exit_code == code, (result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert says in result.stderr and "Traceback" not in result.stderr


def test_ecrcost_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECRCOST_DEBUG", "1")
    result = CliRunner().invoke(net, ["boom", "recursion"])
    assert isinstance(result.exception, RecursionError)


def test_genuine_bugs_are_not_swallowed() -> None:
    result = CliRunner().invoke(net, ["boom", "bug"])
    assert isinstance(result.exception, KeyError)


def test_in_use_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(rule(countType="sinceImagePushed", countUnit="days", countNumber=1)))
    in_use = tmp_path / "in-use.txt"
    in_use.write_bytes(b"\xef\xbb\xbf" + f"team-a/web@{images_table().column('image_digest')[0]}\n".encode())
    result, out = lifecycle(tmp_path, policy, "--in-use", str(in_use))
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert json.loads(out.read_text())["policies"][0]["safe"] is False  # the image in use would expire


@pytest.mark.slow
def test_real_process_stderr_is_one_line(tmp_path: Path) -> None:
    """The console script itself, raw stderr: a price book nested past the parser's recursion limit."""
    from test_input_errors import _cli

    prices = tmp_path / "prices.json"
    prices.write_text('{"regions": ' + DEEP + "}")
    out = tmp_path / "out.json"
    args = ["estimate", str(valid_scenario(tmp_path)), "--month", "2026-10", "--prices", str(prices)]
    proc = _cli(*args, "--format", "json", "--output", str(out))
    assert proc.returncode == 2, proc.stderr
    message = "JSON nested more than 20 levels deep: expected a price book"
    assert proc.stderr == f"error: {prices}, line 1: {message}\n"
    assert proc.stdout == "" and not out.exists()
