"""Live collection over real HTTP: moto behind a WSGI layer that pages, throttles and denies."""

from __future__ import annotations

import json
import os
import re
import threading
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import report
from typer.testing import CliRunner

import ecrcost
from ecrcost.cli import app
from ecrcost.core.pricebook import load_pricebook
from ecrcost.sources.collect import collect
from tests.collect_seed import (
    ACCOUNT_A,
    ACCOUNT_B,
    DENIED_REGION,
    LAYOUT,
    MONTH,
    PULLS,
    REGIONS,
    aws_env,
    options,
    sha,
    text,
    unique_bytes,
)

# A moto server seeded with two accounts' registries, and whole collections against it: seconds each.
pytestmark = pytest.mark.slow
READ_ONLY = re.compile(r"^(ecr|cloudwatch|sts|ec2)\.(Describe|List|Get|BatchGet)[A-Za-z]+$")
# AssumeRole mints credentials and changes nothing; it is the one non-Describe/List/Get call allowed.
ALLOWED = {"sts.AssumeRole"}


@pytest.fixture(scope="module")
def full_run(aws, tmp_path_factory):
    """One collection of two accounts and three regions (one denied), every 7th request throttled,
    recording every operation the collector sends."""
    tmp = tmp_path_factory.mktemp("full")
    sent: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        aws_env(mp, aws.server.url)
        aws.front.reset()
        aws.front.throttle_every = 7
        aws.front.denied_regions = {DENIED_REGION}
        hook = ("before-call", lambda event_name, **_: sent.append(".".join(event_name.split(".")[1:3])))
        result = collect(options(tmp, regions=(*REGIONS, DENIED_REGION), hooks=(hook,)))
        throttled = dict(aws.front.throttled_ops)
        aws.front.reset()
    return SimpleNamespace(result=result, sent=sent, folder=tmp / "inventory", tmp=tmp, throttled=throttled)


def test_collection_sends_only_read_operations(full_run):
    assert full_run.sent, "the hook saw no calls"
    writes = sorted({op for op in full_run.sent if not READ_ONLY.match(op) and op not in ALLOWED})
    assert writes == []
    assert {"ecr.DescribeImages", "ecr.BatchGetImage", "cloudwatch.GetMetricData"} <= set(full_run.sent)


def test_full_run_makes_the_minimum_calls_and_retries_every_throttled_request(full_run):
    api = full_run.result.summary["api"]
    assert api["calls"] == api["minimum_calls"] and api["ratio"] == 1.0
    # The blob-mounting probe makes one attempt only (endpoints without it answer 500): not retried.
    throttled = sum(full_run.throttled.values())
    assert throttled > 0 and api["retries"] == throttled - full_run.throttled.get("GetAccountSetting", 0)
    assert api["calls_total"] == len(full_run.sent)


def test_storage_of_collected_inventory_matches_the_seeded_layers_to_the_cent(full_run):
    book = load_pricebook()
    expected = sum(
        (Decimal(unique_bytes(*key)) / 2**30 * book.region(key[1]).storage for key in LAYOUT),
        Decimal(0),
    )
    est = ecrcost.estimate(ecrcost.load(full_run.folder), month=str(MONTH))
    assert est.totals(Decimal("0.01"))["storage_usd"] == expected.quantize(Decimal("0.01"))
    assert expected > Decimal("0.01")


def test_inventory_tables_carry_layers_children_schema1_tags_policies_and_pulls(full_run):
    folder = full_run.folder
    images = pd.read_parquet(folder / "images.parquet")
    layers = pd.read_parquet(folder / "layers.parquet")
    repos = pd.read_parquet(folder / "repositories.parquet")
    pulls = pd.read_parquet(folder / "pulls.parquet")
    assert len(images) == sum(len(v) for v in LAYOUT.values())
    index = sha(text("oci-index.json"))
    children = images[images["parent_digest"] == index]
    assert sorted(children["image_digest"]) == sorted(
        [sha(text("oci-child-amd64.json")), sha(text("oci-child-arm64.json"))]
    )
    schema1 = images[images["image_digest"] == sha(text("schema1.json"))].iloc[0]
    assert schema1["size_bytes"] == 41_000_000
    assert not (layers["image_digest"] == schema1["image_digest"]).any()
    web = repos[repos["repository"] == "team-a/web"].iloc[0]
    assert json.loads(web["tags"]) == {"CostCenter": "cc-42"}
    assert "imageCountMoreThan" in web["lifecycle_policy"]
    got = {(r.account_id, r.region, r.repository): r.pull_count for r in pulls.itertuples()}
    assert {k: got[k] for k in PULLS} == {k: sum(v) for k, v in PULLS.items()}
    summary = json.loads((folder / "collection.json").read_text())
    assert summary["accounts"] == sorted([ACCOUNT_A, ACCOUNT_B])
    assert summary["transfer"]["bytes_per_pull"] == "full"
    assert any("schema 1" in n for n in summary["notes"])


