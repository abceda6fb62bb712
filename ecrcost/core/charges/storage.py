"""Storage charges: standard and archive storage of private registries, archive retrieval, and ECR
Public storage (see docs/pricing.md for AWS's words on each)."""

from __future__ import annotations

from .base import Charge, Flat, PerPool, Tiered
from .registry import register

STORAGE = ("storage_gb_month",)

register(
    Charge(
        name="standard_storage",
        label="Storage (standard)",
        measure="standard_gb_month",
        registry="private",
        bill="storage",
        reports=STORAGE,
        unit="GB-Months",
        pricing=Flat(),
        item="storage",
        usage_type="{code}-TimedStorage-ByteHrs",
        service="private",
        description="Standard storage",
    )
)
register(
    Charge(
        name="archive_storage",
        label="Storage (archive)",
        measure="archive_gb_month",
        registry="private",
        bill="storage",
        reports=(*STORAGE, "archive_gb_month"),
        unit="GB-Months",
        # Tiered on the bill's archive volume in each region.
        pricing=Tiered(pool=("region",)),
        item="archive_storage",
        usage_type="{code}-TimedStorage-Archive-ByteHrs",
        service="private",
        description="Archive storage",
    )
)
register(
    Charge(
        name="archive_early_deletion",
        label="Archive early deletion (90-day minimum)",
        measure="archive_early_gb_month",
        registry="private",
        bill="storage",
        reports=("archive_early_gb_month",),
        unit="GB-Months",
        # The days left of the 90-day minimum, at the first archive tier's rate; AWS publishes neither the
        # usage type nor the proration (docs/pricing.md).
        pricing=Flat(first_tier=True),
        item="archive_storage",
        usage_type="{code}-EarlyDelete-Archive-ByteHrs",
        service="private",
        description="Archive storage, 90-day minimum of images that left the archive early",
    )
)
register(
    Charge(
        name="archive_retrieval",
        label="Archive retrieval",
        measure="archive_restored_gb",
        registry="private",
        bill="storage",
        reports=("archive_restored_gb",),
        unit="GB",
        pricing=Flat(),
        item="archive_retrieval",
        usage_type="{code}-Retrieval-Archive",
        service="private",
        description="Archive retrieval (restore)",
    )
)
register(
    Charge(
        name="public_storage",
        label="Storage (ECR Public)",
        measure="standard_gb_month",
        registry="public",
        bill="storage",
        reports=STORAGE,
        unit="GB-Months",
        # 50 GB-month free per bill, then a flat rate (one open tier).
        pricing=Tiered(pool=(), allowance=PerPool("storage_free_gb_month")),
        section="public",
        item="storage",
        usage_type="{code}-TimedStorage-ByteHrs",
        service="public",
        description="ECR Public storage",
    )
)
