"""Integer keys for images and layers, so that joins and group-bys over millions of rows never hash
strings per row: repository ids, the image row of each layer row, and blob ids. Categorical columns
(what the inventory loader produces) are aligned through their categories; plain text is factorized."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

CHUNK = 1 << 20  # layer rows keyed at a time


@dataclass(frozen=True)
class StorageKeys:
    repo: np.ndarray  # int32 per image row: repository id, ids in (account, region, repository) order
    repos: pd.DataFrame  # account_id, region, repository per repository id
    registry: np.ndarray  # int32 per repository id: (account, region) id
    layer_image: np.ndarray | None  # int32 per layer row: image row (-1 = orphan)
    blob: np.ndarray | None  # int32 per layer row: layer digest id
    parent: np.ndarray  # int32 per image row: row of its parent index (-1 = none or unknown)

    def registries(self) -> list[tuple[str, str]]:
        """(account_id, region) of each registry id."""
        _, first = np.unique(self.registry, return_index=True)
        return list(zip(self.repos["account_id"].iloc[first], self.repos["region"].iloc[first], strict=True))


def _series_codes(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy().astype(np.int32, copy=False), series.cat.categories
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes.astype(np.int32, copy=False), pd.Index(uniques)


def positions(values: pd.Index, among: pd.Index) -> np.ndarray:
    """Position (int32) of each of ``values`` in ``among`` (both distinct), -1 where absent.

    Text is hashed in Arrow, on the smaller side: pandas' index engine would first turn millions of
    digests into Python strings (a GB for 8M digests)."""
    try:
        left, right = _arrow_text(values), _arrow_text(among)
    except (pa.ArrowException, TypeError):
        return among.get_indexer(values).astype(np.int32)
    if len(right) <= len(left):
        return (
            pc.index_in(left, value_set=right).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
        )
    out = np.full(len(values), -1, dtype=np.int32)
    hit = pc.index_in(right, value_set=left).fill_null(-1).to_numpy(zero_copy_only=False)
    found = np.flatnonzero(hit >= 0)
    out[hit[found]] = found
    return out


def _arrow_text(index: pd.Index) -> pa.Array:
    if index.dtype == "str":  # held in Arrow already: no copy
        return pa.array(index.array, pa.large_string())
    return pa.array(np.asarray(index, dtype=object), pa.large_string())


def _aligned(image_col: pd.Series, layer_col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of two columns in one numbering (the image column's), layer values unknown → -1."""
    ic, icats = _series_codes(image_col)
    lc, lcats = _series_codes(layer_col)
    mapping = positions(lcats, icats)
    return ic, np.where(lc >= 0, mapping[np.maximum(lc, 0)], -1).astype(np.int32)


