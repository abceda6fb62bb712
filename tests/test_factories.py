"""The inventory the tests build reads the same from CSV, from Parquet and from memory: the property tests
that skip the files test what a loaded inventory holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from factories import OCI_INDEX, Inventory, MiB


@pytest.fixture
def inventory(tmp_path) -> Inventory:
    inv = Inventory(tmp_path / "inventory")
    index = inv.push("app", "idx", "2026-09-01T00:00:00Z", {}, tags="v1", media_type=OCI_INDEX, size_bytes=0)
    inv.push("app", "amd64", "2026-09-01T00:00:00Z", {"base": 3 * MiB, "amd": MiB}, parent=index)
    signed = inv.push(
        "app",
        "old",
        datetime(2026, 8, 1, 12, 30, 15, 250, tzinfo=UTC),
        {"base": 3 * MiB},
        deleted_at="2026-10-02T00:00:00Z",
        last_pulled_at="2026-09-30T00:00:00Z",
    )
    inv.push("app", "sig", "2026-08-01T13:00:00Z", {"sig": 100}, subject=signed)
    inv.push(
        "app",
        "cold",
        "2026-01-01T00:00:00Z",
        {"cold": 5 * MiB},
        status="ARCHIVED",
        last_archived_at="2026-05-01T00:00:00Z",
        last_activated_at="2026-06-01T00:00:00Z",
        region="eu-west-1",
    )
    inv.repository("app", tags={"team": "a"}, lifecycle_policy='{"rules": []}')
    inv.repository("empty", region="eu-west-1", account="123456789012")
    return inv


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as plain objects: files load text categorical (large inventories), memory as str."""
    text = [c for c in frame if not pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype.kind != "M"]
    return frame.astype({c: object for c in text})


@pytest.mark.parametrize("with_layers", [True, False])
def test_csv_parquet_and_memory_give_the_same_usage(inventory, with_layers):
    from_csv = inventory.load(with_layers=with_layers)
    from_parquet = inventory.load(with_layers=with_layers, format="parquet")
    in_memory = inventory.usage(with_layers=with_layers)
    for table in ("images", "layers", "repositories"):
        expected = getattr(from_csv, table)
        assert (getattr(in_memory, table) is None) == (expected is None), table
        assert (getattr(from_parquet, table) is None) == (expected is None), table
        if expected is not None:
            pd.testing.assert_frame_equal(as_text(getattr(in_memory, table)), as_text(expected), obj=table)
            pd.testing.assert_frame_equal(as_text(getattr(from_parquet, table)), as_text(expected), obj=table)
    assert in_memory.images["last_archived_at"].notna().sum() == 1
    assert from_csv.images.loc[2, "pushed_at"] == pd.Timestamp("2026-08-01T12:30:15.000250Z")


def test_images_without_layer_rows_still_have_an_empty_layers_table(tmp_path):
    inv = Inventory(tmp_path / "inventory", account="")
    inv.push("app", "empty", "2026-09-01T00:00:00Z", {}, size_bytes=5)
    loaded, in_memory = inv.load(), inv.usage()
    assert loaded.layers is not None and loaded.layers.empty
    pd.testing.assert_frame_equal(as_text(in_memory.layers), as_text(loaded.layers))
    pd.testing.assert_frame_equal(as_text(in_memory.images), as_text(loaded.images))


def test_writing_one_format_replaces_the_other(inventory):
    folder = inventory.write(format="parquet")
    inventory.write(with_layers=False)
    assert sorted(p.name for p in folder.iterdir()) == ["images.csv", "repositories.csv"]


def test_update_changes_every_copy_and_refuses_unknown_fields(inventory):
    replicated = inventory.push("svc", "v1", "2026-09-01T00:00:00Z", {"l": 1})
    inventory.push("svc", "v1", "2026-09-01T00:00:00Z", {"l": 1}, region="eu-west-1")
    inventory.update(replicated, tags="prod-1")
    assert [r["image_tags"] for r in inventory.images if r["image_digest"] == replicated] == ["prod-1"] * 2
    with pytest.raises(TypeError, match="not an image field: colour"):
        inventory.update(replicated, colour="blue")
