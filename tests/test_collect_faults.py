"""Bad AWS answers over real HTTP: the test front spoils chosen HTTP 200 answers (truncated, ``{}``,
wrong types, out-of-range numbers, manifests that do not match their digest) and moto holds manifests
PutImage would refuse. Each is a recorded gap (operation, ``BadAnswer``, reason) after one more try,
never a crash, a 0 or a ``{}``; the rest of the crawl is read.

A collection takes seconds, so cases that can share one do: each gets a repository (or a region) of
its own in a module-wide run, the front spoils only that repository's answers, and each case's test
looks at its own repository."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import ecrcost
from ecrcost.cli import app
from ecrcost.sources.collect import Collection, collect
from tests.collect_seed import (
    ACCOUNT_A,
    ACCOUNT_B,
    MONTH,
    ROLE_A,
    ROLE_B,
    aws_env,
    blobs,
    clients,
    options,
    plant,
    sha,
    text,
    unique_bytes,
)
from tests.fakeaws import Fault, edit, empty, times, truncated, where

pytestmark = pytest.mark.slow  # every test here runs a collection over HTTP

EAST = "us-east-1"
WEB, API, LEGACY = "team-a/web", "team-a/api", "legacy/tool"
DOCKER = sha(text("docker-v2.json"))
INDEX = sha(text("oci-index.json"))


def east(tmp: Path, **kw: Any) -> Collection:
    """Account A in us-east-1 only: team-a/web, team-a/api, legacy/tool."""
    return collect(options(tmp, regions=(EAST,), role_arns=(), **kw))


def gaps(result: Collection, repository: str | None = None) -> set[tuple[str, str, str, str, str]]:
    return {
        (g.region, g.repository, g.operation, g.error_code, g.image_digest)
        for g in result.gaps
        if repository is None or g.repository == repository
    }


def reasons(result: Collection, repository: str | None = None) -> str:
    return " | ".join(g.message for g in result.gaps if repository is None or g.repository == repository)


def table(tmp: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(tmp / "inventory" / f"{name}.parquet")


def only(repository: str, fault: Any) -> Any:
    return where(lambda request: request.get("repositoryName") == repository, fault)


def slug(case: str) -> str:
    """A case id as a repository-name part (ECR allows lower-case letters, digits and ``._-``)."""
    return re.sub(r"[^a-z0-9]+", "-", case).strip("-") or "braces"


class Dispatch:
    """One fault per repository, told apart by ``key(request)``; counts the answers each spoiled."""

    def __init__(self, faults: dict[str, Fault], key: Callable[[dict[str, Any]], str | None]) -> None:
        self.faults, self.key, self.spoiled = faults, key, Counter[str]()

    def __call__(self, body: bytes, request: dict[str, Any]) -> bytes:
        name = self.key(request)
        fault = self.faults.get(name or "")
        if fault is None:
            return body
        out = fault(body, request)
        self.spoiled[name or ""] += out != body
        return out


def shared_run(
    aws: Any,
    tmp: Path,
    regions: tuple[str, ...],
    faults: dict[str, Fault],
    setup: Callable[[str], None] = lambda url: None,
) -> SimpleNamespace:
    """``setup(url)`` (planting repositories), then one collection of account A in ``regions`` with
    ``faults`` (operation → fault) set."""
    with pytest.MonkeyPatch.context() as mp:
        aws_env(mp, aws.server.url)
        aws.front.reset()
        setup(aws.server.url)
        aws.front.faults.update(faults)
        try:
            result = collect(options(tmp, regions=regions, role_arns=()))
        finally:
            aws.front.reset()
    return SimpleNamespace(result=result, tmp=tmp, usage=ecrcost.load(tmp / "inventory"))


# ---- AWS answers: DescribeImages, ListTagsForResource, GetLifecyclePolicy, DescribeRegistry ---------

CA = "ca-central-1"


def _detail(change: Callable[[dict[str, Any]], Any]) -> Fault:
    return edit(lambda doc: change(doc["imageDetails"][0]))


# case → (fault on that repository's DescribeImages, a word its gap's reason must hold)
DESCRIBE_IMAGES: dict[str, tuple[Fault, str]] = {
    "half": (truncated, "imageDetails"),
    "{}": (empty, "imageDetails"),
    "null": (lambda body, request: b"null", "unreadable"),
    "size-1e20": (_detail(lambda d: d.update(imageSizeInBytes=1e20)), "imageSizeInBytes"),
    "size-2^53+1": (_detail(lambda d: d.update(imageSizeInBytes=2**53 + 1)), "imageSizeInBytes"),
    "size-negative": (_detail(lambda d: d.update(imageSizeInBytes=-1)), "imageSizeInBytes"),
    "size-text": (_detail(lambda d: d.update(imageSizeInBytes="1000")), "imageSizeInBytes"),
    "size-bool": (_detail(lambda d: d.update(imageSizeInBytes=True)), "imageSizeInBytes"),
    "digest-number": (_detail(lambda d: d.update(imageDigest=5)), "imageDigest"),
    "digest-a-tag": (_detail(lambda d: d.update(imageDigest="latest")), "imageDigest"),
    "digest-missing": (_detail(lambda d: d.pop("imageDigest")), "imageDigest"),
    "tags-numbers": (_detail(lambda d: d.update(imageTags=[1])), "imageTags"),
    "status-number": (_detail(lambda d: d.update(imageStatus=5)), "imageStatus"),
    "time-garbage": (_detail(lambda d: d.update(imagePushedAt="garbage")), "unreadable"),
}
TAGS: dict[str, Fault] = {
    "no-key": edit(lambda doc: doc.update(tags=[{"Value": "cc-42"}])),
    "number-key": edit(lambda doc: doc.update(tags=[{"Key": 1, "Value": "cc-42"}])),
    "no-value": edit(lambda doc: doc.update(tags=[{"Key": "CostCenter"}])),
    "text": edit(lambda doc: doc.update(tags="CostCenter")),
    "{}": empty,
    "half": truncated,
}
POLICY = json.dumps({"rules": [{"rulePriority": 1, "selection": {"tagStatus": "any",
    "countType": "imageCountMoreThan", "countNumber": 5}, "action": {"type": "expire"}}]})  # fmt: skip


@pytest.fixture(scope="module")
def answers(aws, tmp_path_factory):
    """One repository per case in ca-central-1 (plus ``ok/plain``, left alone), one collection."""

    def setup(url: str) -> None:
        names = [f"di/{slug(c)}" for c in DESCRIBE_IMAGES] + [f"tags/{slug(c)}" for c in TAGS]
        for name in [*names, "lc/empty", "ok/plain"]:
            plant(url, CA, name, [text("docker-v2.json")])
        clients(url, ACCOUNT_A, CA)[0].put_lifecycle_policy(
            repositoryName="lc/empty", lifecyclePolicyText=POLICY
        )

    images = Dispatch(
        {f"di/{slug(c)}": f for c, (f, _) in DESCRIBE_IMAGES.items()}, lambda r: r.get("repositoryName")
    )
    tags = Dispatch(
        {f"tags/{slug(c)}": f for c, f in TAGS.items()}, lambda r: r["resourceArn"].split(":repository/")[-1]
    )
    policy = Dispatch({"lc/empty": empty}, lambda r: r.get("repositoryName"))
    faults = {
        "DescribeImages": images,
        "ListTagsForResource": tags,
        "GetLifecyclePolicy": policy,
        "DescribeRegistry": empty,
    }
    run = shared_run(aws, tmp_path_factory.mktemp("answers"), (CA,), faults, setup)
    run.spoiled = {"DescribeImages": images.spoiled, "ListTagsForResource": tags.spoiled}
    return run


@pytest.mark.parametrize("case", sorted(DESCRIBE_IMAGES))
def test_a_truncated_empty_or_ill_typed_describe_images_is_a_gap_naming_the_field(answers, case):
    repository = f"di/{slug(case)}"
    assert gaps(answers.result, repository) == {(CA, repository, "DescribeImages", "BadAnswer", "")}
    assert DESCRIBE_IMAGES[case][1] in reasons(answers.result, repository)
    assert answers.spoiled["DescribeImages"][repository] == 2  # asked once more, then given up
    assert repository not in set(answers.usage.images["repository"])


@pytest.mark.parametrize("case", sorted(TAGS))
def test_malformed_tags_are_a_gap_not_a_crash_and_not_silently_none(answers, case):
    repository = f"tags/{slug(case)}"
    assert gaps(answers.result, repository) == {(CA, repository, "ListTagsForResource", "BadAnswer", "")}
    assert answers.spoiled["ListTagsForResource"][repository] == 2
    assert (answers.usage.images["repository"] == repository).sum() == 1  # its images read all the same


def test_an_empty_lifecycle_policy_or_registry_answer_is_a_gap(answers):
    assert gaps(answers.result, "lc/empty") == {(CA, "lc/empty", "GetLifecyclePolicy", "BadAnswer", "")}
    assert (CA, "", "DescribeRegistry", "BadAnswer", "") in gaps(answers.result)


def test_the_repositories_beside_bad_answers_are_read_whole(answers):
    assert not gaps(answers.result, "ok/plain")
    layers = answers.usage.layers
    plain = layers[layers["repository"] == "ok/plain"]
    assert dict(zip(plain["layer_digest"], plain["size_bytes"], strict=True)) == blobs("docker-v2.json")
    assert len(answers.result.gaps) == len(DESCRIBE_IMAGES) + len(TAGS) + 2  # nothing else went wrong


@pytest.fixture(scope="module")
def second_tries(aws, tmp_path_factory):
    """us-east-1 with the first DescribeImages of team-a/web cut short, the first GetMetricData
    empty and the first BatchGetImage of team-a/web carrying other bytes: each asked again once."""
    faults = {
        "DescribeImages": only(WEB, times(1, truncated)),
        "GetMetricData": times(1, empty),
        "BatchGetImage": only(WEB, times(1, _swap_manifest(DOCKER, _bigger("docker-v2.json")))),
    }
    with pytest.MonkeyPatch.context() as mp:
        aws_env(mp, aws.server.url)
        aws.front.reset()
        aws.front.faults.update(faults)
        tmp = tmp_path_factory.mktemp("second")
        try:
            result = east(tmp, internet_share="1")
            spoiled = dict(aws.front.faulted)
        finally:
            aws.front.reset()
    return SimpleNamespace(result=result, tmp=tmp, spoiled=spoiled)


def test_a_good_second_answer_is_used_and_nothing_is_missing(second_tries):
    assert not second_tries.result.partial
    assert second_tries.spoiled == {"DescribeImages": 1, "GetMetricData": 1, "BatchGetImage": 1}
    calls = second_tries.result.summary["api"]["calls"]
    assert calls["ecr.DescribeImages"] == 4  # three repositories, one again
    assert calls["cloudwatch.GetMetricData"] == 2 and calls["ecr.BatchGetImage"] == 4


def test_images_pulls_and_layers_after_a_second_try_are_the_seeded_ones(second_tries):
    images = table(second_tries.tmp, "images")
    assert (images["repository"] == WEB).sum() == 2
    pulls = table(second_tries.tmp, "pulls").set_index("repository")["pull_count"]
    assert pulls[WEB] == 30 and pulls[API] == 0
    assert _web_bytes(second_tries.tmp / "inventory") == unique_bytes(ACCOUNT_A, EAST, WEB)


def test_a_page_that_fails_keeps_the_pages_read_before_it(env, tmp_path):
    env.front.page_size = 1
    env.front.faults["DescribeImages"] = only(API, where(lambda r: "nextToken" in r, truncated))
    result = east(tmp_path)
    assert gaps(result) == {(EAST, API, "DescribeImages", "BadAnswer", "")}
    images = table(tmp_path, "images")
    assert (images["repository"] == API).sum() == 1  # the first page
    assert (images["repository"] == WEB).sum() == 2


def test_an_empty_describe_repositories_is_a_gap_for_the_registry_and_exit_3(env, tmp_path):
    env.front.faults["DescribeRepositories"] = empty
    out = tmp_path / "inv"
    args = ["collect", "-o", str(out), "--region", EAST, "--quiet", "--cache-dir", str(tmp_path / "c")]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 3, run.output
    assert "DescribeRepositories BadAnswer" in run.stderr and "repositories" in run.stderr
    assert "Traceback" not in run.output
    summary = json.loads((out / "collection.json").read_text())
    [gap] = summary["coverage"]["gaps"]
    assert (gap["operation"], gap["error_code"]) == ("DescribeRepositories", "BadAnswer")


# ---- AWS answers: GetMetricData ----------------------------------------------------------------


def _drop_first(doc: dict) -> None:
    doc["MetricDataResults"] = [r for r in doc["MetricDataResults"] if r["Id"] != "r0"]


def _forbid_first(doc: dict) -> None:
    doc["MetricDataResults"][0]["StatusCode"] = "Forbidden"


def _results(**update: Any) -> Fault:
    """Every MetricDataResults entry changed: ``key=value`` sets, ``key=None`` removes."""

    def change(doc: dict) -> None:
        for result in doc["MetricDataResults"]:
            for key, value in update.items():
                result.pop(key) if value is None else result.update({key: value})

    return edit(change)


# case → (region, fault on that region's GetMetricData, the whole call fails or one query only)
METRICS: dict[str, tuple[str, Fault, bool]] = {
    "{}": ("us-east-2", empty, True),
    "half": ("us-west-1", truncated, True),
    "results-text": ("us-west-2", edit(lambda doc: doc.update(MetricDataResults="r0")), True),
    "values-text": ("eu-west-2", _results(Values=["10"]), True),
    "values-1e20": ("eu-west-3", _results(Values=[1e20]), True),
    "values-negative": ("eu-north-1", _results(Values=[-5.0]), True),
    "no-id": ("ap-northeast-1", _results(Id=None), True),
    "unknown-id": ("ap-northeast-2", _results(Id="zz"), True),
    "no-status": ("ap-northeast-3", _results(StatusCode=None), True),
    "one-missing": ("ap-southeast-1", edit(_drop_first), False),
    "forbidden": ("ap-southeast-2", edit(_forbid_first), False),
}


def _first_repository(request: dict[str, Any]) -> str:
    return request["MetricDataQueries"][0]["MetricStat"]["Metric"]["Dimensions"][0]["Value"]


@pytest.fixture(scope="module")
def metrics(aws, tmp_path_factory):
    """Two repositories per case, in a region of its own (one GetMetricData call each)."""

    def setup(url: str) -> None:
        for case, (region, _, _) in METRICS.items():
            for name in (f"m/{slug(case)}/a", f"m/{slug(case)}/b"):
                plant(url, region, name, [text("docker-v2.json")])

    faults = Dispatch({f"m/{slug(c)}/a": f for c, (_, f, _) in METRICS.items()}, _first_repository)
    regions = tuple(region for region, _, _ in METRICS.values())
    return shared_run(aws, tmp_path_factory.mktemp("metrics"), regions, {"GetMetricData": faults}, setup)


@pytest.mark.parametrize("case", sorted(METRICS))
def test_a_malformed_get_metric_data_is_a_gap_not_zero_pulls(metrics, case):
    region, _, whole = METRICS[case]
    got = {(g.repository, g.operation, g.error_code) for g in metrics.result.gaps if g.region == region}
    pulls = metrics.usage.repositories  # every repository is listed ...
    assert {f"m/{slug(case)}/a", f"m/{slug(case)}/b"} <= set(pulls["repository"])
    counted = set(pd.read_parquet(metrics.tmp / "inventory" / "pulls.parquet")["repository"])
    if whole:
        assert got == {("", "GetMetricData", "BadAnswer")}
        assert not {f"m/{slug(case)}/a", f"m/{slug(case)}/b"} & counted  # ... but no count is made up
    else:  # r0, the first repository, is unanswered (or Forbidden); the other one is read
        code = "Forbidden" if case == "forbidden" else "BadAnswer"
        assert got == {(f"m/{slug(case)}/a", "GetMetricData", code)}
        assert f"m/{slug(case)}/b" in counted and f"m/{slug(case)}/a" not in counted


def test_a_malformed_get_metric_data_leaves_transfer_unknown_and_exit_3(env, tmp_path):
    """The issue's headline: a `{}` GetMetricData made the total drop, exit 0."""
    env.front.faults["GetMetricData"] = empty
    out = tmp_path / "inv"
    args = ["collect", "-o", str(out), "--region", EAST, "--quiet", "--cache-dir", str(tmp_path / "c")]
    run = CliRunner().invoke(app, [*args, "--internet-share", "1"])
    assert run.exit_code == 3, run.output
    assert "GetMetricData BadAnswer" in run.stderr
    assert pd.read_parquet(out / "transfer.parquet").empty and pd.read_parquet(out / "pulls.parquet").empty
    report = CliRunner().invoke(app, ["report", str(out), "--month", str(MONTH)], env={"COLUMNS": "200"})
    assert report.exit_code == 0 and "Partial coverage" in report.output


