"""The evaluator decides like ECR: AWS's documented examples as golden tests, then the edge cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from factories import OCI_INDEX, Inventory

from ecrcost.analysis.lifecycle import evaluate, read_policy, simulate

FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def ago(days: float) -> str:
    return (AS_OF - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def push(inventory: Inventory, name: str, days: float, tags: str = "", repo: str = "app", **kw) -> str:
    """Push ``name`` into ``repo``, ``days`` ago, holding one layer of its own."""
    return inventory.push(repo, name, ago(days), {f"{repo}-{name}": 1000}, tags=tags, **kw)


def decide(inventory: Inventory, policy: str) -> dict[str, str]:
    """Each image's action (by the name it was pushed as) under a fixture policy."""
    images = inventory.load().images
    out = evaluate(images, read_policy(FIXTURES / policy), pd.Timestamp(AS_OF))
    return {inventory.names[d]: a for d, a in zip(images["image_digest"], out["action"], strict=True)}


def expired(inventory: Inventory, policy: str) -> set[str]:
    return {n for n, a in decide(inventory, policy).items() if a == "expire"}


def example_a_images(inventory: Inventory) -> None:
    push(inventory, "A", 10, "beta-1 prod-1")
    push(inventory, "B", 9, "beta-2 prod-2")
    push(inventory, "C", 8, "beta-3")


@pytest.mark.parametrize("policy", ["aws-multiple-rules-a.json", "aws-multiple-rules-a-prefix.json"])
def test_aws_example_a_expires_only_image_a(inventory, policy):
    # "Rule 2 ... marks both Image A and Image B for expiration. However, Image A has already been seen
    # by Rule 1 and if Image B were expired it would violate Rule 1 and thus is skipped."
    example_a_images(inventory)
    assert expired(inventory, policy) == {"A"}


def test_aws_example_b_expires_images_a_and_b(inventory):
    # "Rule 2 ... would see no images because all available images were already seen by Rule 1"
    example_a_images(inventory)
    assert expired(inventory, "aws-multiple-rules-b.json") == {"A", "B"}


def test_aws_all_images_example_expires_a_b_and_d(inventory):
    push(inventory, "A", 4, "alpha-1 beta-1")
    push(inventory, "B", 3)
    push(inventory, "C", 2, "alpha-2")
    push(inventory, "D", 1, "4e5f8a9")  # a git hash
    push(inventory, "E", 23 / 24)  # "1 day" ago but younger than D: not older than 1 day, rule 2 keeps it
    decisions = decide(inventory, "aws-all-images.json")
    assert {n for n, a in decisions.items() if a == "expire"} == {"A", "B", "D"}


def test_multiple_patterns_in_one_rule_need_every_pattern(inventory):
    # "If you specify multiple tags, only the images with all specified tags are selected."
    push(inventory, "both", 10, "alpha-1 beta-1")
    push(inventory, "alpha-only", 10, "alpha-2")
    push(inventory, "beta-only", 10, "beta-2")
    push(inventory, "both-young", 2, "alpha-3 beta-3")
    assert expired(inventory, "aws-multiple-patterns.json") == {"both"}


def test_age_rule_expires_prod_images_older_than_14_days(inventory):
    push(inventory, "old-prod", 15, "prod-1")
    push(inventory, "young-prod", 13, "prod-2")
    push(inventory, "exactly-14", 14, "prod-3")  # not *older* than 14 days
    push(inventory, "old-dev", 30, "dev-1")
    push(inventory, "old-untagged", 30)
    assert expired(inventory, "aws-age-prod-14-days.json") == {"old-prod"}


def test_keep_one_untagged_keeps_the_youngest(inventory):
    push(inventory, "u1", 5)
    push(inventory, "u2", 3)
    push(inventory, "u3", 1)
    push(inventory, "tagged", 9, "v1")
    assert expired(inventory, "aws-keep-one-untagged.json") == {"u1", "u2"}


def test_pattern_wildcard_matches_anywhere_and_prefix_only_at_start(inventory):
    push(inventory, "a", 40, "my-release-1")
    push(inventory, "b", 40, "release-1")
    decisions = decide(inventory, "keep-5-release.json")
    # release-* matches release-1 only; rule 2 (any, over 30 days) cannot touch it: it matches rule 1's
    # tags. my-release-1 matches nothing of rule 1, so rule 2 expires it.
    assert decisions == {"a": "expire", "b": "keep"}


def test_archive_rule_transitions_by_last_pull_and_falls_back_to_push(inventory):
    push(inventory, "pulled-recently", 200, "v1", last_pulled_at=ago(3))
    push(inventory, "pulled-long-ago", 200, "v2", last_pulled_at=ago(45))
    push(inventory, "never-pulled-old", 40, "v3")
    push(inventory, "never-pulled-new", 10, "v4")
    push(inventory, "already-archived", 400, "v5", status="ARCHIVED")
    decisions = decide(inventory, "aws-archive-then-expire.json")
    assert decisions == {
        "pulled-recently": "keep",
        "pulled-long-ago": "transition",
        "never-pulled-old": "transition",
        "never-pulled-new": "keep",
        # no archive date in an inventory: sinceImageTransitioned cannot tell, so it keeps it
        "already-archived": "keep",
    }


def test_archived_images_are_expired_by_archive_date_when_known(inventory):
    push(inventory, "archived-long-ago", 800, "v1", status="ARCHIVED", last_archived_at=ago(400))
    push(inventory, "archived-recently", 800, "v2", status="ARCHIVED", last_archived_at=ago(100))
    images = inventory.load().images
    out = evaluate(images, read_policy(FIXTURES / "aws-archive-then-expire.json"), pd.Timestamp(AS_OF))
    assert list(out["action"]) == ["expire", "keep"]


