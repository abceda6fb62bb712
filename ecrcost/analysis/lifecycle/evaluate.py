"""Evaluate a lifecycle policy the way ECR does: images in, one decision per image out. Pure.

ECR's evaluation rules ("Lifecycle policy evaluation rules", ECR user guide), as implemented here:

* All rules are evaluated at the same time; then they are applied by priority, lowest first.
* A rule selects the images of its storage class (``standard`` = ACTIVE/ACTIVATING, ``archive`` =
  ARCHIVED) whose tags match its tag selection; its count criterion then marks some of them.
  ``imageCountMoreThan`` ranks *all* selected images youngest first by ``pushed_at`` (also those a
  higher-priority rule already selected: "can still identify them as if they haven't been expired").
* An image that matches the selection of a higher-priority rule can never be expired or archived by a
  lower-priority rule, so every image is acted on by exactly one or zero rules.
* ``since*`` criteria are "older than countNumber days": strictly more than N × 24 h before ``as_of``.
  ``sinceImagePulled`` falls back to ``pushed_at`` for images never pulled.
* An image referenced by a manifest list (a child of a multi-arch index) cannot be expired or archived
  unless its index is expired or archived in the same evaluation.
* A restored image (``last_activated_at``) counts as pushed then, and as pulled then unless it was
  pulled since. ``sinceImageTransitioned`` reads ``last_archived_at``; an archived image without one is
  kept (an inventory written by hand may not know it).
* Referrers (signatures, SBOMs: ``subject_digest``) go with their subject: ECR expires or archives them
  "within 24 hours of the deletion or archival of the subject image".
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from ...core.metering.keys import positions
from ..workloads import text_values as text_values  # re-exported: the lifecycle modules use it
from .policy import Policy, Rule, wildcard_matches

KEEP, EXPIRE, TRANSITION = "keep", "expire", "transition"
REPO = ["account_id", "region", "repository"]


def evaluate(images: pd.DataFrame, policy: Policy, as_of: pd.Timestamp) -> pd.DataFrame:
    """Decide every image of ``images`` (the images stored at ``as_of``, any number of repositories;
    each repository is evaluated on its own).

    Returns a frame on ``images.index`` with ``action`` (keep | expire | transition), ``rule_priority``
    (the deciding rule, 0 = none) and ``reason`` (words for people)."""
    n = len(images)
    as_of = _utc_ts(as_of)
    action = np.full(n, KEEP, dtype=object)
    priority = np.zeros(n, dtype=np.int64)
    reason = np.full(n, "", dtype=object)
    if n == 0:
        return decided(action, priority, reason, images.index)
    group = images.groupby(REPO, sort=False, observed=True).ngroup().to_numpy()
    # Tag selections are decided once per distinct tag text, then looked up per image: at 10M images
    # the tags split per image were 2.6 GB of Python lists and strings.
    tag_codes, tag_texts = _distinct(images["image_tags"])
    texts = pd.Series(np.asarray(tag_texts, dtype=object), dtype=object)  # index: distinct text ids
    tagged = (texts.str.strip() != "").to_numpy(dtype=bool)
    exploded = texts.str.split().explode().dropna()

    def per_image(of_text: np.ndarray) -> np.ndarray:
        found = np.append(of_text, False)  # code -1 (no tags at all) takes the last: False
        return found[tag_codes]

    archived = (images["image_status"].astype(str) == "ARCHIVED").to_numpy()
    claimed = np.zeros(n, dtype=bool)  # selected by a higher-priority rule
    digests, parents, subjects = digest_numbers(images, "parent_digest", "subject_digest")
    times = _times(images, digests)
    for rule in policy.rules:
        selected = per_image(_selects(rule, tagged, exploded, len(texts))) & (
            archived if rule.storage_class == "archive" else ~archived
        )
        marked = selected & _count_marks(rule, times, selected, group, as_of)
        act = marked & ~claimed
        action[act] = EXPIRE if rule.action == "expire" else TRANSITION
        priority[act] = rule.priority
        reason[act] = rule.describe()
        claimed |= selected
    _hold_children(images, group, digests, parents, action, priority, reason)
    _follow_subjects(images, group, digests, subjects, archived, action, priority, reason)
    return decided(action, priority, reason, images.index)


def category_objects(column: pd.Series) -> np.ndarray:
    """A categorical column (no missing values) as an object array referring to its few category
    texts: no new string per row."""
    return np.asarray(column.cat.categories, dtype=object)[column.cat.codes.to_numpy()]


def decided(action: np.ndarray, priority: np.ndarray, reason: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """The decisions frame from per-image arrays of a few distinct texts: ``action`` and ``reason`` as
    categoricals made from the arrays of Python objects. (A plain column would be copied into millions
    of strings, and taken out again as millions of new ones: 1.9 GB at 10M images.)"""
    return pd.DataFrame(
        {
            "action": pd.Categorical(action, categories=[KEEP, EXPIRE, TRANSITION]),
            "rule_priority": priority,
            "reason": pd.Categorical(reason),
        },
        index=index,
    )


def _utc(column: pd.Series) -> pd.Series:
    """Timestamps as naive UTC (aware columns converted), for sorting as numbers."""
    column = pd.to_datetime(column, utc=True)
    return column.dt.tz_convert("UTC").dt.tz_localize(None)


def _utc_ts(value: datetime | str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _selects(rule: Rule, tagged: np.ndarray, exploded: pd.Series, n: int) -> np.ndarray:
    """Which of ``n`` tag texts (``tagged``: not blank; ``exploded``: their tags, indexed by text)
    satisfy the rule's tag selection (storage class aside)."""
    if rule.tag_status == "any":
        return np.ones(n, dtype=bool)
    if rule.tag_status == "untagged":
        return ~tagged
    ok = np.ones(n, dtype=bool)
    # "An image is successfully matched if all of the tags in the tagPatternList or tagPrefixList value
    # are matched against any of the image's tags."
    for pattern in rule.tag_patterns:
        hit = wildcard_matches(exploded, pattern)
        ok &= _any_per_image(exploded.index.to_numpy()[hit], n)
    for prefix in rule.tag_prefixes:
        hit = exploded.str.startswith(prefix).to_numpy(dtype=bool)
        ok &= _any_per_image(exploded.index.to_numpy()[hit], n)
    return ok & tagged


