"""`ecrcost diff A B`: per repository and charge, what changes; the changes add up to the change in
total, in every format; one input under two price books."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

from typer.testing import CliRunner

from ecrcost import sample_path
from ecrcost.cli import app

EXAMPLES = Path(__file__).parent.parent / "data" / "examples"
runner = CliRunner()


def scenarios(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("repository,storage_gb,internet_out_gb\nweb,500,850\napi,35,0\ngone,3,0\n", encoding="utf-8")
    b.write_text("repository,storage_gb,internet_out_gb\nweb,520,900\napi,35,0\nnew,5,0\n", encoding="utf-8")
    return a, b


def diff(*args: str | Path) -> dict:
    result = runner.invoke(app, ["diff", *[str(a) for a in args], "--month", "2026-10", "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout, parse_float=D)


def test_changes_per_repository_and_charge_add_up_to_the_change_in_total(tmp_path):
    doc = diff(*scenarios(tmp_path))
    changes = {(c["repository"], c["charge"]): c["change_usd"] for c in doc["changes"]}
    assert changes == {
        ("web", "internet"): D("4.5"),
        ("web", "standard_storage"): D("2"),
        ("new", "standard_storage"): D("0.5"),
        ("gone", "standard_storage"): D("-0.3"),
    }  # api is the same on both sides: not listed
    assert sum(changes.values()) == doc["change_usd"] == doc["b"]["total_usd"] - doc["a"]["total_usd"]
    assert next(iter(changes)) == ("web", "internet")  # largest change first


def test_table_csv_and_markdown_say_the_same(tmp_path):
    a, b = scenarios(tmp_path)
    table = runner.invoke(app, ["diff", str(a), str(b), "--month", "2026-10"]).stdout
    assert "+$4.50" in table and "-$0.30" in table and "+$6.70" in table
    csv = runner.invoke(app, ["diff", str(a), str(b), "--month", "2026-10", "-o", tmp_path / "d.csv"])
    assert csv.exit_code == 0 and csv.stderr == f"wrote {tmp_path / 'd.csv'}\n"
    lines = (tmp_path / "d.csv").read_text().splitlines()
    assert (
        lines[0] == "account_id,region,registry,repository,charge,a_usd,b_usd,change_usd" and len(lines) == 5
    )
    markdown = runner.invoke(app, ["diff", str(a), str(b), "--month", "2026-10", "-f", "markdown"]).stdout
    assert "| web | us-east-1 | Transfer to the internet | $76.50 | $81.00 | +$4.50 |" in markdown


def test_one_input_under_two_price_books():
    doc = diff(sample_path(), sample_path(), "--prices-b", EXAMPLES / "prices-edp.json")
    assert doc["changes"] and {c["charge"] for c in doc["changes"]} == {"standard_storage"}
    assert doc["change_usd"] < 0  # the EDP book lowers us-east-1 storage
    assert diff(sample_path(), sample_path())["changes"] == []


def test_a_bad_input_is_one_line(tmp_path):
    a, _ = scenarios(tmp_path)
    result = runner.invoke(app, ["diff", str(a), str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "missing.csv" in result.stderr
