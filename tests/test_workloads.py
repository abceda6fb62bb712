"""What runs where: the workloads table, ``ecrcost workloads --from-kubectl``, the lifecycle what-if that
keeps running images, ``report --by workload``, and pods read live from a local Kubernetes API server."""

from __future__ import annotations

import json
import shutil
import sys
import threading
from decimal import Decimal as D
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
from factories import OCI_INDEX, GiB, Inventory, MiB, digest, write_csv
from typer.testing import CliRunner

import ecrcost
from ecrcost.analysis.chargeback import by_workload
from ecrcost.cli import app
from ecrcost.core.money import CENT, allocate, share
from ecrcost.sources import kube
from ecrcost.sources.workloads import parse_image, read_workloads

FIXTURES = Path(__file__).parent / "fixtures" / "workloads"
A = "123456789012"
B = "111122223333"
runner = CliRunner()
WEEK = {"countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7}
UNTAGGED_WEEK = {  # untagged images, and "latest" (the multi-arch index), after a week
    "rules": [
        {"rulePriority": 1, "selection": {"tagStatus": "untagged", **WEEK}, "action": {"type": "expire"}},
        {
            "rulePriority": 2,
            "selection": {"tagStatus": "tagged", "tagPatternList": ["latest"], **WEEK},
            "action": {"type": "expire"},
        },
    ]
}
AS_OF = ["--as-of", "2026-11-27T00:00:00Z", "--month", "2026-11"]


def estate(folder: Path) -> Path:
    """Two accounts' registries: a tag that moved (team-a/web v1), a multi-arch index whose arm64 child
    runs, a scheduled task's image, a Lambda image, a repository nobody uses, and account B's base image
    pulled from account A's cluster. With the hand-written ECS and Lambda rows of workloads.csv."""
    inv = Inventory(folder)
    web = {"base": 100 * MiB}
    inv.push("team-a/web", "v1-old", "2026-09-01", web | {"web-old": 30 * MiB})
    inv.push("team-a/web", "v1-new", "2026-11-01", web | {"web-new": 30 * MiB}, tags="v1")
    index = inv.push("team-a/api", "index", "2026-10-01", tags="latest", media_type=OCI_INDEX, size_bytes=0)
    inv.push("team-a/api", "amd64", "2026-10-01", {"api-amd": 60 * MiB}, parent=index)
    inv.push("team-a/api", "arm64", "2026-10-01", {"api-arm": 60 * MiB}, parent=index)
    inv.push("team-b/batch", "nightly", "2026-10-01", {"batch": 200 * MiB}, tags="nightly")
    inv.push("team-b/batch", "old", "2026-08-01", {"batch-old": 200 * MiB})
    inv.push("lambda/resize", "prod", "2026-10-05", {"resize": 80 * MiB}, tags="prod")
    inv.push("idle/old", "2019", "2026-01-01", {"old": 1024 * MiB}, tags="2019")
    inv.push("shared/base", "b1", "2026-06-01", {"sb": 70 * MiB}, tags="b1", account=B)
    inv.write()
    shutil.copy(FIXTURES / "workloads.csv", folder / "workloads.csv")
    return folder


def add_pods(folder: Path, *extra: str) -> None:
    args = [
        "workloads",
        str(folder),
        "--from-kubectl",
        str(FIXTURES / "pods.json"),
        "--cluster",
        "eks-1",
        *extra,
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "4 pods" in result.stderr and "eks-1" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{A}.dkr.ecr.us-east-1.amazonaws.com/team-a/web:v1", (A, "us-east-1", "team-a/web", "v1", "")),
        (
            f"docker-pullable://{A}.dkr.ecr.eu-west-1.amazonaws.com/api@{digest('x')}",
            (A, "eu-west-1", "api", "", digest("x")),
        ),
        (
            f"{A}.dkr.ecr.us-east-1.amazonaws.com/web:v2@{digest('y')}",
            (A, "us-east-1", "web", "v2", digest("y")),
        ),
        ("nginx", ("", "", "nginx", "latest", "")),
        ("localhost:5000/app:3", ("", "", "app", "3", "")),
        (digest("z"), ("", "", "", "", digest("z"))),
    ],
)
def test_image_references_are_taken_apart(text, expected):
    ref = parse_image(text)
    assert ref is not None and (ref.account_id, ref.region, ref.repository, ref.tag, ref.digest) == expected


