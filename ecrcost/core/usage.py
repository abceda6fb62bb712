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
    size_bytes (int). A Parquet inventory of 20 million layer rows or more (any, on the command line)
    is read *keyed* instead (docs/scale.md): image_row (the row of ``images`` holding it), blob (an id
    per layer digest) and size_bytes, without the text; ``ecrcost.load(path, layers="text")`` reads
    the text whatever the size.
``repositories`` — one row per repository, where the source knows it (``collect``): account_id,
    region, repository, repository_arn, tags (dict of str), lifecycle_policy (policy JSON text or ""),
    encryption_type (AES256 | KMS | KMS_DSSE; "" unknown), kms_key ("" for none), pull_through_cache
    (bool: created by a pull-through cache rule)
``registries`` — one row per registry (account + region) ``collect`` read: account_id, region,
    blob_mounting (the registry's BLOB_MOUNTING setting: ENABLED | DISABLED | unknown)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .metering.blobs import Metering
    from .metering.keys import StorageKeys

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
KEYED_LAYER_COLUMNS = ["image_row", "blob", "size_bytes"]
REPOSITORY_COLUMNS = [
    "account_id",
    "region",
    "repository",
    "repository_arn",
    "tags",
    "lifecycle_policy",
    "encryption_type",
    "kms_key",
    "pull_through_cache",
]
REGISTRY_COLUMNS = ["account_id", "region", "blob_mounting"]


def is_keyed(layers: pd.DataFrame | None) -> bool:
    """Whether ``layers`` are keyed (image rows and blob ids) rather than text."""
    return layers is not None and "image_row" in layers.columns


def keyed_subset(layers: pd.DataFrame, kept: np.ndarray) -> pd.DataFrame:
    """Keyed ``layers`` of the image rows ``kept`` (a mask over the images), their image rows renumbered
    as the kept images' are."""
    new_row = np.cumsum(kept, dtype=np.int64) - 1
    image_row = layers["image_row"].to_numpy()
    mine = kept[image_row]
    out = layers[mine].reset_index(drop=True)
    out["image_row"] = new_row[image_row[mine]].astype(np.int32)
    return out


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass(frozen=True)
class Usage:
    """What was stored and moved, before prices. Build it with :func:`ecrcost.load` or by hand."""

    storage: pd.DataFrame = field(default_factory=lambda: empty(STORAGE_COLUMNS))
    transfer: pd.DataFrame = field(default_factory=lambda: empty(TRANSFER_COLUMNS))
    images: pd.DataFrame | None = None
    layers: pd.DataFrame | None = None
    repositories: pd.DataFrame | None = (
        None  # tags, lifecycle policies, encryption: reports, what-ifs, mounting
    )
    registries: pd.DataFrame | None = None  # what collect found per registry (blob mounting)
    # per image, what ``ecrcost pulls`` measured from CloudTrail (reports only, never priced)
    pulls: pd.DataFrame | None = None
    # what runs where (collect --workloads, ecrcost workloads): lifecycle protection, chargeback
    workloads: pd.DataFrame | None = None
    source: str = ""
    notes: tuple[str, ...] = ()  # what the source wants said next to the totals (e.g. collect coverage)
    # what the source assumed, carried into Estimate.assumptions (e.g. collect's pull-size model)
    assumptions: dict[str, Any] = field(default_factory=dict)
    # Built on first use for exactly these images and layers; dataclasses.replace() starts afresh.
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __repr__(self) -> str:
        parts = [f"source={self.source!r}"] if self.source else []
        for name in ("images", "layers", "storage", "transfer", "repositories", "workloads"):
            table = getattr(self, name)
            if table is not None and len(table):
                parts.append(f"{name}={len(table):,} rows")
        return f"Usage({', '.join(parts)})"

    @property
    def keys(self) -> StorageKeys:
        """Integer keys of the images and layers (repository ids, the image row of each layer row, blob
        ids), built once."""
        if "keys" not in self._cache:
            from .metering.keys import keys_from_frames

            if self.images is None:
                raise ValueError("a scenario has no images to key")
            self._cache["keys"] = keys_from_frames(self.images, self.layers)
        return self._cache["keys"]

    def adopt_keys(self, keys: StorageKeys) -> None:
        """Use ``keys`` that a loader already built for exactly these images and layers."""
        ok = self.images is not None and len(keys.repo) == len(self.images)
        if self.layers is not None:
            ok = ok and keys.layer_image is not None and len(keys.layer_image) == len(self.layers)
        if not ok:
            raise ValueError("keys were built for other images or layers")
        self._cache["keys"] = keys

    @property
    def metering(self) -> Metering:
        """The metering kernel of this inventory (images and layers), built once."""
        if "metering" not in self._cache:
            from .metering.blobs import Metering

            if self.images is None:
                raise ValueError("a scenario has no images to meter")
            self._cache["metering"] = Metering(
                self.images, self.layers, self.keys, *sharing(self.keys, self.repositories, self.registries)
            )
        return self._cache["metering"]

    @property
    def regions(self) -> set[str]:
        found: set[str] = set()
        for table in (self.storage, self.transfer, self.images):
            if table is not None and len(table):
                found |= set(table["region"].unique())
        if len(self.transfer):
            found |= {r for r in self.transfer["destination_region"].unique() if r}
        return found


def sharing(
    keys: StorageKeys, repositories: pd.DataFrame | None, registries: pd.DataFrame | None
) -> tuple[np.ndarray, list[bool | None]]:
    """What blob mounting may share: per repository id, its sharing group (repositories of one registry
    with the same encryption type and KMS key; -1 for one a pull-through cache rule created, which never
    shares), and per registry id whether collect found blob mounting enabled (None: unknown). An
    unknown encryption type is ECR's default, AES256."""
    repos = keys.repos
    n_registries = int(keys.registry.max(initial=-1)) + 1
    encryption = pd.Series("AES256", index=repos.index)
    kms = pd.Series("", index=repos.index)
    pull_through = np.zeros(len(repos), dtype=bool)
    if repositories is not None and len(repositories):
        table = repositories.drop_duplicates(["account_id", "region", "repository"])
        # a hand-written table may leave account_id blank: it then names the repository in any account
        blank = table["account_id"].astype(str) == ""
        known = repos.merge(table[~blank], on=["account_id", "region", "repository"], how="left")
        anywhere = repos[["region", "repository"]].merge(
            table[blank].drop(columns="account_id"), on=["region", "repository"], how="left"
        )
        known = known.combine_first(anywhere)
        if "encryption_type" in known:
            given = known["encryption_type"].fillna("").astype(str)
            encryption = given.where(given != "", "AES256")
        if "kms_key" in known:
            kms = known["kms_key"].fillna("").astype(str)
        if "pull_through_cache" in known:
            pull_through = known["pull_through_cache"].fillna(False).astype(bool).to_numpy()
    group = pd.factorize(
        pd.Series(keys.registry).astype(str) + "\x00" + encryption.to_numpy() + "\x00" + kms.to_numpy()
    )[0].astype(np.int64)
    group[pull_through] = -1
    enabled: list[bool | None] = [None] * n_registries
    if registries is not None and len(registries):
        names = {name: g for g, name in enumerate(keys.registries())}
        for account, region, setting in zip(
            registries["account_id"], registries["region"], registries["blob_mounting"], strict=True
        ):
            g = names.get((str(account), str(region)))
            if g is not None and str(setting).upper() in ("ENABLED", "DISABLED"):
                enabled[g] = str(setting).upper() == "ENABLED"
    return group, enabled