def test_second_collection_of_an_unchanged_registry_fetches_no_manifest(full_run, env):
    again = collect(options(full_run.tmp, output=full_run.tmp / "again"))
    assert full_run.result.summary["api"]["calls"]["ecr.BatchGetImage"] > 0
    assert again.summary["api"]["calls"].get("ecr.BatchGetImage", 0) == 0
    assert env.front.requests.get("BatchGetImage", 0) == 0
    a = pd.read_parquet(full_run.folder / "layers.parquet")
    b = pd.read_parquet(full_run.tmp / "again" / "layers.parquet")
    assert len(a) == len(b) and a["size_bytes"].sum() == b["size_bytes"].sum()


def test_throttled_calls_are_retried_and_pages_are_followed_at_the_minimum_call_count(env, tmp_path):
    from moto.ecr.models import Image, ecr_backends

    from tests.collect_seed import clients

    ecr, _ = clients(env.server.url, ACCOUNT_A, "us-west-2")
    ecr.create_repository(repositoryName="bulk/images")
    repo = ecr_backends[ACCOUNT_A]["us-west-2"].repositories["bulk/images"]
    template = json.loads(text("docker-v2.json"))
    for i in range(2_500):
        template["layers"][-1]["digest"] = sha(f"bulk-{i}")
        manifest = json.dumps(template)
        media = template["mediaType"]
        repo.images.append(Image(ACCOUNT_A, f"t{i}", manifest, "bulk/images", media, sha(manifest)))
    env.front.throttle_every = 5
    result = collect(options(tmp_path, regions=("us-west-2",), role_arns=()))
    api = result.summary["api"]
    assert result.summary["images"] == 2_500 and not result.partial
    assert api["calls"]["ecr.DescribeImages"] == 3 == api["minimum_calls"]["ecr.DescribeImages"]
    assert api["calls"]["ecr.BatchGetImage"] == 25
    probe = env.front.throttled_ops.get("GetAccountSetting", 0)  # one attempt only, by design
    assert env.front.throttled > 0 and api["retries"] == env.front.throttled - probe
    assert api["ratio"] == 1.0


def test_denied_region_and_repository_or_image_deleted_mid_run_are_recorded_the_rest_read(env, tmp_path):
    from moto.ecr.models import ecr_backends

    from tests.collect_seed import clients

    ecr, _ = clients(env.server.url, ACCOUNT_A, "us-east-1")
    ecr.create_repository(repositoryName="doomed/repo")
    env.front.denied_regions = {DENIED_REGION}

    def delete_after_listing(event_name: str, parsed: dict, **_) -> None:
        if any(r["repositoryName"] == "doomed/repo" for r in parsed.get("repositories", [])):
            ecr_backends[ACCOUNT_A]["us-east-1"].repositories.pop("doomed/repo", None)

    web = ecr_backends[ACCOUNT_A]["us-east-1"].repositories["team-a/web"]
    gone = sha(text("docker-v2.json"))
    removed = []

    def delete_image_after_describe(event_name: str, params: dict, **_) -> None:
        if params.get("repositoryName") == "team-a/web" and not removed:
            removed.extend(i for i in web.images if i.image_digest == gone)
            web.images[:] = [i for i in web.images if i.image_digest != gone]

    hooks = (
        ("after-call.ecr.DescribeRepositories", delete_after_listing),
        ("before-parameter-build.ecr.BatchGetImage", delete_image_after_describe),
    )
    try:
        result = collect(options(tmp_path, regions=("us-east-1", DENIED_REGION), role_arns=(), hooks=hooks))
    finally:
        web.images.extend(removed)
    gaps = {(g.region, g.repository, g.operation, g.error_code, g.image_digest) for g in result.gaps}
    assert gaps == {
        (DENIED_REGION, "", "DescribeRepositories", "AccessDeniedException", ""),
        ("us-east-1", "doomed/repo", "DescribeImages", "RepositoryNotFoundException", ""),
        ("us-east-1", "team-a/web", "BatchGetImage", "ImageNotFound", gone),
    }
    coverage = json.loads((tmp_path / "inventory" / "collection.json").read_text())["coverage"]
    assert not coverage["complete"] and len(coverage["gaps"]) == 3
    images = pd.read_parquet(tmp_path / "inventory" / "images.parquet")
    assert set(images["repository"]) == {"team-a/web", "team-a/api", "legacy/tool"}


