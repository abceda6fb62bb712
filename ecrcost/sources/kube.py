"""Kubernetes pods as workloads rows: from a ``kubectl get pods -A -o json`` file, or read live from the
API server of each kubeconfig context (``GET /api/v1/pods``, paged with ``limit`` / ``continue``).

Read-only: one GET per page of pods. Credentials as kubectl takes them from the kubeconfig: a bearer
token (``token``, ``tokenFile``), a client certificate, or an ``exec`` credential plugin (EKS's
``aws eks get-token``). A context that cannot be read is a coverage gap, never an empty cluster.
"""

from __future__ import annotations

import base64
import json
import os
import re
import ssl
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import InputError
from .collect.coverage import Gap
from .workloads import row

PAGE = 500  # pods per page
RUNNING = ("Running", "Pending")  # phases whose containers hold (or are pulling) their images
EKS_ARN = re.compile(r"^arn:aws[a-z-]*:eks:([a-z0-9-]+):(\d{12}):cluster/(.+)$")
TIMEOUT = 30


def pod_rows(
    pods: list[Any], cluster: str, seen: str, account_id: str = "", region: str = ""
) -> list[dict[str, Any]]:
    """A workloads row per container (and init container) of every running or pending pod: the image
    as the pod spec writes it, the digest the kubelet pulled (``imageID`` in ``repo@sha256:…`` form;
    a bare image id is the config's, not the manifest's, and is not used)."""
    out: list[dict[str, Any]] = []
    for pod in pods:
        if not isinstance(pod, dict):
            continue
        meta, spec, status = (pod.get(k) or {} for k in ("metadata", "spec", "status"))
        if status.get("phase") not in RUNNING:
            continue
        owner = _owner(meta)
        pulled: dict[str, str] = {}
        for s in [*(status.get("containerStatuses") or []), *(status.get("initContainerStatuses") or [])]:
            image_id = str((s or {}).get("imageID") or "")
            if "@" in image_id:
                pulled[str(s.get("name"))] = image_id
        for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
            name, image = str(container.get("name") or ""), str(container.get("image") or "")
            if not image:
                continue
            out.append(
                row(
                    account_id=account_id,
                    region=region,
                    kind="kubernetes",
                    cluster=cluster,
                    namespace=str(meta.get("namespace") or "default"),
                    workload=owner,
                    container=name,
                    image=image,
                    digest=pulled.get(name, ""),
                    tasks=1,
                    seen=seen,
                )
            )
    return out


def _owner(meta: dict[str, Any]) -> str:
    """``Kind/name`` of what runs the pod: a ReplicaSet's Deployment (its pod-template-hash dropped),
    else the first owner, else the pod itself."""
    owners = [o for o in meta.get("ownerReferences") or [] if isinstance(o, dict)]
    if not owners:
        return f"Pod/{meta.get('name', '')}"
    first = next((o for o in owners if o.get("controller")), owners[0])
    kind, name = str(first.get("kind") or ""), str(first.get("name") or "")
    suffix = "-" + str((meta.get("labels") or {}).get("pod-template-hash") or "")
    if kind == "ReplicaSet" and suffix != "-" and name.endswith(suffix):
        return f"Deployment/{name[: -len(suffix)]}"
    return f"{kind}/{name}"


