"""`ecrcost report --html FILE --charts DIR --history N`: the files, and bad paths failing cleanly."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from ecrcost.cli import app
from ecrcost.outputs.charts import NAMES

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["report", "--month", "2026-11", *[str(a) for a in args]])


def test_charts_writes_png_and_svg_for_each_chart(tmp_path):
    out = tmp_path / "charts"
    result = run("--charts", out)
    assert result.exit_code == 0, result.output
    assert "All 9 repositories" in result.stdout  # the terminal report is still printed
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.{e}" for n in NAMES for e in ("png", "svg"))
    for name in NAMES:
        assert (out / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        assert b"<svg" in (out / f"{name}.svg").read_bytes()


def test_html_writes_one_self_contained_file(tmp_path):
    page = tmp_path / "deep" / "report.html"
    result = run("--html", page)
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "ECR cost report, 2026-11" in text
    assert len(re.findall(r"data:image/svg\+xml;base64,", text)) == len(NAMES)
    assert not list(page.parent.glob(".*.tmp"))


def test_history_prices_n_months(tmp_path):
    page = tmp_path / "r.html"
    assert run("--html", page, "--history", "4").exit_code == 0
    text = page.read_text(encoding="utf-8")
    for month in ("2026-08", "2026-09", "2026-10", "2026-11"):
        assert f'<td class="text">{month}</td>' in text
    assert '<tr class="projection">' not in text


def test_a_scenario_gets_the_charts_it_has_data_for(tmp_path):
    from factories import write_csv

    path = write_csv(tmp_path / "s.csv", [{"repository": "team-a/web", "storage_gb": "3"}])
    out = tmp_path / "c"
    assert run(path, "--charts", out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "namespaces.png",
        "namespaces.svg",
        "top-repositories.png",
        "top-repositories.svg",
    ]


@pytest.mark.parametrize(
    "case", ["html-is-folder", "charts-is-file", "html-under-a-file", "charts-under-a-file"]
)
def test_bad_output_paths_exit_2_with_one_line_and_no_file(tmp_path, case):
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    folder = tmp_path / "folder"
    folder.mkdir()
    args = {
        "html-is-folder": ["--html", folder, "--charts", tmp_path / "c"],
        "charts-is-file": ["--charts", a_file, "--html", tmp_path / "r.html"],
        "html-under-a-file": ["--html", a_file / "r.html"],
        "charts-under-a-file": ["--charts", a_file / "charts"],
    }[case]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert result.stdout == ""  # failed before any work


def test_history_out_of_range_is_a_usage_error():
    result = run("--history", "0")
    assert result.exit_code == 2


def test_compare_puts_several_inventories_on_the_time_chart(tmp_path):
    import json
    import shutil

    from ecrcost.sources.load import sample_path

    earlier = tmp_path / "snapshot-sep"
    shutil.copytree(sample_path(), earlier)
    (earlier / "collection.json").write_text(json.dumps({"month": "2026-09"}))
    same = tmp_path / "snapshot-nov"
    shutil.copytree(sample_path(), same)
    page = tmp_path / "r.html"
    out = tmp_path / "c"
    result = run("--html", page, "--charts", out, "--compare", earlier, "--compare", same)
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    row = r'<tr><td class="text">(2026-\d\d[^<]*)</td><td class="text">estimate'
    rows = re.findall(row, text)
    assert rows[0] == "2026-09" and len(rows) == 3
    assert any("snapshot-nov" in r for r in rows)
    assert "priced for its own month" in text
    assert (out / "cost-over-time.png").exists()


def test_a_bad_compare_path_fails_before_anything_is_printed_or_written(tmp_path):
    result = run("--html", tmp_path / "r.html", "--compare", tmp_path / "missing")
    assert result.exit_code == 2
    assert "missing" in result.stderr and result.stdout == ""
    assert list(tmp_path.iterdir()) == []
