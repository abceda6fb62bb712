"""The result of a lifecycle simulation: per-image decisions, bytes and the two priced states."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from typing import cast

import numpy as np
import pandas as pd

from ...core.estimate import Estimate
from ...core.money import CONTEXT, ZERO
from ...core.period import Month
from ...core.units import GB
from ...core.usage import Usage
from .evaluate import EXPIRE, REPO, TRANSITION


@dataclass(frozen=True)
class Applied:
    """The inventory a simulation ran on and its images (rows) the policy expires / moves to archive."""

    usage: Usage
    expired: np.ndarray
    moved: np.ndarray

    def usage_at(self, as_of: pd.Timestamp) -> Usage:
        out = cast("pd.DataFrame", self.usage.images).copy()
        deleted = out["deleted_at"].copy()
        deleted[self.expired] = as_of
        out["deleted_at"] = deleted
        status = out["image_status"].astype(object)
        status[self.moved] = "ARCHIVED"
        out["image_status"] = status
        return replace(self.usage, images=out)


@dataclass(frozen=True)
class Simulation:
    """What one policy (or the repositories' stored policies) would do at ``as_of``, and what it saves.

    ``decisions``: one row per image stored at ``as_of``: account_id, region, repository, image_digest,
    image_tags, size_bytes, pushed_at, image_status, policy (its name, "" = repository has none), action
    (keep | expire | transition), rule_priority, reason, protected ("" | "running" | "inspector" |
    "in use" | "keep-tags": a protected image the policy would expire or archive; "running" images,
    which the inventory's workloads use, and "inspector" ones, which only Amazon Inspector says are in
    use, are kept in ``after``), orphan (a kept child of an expired index). The text columns are
    categorical (policy, action, reason and protected too: a million images repeat a few values).
    ``bytes``: per repository, stored bytes (unique layers) before and after, and bytes newly archived.
    ``before`` / ``after``: :class:`Estimate` of a whole ``period`` in each state (storage only).
    """

    name: str
    as_of: pd.Timestamp
    period: Month
    decisions: pd.DataFrame
    bytes: pd.DataFrame
    before: Estimate
    after: Estimate
    applied: Applied  # what after_usage is made of, when asked for
    restore_usd_per_gb: dict[str, Decimal]
    archive_minimum_usd: Decimal
    notes: tuple[str, ...] = field(default=())
    # (images in use by workloads the policy would expire or archive, running tasks/pods/functions
    # using them): those images are kept in the after state (protected "running")
    running: tuple[int, int] = (0, 0)

    @cached_property
    def after_usage(self) -> Usage:
        """The inventory after the policy ran at ``as_of``: expired images deleted at ``as_of``,
        transitioned ones ARCHIVED (from ``as_of`` on, for the metering this is the whole of their
        life: the inventory has no per-class history). Built when first asked for (a copy of the
        images)."""
        return self.applied.usage_at(self.as_of)

    def __repr__(self) -> str:
        return (
            f"<Simulation {self.name!r} at {self.as_of:%Y-%m-%dT%H:%M:%SZ} for {self.period}: "
            f"{len(self.decisions):,} images, {len(self.expired):,} expired, {len(self.transitioned):,} "
            f"archived; ${self.monthly_savings_usd:,.2f} a month saved>"
        )

    def _digests(self, mask: pd.Series) -> list[str]:
        return list(self.decisions.loc[mask, "image_digest"].astype(str))

    @property
    def expired(self) -> list[str]:
        return self._digests(self.decisions["action"] == EXPIRE)

    @property
    def transitioned(self) -> list[str]:
        return self._digests(self.decisions["action"] == TRANSITION)

    @property
    def protected(self) -> pd.DataFrame:
        return self.decisions[self.decisions["protected"] != ""]

    @property
    def orphans(self) -> list[str]:
        return self._digests(self.decisions["orphan"])

    @property
    def emptied(self) -> list[str]:
        """Repositories ("region/name") in which the policy expires every image: no rollback left."""
        d = self.decisions
        gone = (d["action"] == EXPIRE).groupby([d[c] for c in REPO], observed=True, sort=True).all()
        per_repo = cast("Iterable[tuple[tuple[str, str, str], bool]]", gone.items())
        return [f"{region}/{repo}" for (_, region, repo), all_gone in per_repo if all_gone]

    @property
    def safe(self) -> bool:
        """No image in use and no image with a kept tag would be expired or archived."""
        return not len(self.protected)

    @property
    def storage_usd_before(self) -> Decimal:
        return self.before.totals()["storage_usd"]

    @property
    def storage_usd_after(self) -> Decimal:
        return self.after.totals()["storage_usd"]

    @property
    def monthly_savings_usd(self) -> Decimal:
        """Storage USD per month saved: before − after, exactly (both rounded to micro-dollars)."""
        return self.storage_usd_before - self.storage_usd_after

    @property
    def bytes_before(self) -> int:
        """Bytes stored at as_of (unique layers per repository, or per registry with blob mounting)."""
        return int(self.bytes["bytes_before"].sum())

    @property
    def bytes_after(self) -> int:
        return int(self.bytes["bytes_after"].sum())

    @property
    def bytes_freed(self) -> int:
        """Bytes no longer stored: layers that no kept image holds (shared layers stay)."""
        return self.bytes_before - self.bytes_after

    @property
    def archived_bytes(self) -> int:
        """Bytes the policy moves to the archive class."""
        return int(self.bytes["archived_bytes"].sum())

    @property
    def expired_image_bytes(self) -> int:
        """The naive figure: the sum of the expired images' sizes, shared layers counted each time."""
        d = self.decisions
        return int(d.loc[d["action"] == EXPIRE, "size_bytes"].sum())

    @property
    def restore_usd(self) -> Decimal:
        """USD to restore every image this policy archives (per GB restored)."""
        total = ZERO
        for region, b in self.bytes.groupby("region")["archived_bytes"].sum().items():
            total += CONTEXT.divide(Decimal(int(b)) * self.restore_usd_per_gb[str(region)], Decimal(GB))
        return total

    def repositories(self) -> pd.DataFrame:
        """Per repository: policy, images, expired, transitioned, protected, orphans, bytes before/after/
        freed, bytes newly archived, storage USD before/after (micro-dollars) and the monthly saving."""
        d = self.decisions
        counts = (
            d.assign(
                images=1,
                expired=d["action"] == EXPIRE,
                transitioned=d["action"] == TRANSITION,
                protected_hits=d["protected"] != "",
                orphans=d["orphan"],
            )
            .groupby(REPO, observed=True, sort=True)
            .agg(
                policy=("policy", "first"),
                images=("images", "sum"),
                expired=("expired", "sum"),
                transitioned=("transitioned", "sum"),
                protected=("protected_hits", "sum"),
                orphans=("orphans", "sum"),
            )
            .reset_index()
        )
        counts = counts.set_index(REPO)
        sizes = self.bytes.set_index(REPO)
        before = _storage_by_repo(self.before)
        after = _storage_by_repo(self.after)
        index = counts.index.union(sizes.index).union(before.index).union(after.index)
        # reindex with fill values keeps integer bytes integers (a merge would pass them through floats)
        out = counts.drop(columns="policy").reindex(index, fill_value=0)
        out.insert(0, "policy", counts["policy"].astype(str).reindex(index, fill_value=""))
        sizes = sizes.reindex(index, fill_value=0)
        for c in ("bytes_before", "bytes_after", "archived_bytes"):
            out[c] = sizes[c].astype(np.int64)
        out["bytes_freed"] = out["bytes_before"] - out["bytes_after"]
        # pandas-stubs allow no Decimal fill_value, which these object columns take
        out["storage_usd_before"] = before.reindex(index, fill_value=ZERO).astype(object)  # type: ignore[arg-type]
        out["storage_usd_after"] = after.reindex(index, fill_value=ZERO).astype(object)  # type: ignore[arg-type]
        out["monthly_savings_usd"] = [
            b - a for b, a in zip(out["storage_usd_before"], out["storage_usd_after"], strict=True)
        ]
        for c in ("images", "expired", "transitioned", "protected", "orphans"):
            out[c] = out[c].astype(np.int64)
        return out.reset_index()


def _storage_by_repo(est: Estimate) -> pd.Series:
    """Storage USD per repository (micro-dollars, summing to the estimate's storage total)."""
    repos = est.rounded()
    return repos.groupby(REPO, sort=True)["storage_usd"].agg(lambda v: sum(v, ZERO))
