"""What runs where, read live (``collect --workloads``): ECS services, tasks and scheduled tasks, and
Lambda functions packaged as images, as rows of the inventory's ``workloads`` table
(:mod:`ecrcost.sources.workloads`). Read-only: List*, Describe* and Get* only.

Per region and account:

- ECS: ListClusters; per cluster ListServices → DescribeServices (10 a call; every deployment's task
  definition), ListTasks → DescribeTasks (100 a call; ``containers[].imageDigest``: the digest ECS
  resolved the image to), ListRuleNamesByTarget (EventBridge rules on the default bus that start
  tasks in the cluster) → ListTargetsByRule; EventBridge Scheduler: ListSchedules (enabled) →
  GetSchedule (targets that are ECS clusters); DescribeTaskDefinition once per task definition a
  service, rule or schedule names.
- Lambda: ListFunctions → GetFunction for those with ``PackageType`` Image (``Code.ImageUri`` and
  ``Code.ResolvedImageUri``).
- Amazon Inspector: ListCoverage (:mod:`.inspector`): the images it says are in use.

A call that fails is a coverage gap naming its operation (the rows read before it are kept).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from ..workloads import row
from .coverage import Gap, error_code, message
from .inspector import read_inspector
from .permissions import declare
from .sessions import Account, Clients
from .shapes import FAILURES, BadAnswer, Page, ask, pages

declare(
    "ecs",
    "ListClusters",
    "ListServices",
    "DescribeServices",
    "ListTasks",
    "DescribeTasks",
    "DescribeTaskDefinition",
    when="--workloads",
)
declare("events", "ListRuleNamesByTarget", "ListTargetsByRule", when="--workloads")
declare("scheduler", "ListSchedules", "GetSchedule", when="--workloads")
declare("lambda", "ListFunctions", "GetFunction", when="--workloads")

SERVICES_BATCH = 10  # DescribeServices takes at most 10 services
TASKS_BATCH = 100  # DescribeTasks takes at most 100 tasks
PAGE = 100


@dataclass
class Workloads:
    """The rows read in one account-region, the gaps, and the least calls that read them."""

    account_id: str
    region: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    minimum: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read_workloads(clients: Clients, account: Account, region: str, seen: str) -> Workloads:
    out = Workloads(account.account_id, region)
    _ecs(clients, account, region, seen, out)
    _lambda(clients, account, region, seen, out)
    now = datetime.strptime(seen, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    read_inspector(clients.client("inspector2", account, region), out, now)
    return out


# --- answers' shapes ----------------------------------------------------------------------------------


def _list(key: str, token_key: str = "nextToken") -> Callable[[Any], Page[Any]]:
    def check(answer: Any) -> Page[Any]:
        if not isinstance(answer, dict) or not isinstance(answer.get(key, []), list):
            raise BadAnswer(f"{key} is not a list")
        token = answer.get(token_key)
        return Page(list(answer.get(key, [])), str(token) if token else None)

    return check


def _objects(key: str) -> Callable[[Any], list[dict[str, Any]]]:
    def check(answer: Any) -> list[dict[str, Any]]:
        items = answer.get(key) if isinstance(answer, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise BadAnswer(f"{key} is not a list of objects")
        return items

    return check


def _object(key: str) -> Callable[[Any], dict[str, Any]]:
    def check(answer: Any) -> dict[str, Any]:
        value = answer.get(key) if isinstance(answer, dict) else None
        if not isinstance(value, dict):
            raise BadAnswer(f"{key} is missing")
        return value

    return check


def _count(out: Workloads, op: str, n: int) -> None:
    out.minimum[op] = out.minimum.get(op, 0) + n


def _gap(out: Workloads, operation: str, exc: BaseException, where: str = "") -> None:
    out.gaps.append(Gap(out.account_id, out.region, where, operation, error_code(exc), message(exc)))


def _name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


# --- ECS -------------------------------------------------------------------------------------------


def _ecs(clients: Clients, account: Account, region: str, seen: str, out: Workloads) -> None:
    ecs = clients.client("ecs", account, region)
    clusters: list[str] = []
    try:
        for items in pages(
            "ListClusters",
            lambda t: ecs.list_clusters(maxResults=PAGE, **({"nextToken": t} if t else {})),
            _list("clusterArns"),
        ):
            clusters += [str(a) for a in items]
    except FAILURES as exc:
        _gap(out, "ListClusters", exc)
    _count(out, "ecs.ListClusters", max(1, math.ceil(len(clusters) / PAGE)))
    definitions: dict[str, list[tuple[str, str, str]]] = {}  # task definition → (kind, cluster, workload)
    for cluster in clusters:
        name = _name(cluster)
        for td, workload in _services(ecs, cluster, out):
            definitions.setdefault(td, []).append(("ecs-service", name, workload))
        _tasks(ecs, cluster, name, seen, out)
    for cluster in clusters:
        for td, workload in _rules(clients, account, region, cluster, out):
            definitions.setdefault(td, []).append(("ecs-scheduled", _name(cluster), workload))
    for td, workload, cluster in _schedules(clients, account, region, out):
        definitions.setdefault(td, []).append(("ecs-scheduled", _name(cluster), workload))
    for td, users in definitions.items():
        try:
            definition = ask(
                "DescribeTaskDefinition",
                partial(ecs.describe_task_definition, taskDefinition=td),
                _object("taskDefinition"),
            )
        except FAILURES as exc:
            _gap(out, "DescribeTaskDefinition", exc, td)
            continue
        finally:
            _count(out, "ecs.DescribeTaskDefinition", 1)
        for kind, cluster, workload in sorted(set(users)):
            for container in definition.get("containerDefinitions") or []:
                if isinstance(container, dict) and container.get("image"):
                    out.rows.append(
                        row(
                            account_id=out.account_id,
                            region=region,
                            kind=kind,
                            cluster=cluster,
                            workload=workload,
                            container=str(container.get("name") or ""),
                            image=str(container["image"]),
                            seen=seen,
                        )
                    )


def _described(
    out: Workloads,
    where: str,
    listing: tuple[str, Callable[[str | None], Any], str],
    describing: tuple[str, Callable[[list[str]], Any], str],
    batch: int,
) -> Iterator[dict[str, Any]]:
    """Every item an ECS List call names (operation, call with the page token, answer key), described
    a ``batch`` at a time (operation, call with the ARNs, answer key). A failed call is a gap naming
    ``where``; the calls are counted."""
    (list_op, list_call, list_key), (describe_op, describe_call, describe_key) = listing, describing
    arns: list[str] = []
    try:
        for items in pages(list_op, list_call, _list(list_key)):
            arns += [str(a) for a in items]
    except FAILURES as exc:
        _gap(out, list_op, exc, where)
    _count(out, f"ecs.{list_op}", max(1, math.ceil(len(arns) / PAGE)))
    for start in range(0, len(arns), batch):
        _count(out, f"ecs.{describe_op}", 1)
        try:
            chunk = arns[start : start + batch]
            found = ask(describe_op, partial(describe_call, chunk), _objects(describe_key))
        except FAILURES as exc:
            _gap(out, describe_op, exc, where)
            continue
        yield from found


def _services(ecs: Any, cluster: str, out: Workloads) -> list[tuple[str, str]]:
    """(task definition, service name) of every deployment of every service of ``cluster``."""
    found: list[tuple[str, str]] = []
    for s in _described(
        out,
        _name(cluster),
        (
            "ListServices",
            lambda t: ecs.list_services(cluster=cluster, maxResults=PAGE, **({"nextToken": t} if t else {})),
            "serviceArns",
        ),
        ("DescribeServices", lambda arns: ecs.describe_services(cluster=cluster, services=arns), "services"),
        SERVICES_BATCH,
    ):
        name = str(s.get("serviceName") or _name(str(s.get("serviceArn", ""))))
        tds = {str(d["taskDefinition"]) for d in s.get("deployments") or [] if d.get("taskDefinition")}
        if s.get("taskDefinition"):
            tds.add(str(s["taskDefinition"]))
        found += [(td, name) for td in sorted(tds)]
    return found


def _tasks(ecs: Any, cluster: str, name: str, seen: str, out: Workloads) -> None:
    """A row per container of every running task: the image and the digest ECS resolved it to."""
    tasks = _described(
        out,
        name,
        (
            "ListTasks",
            lambda t: ecs.list_tasks(cluster=cluster, maxResults=PAGE, **({"nextToken": t} if t else {})),
            "taskArns",
        ),
        ("DescribeTasks", lambda arns: ecs.describe_tasks(cluster=cluster, tasks=arns), "tasks"),
        TASKS_BATCH,
    )
    for task in tasks:
        group = str(task.get("group") or "")
        workload = group.split(":", 1)[1] if group.startswith("service:") else group
        workload = workload or _name(str(task.get("taskDefinitionArn", "")))
        for c in task.get("containers") or []:
            if isinstance(c, dict) and c.get("image"):
                out.rows.append(
                    row(
                        account_id=out.account_id,
                        region=out.region,
                        kind="ecs-task",
                        cluster=name,
                        workload=workload,
                        container=str(c.get("name") or ""),
                        image=str(c["image"]),
                        digest=str(c.get("imageDigest") or ""),
                        tasks=1,
                        seen=seen,
                    )
                )


def _rules(
    clients: Clients, account: Account, region: str, cluster: str, out: Workloads
) -> list[tuple[str, str]]:
    """(task definition, rule name) of the EventBridge rules (default bus) that start tasks in ``cluster``."""
    events = clients.client("events", account, region)
    names: list[str] = []
    try:
        for items in pages(
            "ListRuleNamesByTarget",
            lambda t: events.list_rule_names_by_target(
                TargetArn=cluster, Limit=PAGE, **({"NextToken": t} if t else {})
            ),
            _list("RuleNames", "NextToken"),
        ):
            names += [str(n) for n in items]
    except FAILURES as exc:
        _gap(out, "ListRuleNamesByTarget", exc, _name(cluster))
    _count(out, "eventbridge.ListRuleNamesByTarget", 1)  # botocore names the service so
    found: list[tuple[str, str]] = []
    for rule in names:
        _count(out, "eventbridge.ListTargetsByRule", 1)
        try:
            for targets in pages(
                "ListTargetsByRule",
                partial(_targets, events, rule),
                _list("Targets", "NextToken"),
            ):
                for target in targets:
                    td = (target.get("EcsParameters") or {}).get("TaskDefinitionArn")
                    if target.get("Arn") == cluster and td:
                        found.append((str(td), rule))
        except FAILURES as exc:
            _gap(out, "ListTargetsByRule", exc, rule)
    return found


def _targets(events: Any, rule: str, token: str | None) -> Any:
    return events.list_targets_by_rule(Rule=rule, Limit=PAGE, **({"NextToken": token} if token else {}))


def _schedules(clients: Clients, account: Account, region: str, out: Workloads) -> list[tuple[str, str, str]]:
    """(task definition, schedule name, cluster ARN) of enabled EventBridge Scheduler schedules whose
    target is an ECS cluster."""
    scheduler = clients.client("scheduler", account, region)
    listed: list[dict[str, Any]] = []
    try:
        for items in pages(
            "ListSchedules",
            lambda t: scheduler.list_schedules(
                State="ENABLED", MaxResults=PAGE, **({"NextToken": t} if t else {})
            ),
            _list("Schedules", "NextToken"),
        ):
            listed += [i for i in items if isinstance(i, dict)]
    except FAILURES as exc:
        _gap(out, "ListSchedules", exc)
    _count(out, "scheduler.ListSchedules", max(1, math.ceil(len(listed) / PAGE)))
    found: list[tuple[str, str, str]] = []
    for s in listed:
        target_arn = str((s.get("Target") or {}).get("Arn") or "")
        if ":ecs:" not in target_arn:  # ListSchedules names the target's ARN: only ECS clusters matter
            continue
        _count(out, "scheduler.GetSchedule", 1)
        try:
            got = ask(
                "GetSchedule",
                partial(
                    scheduler.get_schedule,
                    Name=s["Name"],
                    **({"GroupName": s["GroupName"]} if s.get("GroupName") else {}),
                ),
                _object("Target"),
            )
        except FAILURES as exc:
            _gap(out, "GetSchedule", exc, str(s.get("Name")))
            continue
        td = (got.get("EcsParameters") or {}).get("TaskDefinitionArn")
        if td:
            found.append((str(td), str(s.get("Name")), target_arn))
    return found


# --- Lambda ----------------------------------------------------------------------------------------


def _lambda(clients: Clients, account: Account, region: str, seen: str, out: Workloads) -> None:
    client = clients.client("lambda", account, region)
    functions: list[dict[str, Any]] = []
    calls = 0
    try:
        for items in pages(
            "ListFunctions",
            lambda t: client.list_functions(MaxItems=50, **({"Marker": t} if t else {})),
            _list("Functions", "NextMarker"),
        ):
            calls += 1
            functions += [f for f in items if isinstance(f, dict)]
    except FAILURES as exc:
        _gap(out, "ListFunctions", exc)
    _count(out, "lambda.ListFunctions", max(1, calls))
    for f in functions:
        if f.get("PackageType") != "Image":
            continue
        name = str(f.get("FunctionName") or "")
        _count(out, "lambda.GetFunction", 1)
        try:
            code = ask("GetFunction", partial(client.get_function, FunctionName=name), _object("Code"))
        except FAILURES as exc:
            _gap(out, "GetFunction", exc, name)
            continue
        image = str(code.get("ImageUri") or "")
        if image:
            out.rows.append(
                row(
                    account_id=out.account_id,
                    region=region,
                    kind="lambda",
                    cluster="",
                    workload=name,
                    container="",
                    image=image,
                    digest=str(code.get("ResolvedImageUri") or ""),
                    tasks=1,
                    seen=seen,
                )
            )
