"""Stored GB-month by image age × tagged / untagged / archived: sums to what metering bills, and each
shared layer sits with the newest image holding it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from factories import OCI_INDEX, RANDOM_MONTH, Inventory, MiB, inventories, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ecrcost
from ecrcost.analysis.age import AGE_BUCKETS, STATES, stored_by_age
from ecrcost.core.period import Month

MONTH = Month(2026, 10)
MONTH_US = MONTH.seconds * 1_000_000


def meter(images, layers, month: Month, blob_mounting: bool):
    """What the estimate bills: the metering kernel's storage of those images and layers."""
    return ecrcost.Usage(images=images, layers=layers).metering.storage(month, blob_mounting)


def cell(frame, bucket: str, state: str) -> int:
    row = frame[(frame["age_bucket"] == bucket) & (frame["state"] == state)]
    assert len(row) == 1
    return int(row["byte_us"].iloc[0])


@pytest.mark.parametrize("blob_mounting", [False, True])
def test_buckets_sum_to_the_metered_storage_of_the_sample(blob_mounting):
    usage = ecrcost.load(ecrcost.sample_path())
    frame = stored_by_age(usage, MONTH, blob_mounting)
    metered = usage.metering.storage(MONTH, blob_mounting)
    assert sum(frame["byte_us"]) == sum(metered.lines["byte_us"])
    est = ecrcost.estimate(usage, month=MONTH, blob_mounting=blob_mounting)
    assert abs(sum(frame["gb_month"], Decimal(0)) - sum(est.exact["storage_gb_month"], Decimal(0))) < Decimal(
        "1e-20"
    )
    # Archived volume is exactly what is billed as archive storage.
    archived = sum(frame.loc[frame["state"] == "archived", "byte_us"])
    assert archived == sum(metered.lines.loc[metered.lines["storage_class"] == "archive", "byte_us"])


def test_every_bucket_and_state_is_a_row_youngest_first():
    frame = stored_by_age(ecrcost.load(ecrcost.sample_path()), MONTH)
    assert len(frame) == len(AGE_BUCKETS) * len(STATES)
    assert list(frame["age_bucket"].cat.categories) == [b for b, _ in AGE_BUCKETS]


def test_a_shared_layer_goes_to_the_newest_image_holding_it(inventory: Inventory):
    inventory.push("app", "old", "2025-01-10T00:00:00Z", {"base": 100 * MiB, "a": 10 * MiB})
    inventory.push("app", "new", "2026-10-21T00:00:00Z", {"base": 100 * MiB, "b": 20 * MiB}, tags="v2")
    usage = inventory.load()
    frame = stored_by_age(usage, MONTH)
    late = (MONTH.end.timestamp() - 1_792_540_800) * 1_000_000  # 2026-10-21 to the month's end
    assert cell(frame, "< 1 month", "tagged") == 100 * MiB * MONTH_US + 20 * MiB * int(late)
    assert cell(frame, "> 1 year", "untagged") == 10 * MiB * MONTH_US
    assert sum(frame["byte_us"]) == sum(meter(usage.images, usage.layers, MONTH, False).lines["byte_us"])


def test_archived_only_when_every_holder_is_archived(inventory: Inventory):
    inventory.push("app", "a1", "2026-01-05T00:00:00Z", {"base": 50 * MiB, "x": 5 * MiB}, status="ARCHIVED")
    inventory.push("app", "a2", "2026-02-05T00:00:00Z", {"base": 50 * MiB}, tags="prod")
    frame = stored_by_age(inventory.load(), MONTH)
    assert cell(frame, "6–12 months", "archived") == 5 * MiB * MONTH_US
    assert cell(frame, "6–12 months", "tagged") == 50 * MiB * MONTH_US  # a2 (Feb) is 8 months old


def test_a_child_manifest_is_tagged_through_its_index(inventory: Inventory):
    index = inventory.push(
        "multi",
        "index",
        "2026-10-05T00:00:00Z",
        {},
        size_bytes=1000,
        tags="v1",
        media_type=OCI_INDEX,
    )
    inventory.push("multi", "amd64", "2026-10-05T00:00:00Z", {"l1": 7 * MiB}, parent=index)
    frame = stored_by_age(inventory.load(), MONTH)
    assert cell(frame, "< 1 month", "tagged") == 7 * MiB * 27 * 86_400 * 1_000_000
    assert cell(frame, "< 1 month", "untagged") == 0


def test_images_deleted_within_the_month_count_while_stored(inventory: Inventory):
    inventory.push("app", "gone", "2026-09-01T00:00:00Z", {"l": 8 * MiB}, deleted_at="2026-10-16T00:00:00Z")
    inventory.push("app", "kept", "2026-09-15T00:00:00Z", {"m": 4 * MiB}, tags="x")
    usage = inventory.load()
    frame = stored_by_age(usage, MONTH)
    assert sum(frame["byte_us"]) == sum(meter(usage.images, usage.layers, MONTH, False).lines["byte_us"])
    assert cell(frame, "1–3 months", "untagged") == 8 * MiB * 15 * 86_400 * 1_000_000


def test_without_layers_image_sizes_are_attributed(inventory: Inventory):
    inventory.push("app", "one", "2026-03-01T00:00:00Z", {"l": 3 * MiB})
    usage = inventory.load(with_layers=False)
    frame = stored_by_age(usage, MONTH)
    assert cell(frame, "6–12 months", "untagged") == 3 * MiB * MONTH_US


def test_age_is_taken_at_now_when_the_month_is_running(inventory: Inventory):
    inventory.push("app", "one", "2026-09-20T00:00:00Z", {"l": MiB})
    usage = inventory.load()
    at_end = stored_by_age(usage, MONTH)
    early = stored_by_age(usage, MONTH, now=MONTH.start)
    assert cell(at_end, "1–3 months", "untagged") > 0
    assert cell(early, "< 1 month", "untagged") == cell(at_end, "1–3 months", "untagged")


def test_a_scenario_has_no_ages(tmp_path):
    usage = ecrcost.load(write_csv(tmp_path / "s.csv", [{"repository": "rr", "storage_gb": "10"}]))
    assert len(stored_by_age(usage, MONTH)) == 0


@pytest.mark.slow
@given(
    inventories(),
    st.booleans(),
    st.lists(st.sampled_from(["ACTIVE", "ARCHIVED"]), min_size=10, max_size=10),
    st.lists(st.sampled_from(["", "v1", "latest prod"]), min_size=10, max_size=10),
)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_buckets_always_sum_to_what_metering_bills(inventory, blob_mounting, statuses, tags):
    for image, status, tag in zip(inventory.images, statuses, tags, strict=False):
        inventory.update(image["image_digest"], status=status, tags=tag)
    usage = inventory.usage()
    frame = stored_by_age(usage, RANDOM_MONTH, blob_mounting)
    metered = meter(usage.images, usage.layers, RANDOM_MONTH, blob_mounting).lines
    assert sum(frame["byte_us"]) == sum(metered["byte_us"])
    archived = sum(frame.loc[frame["state"] == "archived", "byte_us"])
    assert archived == sum(metered.loc[metered["storage_class"] == "archive", "byte_us"])
    assert all(v >= 0 for v in frame["byte_us"])