def _any_per_image(rows: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[rows] = True
    return out


def digest_numbers(images: pd.DataFrame, *columns: str, ordered: bool = True) -> list[np.ndarray]:
    """``image_digest``, then each digest column of ``columns`` (parents, subjects), as integers:
    equal digests, equal numbers (``ordered``: sorting as the digests' text does); -1 for a digest no
    image of ``images`` has (a blank, a missing column). Computed on the distinct digests, never on a
    million texts."""
    codes, names = _distinct(images["image_digest"])
    rank = np.arange(len(names), dtype=np.int64)
    if ordered:
        rank[names.argsort()] = rank.copy()
    numbers = [np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)]
    for column in columns:
        if column not in images:
            numbers.append(np.full(len(images), -1, dtype=np.int64))
            continue
        values = images[column]
        # positions() hashes the smaller side in Arrow: a few parents against millions of digests,
        # never a pandas hash table of millions of Python strings
        if isinstance(values.dtype, pd.CategoricalDtype):
            found = positions(values.cat.categories, names)
            of_code = np.where(found >= 0, rank[np.maximum(found, 0)], -1)
            own = values.cat.codes.to_numpy()
            numbers.append(np.where(own >= 0, of_code[np.maximum(own, 0)], -1))
        else:
            codes, distinct = pd.factorize(text_values(values))
            found = positions(pd.Index(distinct), names)[codes]
            numbers.append(np.where(found >= 0, rank[np.maximum(found, 0)], -1))
    return numbers


