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