def test_kubectl_pods_become_rows_with_the_pulled_digest_init_containers_and_owners():
    pods = kube.read_kubectl_file(FIXTURES / "pods.json")
    rows = pd.DataFrame(kube.pod_rows(pods, "eks-1", "2026-11-27T00:00:00Z"))
    # the Succeeded Job's pod is not running: idle/old is not in use
    assert "idle/old" not in set(rows["repository"])
    api = rows[rows["container"] == "api"]
    assert set(api["workload"]) == {"Deployment/api"} and len(api) == 2
    assert set(api["image_digest"]) == {digest("team-a/api:arm64")}
    migrate = rows[rows["container"] == "migrate"]  # an init container, digest from docker-pullable://
    assert set(migrate["image_digest"]) == {digest("team-a/web:v1-new")}
    base = rows[rows["namespace"] == "tools"].iloc[0]
    assert (base["registry_account_id"], base["repository"], base["workload"]) == (
        B,
        "shared/base",
        "StatefulSet/base-tool",
    )
    proxy = rows[rows["container"] == "proxy"].iloc[0]  # a bare image id is the config's: no digest
    assert proxy["image_digest"] == "" and proxy["repository"] == "nginx"


def test_from_kubectl_replaces_the_clusters_pods_atomically_and_keeps_other_rows(tmp_path):
    folder = estate(tmp_path / "inv")
    add_pods(folder)
    table = read_workloads(folder)
    assert table is not None
    assert sorted(set(table["kind"])) == ["ecs-scheduled", "ecs-service", "ecs-task", "kubernetes", "lambda"]
    api = table[(table["container"] == "api")]
    assert len(api) == 1 and api["tasks"].iloc[0] == 2  # two pods of one Deployment, one row
    first = dict(zip(table["container"], table["first_seen"], strict=False))
    # the hand-written rows' parts come from the image reference
    task = table[table["kind"] == "ecs-task"].iloc[0]
    assert (task["repository"], task["image_tag"], task["registry_account_id"]) == ("team-a/web", "v1", A)
    add_pods(folder)  # again: the same rows, first_seen kept, nothing duplicated
    again = read_workloads(folder)
    assert again is not None and len(again) == len(table)
    assert dict(zip(again["container"], again["first_seen"], strict=False)) == first
    empty = tmp_path / "none.json"
    empty.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": []}))
    result = runner.invoke(
        app, ["workloads", str(folder), "--from-kubectl", str(empty), "--cluster", "eks-1"]
    )
    assert result.exit_code == 0
    left = read_workloads(folder)
    assert left is not None and "kubernetes" not in set(left["kind"]) and len(left) == 4


def test_a_file_that_is_not_kubectl_json_is_one_line_and_the_table_is_untouched(tmp_path):
    folder = estate(tmp_path / "inv")
    before = (folder / "workloads.csv").read_bytes()
    bad = tmp_path / "pods.yaml"
    bad.write_text("apiVersion: v1\nitems: []\n")
    result = runner.invoke(app, ["workloads", str(folder), "--from-kubectl", str(bad)])
    assert result.exit_code == 2
    assert "pods.yaml" in result.stderr and "not JSON" in result.stderr and "Traceback" not in result.output
    assert (folder / "workloads.csv").read_bytes() == before


