"""Which stored images the workloads use (the ``workloads`` table of an inventory), and how many running
tasks, pods and functions that is.

A workload row matches images this way:

- by digest (what the runtime resolved, or a ``repo@sha256:…`` reference): every image with that
  digest, in any repository and registry that stores it (a digest is the content, wherever it lives);
- by tag, when no digest is known (a task definition of a scheduled task or a service without running
  tasks): the images of that repository carrying the tag, in the reference's registry when it names
  an ECR one;
- a multi-arch index is in use when any of its children is, and every child of an index in use is in
  use too (a pull on another platform picks another child).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REPO = ["account_id", "region", "repository"]
# Rows of kind "inspector" are Amazon Inspector's word that an image is in use, not a workload: they
# protect images in the lifecycle what-if but take no share of the chargeback.
INSPECTOR = "inspector"
# One workload: what the chargeback and the counts group by (an ECS service's definition and its
# running tasks are one workload).
IDENTITY = ["family", "account_id", "region", "cluster", "namespace", "workload"]


def text_values(column: pd.Series) -> np.ndarray:
    """A text column (plain or categorical, blanks as NaN or "") as an array of str."""
    return column.astype(object).where(column.notna(), "").astype(str).to_numpy()


def _column(images: pd.DataFrame, name: str) -> pd.Series:
    return images[name] if name in images else pd.Series("", index=images.index)


def _frame(images: pd.DataFrame, rows: np.ndarray, tags: bool = False) -> pd.DataFrame:
    """The text columns matching needs, for the image ``rows`` only (a few of millions, usually)."""
    sub = images.iloc[rows]
    out = pd.DataFrame(
        {
            "image": rows.astype(np.int64),
            "img_account": text_values(_column(sub, "account_id")),
            "img_region": text_values(_column(sub, "region")),
            "img_repository": text_values(sub["repository"]),
            "digest": text_values(sub["image_digest"]),
            "parent": text_values(_column(sub, "parent_digest")),
        }
    )
    if tags:
        out["tags"] = text_values(_column(sub, "image_tags"))
    return out


def uses(images: pd.DataFrame, workloads: pd.DataFrame | None) -> pd.DataFrame:
    """(``image``, ``workload``): row positions in ``images`` and ``workloads`` of every image a workload
    uses (see the module docstring), without duplicates. Only the images a workload may name are
    turned into text (``isin`` on the columns as stored picks them)."""
    empty = pd.DataFrame({"image": pd.Series([], dtype=np.int64), "workload": pd.Series([], dtype=np.int64)})
    if workloads is None or not len(workloads) or not len(images):
        return empty
    images = images.reset_index(drop=True)
    wl = pd.DataFrame(
        {
            "workload": np.arange(len(workloads), dtype=np.int64),
            "ref_account": workloads["registry_account_id"].astype(str).to_numpy(),
            "ref_region": workloads["registry_region"].astype(str).to_numpy(),
            "ref_repository": workloads["repository"].astype(str).to_numpy(),
            "tag": workloads["image_tag"].astype(str).to_numpy(),
            "digest": workloads["image_digest"].astype(str).to_numpy(),
        }
    )
    tagged = wl[(wl["digest"] == "") & (wl["tag"] != "")].drop(columns="digest")
    digests = set(wl["digest"]) - {""}
    candidates = images["image_digest"].isin(digests) | images["repository"].isin(
        set(tagged["ref_repository"])
    )
    img = _frame(images, np.flatnonzero(candidates.to_numpy(dtype=bool)), tags=len(tagged) > 0)
    pairs = [wl[wl["digest"] != ""].merge(img, on="digest")[["image", "workload"]]]
    if len(tagged):
        tags = img["tags"].str.split().explode().dropna()
        exploded = img.loc[tags.index].assign(tag=tags.to_numpy())
        m = tagged.merge(exploded, left_on=["ref_repository", "tag"], right_on=["img_repository", "tag"])
        same = ((m["ref_account"] == "") | (m["ref_account"] == m["img_account"])) & (
            (m["ref_region"] == "") | (m["ref_region"] == m["img_region"])
        )
        pairs.append(m.loc[same, ["image", "workload"]])
    used = pd.concat(pairs, ignore_index=True)
    if not len(used):
        return empty
    # the index of a used child, then the children of every used index (an index in use keeps them all:
    # a node of another platform pulls its child)
    rows = np.unique(used["image"].to_numpy())
    first = _frame(images, rows)
    parent_digests = set(first["parent"]) - {""}
    family = images["image_digest"].isin(parent_digests) | _column(images, "parent_digest").isin(
        set(first["digest"]) | parent_digests
    )
    keyed = _frame(images, np.union1d(rows, np.flatnonzero(family.to_numpy(dtype=bool))))
    repo = ["img_account", "img_region", "img_repository"]
    found = used.merge(keyed, on="image")
    parents = found[found["parent"] != ""].merge(
        keyed, left_on=[*repo, "parent"], right_on=[*repo, "digest"], suffixes=("_used", "")
    )[["image", "workload"]]
    indexes = pd.concat([used, parents], ignore_index=True).merge(keyed, on="image")
    children = indexes.merge(
        keyed, left_on=[*repo, "digest"], right_on=[*repo, "parent"], suffixes=("_used", "")
    )[["image", "workload"]]
    out = pd.concat([used, children, parents], ignore_index=True).drop_duplicates()
    return out.sort_values(["image", "workload"]).reset_index(drop=True).astype(np.int64)


def runtime(workloads: pd.DataFrame | None) -> pd.DataFrame | None:
    """The rows that are workloads (every kind but ``inspector``), renumbered from 0."""
    if workloads is None:
        return None
    return workloads[workloads["kind"].astype(str) != INSPECTOR].reset_index(drop=True)


def inspector_only(workloads: pd.DataFrame | None) -> pd.DataFrame | None:
    """The ``inspector`` rows, renumbered from 0; None without any."""
    if workloads is None:
        return None
    found = workloads[workloads["kind"].astype(str) == INSPECTOR].reset_index(drop=True)
    return found if len(found) else None


def identities(workloads: pd.DataFrame) -> pd.DataFrame:
    """``workloads`` with ``family`` (ecs, lambda, kubernetes) and ``label``: one name per workload,
    e.g. ``ecs prod/web``, ``lambda resize``, ``kubernetes eks-1/shop/Deployment/api``."""
    out = workloads.copy()
    out["family"] = out["kind"].astype(str).str.split("-").str[0]
    parts = [out[c].astype(str) for c in ("cluster", "namespace", "workload")]
    path = (parts[0] + "/" + parts[1] + "/" + parts[2]).str.replace(r"/{2,}", "/", regex=True).str.strip("/")
    out["label"] = out["family"] + " " + path
    return out


def instances(workloads: pd.DataFrame) -> pd.Series:
    """Running tasks, pods or functions per workload (IDENTITY index): per container the tasks summed
    over its images, the most of any container; at least 1 (a scheduled task or a definition counts as
    one)."""
    ids = identities(workloads)
    per_container = ids.groupby([*IDENTITY, "container"], sort=True)["tasks"].sum()
    return per_container.groupby(level=list(range(len(IDENTITY)))).max().clip(lower=1)


def running_count(workloads: pd.DataFrame, rows: np.ndarray) -> int:
    """Running tasks, pods and functions of the workloads among ``rows`` (positions)."""
    if not len(rows):
        return 0
    chosen = identities(workloads.iloc[np.unique(rows)])
    wanted = pd.MultiIndex.from_frame(chosen[IDENTITY]).unique()
    return int(instances(workloads).reindex(wanted).fillna(1).sum())


def labels_by_repository(
    images: pd.DataFrame, workloads: pd.DataFrame | None
) -> dict[tuple[str, str, str], str]:
    """Per (account_id, region, repository): the labels of the workloads using its images, sorted and
    joined by "; " (repositories nobody uses are absent; Inspector's rows name no workload)."""
    workloads = runtime(workloads)
    pairs = uses(images, workloads)
    if workloads is None or not len(pairs):
        return {}
    labels = identities(workloads)["label"].to_numpy(dtype=object)
    repo = images[REPO].astype(str).to_numpy()[pairs["image"].to_numpy()]
    frame = pd.DataFrame(repo, columns=REPO).assign(label=labels[pairs["workload"].to_numpy()])
    grouped = frame.drop_duplicates().groupby(REPO, sort=True)["label"]
    return {(str(k[0]), str(k[1]), str(k[2])): "; ".join(sorted(v)) for k, v in grouped}
