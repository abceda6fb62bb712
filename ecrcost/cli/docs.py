"""The CLI reference (``docs/cli.md``), generated from ``--help`` so it cannot drift from the code.

uv run python -m ecrcost.cli.docs --write docs/cli.md   # regenerate
uv run python -m ecrcost.cli.docs --check docs/cli.md   # exit 1 when out of date (the tests run this)

The reference sits between two markers; whatever is outside them is kept as written. ``--write`` on a
file that does not exist yet (or has no markers) writes a heading and the markers first.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import typer
from typer.main import get_command
from typer.testing import CliRunner

START, END = "<!-- cli-reference:start -->", "<!-- cli-reference:end -->"
DEFAULT = Path("docs/cli.md")
HEADER = (
    "# CLI reference\n\n"
    "Every command's `--help`, generated from the code; a test fails when this file is out of date.\n"
    "Regenerate it with `uv run python -m ecrcost.cli.docs --write docs/cli.md`.\n\n"
)


def commands(app: typer.Typer) -> list[str]:
    """Every command, a group's subcommands after it (``prices``, ``prices diff``, ``prices refresh``)."""
    root = get_command(app).commands  # type: ignore[attr-defined]
    out = []
    for name in sorted(root):
        out.append(name)
        out += [f"{name} {sub}" for sub in sorted(getattr(root[name], "commands", {}))]
    return out


def reference(app: typer.Typer) -> str:
    runner = CliRunner()
    env = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    parts = []
    for name in commands(app):
        args = [*name.split(), "--help"]
        text = runner.invoke(app, args, env=env, terminal_width=100, prog_name="ecrcost").stdout
        text = "\n".join(line.rstrip() for line in text.strip("\n").splitlines())
        parts.append(f"## `ecrcost {name}`\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


def splice(document: str, block: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(document):
        raise SystemExit(f"no {START} … {END} block to replace")
    return pattern.sub(lambda _: f"{START}\n{block}{END}", document)


def main(argv: list[str]) -> int:
    from . import app

    if not argv or argv[0] not in ("--write", "--check"):
        print(
            "usage: python -m ecrcost.cli.docs --write|--check [FILE (default docs/cli.md)]", file=sys.stderr
        )
        return 2
    mode = argv[0]
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    if mode == "--write" and START not in current:
        current = (current or HEADER) + f"{START}\n{END}\n"
    wanted = splice(current, reference(app))
    if mode == "--write":
        path.parent.mkdir(parents=True, exist_ok=True)
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
