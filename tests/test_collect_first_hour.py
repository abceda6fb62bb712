"""Issue 14's collect traps, over boto3 and HTTP (moto behind the test front): no region configured is
refused like the AWS CLI does, a region name is checked, an unreachable endpoint is not "rejected
credentials", and a bad AWS_PROFILE does not blame --profile. Each is one line, and nothing is written."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from ecrcost.cli import app

pytestmark = pytest.mark.slow  # the module's moto server takes seconds to seed


def collect(tmp_path, *args: str):
    out = tmp_path / "inv"
    run = CliRunner().invoke(app, ["collect", "-o", str(out), "--quiet", "--max-attempts", "1", *args])
    assert "Traceback" not in run.output
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    assert not out.exists()
    return run.exit_code, lines[0]


def test_no_region_configured_is_refused_like_the_aws_cli(env, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    code, line = collect(tmp_path)
    assert code == 2 and "no AWS region configured" in line and "--region" in line


def test_an_unknown_region_is_an_error_naming_the_option(env, tmp_path):
    code, line = collect(tmp_path, "--region", "mars-west-1")
    assert code == 2 and line.startswith("error: option --region: 'mars-west-1' is not an AWS region")
    code, line = collect(tmp_path, "--region", "eu-wst-1")
    assert code == 2 and "did you mean eu-west-1?" in line


def test_a_configured_region_that_does_not_exist_is_named_as_configured(env, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "mars-west-1")
    code, line = collect(tmp_path)
    assert code == 2 and "configured region 'mars-west-1'" in line and "--region" not in line.split(":")[1]


def test_an_unreachable_endpoint_is_not_rejected_credentials(env, monkeypatch, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    code, line = collect(tmp_path, "--region", "us-east-1")
    assert code == 1 and "cannot reach AWS" in line and "rejected" not in line


def test_a_bad_aws_profile_does_not_blame_the_profile_option(env, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_PROFILE", "nope")
    code, line = collect(tmp_path, "--region", "us-east-1")
    assert code == 2 and "'nope'" in line and "AWS_PROFILE" in line and "--profile" not in line
    code, line = collect(tmp_path, "--region", "us-east-1", "--profile", "other")
    assert code == 2 and line.startswith("error: option --profile: AWS profile 'other' not found")


def test_a_known_region_still_collects(env, tmp_path):
    run = CliRunner().invoke(
        app, ["collect", "-o", str(tmp_path / "inv"), "--quiet", "--region", "eu-west-1"]
    )
    assert run.exit_code == 0, run.output
    assert (tmp_path / "inv" / "images.parquet").is_file()


def test_parquet_is_typed_and_prices_as_the_csv_does(env, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    args = ["--quiet", "--region", "us-east-1", "--internet-share", "0.3", "--month", "2026-10"]
    for fmt in ("parquet", "csv"):
        run = CliRunner().invoke(app, ["collect", "-o", str(tmp_path / fmt), "--format", fmt, *args])
        assert run.exit_code == 0, run.output
    images = pq.read_schema(tmp_path / "parquet" / "images.parquet")
    assert images.field("pushed_at").type == pa.timestamp("us", "UTC")
    assert images.field("size_bytes").type == pa.int64()
    transfer = pq.read_schema(tmp_path / "parquet" / "transfer.parquet")
    assert pa.types.is_decimal(transfer.field("internet_out_gb").type)
    totals = [
        CliRunner().invoke(app, ["estimate", str(tmp_path / fmt), "--month", "2026-10", "-f", "json"]).stdout
        for fmt in ("parquet", "csv")
    ]
    assert (
        '"total_usd"' in totals[0]
        and totals[0].split('"total_usd"')[1][:30] == totals[1].split('"total_usd"')[1][:30]
    )


def test_the_inventory_folder_follows_the_umask(env, tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        run = CliRunner().invoke(
            app, ["collect", "-o", str(tmp_path / "inv"), "--quiet", "--region", "us-east-1"]
        )
    finally:
        os.umask(old)
    assert run.exit_code == 0, run.output
    assert stat.S_IMODE((tmp_path / "inv").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "inv" / "images.parquet").stat().st_mode) == 0o644
