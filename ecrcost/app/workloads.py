"""Adding workloads to an inventory from files: the pods of a ``kubectl get pods -A -o json`` file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..core.errors import InputError
from ..sources import kube
from ..sources import workloads as table

ACCOUNT = re.compile(r"^(\d{12})?$")


@dataclass(frozen=True)
class Added:
    cluster: str
    pods: int
    rows: int


def add_kubectl(
    folder: str | Path, file: str | Path, cluster: str, account_id: str = "", region: str = ""
) -> Added:
    """Replace the pods of ``cluster`` in the workloads table of the inventory ``folder`` with the
    running pods of ``file``; written in one step (the table before or after, never half)."""
    folder, file = Path(folder), Path(file)
    if not folder.is_dir():
        raise InputError("not an inventory folder", file=folder)
    if not ACCOUNT.match(account_id):
        raise InputError(f"'{account_id}' is not a 12-digit account id", field="account_id")
    if not cluster.strip():
        raise InputError("the cluster needs a name", field="cluster")
    pods = kube.read_kubectl_file(file)
    seen = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = table.frame(kube.pod_rows(pods, cluster.strip(), seen, account_id, region))
    table.replace_rows(folder, rows, "kubernetes", cluster.strip())
    running = sum(
        1 for p in pods if isinstance(p, dict) and (p.get("status") or {}).get("phase") in kube.RUNNING
    )
    return Added(cluster.strip(), running, len(rows))
