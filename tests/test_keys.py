"""Storage keys: a subset of the loader's keys meters exactly as keys rebuilt from the subset's rows."""

from __future__ import annotations

import numpy as np
import pytest

import ecrcost
from ecrcost.core.metering.storage import meter
from ecrcost.core.period import Month


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("blob_mounting", [False, True])
def test_a_subset_of_keys_meters_like_keys_built_from_the_subset(seed, blob_mounting):
    usage = ecrcost.load(ecrcost.sample_path())  # shared base layers, a multi-arch index, two regions
    images, layers, keys = usage.images, usage.layers, usage.keys
    keep = np.random.default_rng(seed).random(len(images)) < 0.6
    layer_keep = keep[keys.layer_image]
    sub_images, sub_layers = images[keep].reset_index(drop=True), layers[layer_keep].reset_index(drop=True)
    month = Month.parse("2026-11")
    subset = meter(sub_images, sub_layers, month, blob_mounting, keys.subset(keep, layer_keep))
    rebuilt = meter(sub_images, sub_layers, month, blob_mounting, None)
    columns = ["account_id", "region", "repository", "storage_class", "byte_us"]
    assert subset.lines[columns].values.tolist() == rebuilt.lines[columns].values.tolist()
    assert len(subset.lines) > 0
