"""The CLI reference in README.md, generated from ``--help`` so it cannot drift from the code.

uv run python -m ecrcost.cli.docs --write README.md   # regenerate
uv run python -m ecrcost.cli.docs --check README.md   # exit 1 when out of date (the tests run this)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import typer
from typer.main import get_command
from typer.testing import CliRunner

START, END = "<!-- cli-reference:start -->", "<!-- cli-reference:end -->"


def commands(app: typer.Typer) -> list[str]:
    return sorted(get_command(app).commands)  # type: ignore[attr-defined]


def reference(app: typer.Typer) -> str:
    runner = CliRunner()
    env = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    parts = []
    for name in commands(app):
        text = runner.invoke(app, [name, "--help"], env=env, terminal_width=100, prog_name="ecrcost").stdout
        text = "\n".join(line.rstrip() for line in text.strip("\n").splitlines())
        parts.append(f"### `ecrcost {name}`\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


def splice(readme: str, block: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        raise SystemExit(f"README has no {START} … {END} block")
    return pattern.sub(lambda _: f"{START}\n{block}{END}", readme)


def main(argv: list[str]) -> int:
    from . import app

    mode, path = argv[0], Path(argv[1])
    current = path.read_text(encoding="utf-8")
    wanted = splice(current, reference(app))
    if mode == "--write":
        path.write_text(wanted, encoding="utf-8")
        return 0
    if current != wanted:
        print(
            f"{path}: CLI reference is out of date; run python -m ecrcost.cli.docs --write {path}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
