"""Chargeback by workload: each repository's cost split among the workloads that run its images.

Per repository (its cost to the cent, as the estimate rounds it):

- storage is split by the layers each workload's images hold: every distinct layer's bytes are shared
  evenly among the workloads whose images hold it; the layers no workload's image holds are "idle";
- transfer is split by what was pulled where ``ecrcost pulls`` measured it from CloudTrail (the
  inventory's per-image ``pulls`` table): each image's billable bytes (internet and cross-region) are
  shared evenly among the workloads that run it, and those of images no workload runs are "idle";
  else (or where an attribution is given: ``pulls``, per repository and workload label) by that, else
  evenly per running task, pod or function; a repository no workload uses is all "idle".

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
from .workloads import IDENTITY, identities, instances, runtime, uses

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
    storage_w, transfer_w, pulled_w = _weights(usage)
    money: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"storage_usd": ZERO, "transfer_usd": ZERO})
    repos: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for rec in table[[*REPO, "storage_usd", "transfer_usd"]].itertuples(index=False):
        key = (str(rec[0]), str(rec[1]), str(rec[2]))
        for column, amount, weights in (
            ("storage_usd", rec[3], storage_w.get(key, {})),
            ("transfer_usd", rec[4], (pulls or {}).get(key) or pulled_w.get(key) or transfer_w.get(key, {})),
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


Weights = dict[tuple[str, str, str], dict[str, Decimal]]


def _weights(usage: Usage) -> tuple[Weights, dict[tuple[str, str, str], dict[str, int]], Weights]:
    """Per repository: storage weight per workload label (bytes of the layers its images hold, each
    layer shared evenly among its holders) and "idle" (the layers nobody's image holds); transfer
    weight per workload label (its running instances); and, where CloudTrail pulls were measured, the
    billable bytes pulled per workload label (:func:`_pulled`). Integer keys throughout (the
    metering's own): only the layers of repositories some workload uses are looked at."""
    images = usage.images
    workloads = runtime(usage.workloads)  # Inspector's rows name no workload
    if images is None or workloads is None or not len(workloads):
        return {}, {}, {}
    keys = usage.keys
    ids = identities(workloads)
    pairs = uses(images.reset_index(drop=True), workloads)
    labels = ids["label"].to_numpy(dtype=object)
    held = pd.DataFrame({"image": pairs["image"], "label": labels[pairs["workload"].to_numpy()]})
    held = held.drop_duplicates()
    held["repo"] = keys.repo[held["image"].to_numpy()]
    blobs = _blobs(usage, np.unique(held["repo"].to_numpy()))
    names = keys.repos[list(REPO)].astype(str).to_numpy()

    def name(repo: int) -> tuple[str, str, str]:
        a, r, n = names[repo]
        return (str(a), str(r), str(n))

    storage: dict[tuple[str, str, str], dict[str, Decimal]] = defaultdict(dict)
    holders = blobs.merge(held[["image", "label"]], on="image")[["repo", "blob", "label", "size"]]
    holders = holders.drop_duplicates(["repo", "blob", "label"])
    counts = holders.groupby(["repo", "blob"], sort=False).size().rename("holders").reset_index()
    shared = holders.merge(counts, on=["repo", "blob"])
    per = shared.groupby(["repo", "label", "holders"], sort=False)["size"].sum().reset_index()
    for repo, label, n, size in per.itertuples(index=False):
        key = name(int(repo))
        storage[key][label] = storage[key].get(label, ZERO) + Decimal(int(size)) / Decimal(int(n))
    distinct = blobs.drop_duplicates(["repo", "blob"])
    total = distinct.groupby("repo", sort=False)["size"].sum()
    taken = shared.drop_duplicates(["repo", "blob"]).groupby("repo", sort=False)["size"].sum()
    idle = total.sub(taken, fill_value=0)
    for repo, size in idle[idle > 0].rename("size").reset_index().itertuples(index=False):
        storage[name(int(repo))][IDLE] = Decimal(int(size))
    # transfer: running instances of each workload using the repository
    running = instances(workloads)
    ident_of = pd.MultiIndex.from_frame(ids[IDENTITY])
    per_label = dict(zip(labels, running.reindex(ident_of).fillna(1).astype(np.int64), strict=True))
    transfer: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for repo, label in held[["repo", "label"]].drop_duplicates().itertuples(index=False):
        transfer[name(int(repo))][label] = int(per_label[label])
    return storage, transfer, _pulled(usage, held)


def _pulled(usage: Usage, held: pd.DataFrame) -> Weights:
    """Per repository in the CloudTrail ``pulls`` table: each image's billable bytes (internet and
    cross-region; same-region pulls are free) shared evenly among the workload labels that run it
    (``held``: image position, label), those of images no workload runs "idle"."""
    pulls, images = usage.pulls, usage.images
    if pulls is None or not len(pulls) or images is None:
        return {}
    key = [*REPO, "image_digest"]
    billed = pulls[key].astype(str)
    billed["bytes"] = pulls["internet_bytes"].to_numpy(np.int64) + pulls["cross_region_bytes"].to_numpy(
        np.int64
    )
    billed = billed[billed["bytes"] > 0]
    at = held["image"].to_numpy()
    runs = pd.DataFrame({c: images[c].astype(str).to_numpy()[at] for c in key})
    runs["label"] = held["label"].to_numpy()
    runs = runs.drop_duplicates()
    runs["holders"] = runs.groupby(key, sort=False)["label"].transform("size")
    found = billed.merge(runs, on=key, how="left")
    found["label"] = found["label"].fillna(IDLE)
    found["holders"] = found["holders"].fillna(1).astype(np.int64)
    out: Weights = defaultdict(dict)
    for account, region, repository, label, size, holders in found[
        [*REPO, "label", "bytes", "holders"]
    ].itertuples(index=False):
        weights = out[(account, region, repository)]
        weights[label] = weights.get(label, ZERO) + Decimal(int(size)) / Decimal(int(holders))
    return out


def _blobs(usage: Usage, repos: np.ndarray) -> pd.DataFrame:
    """(repo, blob, size, image) of every blob of the images of ``repos`` (repository ids); an image
    without layer rows is one blob of its own size (a negative id of its own)."""
    keys = usage.keys
    images = usage.images
    assert images is not None
    in_repos = np.isin(keys.repo, repos)
    with_layers = np.zeros(len(images), dtype=bool)
    parts = []
    if usage.layers is not None and keys.layer_image is not None and keys.blob is not None:
        image = keys.layer_image
        known = image >= 0
        with_layers[image[known]] = True
        mine = known & in_repos[np.where(known, image, 0)]
        parts.append(
            pd.DataFrame(
                {
                    "repo": keys.repo[image[mine]].astype(np.int64),
                    "blob": keys.blob[mine].astype(np.int64),
                    "size": usage.layers["size_bytes"].to_numpy(dtype=np.int64)[mine],
                    "image": image[mine].astype(np.int64),
                }
            )
        )
    alone = np.flatnonzero(in_repos & ~with_layers)
    parts.append(
        pd.DataFrame(
            {
                "repo": keys.repo[alone].astype(np.int64),
                "blob": -(alone.astype(np.int64) + 1),
                "size": images["size_bytes"].to_numpy(dtype=np.int64)[alone],
                "image": alone.astype(np.int64),
            }
        )
    )
    return pd.concat(parts, ignore_index=True)
