"""Every example in the README and docs/ runs as written: each `uv run ecrcost …` (or `ecrcost …`) line
of a shell block exits 0, or with the code its comment states (`# exit 2`), and each Python block runs,
all in document order in a copy of data/, so that relative paths resolve as they do in a checkout.
`collect` runs against a local moto server seeded with real manifests (AWS_ENDPOINT_URL), the way the
collect tests do; `prices refresh` against a local Price List serving the bundled book's prices
(AWS_ENDPOINT_URL_PRICING)."""

from __future__ import annotations

import datetime as dt
import re
import shlex
import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

from ecrcost.cli import app
from ecrcost.core.period import Month
from tests.collect_seed import aws_env, seed
from tests.fakeaws import Server
from tests.pricelist_server import Server as PriceList
from tests.pricelist_server import catalogue

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)
EXIT = re.compile(r"#.*\bexit (?:code )?(\d+)\b")

# Example lines that are not run, each with its reason. Keep it short: every line here is a line a
# reader may copy that nobody checks.
SKIP: dict[str, str] = {}


@dataclass(frozen=True)
class Command:
    line: str
    args: list[str]
    stdout_to: str | None  # `> FILE`
    exit_code: int


@dataclass(frozen=True)
class Block:
    language: str  # "shell" or "python"
    text: str


def blocks(page: Path) -> Iterator[Block]:
    for m in FENCE.finditer(page.read_text(encoding="utf-8")):
        language = m.group(1)
        if language in SHELL:
            yield Block("shell", m.group(2))
        elif language == "python":
            yield Block("python", m.group(2))


def commands(block: str) -> Iterator[Command]:
    """The ecrcost command lines of a shell block (continuation lines joined)."""
    for line in re.sub(r"\\\n\s*", " ", block).splitlines():
        line = line.strip().removeprefix("$ ")
        if not (line.startswith("uv run ecrcost ") or line.startswith("ecrcost ")) or line in SKIP:
            continue
        tokens = shlex.split(line, comments=True)
        tokens = tokens[2:] if tokens[:2] == ["uv", "run"] else tokens
        args, stdout_to = tokens[1:], None
        if ">" in args:
            at = args.index(">")
            args, stdout_to = args[:at], args[at + 1]
        expected = EXIT.search(line)
        yield Command(line, args, stdout_to, int(expected.group(1)) if expected else 0)


def examples(page: Path) -> list[Command | str]:
    """The page's examples in order: commands, and Python blocks as source text."""
    out: list[Command | str] = []
    for block in blocks(page):
        if block.language == "shell":
            out += list(commands(block.text))
        else:
            out.append(block.text)
    return out


def test_the_examples_are_found():
    readme = [c.args[0] for c in examples(ROOT / "README.md") if isinstance(c, Command)]
    assert {"report", "estimate", "collect", "export", "lifecycle"} <= set(readme)
    assert any(isinstance(e, str) for e in examples(ROOT / "docs" / "python-api.md"))
    for line in SKIP:
        assert any(line in page.read_text(encoding="utf-8") for page in PAGES), f"stale skip: {line}"


@pytest.fixture(scope="module")
def aws():
    """moto behind the test suite's WSGI front, seeded for the current month (what `collect` reads)."""
    with pytest.MonkeyPatch.context() as mp:
        aws_env(mp, None)
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        host, port = moto.get_host_and_port()
        reset = urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset)  # moto keeps its state per process: start from an empty AWS
        month = Month.parse(None)
        seed(
            f"http://{host}:{port}", month.start - dt.timedelta(days=20), month.start + dt.timedelta(hours=1)
        )
        server = Server()
        prices = PriceList(catalogue())
        yield SimpleNamespace(url=server.url, pricing=prices.url)
        urllib.request.urlopen(reset)  # and leave one for whatever runs next
        prices.close()
        server.stop()
        moto.stop()


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in PAGES if examples(p)], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_runs(page, aws, tmp_path, monkeypatch):
    shutil.copytree(ROOT / "data", tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    aws_env(monkeypatch, aws.url, aws.pricing)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # collect's manifest cache
    monkeypatch.setenv("COLUMNS", "120")
    runner = CliRunner()
    namespace: dict[str, object] = {}
    for n, example in enumerate(examples(page), start=1):
        if isinstance(example, str):
            exec(compile(example, f"{page.name}, Python block {n}", "exec"), namespace)
            continue
        result = runner.invoke(app, example.args, prog_name="ecrcost")
        assert result.exit_code == example.exit_code, (
            f"{page.name}: {example.line}\nexit {result.exit_code}, expected {example.exit_code}\n"
            f"{result.output[-3000:]}\n{result.exception!r}"
        )
        if example.stdout_to:
            Path(example.stdout_to).write_text(result.stdout, encoding="utf-8")
    import matplotlib.pyplot as plt

    plt.close("all")
