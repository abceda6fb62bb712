"""The rows that the outputs read from the model's tables (``DataFrame.itertuples``), as types: each
Protocol names the columns one table's rows carry and what they hold. pandas-stubs type every field of
such a row as any scalar, so the loops cast the rows to these; a cast only, nothing runs."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol


class RepositoryRow(Protocol):
    """A row of :meth:`Estimate.rounded` (and of ``breakdown.top_repositories``)."""

    account_id: str
    region: str
    registry: str
    repository: str
    storage_gb_month: Decimal
    internet_out_gb: Decimal
    cross_region_out_gb: Decimal
    storage_usd: Decimal
    transfer_usd: Decimal
    total_usd: Decimal


class GroupRow(Protocol):
    """A row of ``breakdown.by`` (its grouping column aside)."""

    repositories: int
    storage_gb_month: Decimal
    storage_usd: Decimal
    transfer_usd: Decimal
    total_usd: Decimal


class TierRow(Protocol):
    """A row of :meth:`Estimate.tiers`: the GB of one pool in one internet price tier."""

    scope: str
    account_id: str
    region: str
    tier: str
    from_gb: Decimal
    to_gb: Decimal | None
    usd_per_gb: Decimal
    gb: Decimal
    usd: Decimal


class LineRow(Protocol):
    """A row of :meth:`Estimate.billed_lines`."""

    account_id: str
    region: str
    registry: str
    repository: str
    charge: str
    usage_type: str
    pricing_unit: str
    tier: str
    destination_region: str
    quantity: Decimal
    unit_price: Decimal
    cost: Decimal
    cost_rounded: Decimal


class RepositoryInfoRow(Protocol):
    """A row of ``Usage.repositories``: what the input says of a repository besides its usage."""

    account_id: str
    region: str
    repository: str
    repository_arn: str
    tags: dict[str, str]


class ArnRow(Protocol):
    """A row of ``export.tags.repository_table``."""

    repository_arn: str
    tags: dict[str, str]


class DecisionRow(Protocol):
    """A row of ``Simulation.decisions``: one image and what the policy does with it."""

    account_id: str
    region: str
    repository: str
    image_digest: str
    image_tags: str | None
    size_bytes: int
    action: str
    rule_priority: int
    reason: str
    protected: str


class AgeRow(Protocol):
    """A row of ``analysis.age.stored_by_age``."""

    age_bucket: str
    state: str
    gb_month: Decimal
    byte_us: int
    blobs: int


class MonthRow(Protocol):
    """A row of ``Timeline.table``."""

    month: str
    kind: str
    storage_gb_month: Decimal
    storage_usd: Decimal
    transfer_usd: Decimal
    total_usd: Decimal


class PriceRow(Protocol):
    """A row of ``PriceBook.table``."""

    region: str
    item: str
    tier: str
    price: object  # as the price book writes it
    unit: str
    confidence: str
    as_of: str
    source: str


class WherePullsGoRow(Protocol):
    """A row of ``analysis.pulls.where_pulls_go``."""

    region: str
    repository: str
    same_region_gb: Decimal
    cross_region_gb: Decimal
    internet_gb: Decimal
    aws_service_gb: Decimal
    total_gb: Decimal
    transfer_usd: Decimal


class PulledImageRow(Protocol):
    """A row of the inventory's ``pulls`` table (``ecrcost pulls``)."""

    repository: str
    image_digest: str
    pull_count: int
    layer_downloads: int
    bytes: int
    top_class: str
    last_pull_at: str