def test_cli_exits_3_on_partial_coverage_and_report_shows_it(env, tmp_path):
    env.front.denied_regions = {DENIED_REGION}
    out = tmp_path / "inv"
    args = ["collect", "-o", str(out), "--region", "us-east-1", "--region", DENIED_REGION, "--quiet"]
    args += ["--cache-dir", str(tmp_path / "cache"), "--format", "csv", "--internet-share", "0.25"]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 3, run.output
    assert f"{DENIED_REGION}: DescribeRepositories AccessDeniedException" in run.stderr
    assert "Traceback" not in run.output
    assert (out / "images.csv").is_file() and not list(tmp_path.glob(".inv.*"))
    transfer = pd.read_csv(out / "transfer.csv", dtype=str)
    assert Decimal(transfer["internet_out_gb"].iloc[0]) > 0
    report = CliRunner().invoke(app, ["report", str(out), "--month", str(MONTH)], env={"COLUMNS": "200"})
    assert report.exit_code == 0, report.output
    assert "Partial coverage" in report.output and DENIED_REGION in report.output


def test_missing_credentials_is_one_line_and_exit_2(env, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    run = CliRunner().invoke(app, ["collect", "-o", str(tmp_path / "inv"), "--quiet"])
    assert run.exit_code == 2
    assert run.stderr.strip().count("\n") == 0 and "credentials" in run.stderr
    assert not (tmp_path / "inv").exists()


def test_iam_policy_holds_exactly_the_actions_a_collection_uses(full_run):
    run = CliRunner().invoke(app, ["iam-policy", "--assume-role"])
    assert run.exit_code == 0
    policy = json.loads(run.stdout)
    granted = {a for s in policy["Statement"] for a in s["Action"]}
    used = {op.replace(".", ":") for op in full_run.sent}
    assert granted == used


def test_all_regions_are_those_offering_ecr_that_the_account_enabled(env):
    from ecrcost.sources.collect.regions import resolve
    from ecrcost.sources.collect.sessions import Clients

    clients = Clients()
    regions, notes = resolve(clients, (), True)
    assert "us-east-1" in regions and "eu-west-1" in regions and notes == []
    assert set(regions) <= set(clients.base_session().get_available_regions("ecr"))
    assert clients.stats.calls == {"ec2.DescribeRegions": 1}
    policy = json.loads(CliRunner().invoke(app, ["iam-policy", "--all-regions"]).stdout)
    assert "ec2:DescribeRegions" in {a for s in policy["Statement"] for a in s["Action"]}


# ---- the inventory folder: kept when a run read too little, one collect at a time, links, errors ----
# (account A's base credentials: 6 images in us-east-1, 2 in eu-west-1)


def cli(out: Path, tmp: Path, *extra: str):
    args = ["collect", "-o", str(out), "--quiet", "--cache-dir", str(tmp / "cache"), "--month", str(MONTH)]
    for region in REGIONS:
        args += ["--region", region]
    return CliRunner().invoke(app, [*args, *extra])


def images(folder: Path) -> int:
    return len(pd.read_parquet(folder / "images.parquet"))


def siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name != "cache")


@pytest.mark.slow
def test_a_run_that_read_nothing_keeps_the_previous_inventory_unless_forced(env, tmp_path):
    out = tmp_path / "inv"
    assert cli(out, tmp_path).exit_code == 0
    before = (out / "collection.json").read_bytes()
    assert images(out) == 8

    env.front.denied_regions = set(REGIONS)
    kept = cli(out, tmp_path)
    assert kept.exit_code == 3, kept.output
    assert "kept the previous inventory" in kept.stderr and "(8 images)" in kept.stderr
    assert "--force" in kept.stderr and "Traceback" not in kept.output
    assert (out / "collection.json").read_bytes() == before and images(out) == 8

    forced = cli(out, tmp_path, "--force")
    assert forced.exit_code == 3, forced.output
    assert images(out) == 0 and not json.loads((out / "collection.json").read_text())["coverage"]["complete"]
    assert siblings(out) == ["inv"]


@pytest.mark.slow
def test_a_partial_run_with_most_images_replaces_and_one_with_few_keeps(env, tmp_path):
    out = tmp_path / "inv"
    assert cli(out, tmp_path).exit_code == 0
    env.front.denied_regions = {"eu-west-1"}  # 6 of 8 still read
    result = collect(options(tmp_path, output=out, regions=REGIONS, role_arns=()))
    assert result.partial and result.replaced and images(out) == 6
    env.front.denied_regions = {"us-east-1"}  # 2 of 6
    result = collect(options(tmp_path, output=out, regions=REGIONS, role_arns=()))
    assert result.partial and not result.replaced and result.previous_images == 6 and images(out) == 6


