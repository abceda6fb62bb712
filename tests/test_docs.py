"""Docs that cannot drift: the CLI reference (docs/cli.md) is generated from --help; the README stays a
short front page that links the docs; the docs cite only the repository's own files."""

import re
from pathlib import Path

from ecrcost.cli import app
from ecrcost.cli import docs as clidocs

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CLI_REFERENCE = ROOT / "docs" / "cli.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))


def test_every_command_is_documented_in_the_cli_reference():
    text = CLI_REFERENCE.read_text()
    for name in clidocs.commands(app):
        assert f"## `ecrcost {name}`" in text


def test_cli_reference_is_up_to_date():
    assert clidocs.main(["--check", str(CLI_REFERENCE)]) == 0, (
        "run: uv run python -m ecrcost.cli.docs --write docs/cli.md"
    )


def test_readme_quick_start_names_the_two_commands():
    text = README.read_text()
    assert "uv run ecrcost report" in text and "uv run pytest" in text and "pip install uv" in text


def test_readme_is_a_short_front_page_linking_every_doc():
    text = README.read_text()
    assert len(text.splitlines()) <= 160
    for doc in DOCS:
        assert f"docs/{doc.name}" in text, f"README does not link docs/{doc.name}"


def test_relative_links_in_the_docs_point_at_files_that_exist():
    for page in [README, *DOCS]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (page.parent / target).exists(), f"{page.name} links {target}, which does not exist"


def test_nothing_cites_files_outside_the_repository():
    # The public contract, prices and formats are the repository's own docs/formats.md and docs/pricing.md.
    outside = "shared"  # the folder beside a checkout that a user of the repository never sees
    pattern = re.compile(rf"\.\./{outside}|{outside}/(reference|CONTRACT)|CONTRACT\.md")
    places = [README, *DOCS, *(ROOT / "ecrcost").rglob("*"), *(ROOT / "benchmarks").rglob("*")]
    places += [p for p in (ROOT / "tests").rglob("*.py")]
    places += [p for p in (ROOT / "data").rglob("*") if p.suffix in (".md", ".json", ".txt")]
    found = [
        str(p.relative_to(ROOT))
        for p in places
        if p.is_file() and p.suffix in (".py", ".md", ".json", ".txt") and pattern.search(p.read_text())
    ]
    assert found == []