def build(
    acc: tuple[np.ndarray, ...],
    reg: tuple[np.ndarray, ...],
    rep: tuple[np.ndarray, ...],
    dig: tuple[np.ndarray, ...],
    names: tuple[list[Any], list[Any], list[Any]],
    parent: np.ndarray,
    blob: np.ndarray | None,
) -> StorageKeys:
    """Keys from codes: each tuple is (image codes[, layer codes]); ``names`` are the code → value
    lists of account, region and repository; ``parent`` is in ``dig``'s numbering."""
    n_reg, n_rep, n_dig = (
        len(names[1]) + 1,
        len(names[2]) + 1,
        int(max(dig[0].max(initial=0), *(d.max(initial=0) for d in dig[1:]), parent.max(initial=0))) + 2,
    )

    def combined(a: np.ndarray, r: np.ndarray, p: np.ndarray) -> np.ndarray:
        return ((a.astype(np.int64) + 1) * n_reg + (r + 1)) * n_rep + (p + 1)

    img_repo = combined(acc[0], reg[0], rep[0])
    distinct, repo_first = np.unique(img_repo, return_index=True)
    # Repository ids in (account, region, repository) order, so "ties by name" = ties by id.
    acc_names = np.asarray(names[0], dtype=object)
    reg_names = np.asarray(names[1], dtype=object)
    rep_names = np.asarray(names[2], dtype=object)

    def pick(names_: np.ndarray, codes: np.ndarray) -> np.ndarray:
        return names_[codes[repo_first]] if len(repo_first) else np.array([], dtype=object)

    repos = pd.DataFrame(
        {
            "account_id": pick(acc_names, acc[0]),
            "region": pick(reg_names, reg[0]),
            "repository": pick(rep_names, rep[0]),
        }
    )
    order = np.lexsort(
        (repos["repository"].to_numpy(), repos["region"].to_numpy(), repos["account_id"].to_numpy())
    )
    repos = repos.iloc[order].reset_index(drop=True)
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    repo_of_image = rank[np.searchsorted(distinct, img_repo)]
    registry = pd.factorize(repos["account_id"].astype(str) + "\x00" + repos["region"].astype(str))[0].astype(
        np.int32
    )

    image_key = pd.Index(repo_of_image.astype(np.int64) * n_dig + (dig[0] + 1))
    if not image_key.is_unique:
        raise ValueError("duplicate images")  # the loader checks this first
    par_rows = np.full(len(parent), -1, dtype=np.int32)
    has = parent >= 0
    par_rows[has] = image_key.get_indexer(repo_of_image[has].astype(np.int64) * n_dig + (parent[has] + 1))
    layer_image = None
    if len(acc) > 1 and not len(distinct):
        layer_image = np.full(len(acc[1]), -1, dtype=np.int32)  # no images: every layer row is an orphan
    elif len(acc) > 1:
        # A million layer rows at a time: each step makes int64 temporaries as long as its input
        # (at 10M layer rows, ~80 MB each, half a GB at once when done whole).
        layer_image = np.empty(len(acc[1]), dtype=np.int32)
        for at in range(0, len(acc[1]), CHUNK):
            part = slice(at, at + CHUNK)
            lay_repo = combined(acc[1][part], reg[1][part], rep[1][part])
            pos = np.minimum(np.searchsorted(distinct, lay_repo), len(distinct) - 1)
            known = distinct[pos] == lay_repo
            lay_key = np.where(known, rank[pos].astype(np.int64) * n_dig + (dig[1][part] + 1), -1)
            rows = image_key.get_indexer(lay_key).astype(np.int32)
            rows[~known | (dig[1][part] < 0)] = -1
            layer_image[part] = rows
    return StorageKeys(repo_of_image.astype(np.int32), repos, registry, layer_image, blob, par_rows)


def keys_from_frames(images: pd.DataFrame, layers: pd.DataFrame | None) -> StorageKeys:
    """Keys for a Usage built by hand (pandas columns): factorizes the string columns. Keyed layers
    (``image_row``, ``blob``: docs/scale.md) carry their keys."""
    if layers is not None and "image_row" in layers.columns:
        return _with_keyed_layers(keys_from_frames(images, None), layers)
    cols: dict[str, tuple[tuple[np.ndarray, ...], list[Any]]] = {}
    for c in ("account_id", "region", "repository"):
        if layers is None:
            codes, cats = _series_codes(images[c])
            cols[c] = ((codes,), list(cats))
        else:
            ic, lc = _aligned(images[c], layers[c])
            cols[c] = ((ic, lc), list(_series_codes(images[c])[1]))
    dcodes, dcats = _series_codes(images["image_digest"])
    pcodes, pcats = _series_codes(images["parent_digest"])
    pmap = positions(pcats, dcats)  # "" (no parent) is no image's digest: -1
    parent = np.where(pcodes >= 0, pmap[np.maximum(pcodes, 0)] if len(pmap) else -1, -1).astype(np.int32)
    dig: tuple[np.ndarray, ...] = (dcodes,)
    blob = None
    if layers is not None:
        _, ldig = _aligned(images["image_digest"], layers["image_digest"])
        dig = (dcodes, ldig)
        blob = _series_codes(layers["layer_digest"])[0]
    return build(
        tuple(cols["account_id"][0]),
        tuple(cols["region"][0]),
        tuple(cols["repository"][0]),
        dig,
        (cols["account_id"][1], cols["region"][1], cols["repository"][1]),
        parent,
        blob,
    )


def _with_keyed_layers(keys: StorageKeys, layers: pd.DataFrame) -> StorageKeys:
    """``keys`` of the images with keyed layers' own image rows and blob ids (no copy)."""
    rows = layers["image_row"].to_numpy().astype(np.int32, copy=False)
    if len(rows) and not (int(rows.min()) >= 0 and int(rows.max()) < len(keys.repo)):
        raise ValueError("keyed layers name image rows the images do not have")
    blob = layers["blob"].to_numpy().astype(np.int32, copy=False)
    return StorageKeys(keys.repo, keys.repos, keys.registry, rows, blob, keys.parent)
