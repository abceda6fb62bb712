"""The metering kernel meters a what-if state (images kept for the whole month, some archived) exactly as
it meters an inventory cut down to those images (pushed in the same order, all before the month):
the lifecycle simulator relies on it. As in every lifecycle state, a kept multi-arch index keeps its
children."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ecrcost
from ecrcost.core.metering.blobs import Lifetimes
from ecrcost.core.period import Month

COLUMNS = ["account_id", "region", "repository", "storage_class", "byte_us"]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("blob_mounting", [False, True])
def test_a_steady_state_meters_like_the_inventory_cut_down_to_it(seed, blob_mounting):
    usage = ecrcost.load(ecrcost.sample_path())  # shared base layers, a multi-arch index, two regions
    images, layers, keys = usage.images, usage.layers, usage.keys
    rng = np.random.default_rng(seed)
    keep = rng.random(len(images)) < 0.6
    child = keys.parent >= 0
    keep[child] |= keep[keys.parent[child]]
    archive = rng.random(len(images)) < 0.3
    month = Month.parse("2026-11")
    archived = (images["image_status"] == "ARCHIVED").to_numpy() | archive
    state = usage.metering.storage(month, blob_mounting, Lifetimes.steady(month, keep, archived))

    cut = images[keep].copy()
    # stored all month, pushed in the same order (blob mounting charges a layer to its first pusher)
    cut["pushed_at"] = (
        cut["pushed_at"] - (cut["pushed_at"].max() - pd.Timestamp(month.start)) - pd.Timedelta("1s")
    )
    cut["deleted_at"] = pd.Series(pd.NaT, index=cut.index, dtype=cut["pushed_at"].dtype)
    status = cut["image_status"].astype(object)
    status[archive[keep]] = "ARCHIVED"
    cut["image_status"] = status
    cut_layers = layers[keep[keys.layer_image]]
    rebuilt = ecrcost.Usage(images=cut.reset_index(drop=True), layers=cut_layers.reset_index(drop=True))
    metered = rebuilt.metering.storage(month, blob_mounting)
    assert state.lines[COLUMNS].values.tolist() == metered.lines[COLUMNS].values.tolist()
    assert len(state.lines) > 0
