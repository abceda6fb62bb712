"""Apply lifecycle decisions to an inventory and price the difference. Pure: no I/O, no printing.

What "before" and "after" mean: the images stored at ``as_of`` (pushed by then, not yet deleted) are
priced for one whole ``month`` as if they had been stored all month (before), and again without the
images the policy expires and with the images it transitions in the archive class (after). The saving
is therefore a monthly run-rate of the steady state, not the bill of a particular month; money comes
from the pricing model only (the metering kernel meters each state, the charges price it), so the model
stays the single source of prices.

Bytes freed are metered the same way: unique layers per repository (per registry with blob mounting)
that no kept image still holds. A layer shared by an expired and a kept image stays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

import numpy as np
import pandas as pd

from ...core.errors import InputError
from ...core.estimate import Estimate
from ...core.metering.blobs import Lifetimes
from ...core.money import CONTEXT, ZERO
from ...core.options import PricingOptions
from ...core.period import Month
from ...core.pricebook import PriceBook, load_pricebook
from ...core.pricing import price
from ...core.quantities import of_stored
from ...core.units import GB
from ...core.usage import Usage
from ..workloads import inspector_only, running_count, runtime, uses
from .evaluate import (
    EXPIRE,
    KEEP,
    REPO,
    TRANSITION,
    category_objects,
    decided,
    digest_numbers,
    evaluate,
    locate,
)
from .policy import Policy, Rule
from .protect import Reference, in_use, keeps_tags
from .simulation import Applied, Simulation

ARCHIVE_MINIMUM_MONTHS = 3  # 90 days, charged as three 30-day months (AWS does not publish the proration)
# Policies for a simulation: one for every repository, or one per (account_id, region, repository).
Policies = Policy | Mapping[tuple[str, str, str], Policy]


def simulate(
    usage: Usage,
    policy: Policies,
    *,
    name: str | None = None,
    as_of: datetime | str | None = None,
    month: Month | str | date | None = None,
    prices: PriceBook | None = None,
    blob_mounting: bool | str = "collected",
    in_use_refs: Iterable[Reference] = (),
    keep_tags: Iterable[str] = (),
) -> Simulation:
    """Simulate ``policy`` on an inventory ``usage`` at ``as_of`` (default: now) and price one whole
    ``month`` (default: the current month) before and after; see the module docstring."""
    images = usage.images
    if images is None:
        raise InputError("a lifecycle simulation needs an inventory folder (images), not a scenario CSV")
    period = Month.of(month)
    prices = prices or load_pricebook()
    as_of_ts = _timestamp(as_of)
    if not images.index.equals(pd.RangeIndex(len(images))):
        images = images.reset_index(drop=True)
        usage = replace(usage, images=images)
    stored = ((images["pushed_at"] <= as_of_ts) & ~(images["deleted_at"] <= as_of_ts)).to_numpy(dtype=bool)
    # The images stored now are copied for the decisions only: what is kept is the decisions frame
    # (low-cardinality text as categories) and two masks, before the two states are metered.
    decisions, expired, moved, running_hits, undated = _decisions(
        usage, stored, policy, name, as_of_ts, in_use_refs, keep_tags
    )

    options = PricingOptions.of(period, prices=prices, blob_mounting=blob_mounting)
    archived_now = (images["image_status"] == "ARCHIVED").to_numpy(dtype=bool)

    def price_state(keep: np.ndarray, archive: np.ndarray) -> Estimate:
        life = Lifetimes.steady(period, keep, archived_now | archive)
        stored = usage.metering.storage(period, options.blob_mounting, life)
        return price(of_stored(stored, options), options, Usage(source=usage.source))

    nothing = np.zeros(len(images), dtype=bool)
    before, after = price_state(stored, nothing), price_state(stored & ~expired, moved)
    # Bytes per repository: in a whole-month state GB-month × 2^30 is the bytes stored, exactly. Bytes
    # newly archived: archive bytes after, less those of the state with only the expirations applied
    # (priced only when something is archived).
    sizes = [_bytes(before), _bytes(after)]
    if moved.any():
        sizes.append(_bytes(price_state(stored & ~expired, nothing)))
    else:
        sizes.append(sizes[1])
    index = sizes[0].index.union(sizes[1].index).union(sizes[2].index)
    b, a, e = (x.reindex(index, fill_value=0) for x in sizes)  # integers stay integers
    table = pd.DataFrame(
        {
            "bytes_before": b["bytes"],
            "bytes_after": a["bytes"],
            "archived_bytes": a["archive"] - e["archive"],
        },
        index=index,
    ).reset_index()

    regions = sorted(set(images["region"].astype(str)))
    restore = {r: prices.region(r).archive_retrieval for r in regions}
    minimum = ZERO
    for region, moved_bytes in table.groupby("region")["archived_bytes"].sum().items():
        rate = prices.region(str(region)).archive_tiers[0].usd_per_gb  # first tier: the 150 TB above is rare
        gb_months = CONTEXT.divide(Decimal(int(moved_bytes) * ARCHIVE_MINIMUM_MONTHS), Decimal(GB))
        minimum += CONTEXT.multiply(gb_months, rate)
    notes = _notes(decisions, undated, before)
    return Simulation(
        name=name or (policy.name if isinstance(policy, Policy) else "stored policies"),
        as_of=as_of_ts,
        period=period,
        decisions=decisions,
        bytes=table,
        before=before,
        after=after,
        applied=Applied(usage, expired, moved),
        restore_usd_per_gb=restore,
        archive_minimum_usd=minimum,
        notes=notes,
        running=running_hits,
    )


def _timestamp(value: datetime | str | None) -> pd.Timestamp:
    if value is None:
        return pd.Timestamp(datetime.now(UTC))
    try:
        ts: pd.Timestamp | None = pd.Timestamp(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError):
        ts = None
    if not isinstance(ts, pd.Timestamp):  # also pd.NaT, which pd.Timestamp() returns for "" or "NaT"
        raise InputError(f"'{value}' is not a timestamp (ISO 8601, e.g. 2026-11-01T00:00:00Z)", field="as_of")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _decisions(
    usage: Usage,
    stored: np.ndarray,
    policy: Policies,
    name: str | None,
    as_of: pd.Timestamp,
    in_use_refs: Iterable[Reference],
    keep_tags: Iterable[str],
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, tuple[int, int], int]:
    """The decisions frame (see :class:`Simulation`) of the ``stored`` images; the masks of the
    inventory's images expired and moved to archive in the after state (what runs stays); the
    running images hit and their instances; archived images without an archive date that a
    sinceImageTransitioned rule keeps."""
    images = cast("pd.DataFrame", usage.images)
    rows = np.flatnonzero(stored)
    now_images = images.iloc[rows].reset_index(drop=True)

    decisions_of, names = _decide(now_images, policy, name, as_of)
    action = category_objects(decisions_of["action"])
    expired = np.zeros(len(images), dtype=bool)
    expired[rows[action == EXPIRE]] = True
    moved = np.zeros(len(images), dtype=bool)
    moved[rows[action == TRANSITION]] = True

    use = in_use(now_images, in_use_refs)
    tags = keeps_tags(now_images, keep_tags)
    workloads = runtime(usage.workloads)
    pairs = uses(now_images, workloads)
    running = np.zeros(len(now_images), dtype=bool)
    running[pairs["image"].to_numpy()] = True
    # what only Amazon Inspector says is in use (no collected workload names it)
    inspected = np.zeros(len(now_images), dtype=bool)
    inspected[uses(now_images, inspector_only(usage.workloads))["image"].to_numpy()] = True
    inspected &= ~running
    hit = action != KEEP
    # first that applies: running, inspector, in use, keep-tags; else "" (code 0)
    reasons = [hit & tags, hit & use, hit & inspected, hit & running]
    protected_code = np.zeros(len(now_images), dtype=np.int8)
    for code, mask in enumerate(reasons, start=1):
        protected_code[mask] = code
    protected = pd.Categorical.from_codes(
        protected_code, categories=pd.Index(["", "keep-tags", "in use", "inspector", "running"])
    )
    # What runs stays: the after state keeps it, so the saving never counts it.
    expired[rows[running | inspected]] = False
    moved[rows[running | inspected]] = False
    hit_rows = pairs["workload"].to_numpy()[(hit & running)[pairs["image"].to_numpy()]]
    running_hits = (
        int((hit & running).sum()),
        running_count(workloads, hit_rows) if workloads is not None else 0,
    )
    decisions = now_images[
        [*REPO, "image_digest", "image_tags", "size_bytes", "pushed_at", "image_status"]
    ].copy()
    decisions["policy"] = pd.Categorical(names)
    decisions["action"] = decisions_of["action"].array
    decisions["rule_priority"] = decisions_of["rule_priority"].to_numpy()
    decisions["reason"] = decisions_of["reason"].array
    decisions["protected"] = protected
    decisions["orphan"] = _orphans(now_images, action)
    return decisions, expired, moved, running_hits, _undated(now_images, policy)


def _decide(
    images: pd.DataFrame, policy: Policies, name: str | None, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, np.ndarray]:
    """Decisions for every image, and the name of the policy that applied to each ("" = none)."""
    if isinstance(policy, Policy):
        return evaluate(images, policy, as_of), np.full(len(images), name or policy.name, dtype=object)
    n = len(images)
    action = np.full(n, KEEP, dtype=object)
    priority = np.zeros(n, dtype=np.int64)
    reason = np.full(n, "", dtype=object)
    names = np.full(n, "", dtype=object)
    # Repositories sharing the same rules are evaluated in one pass (evaluate groups by repository).
    rows_of = cast(
        "dict[tuple[Any, ...], np.ndarray]", images.groupby(REPO, sort=False, observed=True).indices
    )
    by_rules: dict[tuple[Rule, ...], list[np.ndarray]] = {}
    for key, rows in rows_of.items():
        account, region, repo = (str(k) for k in key)
        # a hand-written repositories table may leave account_id blank: it then names any account
        pol = policy.get((account, region, repo)) or policy.get(("", region, repo))
        if pol is not None:
            by_rules.setdefault(pol.rules, []).append(rows)
            names[rows] = pol.name
    for rules, parts in by_rules.items():
        rows = np.concatenate(parts)
        out = evaluate(images.iloc[rows], Policy(name="", rules=rules), as_of)
        action[rows] = category_objects(out["action"])
        priority[rows] = out["rule_priority"].to_numpy()
        reason[rows] = category_objects(out["reason"])
    return decided(action, priority, reason, images.index), names


def _orphans(images: pd.DataFrame, action: np.ndarray) -> np.ndarray:
    """Kept children of an index the policy expires: untagged images nothing references any more."""
    out = np.zeros(len(images), dtype=bool)
    if not (action == EXPIRE).any():
        return out
    digests, parents = digest_numbers(images, "parent_digest", ordered=False)
    kept_children = np.flatnonzero((parents >= 0) & (action == KEEP))
    if not len(kept_children):
        return out
    group = images.groupby(REPO, sort=False, observed=True).ngroup().to_numpy()
    index_row = locate(group, digests, group[kept_children], parents[kept_children])
    out[kept_children[(index_row >= 0) & (action[np.maximum(index_row, 0)] == EXPIRE)]] = True
    return out


def _bytes(est: Estimate) -> pd.DataFrame:
    """Bytes stored per repository (index) in a whole-month estimate: ``bytes`` (every class) and
    ``archive``. GB-month is bytes / 2^30 there, a terminating decimal, so this is exact."""
    exact = est.exact
    frame = exact[REPO].assign(
        bytes=[int(CONTEXT.multiply(v, GB)) for v in exact["storage_gb_month"]],
        archive=[int(CONTEXT.multiply(v, GB)) for v in exact["archive_gb_month"]],
    )
    return frame.groupby(REPO, sort=True)[["bytes", "archive"]].sum()


def _undated(images: pd.DataFrame, policy: Policies) -> int:
    """Archived images without an archive date, when a sinceImageTransitioned rule could expire them."""
    rules = [policy] if isinstance(policy, Policy) else list(policy.values())
    if not any(r.count_type == "sinceImageTransitioned" for p in rules for r in p.rules):
        return 0
    undated = images["image_status"].astype(str) == "ARCHIVED"
    if "last_archived_at" in images:
        undated &= images["last_archived_at"].isna()
    return int(undated.sum())


def _notes(decisions: pd.DataFrame, undated: int, before: Estimate) -> tuple[str, ...]:
    notes = [n for n in before.notes if "not over" not in n]
    if undated:
        notes.append(
            f"{undated} archived image(s) have no archive date (last_archived_at) in the "
            "inventory: sinceImageTransitioned rules keep them here (ECR would expire those archived "
            "long enough ago)."
        )
    orphans = int(decisions["orphan"].sum())
    if orphans:
        notes.append(
            f"{orphans} child manifest(s) of expired multi-arch indexes stay stored (orphans): ECR does not "
            "delete them with their index; only a rule that selects them (untagged) removes them later."
        )
    inspected = int((decisions["protected"] == "inspector").sum())
    if inspected:
        notes.append(
            f"{inspected} image(s) the policy would expire or archive are in use per Amazon Inspector "
            "(inUseCount / lastInUseAt) though no collected workload names them: kept (protected "
            "'inspector')."
        )
    return tuple(notes)
