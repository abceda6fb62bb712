"""Chargeback by workload: each repository's cost split among the workloads that run its images.

Per repository (its cost to the cent, as the estimate rounds it):

- storage is split by the layers each workload's images hold: every distinct layer's bytes are shared
  evenly among the workloads whose images hold it; the layers no workload's image holds are "idle";
- transfer is split by pulls where an attribution of pulls to workloads is given (``pulls``: pulls per
  repository and workload label, e.g. from CloudTrail), else evenly per running task, pod or function;
  a repository no workload uses is all "idle".

Each split is exact (Decimal shares) and rounded by largest remainder, so the workloads and "idle" of a
repository sum to the repository to the cent, and the whole table to the estimate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

import numpy as np
import pandas as pd

from ..core.estimate import Estimate
from ..core.money import CENT, ZERO, allocate, share
from ..core.usage import Usage
from .workloads import IDENTITY, identities, instances, uses

IDLE = "idle"
REPO = ("account_id", "region", "repository")
COLUMNS = ["workload", "repositories", "storage_usd", "transfer_usd", "total_usd"]
# pulls per (account_id, region, repository) and workload label, where pulls are attributed
Pulls = Mapping[tuple[str, str, str], Mapping[str, int]]


def by_workload(estimate: Estimate, usage: Usage, pulls: Pulls | None = None) -> pd.DataFrame:
    """One row per workload (its label, see :func:`ecrcost.analysis.workloads.identities`) and one
    "idle" row: repositories it draws on, storage, transfer and total USD to the cent, largest first.
    The columns sum to the estimate's totals exactly."""
    table = estimate.rounded(CENT)
    storage_w, transfer_w = _weights(usage)
    money: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"storage_usd": ZERO, "transfer_usd": ZERO})
    repos: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for rec in table[[*REPO, "storage_usd", "transfer_usd"]].itertuples(index=False):
        key = (str(rec[0]), str(rec[1]), str(rec[2]))
        for column, amount, weights in (
            ("storage_usd", rec[3], storage_w.get(key, {})),
            ("transfer_usd", rec[4], (pulls or {}).get(key) or transfer_w.get(key, {})),
        ):
            for label, cents in _split(amount, {k: Decimal(v) for k, v in weights.items()}).items():
                money[label][column] += cents
                if cents or label != IDLE:
                    repos[label].add(key)
    rows = [
        {
            "workload": label,
            "repositories": len(repos[label]),
            "storage_usd": m["storage_usd"],
            "transfer_usd": m["transfer_usd"],
            "total_usd": m["storage_usd"] + m["transfer_usd"],
        }
        for label, m in money.items()
        if label != IDLE or m["storage_usd"] or m["transfer_usd"]
    ]
    out = pd.DataFrame(rows, columns=COLUMNS)
    order = sorted(range(len(out)), key=lambda i: (-out["total_usd"].iloc[i], out["workload"].iloc[i]))
    return out.iloc[order].reset_index(drop=True)


def _split(amount: Decimal, weights: dict[str, Decimal]) -> dict[str, Decimal]:
    """``amount`` (whole cents) over ``weights`` by largest remainder; all to idle without weights."""
    labels = [k for k, w in weights.items() if w > 0]
    if not amount:
        return {}
    if not labels:
        return {IDLE: amount}
    exact = share(amount, [weights[k] for k in labels])
    return dict(zip(labels, allocate(amount, exact, CENT), strict=True))


def _weights(
    usage: Usage,
) -> tuple[dict[tuple[str, str, str], dict[str, Decimal]], dict[tuple[str, str, str], dict[str, int]]]:
    """Per repository: storage weight per workload label (bytes of the layers its images hold, each
    layer shared evenly among its holders) and "idle" (the layers nobody's image holds); transfer
    weight per workload label (its running instances)."""
    images = usage.images
    if images is None or usage.workloads is None or not len(usage.workloads):
        return {}, {}
    images = images.reset_index(drop=True)
    ids = identities(usage.workloads)
    pairs = uses(images, usage.workloads)
    labels = ids["label"].to_numpy(dtype=object)
    held = pd.DataFrame({"image": pairs["image"], "label": labels[pairs["workload"].to_numpy()]})
    held = held.drop_duplicates()
    blobs = _blobs(usage, images)
    # distinct layers per repository, and which labels hold each
    layer_key = [*REPO, "layer_digest"]
    distinct = blobs.drop_duplicates(layer_key)[[*layer_key, "size_bytes"]]
    holders = blobs.merge(held, on="image")[[*layer_key, "label"]].drop_duplicates()
    counts = holders.groupby(layer_key, sort=False).size().rename("holders").reset_index()
    shared = holders.merge(counts, on=layer_key).merge(distinct, on=layer_key)
    per = shared.groupby([*REPO, "label", "holders"], sort=False)["size_bytes"].sum().reset_index()
    storage: dict[tuple[str, str, str], dict[str, Decimal]] = defaultdict(dict)
    for a, r, repo, label, n, size in per.itertuples(index=False):
        key = (str(a), str(r), str(repo))
        storage[key][label] = storage[key].get(label, ZERO) + Decimal(int(size)) / Decimal(int(n))
    alone = distinct.merge(counts, on=layer_key, how="left")
    unheld = alone[alone["holders"].isna()].groupby(list(REPO), sort=False)["size_bytes"].sum().reset_index()
    for a, r, repo, size in unheld.itertuples(index=False):
        storage[(str(a), str(r), str(repo))][IDLE] = Decimal(int(size))
    # transfer: running instances of each workload using the repository
    running = instances(usage.workloads)
    ident_of = pd.MultiIndex.from_frame(ids[IDENTITY])
    per_label = dict(zip(labels, running.reindex(ident_of).fillna(1).astype(np.int64), strict=True))
    repo_of = images[list(REPO)].astype(str).to_numpy()
    transfer: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for image, label in held.itertuples(index=False):
        a, r, repo = repo_of[image]
        transfer[(a, r, repo)][label] = int(per_label[label])
    return storage, transfer


def _blobs(usage: Usage, images: pd.DataFrame) -> pd.DataFrame:
    """(account_id, region, repository, layer_digest, size_bytes, image): each image's blobs; an image
    without layer rows is one blob of its own size."""
    base = (
        images[list(REPO)]
        .astype(str)
        .assign(image=np.arange(len(images)), image_digest=images["image_digest"].astype(str))
    )
    own = base.assign(layer_digest=base["image_digest"], size_bytes=images["size_bytes"].astype(np.int64))
    if usage.layers is None or not len(usage.layers):
        return own[[*REPO, "layer_digest", "size_bytes", "image"]]
    layers = usage.layers[[*REPO, "image_digest", "layer_digest", "size_bytes"]].astype(
        {"account_id": str, "region": str, "repository": str, "image_digest": str, "layer_digest": str}
    )
    found = layers.merge(base, on=[*REPO, "image_digest"])
    missing = own[~own["image"].isin(found["image"])]
    out = pd.concat(
        [
            found[[*REPO, "layer_digest", "size_bytes", "image"]],
            missing[[*REPO, "layer_digest", "size_bytes", "image"]],
        ]
    )
    return out.astype({"size_bytes": np.int64})