@pytest.mark.slow
def test_a_second_collect_into_the_same_folder_stops_at_once_with_one_line(env, tmp_path):
    out = tmp_path / "inv"
    started, release = threading.Event(), threading.Event()

    def pause(**_: object) -> None:
        if not started.is_set():
            started.set()
            release.wait(60)  # a safety net only: the test releases it

    results: list[object] = []
    paused = options(tmp_path, output=out, regions=REGIONS, role_arns=(), hooks=(("before-call", pause),))
    first = threading.Thread(target=lambda: results.append(collect(paused)))
    first.start()
    try:
        assert started.wait(60)
        second = cli(out, tmp_path)
        assert second.exit_code == 2, second.output
        assert second.stderr.count("\n") == 1 and "another collect is writing this folder" in second.stderr
        assert f"pid {os.getpid()}" in second.stderr
    finally:
        release.set()
        first.join()
    assert results and images(out) == 8 and siblings(out) == ["inv"]


@pytest.mark.slow
def test_a_linked_output_folder_is_followed_and_its_target_replaced(env, tmp_path):
    real = tmp_path / "snapshots" / "latest"
    real.mkdir(parents=True)
    (tmp_path / "inv").symlink_to("snapshots/latest")
    result = cli(tmp_path / "inv", tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "inv").is_symlink() and images(real) == 8
    assert sorted(p.name for p in real.parent.iterdir()) == ["latest"]


INVENTORY_ERROR = """
"$PY" -m ecrcost collect -o "$T/d/inv" --quiet --region us-east-1 --cache-dir "$T/cache" 2>"$T/err"
echo "rc=$?"
echo "images=$(cat "$T/d/inv/collection.json" | grep -c '"images": 8')"
echo "files=$(ls -A "$T/d" | tr '\\n' ' ')"
echo "error=$(cat "$T/err")"
echo "lines=$(wc -l < "$T/err")"
"""


@pytest.mark.slow
@pytest.mark.parametrize("case", ["read-only", "disk-full", "mount-point"])
def test_an_unwritable_place_is_one_line_with_the_previous_inventory_intact(env, namespace, tmp_path, case):
    """Collect in a private mount namespace (same network: the moto server) over a previous 8-image
    inventory: on a read-only bind mount, on a tmpfs too small for the new tables, or into a folder
    that is itself a mount point (a container's volume), which no rename can replace."""
    previous = tmp_path / "previous"
    assert cli(previous, tmp_path).exit_code == 0
    (tmp_path / "d").mkdir()
    setup = {
        "read-only": 'cp -r "$T/previous" "$T/d/inv"\n'
        'mount --bind "$T/d" "$T/d"\nmount -o remount,bind,ro "$T/d"\n',
        "disk-full": 'mount -t tmpfs -o size=256k tmpfs "$T/d"\ncp -r "$T/previous" "$T/d/inv"\n'
        'head -c 4194304 /dev/zero > "$T/d/filler" 2>/dev/null || true\n',
        "mount-point": 'cp -r "$T/previous" "$T/d/inv"\nmount --bind "$T/d/inv" "$T/d/inv"\n',
    }[case]
    got = report(namespace(setup + INVENTORY_ERROR, tmp_path))
    assert got["lines"] == "1" and got["images"] == "1", got
    expected = {
        "read-only": ("2", "(Read-only file system); the existing one is unchanged", ["inv"]),
        "disk-full": ("1", "(No space left on device); the existing one is unchanged", ["filler", "inv"]),
        "mount-point": ("2", "is a mount point", ["inv"]),
    }[case]
    assert (got["rc"], got["files"].split()) == (expected[0], expected[2]), got
    assert expected[1] in got["error"]


def test_collect_records_encryption_keys_and_pull_through_cache_repositories(env, tmp_path):
    """What blob mounting needs to know (docs/pricing.md): each repository's KMS key, and which
    repositories a pull-through cache rule created (named under the rule's prefix)."""
    from tests.collect_seed import clients

    region = "ap-south-1"
    key = f"arn:aws:kms:{region}:{ACCOUNT_A}:key/one"
    ecr, _ = clients(env.server.url, ACCOUNT_A, region)
    ecr.create_repository(
        repositoryName="app/one", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key}
    )
    ecr.create_repository(repositoryName="hub/library/nginx")
    env.front.pull_through = {region: ["hub"]}
    result = collect(options(tmp_path, regions=(region,)))
    assert not result.partial, result.gaps
    repos = pd.read_parquet(result.folder / "repositories.parquet").set_index("repository")
    assert repos.loc["app/one", "encryption_type"] == "KMS" and repos.loc["app/one", "kms_key"] == key
    assert repos.loc["hub/library/nginx", "pull_through_cache"] == "True"
    assert repos.loc["app/one", "pull_through_cache"] == "False"
    summary = json.loads((result.folder / "collection.json").read_text())
    mine = next(r for r in summary["registries"] if r["region"] == region and r["account_id"] == ACCOUNT_A)
    assert mine["pull_through_cache_prefixes"] == ["hub"]
    usage = ecrcost.load(result.folder)
    assert usage.repositories.set_index("repository").loc["hub/library/nginx", "pull_through_cache"]
