"""Shared test helpers: write inventories and scenarios in the real file formats, then load them the
way users do."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import settings

import ecrcost

# Charts render off-screen in tests, wherever they run.
os.environ["MPLBACKEND"] = "Agg"

# CI replays the same examples every run (a failure there is reproducible); locally hypothesis explores.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

GiB = 2**30
MiB = 2**20


def digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def write_csv(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


class Registry:
    """Builds an inventory folder: images pushed with named layers of given sizes."""

    def __init__(self, folder: Path, region: str = "us-east-1", account: str = "123456789012") -> None:
        self.folder = folder
        self.region = region
        self.account = account
        self.images: list[dict] = []
        self.layers: list[dict] = []

    def push(
        self,
        repo: str,
        name: str,
        pushed_at: str,
        layers: dict[str, int],
        *,
        deleted_at: str = "",
        size_bytes: int | None = None,
        region: str | None = None,
        status: str = "ACTIVE",
        media_type: str = "application/vnd.oci.image.manifest.v1+json",
        parent: str = "",
        tags: str = "",
    ) -> str:
        d = digest(f"{repo}:{name}")
        region = region or self.region
        self.images.append(
            {
                "account_id": self.account,
                "region": region,
                "repository": repo,
                "image_digest": d,
                "size_bytes": sum(layers.values()) if size_bytes is None else size_bytes,
                "pushed_at": pushed_at,
                "deleted_at": deleted_at,
                "image_status": status,
                "manifest_media_type": media_type,
                "parent_digest": parent,
                "image_tags": tags,
            }
        )
        for layer, size in layers.items():
            self.layers.append(
                {
                    "account_id": self.account,
                    "region": region,
                    "repository": repo,
                    "image_digest": d,
                    "layer_digest": digest(layer),
                    "size_bytes": size,
                }
            )
        return d

    def write(self, with_layers: bool = True) -> Path:
        write_csv(self.folder / "images.csv", self.images)
        if with_layers and self.layers:
            write_csv(self.folder / "layers.csv", self.layers)
        return self.folder

    def estimate(self, month: str, with_layers: bool = True, **kwargs) -> ecrcost.Estimate:
        return ecrcost.estimate(ecrcost.load(self.write(with_layers)), month=month, **kwargs)


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return Registry(tmp_path / "inventory")


@pytest.fixture
def scenario(tmp_path: Path):
    """Write scenario rows to a CSV and estimate it: ``scenario(rows, month=..., **options)``."""

    def run(rows: list[dict], month: str = "2026-10", **kwargs) -> ecrcost.Estimate:
        path = write_csv(tmp_path / "scenario.csv", rows)
        return ecrcost.estimate(ecrcost.load(path), month=month, **kwargs)

    return run


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


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
