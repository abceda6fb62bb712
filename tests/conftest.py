"""Fixtures shared by the tests, and the hypothesis profiles. Inputs are built by ``factories``."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from factories import Inventory, write_csv
from hypothesis import settings

import ecrcost

# Charts render off-screen in tests, wherever they run.
os.environ["MPLBACKEND"] = "Agg"

# How many examples a property test tries is the profile's choice, not the test's. CI replays the same
# examples every run (a failure there is reproducible); locally hypothesis explores, fewer per run;
# HYPOTHESIS_PROFILE=thorough explores many more before a release or after changing the model.
settings.register_profile("ci", max_examples=100, derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    """An empty inventory that writes its files to ``tmp_path / "inventory"``."""
    return Inventory(tmp_path / "inventory")


@pytest.fixture
def scenario(tmp_path: Path):
    """Write scenario rows to a CSV and estimate it: ``scenario(rows, month=..., **options)``."""

    def run(rows: list[dict], month: str = "2026-10", **kwargs) -> ecrcost.Estimate:
        path = write_csv(tmp_path / "scenario.csv", rows)
        return ecrcost.estimate(ecrcost.load(path), month=month, **kwargs)

    return run


@pytest.fixture(scope="session")
def namespace(tmp_path_factory):
    """``namespace(script, tmp)``: run a shell script in a private mount namespace (its mounts vanish
    with it; the network is shared), with $PY the interpreter and $T the folder ``tmp``. Skips where
    the sandbox refuses (not root, no unshare, mounts denied)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare for a private mount namespace")
    probe = tmp_path_factory.mktemp("probe")
    check = subprocess.run(
        ["unshare", "--mount", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {probe}"],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        pytest.skip(f"the sandbox refuses a private mount namespace: {check.stderr.strip()}")

    def script(text: str, tmp: Path) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PY": sys.executable, "T": str(tmp)}
        return subprocess.run(
            ["unshare", "--mount", "sh", "-uc", text],
            capture_output=True,
            text=True,
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
        )

    return script


def report(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """The KEY=value lines a ``namespace`` script printed."""
    return dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)


@pytest.fixture(scope="module")
def aws():
    """moto over HTTP, emptied and seeded with ``tests/collect_seed.py``'s registries, behind the test
    front (``.server.url``, ``.front``) for one test module."""
    from moto.server import ThreadedMotoServer

    from tests.collect_seed import MONTH, aws_env, reset, seed
    from tests.fakeaws import Server

    with pytest.MonkeyPatch.context() as mp:
        aws_env(mp, None)
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        host, port = moto.get_host_and_port()
        reset(f"http://{host}:{port}")
        pushed, pulled = MONTH.start - dt.timedelta(days=20), MONTH.start + dt.timedelta(hours=1)
        seed(f"http://{host}:{port}", pushed, pulled)
        server = Server()
        yield SimpleNamespace(moto=moto, server=server, front=server.front)
        server.stop()
        moto.stop()


@pytest.fixture
def env(aws, monkeypatch):
    """AWS calls go to the test front, reset (no throttling, denial or fault)."""
    from tests.collect_seed import aws_env

    aws_env(monkeypatch, aws.server.url)
    aws.front.reset()
    return aws
