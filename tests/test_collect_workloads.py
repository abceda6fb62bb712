"""collect --workloads over real HTTP: ECS (services, tasks, EventBridge rules, Scheduler schedules),
Lambda image functions and a kubeconfig's pods, against moto's server behind the test front."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from types import SimpleNamespace

import boto3
import pandas as pd
import pytest
from typer.testing import CliRunner

from ecrcost.cli import app
from ecrcost.sources.collect import collect
from ecrcost.sources.collect.permissions import actions
from ecrcost.sources.workloads import KEY, read_workloads
from tests.collect_seed import ACCOUNT_A, ACCOUNT_B, ROLE_A, aws_env, options, sha, text

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
HOST_A = f"{ACCOUNT_A}.dkr.ecr.us-east-1.amazonaws.com"
HOST_B = f"{ACCOUNT_B}.dkr.ecr.us-east-1.amazonaws.com"
OLD_WEB = sha(text("docker-v2.json"))  # team-a/web:v1 until the tag moved
ARM64 = sha(text("oci-child-arm64.json"))
BULK = 250  # standalone tasks in one cluster: the calls per 1,000 tasks
# as botocore names the services in events
WORKLOAD_SERVICES = ("ecs", "eventbridge", "scheduler", "lambda", "inspector2")
# What the ECS agent reports and moto does not: the digest each running container's image resolved to.
RESOLVED = {f"{HOST_A}/team-a/web:v1": OLD_WEB, f"{HOST_A}/team-a/api:latest": ARM64}


def with_digests(body: bytes, request: dict) -> bytes:
    doc = json.loads(body)
    for task in doc.get("tasks", []):
        for c in task.get("containers", []):
            if c.get("image") in RESOLVED:
                c["imageDigest"] = RESOLVED[c["image"]]
    return json.dumps(doc).encode()


def seed_workloads(endpoint: str) -> None:
    """In account A, us-east-1: cluster prod (EC2 capacity) with service web (team-a/web:v1 and account
    B's shared/base:b1) running 2 tasks, a standalone api task (the multi-arch team-a/api:latest), a
    nightly EventBridge rule and an hourly schedule starting task definition batch (no service);
    cluster bulk with BULK standalone tasks; a Lambda function packaged as image resize:prod. Then
    team-a/web's tag v1 moves to another image."""
    kw = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    ecr, ecs, ec2 = (boto3.client(s, **kw) for s in ("ecr", "ecs", "ec2"))
    for cluster in ("prod", "bulk"):
        ecs.create_cluster(clusterName=cluster)
        instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
        identity = {"instanceId": instance["InstanceId"], "region": "us-east-1", "accountId": ACCOUNT_A}
        ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=json.dumps(identity))

    def definition(family: str, *images: str) -> str:
        containers = [{"name": f"c{i}", "image": image, "memory": 6} for i, image in enumerate(images)]
        answer = ecs.register_task_definition(family=family, containerDefinitions=containers)
        return answer["taskDefinition"]["taskDefinitionArn"]

    web = definition("web", f"{HOST_A}/team-a/web:v1", f"{HOST_B}/shared/base:b1")
    api = definition("api", f"{HOST_A}/team-a/api:latest")
    batch = definition("batch", f"{HOST_A}/team-b/worker:w1")
    ecs.create_service(
        cluster="prod", serviceName="web", taskDefinition=web, desiredCount=2, launchType="EC2"
    )
    ecs.run_task(cluster="prod", taskDefinition=web, count=2, launchType="EC2", group="service:web")
    ecs.run_task(cluster="prod", taskDefinition=api, count=1, launchType="EC2")
    for _ in range(BULK // 10):
        ecs.run_task(cluster="bulk", taskDefinition=api, count=10, launchType="EC2")
    cluster = ecs.describe_clusters(clusters=["prod"])["clusters"][0]["clusterArn"]
    role = f"arn:aws:iam::{ACCOUNT_A}:role/scheduler"
    events = boto3.client("events", **kw)
    events.put_rule(Name="nightly", ScheduleExpression="cron(0 3 * * ? *)")
    target = {"Arn": cluster, "RoleArn": role, "EcsParameters": {"TaskDefinitionArn": batch, "TaskCount": 1}}
    events.put_targets(Rule="nightly", Targets=[{"Id": "batch", **target}])
    boto3.client("scheduler", **kw).create_schedule(
        Name="hourly",
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": cluster, "RoleArn": role, "EcsParameters": {"TaskDefinitionArn": batch}},
    )
    ecr.create_repository(repositoryName="resize")
    manifest = text("oci-manifest.json")
    ecr.put_image(repositoryName="resize", imageManifest=manifest, imageDigest=sha(manifest), imageTag="prod")
    iam = boto3.client("iam", **kw)
    lambda_role = iam.create_role(RoleName="resize", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda", **kw).create_function(
        FunctionName="resize",
        Role=lambda_role,
        PackageType="Image",
        Code={"ImageUri": f"{HOST_A}/resize:prod"},
    )
    # the tag moves: the running tasks keep the digest they started with (its build tag keeps it listed:
    # moto drops an image whose last tag moves, ECR would keep it untagged)
    old = text("docker-v2.json")
    ecr.put_image(repositoryName="team-a/web", imageManifest=old, imageDigest=sha(old), imageTag="build-41")
    ecr.put_image(
        repositoryName="team-a/web", imageManifest=manifest, imageDigest=sha(manifest), imageTag="v1"
    )


@pytest.fixture(scope="module")
def run(aws, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("workloads")
    sent: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        aws_env(mp, aws.server.url)
        mp.setenv("MOTO_LAMBDA_STUB_ECR", "false")  # moto resolves the image through its ECR
        seed_workloads(aws.server.url)
        aws.front.reset()
        aws.front.faults["DescribeTasks"] = with_digests
        hook = ("before-call", lambda event_name, **_: sent.append(".".join(event_name.split(".")[1:3])))
        result = collect(options(tmp, regions=("us-east-1",), hooks=(hook,), workloads=True))
        aws.front.reset()
    table = read_workloads(tmp / "inventory")
    assert table is not None
    return SimpleNamespace(result=result, sent=sent, folder=tmp / "inventory", table=table, tmp=tmp)


def rows(table: pd.DataFrame, **where: str) -> pd.DataFrame:
    mask = pd.Series(True, index=table.index)
    for k, v in where.items():
        mask &= table[k] == v
    return table[mask]


def test_running_tasks_carry_the_digest_ecs_resolved_even_after_the_tag_moved(run):
    assert not run.result.partial, [g.label() for g in run.result.gaps]
    assert run.result.summary["workloads"] == len(run.table) == 8
    tasks = rows(run.table, account_id=ACCOUNT_A, kind="ecs-task", cluster="prod", workload="web")
    web = tasks[tasks["repository"] == "team-a/web"].iloc[0]
    assert (web["image_digest"], web["image_tag"], web["tasks"]) == (OLD_WEB, "v1", 2)
    # the service's task definition: both containers (moto's tasks carry only the first), one of them
    # pulled across accounts
    service = rows(run.table, kind="ecs-service", workload="web")
    assert set(service["repository"]) == {"team-a/web", "shared/base"} and set(service["tasks"]) == {0}
    base = service[service["repository"] == "shared/base"].iloc[0]
    assert (base["account_id"], base["registry_account_id"], base["image_tag"]) == (
        ACCOUNT_A,
        ACCOUNT_B,
        "b1",
    )
    api = rows(run.table, kind="ecs-task", cluster="prod", workload="family:api").iloc[0]
    assert api["image_digest"] == ARM64


def test_scheduled_tasks_without_a_service_and_lambda_images_are_recorded(run):
    scheduled = rows(run.table, kind="ecs-scheduled", cluster="prod")
    assert set(scheduled["workload"]) == {"nightly", "hourly"}
    assert set(scheduled["repository"]) == {"team-b/worker"}
    [fn] = rows(run.table, kind="lambda").itertuples()
    assert (fn.workload, fn.repository, fn.image_tag) == ("resize", "resize", "prod")
    assert fn.image_digest == sha(text("oci-manifest.json"))


def test_the_what_if_on_the_collected_inventory_refuses_to_expire_the_running_digest(run):
    policy = run.tmp / "old-builds.json"
    rule = {"tagStatus": "tagged", "tagPatternList": ["build-*"], "countType": "sinceImagePushed"}
    rule |= {"countUnit": "days", "countNumber": 1}
    policy.write_text(
        json.dumps({"rules": [{"rulePriority": 1, "selection": rule, "action": {"type": "expire"}}]})
    )
    args = ["lifecycle", str(run.folder), "--policy", str(policy), "-f", "json", "--fail-on-unsafe"]
    args += ["--as-of", "2100-01-01T00:00:00Z"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 5, result.output
    [sim] = json.loads(result.stdout)["policies"]
    assert {(p["repository"], p["image_digest"]) for p in sim["protected"]} >= {("team-a/web", OLD_WEB)}


def test_calls_per_thousand_tasks_and_only_declared_read_actions(run):
    calls = run.result.summary["api"]["calls"]
    # BULK tasks in cluster bulk, 3 in prod: ListTasks pages of 100 (moto answers one page) and
    # DescribeTasks batches of 100
    assert calls["ecs.DescribeTasks"] == math.ceil(BULK / 100) + 1
    assert calls["ecs.ListTasks"] == math.ceil(BULK / 100) + 1
    minimum = run.result.summary["api"]["minimum_calls"]
    ours = [op for op in minimum if op.split(".")[0] in WORKLOAD_SERVICES]
    assert {op: calls.get(op, 0) for op in ours} == {op: minimum[op] for op in ours}
    sent = {
        op.replace("eventbridge.", "events.").replace(".", ":")
        for op in run.sent
        if op.split(".")[0] in WORKLOAD_SERVICES
    }
    declared = set(actions(workloads=True)) - set(actions())
    assert sent == declared
    assert all(a.split(":")[1].startswith(("List", "Describe", "Get")) for a in declared)
    policy = CliRunner().invoke(app, ["iam-policy", "--workloads"])
    granted = {a for s in json.loads(policy.stdout)["Statement"] for a in s["Action"]}
    assert declared <= granted and not any(a.startswith("eks:") for a in granted)


def test_later_collections_keep_imported_pods_and_first_seen(run, aws, monkeypatch, tmp_path):
    from ecrcost.app.workloads import add_kubectl

    folder = tmp_path / "inventory"
    shutil.copytree(run.folder, folder)
    add_kubectl(folder, ROOT / "data" / "examples" / "kubectl-pods.json", "eks-1")
    aws_env(monkeypatch, aws.server.url)
    aws.front.reset()
    aws.front.faults["DescribeTasks"] = with_digests
    first = run.table.set_index(KEY)["first_seen"]
    for workloads in (False, True):  # without --workloads the table stays; with, the pods stay
        result = collect(options(tmp_path, regions=("us-east-1",), workloads=workloads, force=True))
        assert result.replaced
        table = read_workloads(folder)
        assert table is not None
        assert set(table.loc[table["kind"] == "kubernetes", "cluster"]) == {"eks-1"}
        ecs = table[table["kind"] != "kubernetes"].set_index(KEY)["first_seen"]
        assert ecs.reindex(first.index).equals(first)
    aws.front.reset()


@pytest.mark.usefixtures("run")  # the seeded estate, even when another module ran in between
def test_a_bad_answer_is_a_gap_and_the_rest_is_kept(aws, monkeypatch, tmp_path):
    from tests.fakeaws import truncated

    aws_env(monkeypatch, aws.server.url)
    aws.front.reset()
    aws.front.faults["DescribeTasks"] = truncated  # every answer cut short: asked twice, then a gap
    try:
        result = collect(options(tmp_path, regions=("us-east-1",), workloads=True))
    finally:
        aws.front.reset()
    gaps = {(g.account_id, g.repository, g.operation, g.error_code) for g in result.gaps}
    assert gaps == {
        (ACCOUNT_A, "prod", "DescribeTasks", "BadAnswer"),
        (ACCOUNT_A, "bulk", "DescribeTasks", "BadAnswer"),
    }
    table = read_workloads(tmp_path / "inventory")
    assert table is not None and "ecs-task" not in set(table["kind"])
    assert {"ecs-service", "ecs-scheduled", "lambda"} <= set(table["kind"])
    result = CliRunner().invoke(app, ["report", str(tmp_path / "inventory"), "--by", "workload"])
    assert result.exit_code == 0 and "DescribeTasks" in result.stdout


# --- Amazon Inspector: ListCoverage's in-use view, served by the test front (moto has none) ----------

LEGACY = sha(text("schema1.json"))  # legacy/tool:2015, which no ECS task, service or function names


def covered(repository: str, digest: str, count: int, last_in_use: float | None) -> dict:
    """One ListCoverage coveredResources item, as Inspector answers it for an ECR image."""
    image: dict = {"tags": ["x"], "imagePulledAt": 1_700_000_000.0, "inUseCount": count}
    if last_in_use is not None:
        image["lastInUseAt"] = last_in_use
    return {
        "resourceType": "AWS_ECR_CONTAINER_IMAGE",
        "resourceId": f"arn:aws:ecr:us-east-1:{ACCOUNT_A}:repository/{repository}/{digest}",
        "accountId": ACCOUNT_A,
        "scanType": "PACKAGE",
        "scanStatus": {"statusCode": "ACTIVE", "reason": "SUCCESSFUL"},
        "resourceMetadata": {
            "ecrRepository": {"name": repository, "scanFrequency": "CONTINUOUS_SCAN"},
            "ecrImage": image,
        },
    }


def inspect(aws, tmp: Path) -> tuple:
    """collect --workloads of account A with Inspector covering three images in us-east-1 (two pages
    of 2): legacy/
    tool in use (1 task) though nothing collected names it, team-a/web's running digest, and the
    arm64 child not in use since 2023."""
    import time

    aws.front.coverage["us-east-1"] = [
        covered("legacy/tool", LEGACY, 1, time.time() - 3600),
        covered("team-a/web", OLD_WEB, 2, time.time()),
        covered("team-a/api", ARM64, 0, 1_690_000_000.0),
    ]
    aws.front.page_size = 2
    aws.front.faults["DescribeTasks"] = with_digests
    return collect(options(tmp, regions=("us-east-1",), role_arns=(ROLE_A,), workloads=True))


@pytest.mark.usefixtures("run")  # the seeded estate, even when another module ran in between
def test_inspector_in_use_images_no_workload_names_are_reported_and_protected(aws, monkeypatch, tmp_path):
    aws_env(monkeypatch, aws.server.url)
    aws.front.reset()
    try:
        result = inspect(aws, tmp_path)
        assert aws.front.requests["ListCoverage"] == 2
    finally:
        aws.front.reset()
    assert not result.partial, [g.label() for g in result.gaps]
    table = read_workloads(tmp_path / "inventory")
    assert table is not None
    seen = rows(table, kind="inspector")
    assert sorted(zip(seen["repository"], seen["image_digest"], seen["tasks"], strict=True)) == [
        ("legacy/tool", LEGACY, 1),
        ("team-a/web", OLD_WEB, 2),
    ]
    [note] = [n for n in result.summary["notes"] if n.startswith("Amazon Inspector")]
    assert "1 image(s)" in note and "legacy/tool@" in note and "team-a/web" not in note
    policy = tmp_path / "old.json"
    rule = {"tagStatus": "tagged", "tagPatternList": ["20*"], "countType": "sinceImagePushed"}
    rule |= {"countUnit": "days", "countNumber": 1}
    policy.write_text(
        json.dumps({"rules": [{"rulePriority": 1, "selection": rule, "action": {"type": "expire"}}]})
    )
    args = ["lifecycle", str(tmp_path / "inventory"), "--policy", str(policy), "-f", "json"]
    out = CliRunner().invoke(app, [*args, "--as-of", "2100-01-01T00:00:00Z", "--fail-on-unsafe"])
    assert out.exit_code == 5, out.output
    [sim] = json.loads(out.stdout)["policies"]
    assert [(p["repository"], p["protected"]) for p in sim["protected"]] == [("legacy/tool", "inspector")]
    assert sim["running_images_hit"] == 0 and sim["repositories"]
    assert any("Amazon Inspector" in n for n in sim["notes"])
    # the chargeback names no "inspector" workload
    report = CliRunner().invoke(app, ["report", str(tmp_path / "inventory"), "--by", "workload"])
    body = report.stdout.split("\n", 1)[1]  # below the title, which names the folder
    assert report.exit_code == 0 and "ecs prod/family:api" in body and "inspector" not in body


@pytest.mark.usefixtures("run")  # the seeded estate, even when another module ran in between
def test_inspector_not_enabled_is_a_note_not_a_gap(aws, monkeypatch, tmp_path):
    aws_env(monkeypatch, aws.server.url)
    aws.front.reset()
    aws.front.inspector_errors["us-east-1"] = "AccessDeniedException"
    args = ["collect", "-o", str(tmp_path / "inventory"), "--quiet", "--region", "us-east-1"]
    args += ["--cache-dir", str(tmp_path / "cache"), "--workloads"]
    try:
        result = CliRunner().invoke(app, args)
    finally:
        aws.front.reset()
    assert result.exit_code == 0, result.output
    assert f"note: Amazon Inspector not read in {ACCOUNT_A}/us-east-1 (AccessDeniedException" in result.stderr
    notes = json.loads((tmp_path / "inventory" / "collection.json").read_text())["notes"]
    assert any("AccessDeniedException: not enabled" in n for n in notes)
    table = read_workloads(tmp_path / "inventory")
    assert table is not None and "inspector" not in set(table["kind"])


@pytest.mark.usefixtures("run")  # the seeded estate, even when another module ran in between
def test_a_failed_inspector_page_is_a_gap_and_the_first_page_stays(aws, monkeypatch, tmp_path):
    from tests.fakeaws import edit, truncated, where

    def spoil(doc: dict) -> None:  # the second page names an image by something that is not its ARN
        doc["coveredResources"][0]["resourceId"] = "sha256:" + "0" * 64

    aws_env(monkeypatch, aws.server.url)
    aws.front.reset()
    aws.front.faults["ListCoverage"] = where(lambda request: bool(request.get("nextToken")), edit(spoil))
    try:
        result = inspect(aws, tmp_path)
    finally:
        aws.front.reset()
    gaps = {(g.account_id, g.region, g.operation, g.error_code) for g in result.gaps}
    assert gaps == {(ACCOUNT_A, "us-east-1", "ListCoverage", "BadAnswer")}
    table = read_workloads(tmp_path / "inventory")
    assert table is not None
    assert set(rows(table, kind="inspector")["repository"]) == {"legacy/tool", "team-a/web"}

    # a second page cut short (botocore reads it as an empty answer) is a gap too, not the list's end
    aws.front.faults["ListCoverage"] = where(lambda request: bool(request.get("nextToken")), truncated)
    try:
        result = inspect(aws, tmp_path)
    finally:
        aws.front.reset()
    assert {(g.operation, g.error_code) for g in result.gaps} == {("ListCoverage", "BadAnswer")}