# ---- AWS answers: STS and EC2 ------------------------------------------------------------------


def test_a_truncated_assume_role_is_a_gap_for_that_account(env, tmp_path):
    env.front.faults["AssumeRole"] = where(lambda r: r.get("RoleArn") == ROLE_B, truncated)
    result = collect(options(tmp_path, regions=(EAST,), role_arns=(ROLE_B, ROLE_A)))
    assert gaps(result) == {("", "", "AssumeRole", "BadAnswer", "")}
    assert result.gaps[0].account_id == ACCOUNT_B
    assert set(table(tmp_path, "images")["account_id"]) == {ACCOUNT_A}


def test_an_empty_caller_identity_is_a_gap_and_exit_3(env, tmp_path):
    env.front.faults["GetCallerIdentity"] = lambda body, request: b""
    out = tmp_path / "inv"
    args = ["collect", "-o", str(out), "--region", EAST, "--quiet", "--cache-dir", str(tmp_path / "c")]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 3, run.output
    assert "GetCallerIdentity BadAnswer" in run.stderr and "Traceback" not in run.output


def test_a_truncated_describe_regions_leaves_the_regions_offered_with_a_note(env):
    from ecrcost.sources.collect.regions import resolve
    from ecrcost.sources.collect.sessions import Clients

    env.front.faults["DescribeRegions"] = lambda body, request: body[: len(body) // 3]
    clients = Clients()
    regions, notes = resolve(clients, (), True)
    assert set(regions) == set(clients.base_session().get_available_regions("ecr"))
    assert notes and "BadAnswer" in notes[0]


# ---- manifests ---------------------------------------------------------------------------------


def _swap_manifest(digest: str, manifest: str) -> Fault:
    def change(doc: dict) -> None:
        for image in doc.get("images", []):
            if image["imageId"]["imageDigest"] == digest:
                image["imageManifest"] = manifest

    return edit(change)


def _bigger(name: str) -> str:
    doc = json.loads(text(name))
    doc["layers"][0]["size"] += 1
    return json.dumps(doc, indent=3)


def _self_listing_index() -> str:
    doc = json.loads(text("oci-index.json"))
    doc["manifests"] = [dict(doc["manifests"][0], digest=INDEX)]
    return json.dumps(doc)


def _web_bytes(folder: Path) -> int:
    layers = pd.read_parquet(folder / "layers.parquet")
    return int(layers[layers["repository"] == WEB].drop_duplicates("layer_digest")["size_bytes"].sum())


@pytest.fixture(scope="module")
def swapped(aws, tmp_path_factory):
    """us-east-1 with the Docker v2 manifest's bytes changed in team-a/web and the index replaced by
    one that lists itself in team-a/api; then a second collection with the same cache, unspoiled."""
    tmp = tmp_path_factory.mktemp("swapped")
    faults = Dispatch(
        {
            WEB: _swap_manifest(DOCKER, _bigger("docker-v2.json")),
            API: _swap_manifest(INDEX, _self_listing_index()),
        },
        lambda r: r.get("repositoryName"),
    )
    run = shared_run(aws, tmp, (EAST,), {"BatchGetImage": faults})
    run.spoiled = faults.spoiled
    with pytest.MonkeyPatch.context() as mp:
        aws_env(mp, aws.server.url)
        aws.front.reset()
        run.again = collect(options(tmp, output=tmp / "again", regions=(EAST,), role_arns=()))
        run.again_requests = aws.front.requests["BatchGetImage"]
    return run


def test_a_manifest_that_does_not_match_its_digest_is_a_gap(swapped):
    assert gaps(swapped.result, WEB) == {(EAST, WEB, "BatchGetImage", "BadAnswer", DOCKER)}
    assert "does not match its digest" in reasons(swapped.result, WEB)
    assert swapped.spoiled[WEB] == 2  # asked once more, for that manifest alone
    layers = swapped.usage.layers
    assert not (layers["image_digest"] == DOCKER).any()  # no layers from bytes that are not the image
    images = swapped.usage.images.set_index("image_digest")
    assert images.loc[DOCKER, "size_bytes"] > 0  # its DescribeImages size remains, the gap beside it


def test_an_index_that_lists_itself_is_a_gap_not_an_undercount(swapped):
    assert gaps(swapped.result, API) == {(EAST, API, "BatchGetImage", "BadAnswer", INDEX)}
    assert not any("schema 1" in n and "2 Docker" in n for n in swapped.result.summary["notes"])


def test_a_manifest_that_did_not_match_was_not_cached(swapped):
    assert not swapped.again.partial
    assert swapped.again_requests == 2  # the two manifests that were refused, in their repositories
    assert _web_bytes(swapped.tmp / "again") == unique_bytes(ACCOUNT_A, EAST, WEB)


def test_a_poisoned_cache_entry_is_never_served(env, tmp_path):
    cache = tmp_path / "cache"
    east(tmp_path)  # fills the cache
    with sqlite3.connect(cache / "manifests.sqlite") as db:  # someone else's bytes under our digest
        db.execute("UPDATE manifests SET manifest = ? WHERE digest = ?", (_bigger("docker-v2.json"), DOCKER))
    env.front.reset()
    result = collect(options(tmp_path, output=tmp_path / "again", regions=(EAST,), role_arns=()))
    assert not result.partial and env.front.requests["BatchGetImage"] == 1
    assert _web_bytes(tmp_path / "again") == unique_bytes(ACCOUNT_A, EAST, WEB)
    with sqlite3.connect(cache / "manifests.sqlite") as db:
        [(stored,)] = db.execute("SELECT manifest FROM manifests WHERE digest = ?", (DOCKER,))
    assert stored == text("docker-v2.json")


def _layer(**change: Any) -> str:
    doc = json.loads(text("oci-manifest.json"))
    doc["layers"][0].update(change)
    return json.dumps(doc)


def _many_big_layers() -> str:
    doc = json.loads(text("oci-manifest.json"))
    doc["layers"] = [dict(doc["layers"][0], size=2**52, digest=sha(str(i))) for i in range(3)]
    return json.dumps(doc)


def _without(key: str) -> str:
    doc = json.loads(text("oci-manifest.json"))
    doc.pop(key)
    return json.dumps(doc)


# case → (a manifest stored under the sha256 of its bytes, a word its gap's reason must hold)
BAD_MANIFESTS = {
    "nested-200k": ("[" * 200_000 + "]" * 200_000, "nested"),
    "not-json": ("{not json", "not JSON"),
    "json-array": ("[1, 2]", "object"),
    "layer-1e20": (_layer(size=1e20), "size"),
    "layer-negative": (_layer(size=-1), "size"),
    "layer-text": (_layer(size="1000"), "size"),
    "layer-no-digest": (_layer(digest=None), "digest"),
    "no-layers": (_without("layers"), "layers"),
    "no-config": (_without("config"), "config"),
    "schema-3": (json.dumps(dict(json.loads(text("oci-manifest.json")), schemaVersion=3)), "schemaVersion"),
    "too-many-bytes": (_many_big_layers(), "2^53"),  # each layer in range, their sum not
}
ODD = "ap-south-1"


@pytest.fixture(scope="module")
def odd(aws, tmp_path_factory):
    """One repository per bad manifest in ap-south-1, each beside a good Docker v2 image."""

    def setup(url: str) -> None:
        for case, (manifest, _) in BAD_MANIFESTS.items():
            plant(url, ODD, f"odd/{slug(case)}", [manifest, text("docker-v2.json")], size=777)

    return shared_run(aws, tmp_path_factory.mktemp("odd"), (ODD,), {}, setup)


@pytest.mark.parametrize("case", sorted(BAD_MANIFESTS))
def test_a_manifest_that_cannot_be_read_is_a_gap_and_its_neighbours_are_read(odd, case):
    manifest, word = BAD_MANIFESTS[case]
    repository = f"odd/{slug(case)}"
    assert gaps(odd.result, repository) == {(ODD, repository, "BatchGetImage", "BadAnswer", sha(manifest))}
    assert word in reasons(odd.result, repository)
    layers = odd.usage.layers
    assert set(layers[layers["repository"] == repository]["image_digest"]) == {DOCKER}
    images = odd.usage.images
    mine = images[(images["repository"] == repository)].set_index("image_digest")
    assert mine.loc[sha(manifest), "size_bytes"] == 777  # its DescribeImages size, with the gap beside it


def test_unreadable_manifests_are_not_called_schema_1_and_the_inventory_prices(odd):
    assert not any("schema 1" in n for n in odd.result.summary["notes"])
    assert Decimal(0) < ecrcost.estimate(odd.usage, month=str(MONTH)).totals()["storage_usd"]
