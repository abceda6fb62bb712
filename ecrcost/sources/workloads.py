"""The ``workloads`` table of an inventory: which images run where (docs/formats.md).

One row per workload × container × image: an ECS service's task definition, the running tasks of a
service or standalone task, a scheduled task's definition, a Lambda function, or the pods of one
Kubernetes owner. ``collect --workloads`` writes it with the rest of the inventory; ``ecrcost workloads
--from-kubectl`` replaces the pods of one cluster in it, atomically.

The image reference is kept as written (``image``), and resolved where it names an ECR registry:
``registry_account_id``, ``registry_region``, ``repository``, ``image_tag`` and ``image_digest`` (the
digest the runtime resolved: ECS ``imageDigest``, the kubelet's ``imageID``, Lambda's resolved URI).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import InputError
from . import checks
from .files import read_table

COLUMNS = [
    "account_id",
    "region",
    "kind",
    "cluster",
    "namespace",
    "workload",
    "container",
    "image",
    "registry_account_id",
    "registry_region",
    "repository",
    "image_tag",
    "image_digest",
    "tasks",
    "first_seen",
    "last_seen",
]
REQUIRED = ["kind", "workload", "image"]
KINDS = ["ecs-service", "ecs-task", "ecs-scheduled", "lambda", "kubernetes", "inspector"]
# What identifies a row from one reading to the next (first_seen is carried over on it).
KEY = [c for c in COLUMNS if c not in ("tasks", "first_seen", "last_seen")]
ECR_HOST = re.compile(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}$")
SCHEMES = ("docker-pullable://", "docker://", "containerd://", "cri-o://")


@dataclass(frozen=True)
class ImageRef:
    """An image reference taken apart. ``account_id``/``region``: of an ECR registry host ("" for any
    other registry); ``repository``: the path after the host; ``tag`` / ``digest``: "" when absent."""

    account_id: str
    region: str
    repository: str
    tag: str
    digest: str


def parse_image(text: str) -> ImageRef | None:
    """``[host/]repository[:tag][@digest]`` (a ``docker-pullable://`` scheme is dropped); a bare digest
    names no repository. None for an empty or malformed reference."""
    text = text.strip()
    for scheme in SCHEMES:
        if text.startswith(scheme):
            text = text[len(scheme) :]
    if not text:
        return None
    if DIGEST.match(text):
        return ImageRef("", "", "", "", text)
    name, _, digest = text.partition("@")
    if digest and not DIGEST.match(digest):
        return None
    host, slash, rest = name.partition("/")
    account = region = ""
    if slash and ("." in host or ":" in host or host == "localhost"):
        found = ECR_HOST.match(host)
        if found:
            account, region = found.group(1), found.group(2)
        name = rest
    head, colon, tail = name.rpartition(":")
    repository, tag = (head, tail) if colon and "/" not in tail else (name, "")
    if not repository:
        return None
    return ImageRef(account, region, repository, tag if tag or digest else "latest", digest)


def row(
    *,
    account_id: str,
    region: str,
    kind: str,
    cluster: str,
    workload: str,
    container: str,
    image: str,
    namespace: str = "",
    digest: str = "",
    tasks: int = 0,
    seen: str = "",
) -> dict[str, Any]:
    """One workloads row; ``digest``: what the runtime resolved (else the reference's own, if any)."""
    ref = parse_image(image) or ImageRef("", "", "", "", "")
    resolved = parse_image(digest) if digest else None
    return {
        "account_id": account_id,
        "region": region,
        "kind": kind,
        "cluster": cluster,
        "namespace": namespace,
        "workload": workload,
        "container": container,
        "image": image,
        "registry_account_id": ref.account_id,
        "registry_region": ref.region,
        "repository": ref.repository,
        "image_tag": ref.tag,
        "image_digest": (resolved.digest if resolved else "") or ref.digest,
        "tasks": tasks,
        "first_seen": seen,
        "last_seen": seen,
    }


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a table: the same key read twice (two tasks of a service) is one row, tasks summed."""
    table = pd.DataFrame(rows, columns=COLUMNS)
    for c in COLUMNS:
        table[c] = table[c].astype("int64") if c == "tasks" else table[c].fillna("").astype(str)
    if not len(table):
        return table
    out = table.groupby(KEY, sort=True, dropna=False).agg(
        tasks=("tasks", "sum"), first_seen=("first_seen", "min"), last_seen=("last_seen", "max")
    )
    return out.reset_index()[COLUMNS]


def carry(previous: pd.DataFrame | None, current: pd.DataFrame) -> pd.DataFrame:
    """``current`` with each row's ``first_seen`` taken from ``previous`` where the same row was seen
    before."""
    if previous is None or not len(previous) or not len(current):
        return current
    earlier = previous.groupby(KEY, sort=False)["first_seen"].min()
    keys = pd.MultiIndex.from_frame(current[KEY])
    before = earlier.reindex(keys).to_numpy(dtype=object)
    out = current.copy()
    known = pd.notna(before) & (before != "")
    first = out["first_seen"].to_numpy(dtype=object)
    first[known] = before[known]
    out["first_seen"] = first
    return out


def read_workloads(folder: Path) -> pd.DataFrame | None:
    """The inventory's workloads table (every column, text and integer tasks); None when absent. A bad
    kind or task count is an error naming file, row and column."""
    from .inventory import find_table

    path = find_table(folder, "workloads", False)
    if path is None:
        return None
    raw = read_table(path, REQUIRED, [c for c in COLUMNS if c not in REQUIRED])
    out = pd.DataFrame(index=raw.frame.index)
    for c in COLUMNS:
        if c == "tasks":
            continue
        out[c] = (
            checks.text(raw, c).astype(str).str.strip()
            if c in raw.frame
            else pd.Series("", index=raw.frame.index)
        )
    bad = ~out["kind"].isin(KINDS)
    if bad.any():
        first = int(bad.to_numpy().argmax())
        raise raw.error(f"'{out['kind'].iloc[first]}' is not one of {', '.join(KINDS)}", first, "kind")
    out["tasks"] = checks.byte_count(raw, "tasks") if "tasks" in raw.frame else 0
    _resolve_blanks(out, raw)
    return out[COLUMNS].reset_index(drop=True)


def _resolve_blanks(out: pd.DataFrame, raw: Any) -> None:
    """A hand-written table may give only the image: its registry, repository, tag (and a digest it
    pins) come from the reference, once per distinct image."""
    blank = (out["repository"] == "") & (out["image_digest"] == "")
    blank |= out["repository"] == ""
    if not blank.any():
        return
    parsed: dict[str, ImageRef] = {}
    for position, image in zip(blank.to_numpy().nonzero()[0], out.loc[blank, "image"], strict=True):
        if image not in parsed:
            ref = parse_image(image)
            if ref is None:
                raise raw.error(f"'{image}' is not an image reference", int(position), "image")
            parsed[image] = ref
    refs = out.loc[blank, "image"].map(parsed)
    for column, attr in (
        ("registry_account_id", "account_id"),
        ("registry_region", "region"),
        ("repository", "repository"),
        ("image_tag", "tag"),
    ):
        out.loc[blank, column] = [getattr(r, attr) for r in refs]
    pinned = blank & (out["image_digest"] == "")
    out.loc[pinned, "image_digest"] = [parsed[i].digest for i in out.loc[pinned, "image"]]


def table_bytes(table: pd.DataFrame, fmt: str) -> bytes:
    """The workloads table as the bytes of ``workloads.csv`` or ``workloads.parquet``."""
    table = table[COLUMNS]
    if fmt == "csv":
        return table.to_csv(index=False).encode("utf-8")
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), sink)
    return sink.getvalue()


def inventory_format(folder: Path) -> str:
    """``csv`` when the inventory's images are CSV, else ``parquet``."""
    return "csv" if (folder / "images.csv").exists() else "parquet"


def replace_rows(folder: Path, rows: pd.DataFrame, kind: str, cluster: str) -> pd.DataFrame:
    """Put ``rows`` (all of ``kind`` in ``cluster``) into the inventory in ``folder``: the rows that table
    held for that kind and cluster go (first_seen carried over), every other row stays. The table is
    written in one step; the folder is locked meanwhile. Returns the new table."""
    from ..outputs import folders
    from ..outputs.write import write_atomic
    from .inventory import find_table

    if find_table(folder, "images", True) is None:  # pragma: no cover - raises instead
        raise InputError("not an inventory folder", file=folder)
    with folders.locked(folder, "workloads"):
        previous = read_workloads(folder)
        if previous is None:
            previous = frame([])
        mine = (previous["kind"] == kind) & (previous["cluster"] == cluster)
        table = pd.concat([previous[~mine], carry(previous[mine], rows)], ignore_index=True)
        table = table.sort_values(KEY, kind="stable").reset_index(drop=True)
        fmt = inventory_format(folder)
        other = folder / f"workloads.{'parquet' if fmt == 'csv' else 'csv'}"
        write_atomic(folder / f"workloads.{fmt}", table_bytes(table, fmt))
        if other.exists():
            other.unlink()
    return table
