"""Docs that cannot drift: the README's CLI reference is generated from --help."""

from pathlib import Path

from ecrcost.cli import app
from ecrcost.cli import docs as clidocs

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_command_is_documented_in_the_readme():
    text = README.read_text()
    for name in clidocs.commands(app):
        assert f"### `ecrcost {name}`" in text


def test_cli_reference_is_up_to_date():
    assert clidocs.main(["--check", str(README)]) == 0, (
        "run: uv run python -m ecrcost.cli.docs --write README.md"
    )


def test_readme_quick_start_names_the_two_commands():
    text = README.read_text()
    assert "uv run ecrcost report" in text and "uv run pytest" in text and "pip install uv" in text
