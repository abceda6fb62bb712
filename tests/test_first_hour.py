"""Issue 14's traps: commands that "worked" and did the wrong thing for a new user.

- the output format follows --output's extension; a format word as the file name is an error;
- a written file is named on stderr (not with --quiet);
- estimate -o FILE keeps the Notes panel; nothing is padded to 250 columns in a pipe or file;
- report --compare / --history show the comparison in the terminal;
- lifecycle --fail-on-unsafe exits 5.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from factories import GiB, Inventory
from typer.testing import CliRunner

from ecrcost import sample_path
from ecrcost.cli import app

EXAMPLES = Path(__file__).parent.parent / "data" / "examples"
SCENARIO = str(EXAMPLES / "scenario.csv")
runner = CliRunner()


def run(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("out.json", lambda text: json.loads(text)["currency"] == "USD"),
        ("out.csv", lambda text: text.startswith("account_id,") or "repository" in text.splitlines()[0]),
        ("out.md", lambda text: text.lstrip().startswith("|") or "| Repository" in text or "|---" in text),
        ("out.txt", lambda text: "ECR cost estimate" in text and "Notes" in text),
    ],
)
def test_estimate_format_follows_the_output_extension(tmp_path, name, check):
    out = tmp_path / name
    result = run("estimate", SCENARIO, "--month", "2026-10", "-o", out)
    assert result.exit_code == 0, result.output
    assert check(out.read_text(encoding="utf-8")), out.read_text(encoding="utf-8")[:300]
    assert result.stdout == ""
    assert result.stderr == f"wrote {out}\n"


def test_an_explicit_format_wins_over_the_extension(tmp_path):
    out = tmp_path / "out.json"
    assert run("estimate", SCENARIO, "-f", "csv", "-o", out, "-q").exit_code == 0
    assert not out.read_text().lstrip().startswith("{")


@pytest.mark.parametrize("word", ["json", "csv", "table", "markdown", "text"])
def test_a_format_word_as_the_file_name_is_an_error_suggesting_format(tmp_path, monkeypatch, word):
    monkeypatch.chdir(tmp_path)
    result = run("estimate", SCENARIO, "--output", word)
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("error: option --output:") and "--format" in line and "\n" not in line
    assert not (tmp_path / word).exists()
    named = run("estimate", SCENARIO, "-f", "csv", "-o", word, "-q")  # --format given: a file of that name
    assert named.exit_code == 0 and (tmp_path / word).read_text().count(",") > 5


def test_export_refuses_a_format_word_as_the_file_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("export", SCENARIO, "-o", "parquet")
    assert result.exit_code == 2 and ".parquet" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_every_command_that_writes_a_file_says_so_unless_quiet(tmp_path):
    commands = {
        "estimate": ["estimate", SCENARIO],
        "export": ["export", SCENARIO],
        "lifecycle": ["lifecycle", sample_path(), "--as-of", "2026-11-27T00:00:00Z"],
        "reconcile": [
            "reconcile",
            sample_path(),
            "--month",
            "2026-10",
            "--cur",
            EXAMPLES / "bill-2026-10-cur.csv",
        ],
        "diff": ["diff", SCENARIO, SCENARIO],
    }
    for name, args in commands.items():
        out = tmp_path / f"{name}.out"
        said = run(*args, "-o", out)
        assert said.exit_code == 0, said.output
        assert said.stderr.strip().splitlines()[-1] == f"wrote {out}"
        quiet = run(*args, "-o", out, "--quiet")
        assert quiet.exit_code == 0 and quiet.stderr == "", quiet.stderr
    page = tmp_path / "r.html"
    assert f"wrote {page}" in run("report", "--html", page).stderr
    assert run("report", "--html", page, "-q").stderr == ""


def test_estimate_table_in_a_file_keeps_the_notes_and_is_not_padded(tmp_path):
    out = tmp_path / "estimate.txt"
    assert run("estimate", SCENARIO, "-f", "table", "-o", out).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "Notes" in text and "Unverified (R) prices used" in text
    assert max(len(line) for line in text.splitlines()) < 150
    assert not any(line.endswith(" ") for line in text.splitlines())


def test_a_pipe_gets_the_table_as_wide_as_it_needs():
    result = run("estimate", SCENARIO)
    lines = result.stdout.splitlines()
    assert "Notes" in result.stdout and max(len(line) for line in lines) < 150


def test_report_compare_shows_the_comparison_in_the_terminal():
    result = run("report", SCENARIO, "--month", "2026-11", "--compare", sample_path())
    assert result.exit_code == 0, result.output
    assert "Cost over time" in result.stdout
    assert "(sample-registry)" in result.stdout and "(scenario.csv)" in result.stdout


def test_report_history_shows_the_months_in_the_terminal():
    result = run("report", "--month", "2026-11", "--history", "3")
    assert result.exit_code == 0, result.output
    assert "Cost over time" in result.stdout
    for month in ("2026-09", "2026-10", "2026-11"):
        assert month in result.stdout.split("Cost over time")[1]


def test_a_report_without_compare_or_history_has_no_timeline():
    assert "Cost over time" not in run("report", "--month", "2026-11").stdout


def unsafe_case(tmp_path: Path) -> list[str]:
    inventory = Inventory(tmp_path / "inv")
    inventory.push("app", "old", "2026-09-01T00:00:00Z", {"base": GiB, "old": GiB}, tags="release-1")
    inventory.push("app", "new", "2026-10-20T00:00:00Z", {"base": GiB, "new": GiB}, tags="build-3")
    folder = inventory.write()
    policy = Path(__file__).parent / "fixtures" / "lifecycle" / "aws-all-images.json"
    return ["lifecycle", str(folder), "--policy", str(policy), "--as-of", "2026-11-01T00:00:00Z"]


def test_lifecycle_fail_on_unsafe_exits_5_after_the_output(tmp_path):
    args = unsafe_case(tmp_path)
    assert run(*args, "--keep-tags", "release-*").exit_code == 0  # reported, not failed, by default
    result = run(*args, "--keep-tags", "release-*", "--fail-on-unsafe", "-f", "json")
    assert result.exit_code == 5
    assert json.loads(result.stdout)["policies"][0]["safe"] is False
    assert result.stderr.startswith("error: unsafe: aws-all-images.json")
    assert run(*args, "--keep-tags", "nothing-*", "--fail-on-unsafe").exit_code == 0  # safe: 0


def test_json_zeros_are_plain_numbers_and_tiers_are_numbers():
    text = run("estimate", SCENARIO, "--month", "2026-10", "-f", "json").stdout
    assert "E-" not in text and '"archive_gb_month": 0.000000,' in text
    quantities = re.findall(r'"(?:quantity|\w+_gb(?:_month)?)": (-?[\d.]+)', text)
    assert quantities and all(len(q.split(".")[1]) == 6 for q in quantities)  # six decimals, as documented
    doc = json.loads(text)
    tiers = {item["tier"] for item in doc["line_items"]}
    assert 1 in tiers and "1" not in tiers and "free" in tiers
    assert all(isinstance(t["tier"], int) or t["tier"] == "free" for t in doc["internet_tiers"])


def test_dash_h_is_help_everywhere_and_the_exit_codes_are_listed():
    root = run("-h")
    assert root.exit_code == 0 and "Exit codes:" in root.stdout and "5 lifecycle" in root.stdout
    for command in (["estimate"], ["lifecycle"], ["prices"], ["prices", "refresh"]):
        result = run(*command, "-h")
        assert result.exit_code == 0 and "Usage: " in result.stdout and "--help" in result.stdout, command
    assert run("--version").stdout.startswith("ecrcost ")


def test_scenario_headers_any_case_with_spaces_and_excel_trailing_rows(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("repository,storage_gb,internet_out_gb\nteam-a/web,10,5\n", encoding="utf-8")
    excel = tmp_path / "excel.csv"
    excel.write_text(
        " Repository ,Storage_GB, INTERNET_OUT_GB\r\nteam-a/web,10,5\r\n,,\r\n,,\r\n", encoding="utf-8"
    )
    want = run("estimate", plain, "--month", "2026-10", "-f", "json")
    got = run("estimate", excel, "--month", "2026-10", "-f", "json")
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout)["total_usd"] == json.loads(want.stdout)["total_usd"] > 0


def test_a_blank_row_in_the_middle_is_still_named(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("repository,storage_gb\n,,\nteam-a/web,1\n", encoding="utf-8")
    result = run("estimate", path)
    assert result.exit_code == 2 and "line 2" in result.stderr


@pytest.mark.parametrize(("typed", "meant"), [("internet_gb", "internet_out_gb"), ("Storage", "storage_gb")])
def test_a_misspelt_known_column_is_an_error_suggesting_the_name(tmp_path, typed, meant):
    path = tmp_path / "s.csv"
    columns = "repository,storage_gb" if typed != "Storage" else "repository"
    path.write_text(
        f"{columns},{typed}\nteam-a/web,1{',1' if typed != 'Storage' else ''}\n", encoding="utf-8"
    )
    result = run("estimate", path)
    assert result.exit_code == 2, result.output
    assert f"did you mean '{meant}'?" in result.stderr and result.stderr.count("\n") == 1


def test_report_small_wording(tmp_path):
    page = tmp_path / "r.html"
    result = run("report", SCENARIO, "--month", "2026-10", "--html", page, "-q")
    assert result.exit_code == 0, result.output
    assert "All 4 repositories" in result.stdout and "Top 10 repositories" not in result.stdout
    html = page.read_text(encoding="utf-8")
    assert "<title>ECR cost report, 2026-10 — scenario.csv</title>" in html
    assert str(EXAMPLES) not in html  # a page travels: no local path in it


def test_no_dangling_account_in_the_estimate_title(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("repository,storage_gb\nweb,1\n", encoding="utf-8")
    first = run("estimate", path).stdout.splitlines()[0]
    assert first.rstrip() == "ECR cost estimate, " + first.split(", ")[1].split()[0]
    assert "account" not in first


def test_prices_on_a_narrow_terminal_leave_the_source_column_out():
    from rich.console import Console

    from ecrcost.core.pricebook import load_pricebook
    from ecrcost.outputs import terminal

    frame = load_pricebook(None).table("us-east-1")

    def shown(width: int | None) -> str:
        con = Console(width=width or 250, color_system=None)
        with con.capture() as cap:
            con.print(terminal.prices_table(frame, "bundled", width))
        return cap.get()

    narrow = shown(90)
    heading = next(line for line in narrow.splitlines() if "Region" in line and "Price" in line)
    assert "Source" not in heading and "--format csv" in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 90
    assert "Source" in shown(None) and "AWS Price List" in shown(None)


def test_projected_bars_keep_their_hatching_in_the_svg(tmp_path):
    out = tmp_path / "charts"
    assert run("report", "--month", "2026-11", "--charts", out).exit_code == 0
    svg = (out / "cost-over-time.svg").read_text(encoding="utf-8")
    patterns = re.findall(r'<pattern .*?<rect [^>]*fill="(#[0-9a-f]+)".*?stroke: (#[0-9a-f]+)', svg, re.S)
    assert patterns and all(fill != stroke for fill, stroke in patterns)  # hatch lines show on the bar


def test_shell_completion_is_on():
    import os
    import subprocess
    import sys

    script = run("--show-completion", "bash")
    assert script.exit_code == 0 and "complete -o default -F" in script.stdout
    env = {
        **os.environ,
        "_ECRCOST_COMPLETE": "complete_bash",
        "COMP_WORDS": "ecrcost lifec",
        "COMP_CWORD": "1",
    }
    code = "from ecrcost.cli.main import main; main()"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "lifecycle" in done.stdout.split()


def test_report_and_lifecycle_say_how_each_prices_storage():
    report = run("report", "--month", "2026-11").stdout
    assert "Storage (metered over the month)" in report
    what_if = run("lifecycle", sample_path(), "--as-of", "2026-11-27T00:00:00Z", "--month", "2026-11").stdout
    assert "Storage before (run-rate)" in what_if and "report and estimate meter the month" in what_if


def test_the_rounding_is_explained_once_under_the_table():
    text = run("estimate", SCENARIO, "--month", "2026-10").stdout
    assert text.count("largest remainder") == 1 and "micro-dollar" in text


def test_a_team_column_and_other_columns_become_repository_tags(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "repository,storage_gb,Team,owner\nteam-a/web,10,alpha,ann\nteam-b/api,5,,bob\n", encoding="utf-8"
    )
    simple = run("export", path, "--month", "2026-10", "-f", "simple")
    assert simple.exit_code == 0, simple.output
    rows = simple.stdout.splitlines()
    assert rows[1].split(",")[6] == "alpha" and rows[2].split(",")[6] == ""  # the team column
    focus = run("export", path, "--month", "2026-10", "--account-id", "123456789012")
    assert '""team"": ""alpha""' in focus.stdout and '""owner"": ""bob""' in focus.stdout
    notes = json.loads(run("estimate", path, "--month", "2026-10", "-f", "json").stdout)["notes"]
    assert [n for n in notes if "tags" in n] == ["Columns kept as repository tags: owner."]


def test_flags_show_no_bool_placeholder():
    for command in ([], ["estimate"], ["lifecycle"], ["collect"], ["report"]):
        text = run(*command, "--help").stdout
        assert "--help" in text and "<bool>" not in text, command


def test_the_report_has_a_table_by_team_when_repositories_have_one(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("repository,storage_gb,team\nteam-a/web,10,alpha\nteam-b/api,5,\n", encoding="utf-8")
    page = tmp_path / "r.html"
    text = run("report", path, "--month", "2026-10", "--html", page).stdout
    section = text.split("By team")[1].split("By namespace")[0]
    assert "alpha" in section and "$1.00" in section and "(no team)" in section and "$0.50" in section
    assert "<caption>By team</caption>" in page.read_text(encoding="utf-8")
    assert "By team" not in run("report", SCENARIO, "--month", "2026-10").stdout


def test_verbose_puts_the_full_input_path_in_the_page(tmp_path):
    page = tmp_path / "r.html"
    assert run("report", SCENARIO, "--month", "2026-10", "--html", page, "--verbose").exit_code == 0
    assert f"<title>ECR cost report, 2026-10 — {SCENARIO}</title>" in page.read_text(encoding="utf-8")


def test_reconcile_follows_the_output_extension_and_refuses_a_format_word(tmp_path, monkeypatch):
    bill = ["--month", "2026-10", "--cur", EXAMPLES / "bill-2026-10-cur.csv"]
    out = tmp_path / "r.json"
    written = run("reconcile", sample_path(), *bill, "-o", out)
    assert written.exit_code == 0, written.output
    assert json.loads(out.read_text())["period"] == "2026-10"
    monkeypatch.chdir(tmp_path)
    word = run("reconcile", sample_path(), *bill, "-o", "json")
    assert word.exit_code == 2 and "'json' is a format, not a file name" in word.stderr
    assert not (tmp_path / "json").exists()