def test_a_bad_kind_in_the_workloads_table_names_file_row_and_column(tmp_path):
    folder = estate(tmp_path / "inv")
    text = (folder / "workloads.csv").read_text().replace("ecs-scheduled", "cron")
    (folder / "workloads.csv").write_text(text)
    result = runner.invoke(app, ["estimate", str(folder)])
    assert result.exit_code == 2
    assert "workloads.csv" in result.stderr and "kind" in result.stderr and "4" in result.stderr


def test_what_if_keeps_running_digests_and_refuses_with_fail_on_unsafe(tmp_path):
    folder = estate(tmp_path / "inv")
    add_pods(folder)
    policy = tmp_path / "untagged.json"
    policy.write_text(json.dumps(UNTAGGED_WEEK))
    args = ["lifecycle", str(folder), "--policy", str(policy), *AS_OF]
    result = runner.invoke(app, [*args, "-f", "json", "--fail-on-unsafe"])
    assert result.exit_code == 5, result.output
    [sim] = json.loads(result.stdout, parse_float=D)["policies"]
    hit = {p["image_digest"]: p["protected"] for p in sim["protected"]}
    # the task runs the digest whose tag moved; the pods run the index's arm64 child: the index is in use,
    # and so its amd64 child
    wanted = {digest(f"team-a/{name}") for name in ("web:v1-old", "api:index", "api:arm64", "api:amd64")}
    assert hit == dict.fromkeys(wanted, "running")
    # 3 ECS tasks of prod/web and 2 pods of Deployment/api
    assert (sim["running_images_hit"], sim["running_instances"]) == (4, 5)
    assert digest("team-b/batch:old") in sim["expired"]
    # the saving is only team-b/batch:old's layer (200 MiB): the running images stay stored
    assert sim["bytes_freed"] == 200 * MiB
    table = runner.invoke(app, args)
    assert table.exit_code == 0
    assert "would expire 4 image(s) that 5 running task(s)/pod(s)/function(s) use" in " ".join(
        table.stdout.split()
    )
    (folder / "workloads.csv").unlink()
    without = runner.invoke(app, [*args, "-f", "json", "--fail-on-unsafe"])
    assert without.exit_code == 0
    assert json.loads(without.stdout)["policies"][0]["bytes_freed"] == (200 + 30 + 60 + 60) * MiB


def test_chargeback_by_workload_sums_to_the_estimate_to_the_cent(tmp_path):
    folder = estate(tmp_path / "inv")
    add_pods(folder)
    usage = ecrcost.load(folder)
    est = ecrcost.estimate(usage, month="2026-11")
    table = by_workload(est, usage)
    totals = est.totals(D("0.01"))
    for column in ("storage_usd", "transfer_usd", "total_usd"):
        assert sum(table[column], D(0)) == totals[column]
    rows = dict(zip(table["workload"], table["storage_usd"], strict=True))
    assert set(rows) == {
        "ecs prod/web",
        "ecs prod/nightly",
        "lambda resize",
        "kubernetes eks-1/shop/Deployment/api",
        "kubernetes eks-1/tools/StatefulSet/base-tool",
        "idle",
    }
    repo = {
        r: v for r, v in zip(est.rounded(CENT)["repository"], est.rounded(CENT)["storage_usd"], strict=True)
    }
    # team-a/web: the base layer (100 MiB) is held by the ECS service and by the pods' init container
    # (v1-new), web-old (30) by the ECS task alone, web-new (30) by both: 50 + 30 + 15 against 50 + 15
    web = allocate(repo["team-a/web"], share(repo["team-a/web"], [D(95), D(65)]), CENT)
    assert rows["ecs prod/web"] == web[0]
    # idle: idle/old (nobody) and team-b/batch:old's layer (half of that repository's bytes)
    batch = allocate(repo["team-b/batch"], share(repo["team-b/batch"], [D(1), D(1)]), CENT)
    assert rows["idle"] in {repo["idle/old"] + b for b in batch}
    assert rows["ecs prod/nightly"] in set(batch) and rows["lambda resize"] == repo["lambda/resize"]
    # account B's base image, pulled by a pod in account A's cluster, is charged to that pod's owner
    assert rows["kubernetes eks-1/tools/StatefulSet/base-tool"] == repo["shared/base"]
    result = runner.invoke(app, ["report", str(folder), "--month", "2026-11", "--by", "workload"])
    assert result.exit_code == 0, result.output
    assert "Cost by workload" in result.stdout and "idle" in result.stdout