def _distinct(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each row's code into the distinct values (-1: missing), and those values."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        used = np.unique(codes[codes >= 0])
        remap = np.full(len(column.cat.categories), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        return np.where(codes >= 0, remap[np.maximum(codes, 0)], -1), column.cat.categories[used]
    codes, uniques = pd.factorize(text_values(column))
    return codes.astype(np.int64), pd.Index(uniques)


def _times(images: pd.DataFrame, digests: np.ndarray) -> pd.DataFrame:
    """The times rules read, per image (UTC): ``pushed`` (last restore, else push), ``pulled`` (last pull,
    else that), ``archived`` (last transition to archive, NaT if unknown), and the digest for ties."""
    never = pd.Series(pd.NaT, index=images.index, dtype="datetime64[us, UTC]")

    def column(name: str) -> pd.Series:
        return pd.to_datetime(images[name], utc=True) if name in images else never

    activated = column("last_activated_at")
    pushed = activated.fillna(column("pushed_at"))
    last_pull = column("last_pulled_at")
    stale_pull = last_pull.isna() | (activated.notna() & (last_pull < activated))
    return pd.DataFrame(
        {
            "pushed": pushed,
            "pulled": last_pull.where(~stale_pull, pushed),
            "archived": column("last_archived_at"),
            "digest": digests,  # the tie-break: numbers sorting as the digests do
        },
        index=images.index,
    )


def _count_marks(
    rule: Rule, times: pd.DataFrame, selected: np.ndarray, group: np.ndarray, as_of: pd.Timestamp
) -> np.ndarray:
    n = len(times)
    if rule.count_type == "imageCountMoreThan":
        rows = np.flatnonzero(selected)
        sub = pd.DataFrame(
            {
                "group": group[rows],
                "pushed": _utc(times["pushed"]).to_numpy(dtype="datetime64[ns]")[rows],
                "digest": times["digest"].to_numpy()[rows],
                "row": rows,
            }
        ).sort_values(["group", "pushed", "digest"], ascending=[True, False, True])
        rank = sub.groupby("group").cumcount().to_numpy() + 1  # 1 = youngest
        out = np.zeros(n, dtype=bool)
        out[sub["row"].to_numpy()[rank > rule.count_number]] = True
        return out
    since = {"sinceImagePushed": "pushed", "sinceImagePulled": "pulled", "sinceImageTransitioned": "archived"}
    age = (as_of - times[since[rule.count_type]]).to_numpy(dtype="timedelta64[us]").view("int64")
    # In whole microseconds: a countNumber of days beyond what a Timedelta holds (~292 years) is
    # simply older than any age, not an overflow. NaT views as the smallest int64: never older.
    threshold = rule.count_number * 86_400 * 10**6
    if threshold > np.iinfo(np.int64).max:
        return np.zeros(n, dtype=bool)
    return age > threshold


def locate(group: np.ndarray, digests: np.ndarray, want_group: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Row of the image with digest number ``want[i]`` (:func:`digest_numbers`, at least 0) in
    repository ``want_group[i]`` (``group``: the repository number of every image row), or -1.
    Digests repeat across repositories (replication copies them), so the repository is part of the key."""
    width = np.int64(max(int(digests.max(initial=0)), int(want.max(initial=0))) + 1)
    have = group.astype(np.int64) * width + digests
    wanted = want_group.astype(np.int64) * width + want
    order = np.argsort(have, kind="stable")
    pos = np.minimum(np.searchsorted(have[order], wanted), len(have) - 1)
    return np.where(have[order][pos] == wanted, order[pos], -1)


def _hold_children(
    images: pd.DataFrame,
    group: np.ndarray,
    digests: np.ndarray,
    parents: np.ndarray,
    action: np.ndarray,
    priority: np.ndarray,
    reason: np.ndarray,
) -> None:
    """ "If an image is referenced by a manifest list, it cannot be expired or archived without the
    manifest list being deleted or archived first": keep children whose (stored) index stays."""
    children = np.flatnonzero((parents >= 0) & (action != KEEP))
    if not len(children):
        return
    index_row = locate(group, digests, group[children], parents[children])
    held = children[(index_row >= 0) & (action[np.maximum(index_row, 0)] == KEEP)]
    parent = text_values(images["parent_digest"].iloc[held])
    reason[held] = [
        f"kept: its manifest list {p} stays (else {reason[c]})" for p, c in zip(parent, held, strict=True)
    ]
    action[held] = KEEP
    priority[held] = 0


def _follow_subjects(
    images: pd.DataFrame,
    group: np.ndarray,
    digests: np.ndarray,
    subjects: np.ndarray,
    archived: np.ndarray,
    action: np.ndarray,
    priority: np.ndarray,
    reason: np.ndarray,
) -> None:
    """Referrers follow their subject: expired with it, archived with it (a chain follows to its end)."""
    referrers = np.flatnonzero(subjects >= 0)
    if not len(referrers):
        return
    found = locate(group, digests, group[referrers], subjects[referrers])
    referrers, found = referrers[found >= 0], found[found >= 0]
    for _ in range(len(referrers)):  # each pass settles one more link of the longest chain
        theirs = action[found]
        expire = (theirs == EXPIRE) & (action[referrers] != EXPIRE)
        archive = (theirs == TRANSITION) & (action[referrers] == KEEP) & ~archived[referrers]
        moved = expire | archive
        if not moved.any():
            return
        r, s = referrers[moved], found[moved]
        action[r] = theirs[moved]
        priority[r] = priority[s]
        subjects = text_values(images["image_digest"].iloc[s])
        reason[r] = [f"follows its subject {d} (a referrer)" for d in subjects]