def read_kubectl_file(path: Path) -> list[Any]:
    """The pods of a ``kubectl get pods -A -o json`` file (a ``List`` or ``PodList``; one pod alone
    too). Not JSON, or no items: an error naming the file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError("no such file", file=path, field="from_kubectl") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read it ({exc})", file=path, field="from_kubectl") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not JSON (line {exc.lineno}): write it with kubectl get pods -A -o json", file=path
        ) from None
    if isinstance(doc, dict) and doc.get("kind") == "Pod":
        return [doc]
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise InputError(
            "not a list of pods (no 'items'): write it with kubectl get pods -A -o json", file=path
        )
    return list(doc["items"])


# --- live: kubeconfig contexts -----------------------------------------------------------------------


@dataclass
class Context:
    """One kubeconfig context, resolved: its name, the cluster's name and server, TLS settings and
    the credentials to send."""

    name: str
    cluster: str
    server: str
    ca_file: str | None = None
    insecure: bool = False
    token: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    exec_spec: dict[str, Any] | None = None
    _temps: list[str] = field(default_factory=list)

    @property
    def account_region(self) -> tuple[str, str]:
        """Account and region of an EKS cluster named by its ARN (as ``aws eks update-kubeconfig``
        names them), else blanks."""
        found = EKS_ARN.match(self.cluster)
        return (found.group(2), found.group(1)) if found else ("", "")

    @property
    def label(self) -> str:
        found = EKS_ARN.match(self.cluster)
        return found.group(3) if found else self.cluster


def kubeconfig_path(given: Path | None) -> Path:
    if given is not None:
        return given
    env = os.environ.get("KUBECONFIG", "")
    first = env.split(os.pathsep)[0] if env else ""
    return Path(first) if first else Path.home() / ".kube" / "config"


def contexts(path: Path, wanted: list[str] | None = None) -> list[Context]:
    """The contexts of a kubeconfig (``wanted``: only these, by name; each must exist)."""
    import yaml  # type: ignore[import-untyped]

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such file", file=path, field="kubeconfig") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"not a kubeconfig ({type(exc).__name__})", file=path, field="kubeconfig") from None
    if not isinstance(doc, dict):
        raise InputError("not a kubeconfig", file=path, field="kubeconfig")
    clusters = {
        c.get("name"): c.get("cluster") or {} for c in doc.get("clusters") or [] if isinstance(c, dict)
    }
    users = {u.get("name"): u.get("user") or {} for u in doc.get("users") or [] if isinstance(u, dict)}
    out = []
    for entry in doc.get("contexts") or []:
        if not isinstance(entry, dict):
            continue
        name, ctx = str(entry.get("name")), entry.get("context") or {}
        if wanted and name not in wanted:
            continue
        cluster, user = clusters.get(ctx.get("cluster")), users.get(ctx.get("user"), {})
        if not cluster or not cluster.get("server"):
            raise InputError(
                f"context '{name}' names no cluster with a server", file=path, field="kubeconfig"
            )
        c = Context(name, str(ctx.get("cluster")), str(cluster["server"]).rstrip("/"))
        c.insecure = bool(cluster.get("insecure-skip-tls-verify"))
        c.ca_file = _file(c, cluster, "certificate-authority", path)
        c.cert_file = _file(c, user, "client-certificate", path)
        c.key_file = _file(c, user, "client-key", path)
        c.token = user.get("token")
        if not c.token and user.get("tokenFile"):
            try:
                c.token = Path(user["tokenFile"]).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(
                    f"context '{name}': cannot read its tokenFile ({exc})", file=path, field="kubeconfig"
                ) from None
        c.exec_spec = user.get("exec")
        out.append(c)
    missing = sorted(set(wanted or ()) - {c.name for c in out})
    if missing:
        raise InputError(f"no context named {', '.join(missing)}", file=path, field="context")
    return out


def _file(c: Context, section: dict[str, Any], key: str, config: Path) -> str | None:
    """A path for ``key`` (relative to the kubeconfig) or for ``key-data`` (base64, written to a
    private temporary file)."""
    if section.get(key):
        return str((config.parent / str(section[key])).resolve())
    data = section.get(f"{key}-data")
    if not data:
        return None
    fd, name = tempfile.mkstemp(prefix="ecrcost-kube-")
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64decode(data))
    c._temps.append(name)
    return name


def _exec_token(spec: dict[str, Any]) -> str:
    """The token an exec credential plugin prints (ExecCredential JSON, ``status.token``)."""
    env = dict(os.environ)
    for item in spec.get("env") or []:
        env[str(item.get("name"))] = str(item.get("value"))
    answer = subprocess.run(
        [str(spec.get("command")), *(str(a) for a in spec.get("args") or [])],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=True,
    )
    return str(json.loads(answer.stdout)["status"]["token"])


def pods(c: Context, page: int = PAGE) -> Iterator[list[Any]]:
    """Every page of ``GET /api/v1/pods`` (all namespaces), following ``metadata.continue``."""
    context = ssl.create_default_context(cafile=c.ca_file) if c.server.startswith("https") else None
    if context is not None and c.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if context is not None and c.cert_file:
        context.load_cert_chain(c.cert_file, c.key_file)
    token = c.token or (_exec_token(c.exec_spec) if c.exec_spec else None)
    headers = {"Accept": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    cont = ""
    seen: set[str] = set()
    while True:
        query = {"limit": str(page), **({"continue": cont} if cont else {})}
        url = f"{c.server}/api/v1/pods?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=TIMEOUT, context=context) as answer:
            doc = json.loads(answer.read())
        if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
            raise ValueError("the answer is not a pod list")
        yield doc["items"]
        cont = str((doc.get("metadata") or {}).get("continue") or "")
        if not cont:
            return
        if cont in seen:
            raise ValueError("the same continue token came twice")
        seen.add(cont)


def read_contexts(chosen: list[Context], seen: str) -> tuple[list[dict[str, Any]], list[Gap], int]:
    """Rows of every context's pods, a gap for each context that could not be read (its pages read
    before the failure are dropped: a partial cluster would look like stopped pods), and the GETs made."""
    rows: list[dict[str, Any]] = []
    gaps: list[Gap] = []
    calls = 0
    for c in chosen:
        account, region = c.account_region
        got: list[dict[str, Any]] = []
        try:
            for items in pods(c):
                calls += 1
                got += pod_rows(items, c.label, seen, account, region)
        except (OSError, ValueError, KeyError, subprocess.SubprocessError, ssl.SSLError) as exc:
            code = f"HTTP {exc.code}" if isinstance(exc, urllib.error.HTTPError) else type(exc).__name__
            gaps.append(Gap(account, region, "", "ListPods", code, f"context {c.name}: {str(exc)[:200]}"))
            continue
        finally:
            for name in c._temps:
                Path(name).unlink(missing_ok=True)
        rows += got
    return rows, gaps, calls