def test_chargeback_splits_transfer_by_the_bytes_cloudtrail_saw_each_image_pull(tmp_path):
    folder = estate(tmp_path / "inv")
    add_pods(folder)
    web = {"account_id": A, "region": "us-east-1", "repository": "team-a/web"}
    write_csv(folder / "transfer.csv", [web | {"internet_out_gb": "5", "basis": "cloudtrail"}])
    # v1-old runs in the ECS task alone; v1-new in the ECS service and the pod's init container
    pulled = {"team-a/web:v1-old": (3 * GiB, 0), "team-a/web:v1-new": (GiB, GiB)}
    write_csv(folder / "pulls.csv", [
        web | {"image_digest": digest(name), "pull_count": 10, "layer_downloads": 20,
               "bytes": internet + cross + GiB, "same_region_bytes": GiB, "cross_region_bytes": cross,
               "internet_bytes": internet, "aws_service_bytes": 0}
        for name, (internet, cross) in pulled.items()
    ])  # fmt: skip
    usage = ecrcost.load(folder)
    est = ecrcost.estimate(usage, month="2026-11")
    table = by_workload(est, usage)
    for column in ("storage_usd", "transfer_usd", "total_usd"):
        assert sum(table[column], D(0)) == est.totals(D("0.01"))[column]
    transfer = dict(zip(table["workload"], table["transfer_usd"], strict=True))
    # 5 GB x $0.09 = $0.45: ECS 3 GiB + half of v1-new's 2 GiB = 4 against the pod's 1 (not per task: 3 to 1)
    assert est.totals(D("0.01"))["transfer_usd"] == D("0.45")
    assert (transfer["ecs prod/web"], transfer["kubernetes eks-1/shop/Deployment/api"]) == (
        D("0.36"),
        D("0.09"),
    )


def test_report_by_workload_without_a_workloads_table_says_how_to_get_one(tmp_path):
    folder = Inventory(tmp_path / "inv")
    folder.push("app", "a", "2026-10-01", {"x": MiB}, tags="a")
    result = runner.invoke(app, ["report", str(folder.write()), "--by", "workload"])
    assert result.exit_code == 2 and "collect --workloads" in result.stderr


# --- live: a local API server answering GET /api/v1/pods the way Kubernetes does ---------------------


