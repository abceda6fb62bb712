"""Lifecycle invariants for every inventory and every valid policy, not only the worked examples."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pandas as pd
import pytest
from factories import Inventory
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ecrcost import InputError
from ecrcost.analysis.lifecycle import evaluate, parse_policy, simulate
from ecrcost.core.usage import Usage

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
POOL = [1, 1000, 2**20, 3 * 2**20, 2**30]
TAGS = ["", "", "v1", "prod-1", "beta-2", "release-3", "prod-4 beta-4", "latest"]

images_strategy = st.lists(
    st.tuples(
        st.sampled_from(["svc-a", "svc-b"]),
        st.sampled_from(TAGS),
        st.integers(min_value=0, max_value=400),  # age in days
        st.sets(st.integers(min_value=0, max_value=len(POOL) - 1), min_size=1, max_size=3),
        st.sampled_from(["ACTIVE", "ACTIVE", "ARCHIVED"]),
        st.none() | st.integers(min_value=0, max_value=100),  # days since the last pull
    ),
    min_size=1,
    max_size=10,
)

tag_lists = st.sampled_from([["prod*"], ["beta*"], ["release-*"], ["*1"], ["prod*", "beta*"], ["v*"]])
rule_strategy = st.fixed_dictionaries(
    {
        "tagStatus": st.sampled_from(["tagged", "untagged", "any"]),
        "tags": tag_lists,
        "prefix": st.booleans(),
        "countType": st.sampled_from(["imageCountMoreThan", "sinceImagePushed", "sinceImagePulled"]),
        "countNumber": st.integers(min_value=1, max_value=60),
        "transition": st.booleans(),
    }
)


def rule_doc(priority: int, r: dict) -> dict:
    sel: dict = {"tagStatus": r["tagStatus"], "countType": r["countType"], "countNumber": r["countNumber"]}
    if r["tagStatus"] == "tagged":
        if r["prefix"]:
            sel["tagPrefixList"] = [t.rstrip("*") or "v" for t in r["tags"]]
        else:
            sel["tagPatternList"] = r["tags"]
    if r["countType"] != "imageCountMoreThan":
        sel["countUnit"] = "days"
    transition = r["transition"] or r["countType"] == "sinceImagePulled"
    action = {"type": "transition", "targetStorageClass": "archive"} if transition else {"type": "expire"}
    return {"rulePriority": priority, "selection": sel, "action": action}


def policy_or_none(rules: list[dict]):
    try:
        return parse_policy(json.dumps({"rules": [rule_doc(i + 1, r) for i, r in enumerate(rules)]}))
    except InputError:
        return None


def inventory(rows) -> Usage:
    inv = Inventory()
    for i, (repo, tags, age, held, status, pulled) in enumerate(rows):
        inv.push(
            repo,
            f"image{i}",
            AS_OF - timedelta(days=age, minutes=i),
            {f"layer{j}": POOL[j] for j in held},
            tags=tags,
            status=status,
            last_pulled_at=AS_OF - timedelta(days=pulled) if pulled is not None else None,
        )
    return inv.usage()


@pytest.mark.slow
@given(images_strategy, st.lists(rule_strategy, min_size=1, max_size=3), st.booleans())
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_a_policy_frees_no_more_than_is_stored_and_saves_before_minus_after(rows, rules, blob_mounting):
    policy = policy_or_none(rules)
    assume(policy is not None)
    sim = simulate(inventory(rows), policy, as_of=AS_OF, month="2026-10", blob_mounting=blob_mounting)
    before = int(sim.bytes["bytes_before"].sum())
    assert 0 <= sim.bytes_freed <= before
    assert sim.monthly_savings_usd == sim.storage_usd_before - sim.storage_usd_after
    # archive is never dearer than standard, and expiring never adds storage
    assert sim.monthly_savings_usd >= 0
    repos = sim.repositories()
    assert sum(repos["monthly_savings_usd"], D(0)) == sim.monthly_savings_usd
    assert sum(repos["storage_usd_before"], D(0)) == sim.storage_usd_before
    # cents: the saving rounds the same way as before − after rounded to micro-dollars
    assert sim.storage_usd_before.as_tuple().exponent == -6
    if not sim.expired:
        assert sim.bytes_freed == 0


@pytest.mark.slow
@given(images_strategy, st.lists(rule_strategy, min_size=1, max_size=3), rule_strategy)
@settings(suppress_health_check=[HealthCheck.filter_too_much])
def test_adding_a_last_rule_never_keeps_more_images(rows, rules, extra):
    shorter, longer = policy_or_none(rules), policy_or_none([*rules, extra])
    assume(shorter is not None and longer is not None)
    images = inventory(rows).images
    kept_short = evaluate(images, shorter, pd.Timestamp(AS_OF))["action"] == "keep"
    kept_long = evaluate(images, longer, pd.Timestamp(AS_OF))["action"] == "keep"
    assert not (kept_long & ~kept_short).any()
    # and what the shorter policy decided, the longer one decides the same way
    acted = ~kept_short
    short_actions = evaluate(images, shorter, pd.Timestamp(AS_OF))["action"][acted]
    long_actions = evaluate(images, longer, pd.Timestamp(AS_OF))["action"][acted]
    assert list(short_actions) == list(long_actions)


@pytest.mark.slow
@given(images_strategy, st.lists(rule_strategy, min_size=1, max_size=3))
@settings(suppress_health_check=[HealthCheck.filter_too_much])
def test_every_image_is_acted_on_by_at_most_one_rule_of_its_storage_class(rows, rules):
    policy = policy_or_none(rules)
    assume(policy is not None)
    images = inventory(rows).images
    out = evaluate(images, policy, pd.Timestamp(AS_OF))
    acted = out[out["action"] != "keep"]
    by_priority = {r.priority: r for r in policy.rules}
    for i, row in acted.iterrows():
        rule = by_priority[row["rule_priority"]]
        assert row["action"] == rule.action
        archived = images.loc[i, "image_status"] == "ARCHIVED"
        assert archived == (rule.storage_class == "archive")