def test_standard_rules_never_touch_archived_images(inventory):
    push(inventory, "archived", 50, status="ARCHIVED")
    push(inventory, "u1", 40)
    push(inventory, "u2", 20)
    assert expired(inventory, "aws-keep-one-untagged.json") == {"u1"}


def test_child_of_a_kept_index_is_not_expired(inventory):
    index = push(inventory, "index", 5, "v1", media_type=OCI_INDEX, size_bytes=0)
    push(inventory, "amd64", 5, parent=index)
    push(inventory, "arm64", 5, parent=index)
    push(inventory, "loose", 9)
    # keep 1 untagged: the children rank 1 and 2 and "loose" 3; the marked child is held by its index
    assert decide(inventory, "aws-keep-one-untagged.json") == {
        "index": "keep",
        "amd64": "keep",
        "arm64": "keep",
        "loose": "expire",
    }
    images = inventory.load().images
    out = evaluate(images, read_policy(FIXTURES / "aws-keep-one-untagged.json"), pd.Timestamp(AS_OF))
    assert out["reason"].str.contains(f"manifest list {index} stays").sum() == 1


def test_children_go_with_their_index_when_a_rule_selects_both(inventory):
    index = push(inventory, "index", 60, "build-1", media_type=OCI_INDEX, size_bytes=0)
    push(inventory, "amd64", 60, parent=index)
    push(inventory, "new", 1, "build-2")
    decisions = decide(inventory, "keep-5-release.json")  # rule 2: anything over 30 days
    assert decisions == {"index": "expire", "amd64": "expire", "new": "keep"}


def test_repositories_are_evaluated_separately(inventory):
    for i in range(3):
        push(inventory, f"one-{i}", 10 - i, repo="one")
        push(inventory, f"two-{i}", 10 - i, repo="two")
    assert expired(inventory, "aws-keep-one-untagged.json") == {"one-0", "one-1", "two-0", "two-1"}


def test_same_push_time_ranks_deterministically(inventory):
    for i in range(4):
        push(inventory, f"u{i}", 5)
    first = expired(inventory, "aws-keep-one-untagged.json")
    assert len(first) == 3 and expired(inventory, "aws-keep-one-untagged.json") == first


def test_no_images_decides_nothing():
    policy = read_policy(FIXTURES / "aws-all-images.json")
    empty = Inventory().usage().images
    assert evaluate(empty, policy, pd.Timestamp(AS_OF)).empty


def test_referrers_follow_their_subject(inventory):
    old = push(inventory, "old-prod", 20, "prod-1")
    push(inventory, "new-prod", 1, "prod-2")
    push(inventory, "signature", 20, "sha256-old.sig", subject=old)  # no rule selects it
    sbom = push(inventory, "sbom", 20, subject=old)
    push(inventory, "sbom-signature", 20, subject=sbom)
    # only "prod* older than 14 days" matches: old-prod goes, and everything referring to it, however deep
    assert decide(inventory, "aws-age-prod-14-days.json") == {
        "old-prod": "expire",
        "new-prod": "keep",
        "signature": "expire",
        "sbom": "expire",
        "sbom-signature": "expire",
    }
    images = inventory.load().images
    out = evaluate(images, read_policy(FIXTURES / "aws-age-prod-14-days.json"), pd.Timestamp(AS_OF))
    assert out["reason"].str.startswith(f"follows its subject {old}").sum() == 2


def test_a_restored_image_counts_as_pushed_and_pulled_when_restored(inventory):
    push(inventory, "restored", 300, "v1", last_pulled_at=ago(200), last_activated_at=ago(5))
    push(inventory, "stale", 300, "v2", last_pulled_at=ago(200))
    push(inventory, "fresh", 20, "v3")
    assert decide(inventory, "aws-archive-then-expire.json") == {
        "restored": "keep",
        "stale": "transition",
        "fresh": "keep",
    }
    # ranked by restore time too: keep one image of any kind keeps the restored one
    assert expired(inventory, "aws-all-images.json") == {"stale", "fresh"}


def test_archive_dates_are_read_from_the_inventory(inventory):
    push(inventory, "long-ago", 800, "v1", status="ARCHIVED", last_archived_at=ago(366))
    push(inventory, "recent", 800, "v2", status="ARCHIVED", last_archived_at=ago(364))
    push(inventory, "undated", 800, "v3", status="ARCHIVED")
    assert decide(inventory, "aws-archive-then-expire.json") == {
        "long-ago": "expire",
        "recent": "keep",
        "undated": "keep",
    }


def test_as_of_before_every_push_decides_on_nothing_stored(inventory):
    inventory.push("app", "a", ago(3), {"a": 1})
    sim = simulate(inventory.load(), read_policy(FIXTURES / "aws-all-images.json"), as_of=ago(10))
    assert sim.decisions.empty and sim.expired == [] and sim.monthly_savings_usd == 0 and sim.bytes_freed == 0


def test_several_tags_matching_different_rules_are_decided_by_the_highest_priority(inventory):
    # "prod-4 beta-4" matches both rules of example A: rule 1 (prod*) owns it, so rule 2 cannot expire it
    push(inventory, "both-old", 20, "prod-1 beta-1")
    push(inventory, "both-new", 10, "prod-2 beta-2")
    push(inventory, "beta-newest", 1, "beta-3")
    decisions = decide(inventory, "aws-multiple-rules-a.json")
    assert decisions == {"both-old": "expire", "both-new": "keep", "beta-newest": "keep"}