class PodsAPI(BaseHTTPRequestHandler):
    pods: ClassVar[list] = []
    page = 2
    token = "t0ken"
    seen: ClassVar[list] = []

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        type(self).seen.append((url.path, query, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            self.send_response(401)
            self.end_headers()
            self.wfile.write(b'{"kind":"Status","status":"Failure","reason":"Unauthorized","code":401}')
            return
        limit = int(query.get("limit", ["500"])[0])
        size = min(limit, self.page)
        start = int(query.get("continue", ["0"])[0])
        items = self.pods[start : start + size]
        meta = {"resourceVersion": "4242"}
        if start + size < len(self.pods):
            meta["continue"] = str(start + size)
        body = json.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": meta, "items": items}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def api_server():
    PodsAPI.pods = kube.read_kubectl_file(FIXTURES / "pods.json")
    PodsAPI.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), PodsAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def kubeconfig(tmp_path: Path, server: str) -> Path:
    text = f"""apiVersion: v1
kind: Config
clusters:
- name: arn:aws:eks:us-east-1:{A}:cluster/eks-1
  cluster: {{server: "{server}"}}
- name: gone
  cluster: {{server: "http://127.0.0.1:9"}}
contexts:
- name: eks-1
  context: {{cluster: "arn:aws:eks:us-east-1:{A}:cluster/eks-1", user: reader}}
- name: gone
  context: {{cluster: gone, user: reader}}
current-context: eks-1
users:
- name: reader
  user: {{token: {PodsAPI.token}}}
"""
    path = tmp_path / "kubeconfig"
    path.write_text(text)
    return path


def test_pods_are_read_page_by_page_and_an_unreachable_cluster_is_a_gap(tmp_path, api_server):
    chosen = kube.contexts(kubeconfig(tmp_path, api_server))
    rows, gaps, calls = kube.read_contexts(chosen, "2026-11-27T00:00:00Z")
    assert calls == 3  # 5 pods, 2 a page: the continue token followed to the end
    assert [q.get("continue") for _, q, _ in PodsAPI.seen] == [None, ["2"], ["4"]]
    assert all(path == "/api/v1/pods" for path, _, _ in PodsAPI.seen)
    assert {r["cluster"] for r in rows} == {"eks-1"} and {r["account_id"] for r in rows} == {A}
    assert len(rows) == len(kube.pod_rows(PodsAPI.pods, "eks-1", ""))
    [gap] = gaps
    assert gap.operation == "ListPods" and "context gone" in gap.message


def test_a_context_that_is_refused_is_a_gap_not_an_empty_cluster(tmp_path, api_server):
    path = kubeconfig(tmp_path, api_server)
    path.write_text(path.read_text().replace(PodsAPI.token, "wrong"))
    rows, gaps, _ = kube.read_contexts(kube.contexts(path, ["eks-1"]), "")
    assert rows == [] and [g.error_code for g in gaps] == ["HTTP 401"]
    with pytest.raises(ecrcost.InputError, match="no context named nope"):
        kube.contexts(path, ["nope"])


def test_the_focus_export_tags_each_repository_with_the_workloads_that_run_it(tmp_path):
    folder = estate(tmp_path / "inv")
    add_pods(folder)
    out = tmp_path / "focus.csv"
    result = runner.invoke(
        app, ["export", str(folder), "--month", "2026-11", "--format", "focus", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out, dtype=str, keep_default_na=False)
    tags = {
        r: json.loads(t)["ecrcost:workloads"]
        for r, t in zip(rows["ResourceName"], rows["Tags"], strict=True)
        if t
    }
    assert tags["team-a/web"] == "ecs prod/web; kubernetes eks-1/shop/Deployment/api"
    assert tags["shared/base"] == "kubernetes eks-1/tools/StatefulSet/base-tool"
    assert "idle/old" not in tags


def test_an_exec_credential_plugin_gives_the_token_as_for_eks(tmp_path, api_server):
    path = kubeconfig(tmp_path, api_server)
    plugin = tmp_path / "get-token.py"
    credential = {"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1beta1"}
    plugin.write_text(
        f"import json; print(json.dumps({credential!r} | {{'status': {{'token': '{PodsAPI.token}'}}}}))"
    )
    exec_user = (
        "  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
        f"      command: {sys.executable}\n      args: ['{plugin}']\n"
    )
    path.write_text(path.read_text().replace(f"  user: {{token: {PodsAPI.token}}}\n", exec_user))
    rows, gaps, calls = kube.read_contexts(kube.contexts(path, ["eks-1"]), "")
    assert not gaps and calls == 3 and rows


def test_a_kubeconfig_without_workloads_or_a_missing_one_is_one_line(tmp_path):
    out = str(tmp_path / "inv")
    result = runner.invoke(app, ["collect", "-o", out, "--kubeconfig", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "--workloads" in result.stderr
    result = runner.invoke(app, ["collect", "-o", out, "--workloads", "--kubeconfig", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "nope" in result.stderr and "Traceback" not in result.output
