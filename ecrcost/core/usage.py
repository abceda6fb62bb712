"""Usage: the tables every source produces and the model prices. The model never knows where a row
came from.

Columns (snake_case of the ECR API names; GB = 2^30 bytes; quantities are exact ``Decimal``):

``storage`` — stored volume already expressed per month (scenarios):
    account_id, region, registry (private|public), repository, storage_class (standard|archive),
    storage_gb (GB-month)
``transfer`` — monthly data transfer out of a repository:
    account_id, region, registry, repository, internet_out_gb, cross_region_out_gb,
    destination_region, same_region_out_gb, nat_gateway_gb, interface_endpoint_gb,
    archive_restored_gb (GB restored from the archive class this month: a retrieval charge, not transfer)
``images`` — one row per manifest (inventories): account_id, region, repository, image_digest,
    size_bytes (int), pushed_at, deleted_at (UTC; NaT = still stored), image_status, image_tags,
    last_pulled_at, manifest_media_type, parent_digest, subject_digest (the image a referrer such as a
    signature refers to), last_archived_at, last_activated_at (DescribeImages lastArchivedAt /
    lastActivatedAt; lifecycle rules read them)
``layers`` — one row per (image, blob): account_id, region, repository, image_digest, layer_digest,
    size_bytes (int)
``repositories`` — one row per repository, where the source knows it (``collect``): account_id,
    region, repository, repository_arn, tags (dict of str), lifecycle_policy (policy JSON text or "")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

KEY = ["account_id", "region", "registry", "repository"]
STORAGE_COLUMNS = [*KEY, "storage_class", "storage_gb"]
TRANSFER_GB = [
    "internet_out_gb",
    "cross_region_out_gb",
    "same_region_out_gb",
    "nat_gateway_gb",
    "interface_endpoint_gb",
    "archive_restored_gb",
]
TRANSFER_COLUMNS = [*KEY, "destination_region", *TRANSFER_GB]
IMAGE_COLUMNS = [
    "account_id",
    "region",
    "repository",
    "image_digest",
    "size_bytes",
    "pushed_at",
    "deleted_at",
    "image_status",
    "image_tags",
    "last_pulled_at",
    "manifest_media_type",
    "parent_digest",
    "subject_digest",
    "last_archived_at",
    "last_activated_at",
]
LAYER_COLUMNS = ["account_id", "region", "repository", "image_digest", "layer_digest", "size_bytes"]
REPOSITORY_COLUMNS = ["account_id", "region", "repository", "repository_arn", "tags", "lifecycle_policy"]


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass(frozen=True)
class Usage:
    """What was stored and moved, before prices. Build it with :func:`ecrcost.load` or by hand."""

    storage: pd.DataFrame = field(default_factory=lambda: empty(STORAGE_COLUMNS))
    transfer: pd.DataFrame = field(default_factory=lambda: empty(TRANSFER_COLUMNS))
    images: pd.DataFrame | None = None
    layers: pd.DataFrame | None = None
    repositories: pd.DataFrame | None = None  # not priced: tags and lifecycle policies for reports, what-ifs
    source: str = ""
    notes: tuple[str, ...] = ()  # what the source wants said next to the totals (e.g. collect coverage)
    # what the source assumed, carried into Estimate.assumptions (e.g. collect's pull-size model)
    assumptions: dict[str, Any] = field(default_factory=dict)
    # Integer keys of images and layers (ecrcost.keys.StorageKeys) when the loader already built them;
    # None: metering builds them. Only valid for exactly these images and layers.
    keys: Any = field(default=None, repr=False, compare=False)

    @property
    def regions(self) -> set[str]:
        found: set[str] = set()
        for table in (self.storage, self.transfer, self.images):
            if table is not None and len(table):
                found |= set(table["region"].unique())
        if len(self.transfer):
            found |= {r for r in self.transfer["destination_region"].unique() if r}
        return found
