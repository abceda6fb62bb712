"""The evaluator decides like ECR: AWS's documented examples as golden tests, then the edge cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from conftest import Registry

import ecrcost
from ecrcost.analysis.lifecycle import evaluate, read_policy, simulate

FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def ago(days: float) -> str:
    return (AS_OF - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Repo:
    """One repository of named images, evaluated against a fixture policy."""

    def __init__(self, tmp_path: Path, repo: str = "app") -> None:
        self.registry = Registry(tmp_path / "inv")
        self.repo = repo
        self.names: dict[str, str] = {}

    def push(self, name: str, days: float, tags: str = "", **kw) -> str:
        pulled = kw.pop("pulled_days", None)
        d = self.registry.push(self.repo, name, ago(days), {f"{self.repo}-{name}": 1000}, tags=tags, **kw)
        if pulled is not None:
            self.registry.images[-1]["last_pulled_at"] = ago(pulled)
        self.names[d] = name
        return d

    def decide(self, policy: str) -> dict[str, str]:
        images = ecrcost.load(self.registry.write()).images
        out = evaluate(images, read_policy(FIXTURES / policy), pd.Timestamp(AS_OF))
        return {self.names[d]: a for d, a in zip(images["image_digest"], out["action"], strict=True)}

    def expired(self, policy: str) -> set[str]:
        return {n for n, a in self.decide(policy).items() if a == "expire"}


@pytest.fixture
def repo(tmp_path):
    return Repo(tmp_path)


def example_a_images(repo: Repo) -> None:
    repo.push("A", 10, "beta-1 prod-1")
    repo.push("B", 9, "beta-2 prod-2")
    repo.push("C", 8, "beta-3")


@pytest.mark.parametrize("policy", ["aws-multiple-rules-a.json", "aws-multiple-rules-a-prefix.json"])
def test_aws_example_a_expires_only_image_a(repo, policy):
    # "Rule 2 ... marks both Image A and Image B for expiration. However, Image A has already been seen
    # by Rule 1 and if Image B were expired it would violate Rule 1 and thus is skipped."
    example_a_images(repo)
    assert repo.expired(policy) == {"A"}


def test_aws_example_b_expires_images_a_and_b(repo):
    # "Rule 2 ... would see no images because all available images were already seen by Rule 1"
    example_a_images(repo)
    assert repo.expired("aws-multiple-rules-b.json") == {"A", "B"}


def test_aws_all_images_example_expires_a_b_and_d(repo):
    repo.push("A", 4, "alpha-1 beta-1")
    repo.push("B", 3)
    repo.push("C", 2, "alpha-2")
    repo.push("D", 1, "4e5f8a9")  # a git hash
    repo.push("E", 23 / 24)  # "1 day" ago but younger than D: not older than 1 day, rule 2 keeps it
    decisions = repo.decide("aws-all-images.json")
    assert {n for n, a in decisions.items() if a == "expire"} == {"A", "B", "D"}


def test_multiple_patterns_in_one_rule_need_every_pattern(repo):
    # "If you specify multiple tags, only the images with all specified tags are selected."
    repo.push("both", 10, "alpha-1 beta-1")
    repo.push("alpha-only", 10, "alpha-2")
    repo.push("beta-only", 10, "beta-2")
    repo.push("both-young", 2, "alpha-3 beta-3")
    assert repo.expired("aws-multiple-patterns.json") == {"both"}


def test_age_rule_expires_prod_images_older_than_14_days(repo):
    repo.push("old-prod", 15, "prod-1")
    repo.push("young-prod", 13, "prod-2")
    repo.push("exactly-14", 14, "prod-3")  # not *older* than 14 days
    repo.push("old-dev", 30, "dev-1")
    repo.push("old-untagged", 30)
    assert repo.expired("aws-age-prod-14-days.json") == {"old-prod"}


def test_keep_one_untagged_keeps_the_youngest(repo):
    repo.push("u1", 5)
    repo.push("u2", 3)
    repo.push("u3", 1)
    repo.push("tagged", 9, "v1")
    assert repo.expired("aws-keep-one-untagged.json") == {"u1", "u2"}


def test_pattern_wildcard_matches_anywhere_and_prefix_only_at_start(repo):
    repo.push("a", 40, "my-release-1")
    repo.push("b", 40, "release-1")
    decisions = repo.decide("keep-5-release.json")
    # release-* matches release-1 only; rule 2 (any, over 30 days) cannot touch it: it matches rule 1's
    # tags. my-release-1 matches nothing of rule 1, so rule 2 expires it.
    assert decisions == {"a": "expire", "b": "keep"}


def test_archive_rule_transitions_by_last_pull_and_falls_back_to_push(repo):
    repo.push("pulled-recently", 200, "v1", pulled_days=3)
    repo.push("pulled-long-ago", 200, "v2", pulled_days=45)
    repo.push("never-pulled-old", 40, "v3")
    repo.push("never-pulled-new", 10, "v4")
    repo.push("already-archived", 400, "v5", status="ARCHIVED")
    decisions = repo.decide("aws-archive-then-expire.json")
    assert decisions == {
        "pulled-recently": "keep",
        "pulled-long-ago": "transition",
        "never-pulled-old": "transition",
        "never-pulled-new": "keep",
        # no archive date in an inventory: sinceImageTransitioned cannot tell, so it keeps it
        "already-archived": "keep",
    }


def test_archived_images_are_expired_by_archive_date_when_known(repo):
    repo.push("archived-long-ago", 800, "v1", status="ARCHIVED")
    repo.push("archived-recently", 800, "v2", status="ARCHIVED")
    images = ecrcost.load(repo.registry.write()).images
    images["last_archived_at"] = pd.to_datetime([ago(400), ago(100)], utc=True)
    out = evaluate(images, read_policy(FIXTURES / "aws-archive-then-expire.json"), pd.Timestamp(AS_OF))
    assert list(out["action"]) == ["expire", "keep"]


def test_standard_rules_never_touch_archived_images(repo):
    repo.push("archived", 50, status="ARCHIVED")
    repo.push("u1", 40)
    repo.push("u2", 20)
    assert repo.expired("aws-keep-one-untagged.json") == {"u1"}


def test_child_of_a_kept_index_is_not_expired(repo):
    index = repo.push("index", 5, "v1", media_type=OCI_INDEX, size_bytes=0)
    repo.push("amd64", 5, parent=index)
    repo.push("arm64", 5, parent=index)
    repo.push("loose", 9)
    # keep 1 untagged: the children rank 1 and 2 and "loose" 3; the marked child is held by its index
    assert repo.decide("aws-keep-one-untagged.json") == {
        "index": "keep",
        "amd64": "keep",
        "arm64": "keep",
        "loose": "expire",
    }
    images = ecrcost.load(repo.registry.write()).images
    out = evaluate(images, read_policy(FIXTURES / "aws-keep-one-untagged.json"), pd.Timestamp(AS_OF))
    assert out["reason"].str.contains(f"manifest list {index} stays").sum() == 1


def test_children_go_with_their_index_when_a_rule_selects_both(repo):
    index = repo.push("index", 60, "build-1", media_type=OCI_INDEX, size_bytes=0)
    repo.push("amd64", 60, parent=index)
    repo.push("new", 1, "build-2")
    decisions = repo.decide("keep-5-release.json")  # rule 2: anything over 30 days
    assert decisions == {"index": "expire", "amd64": "expire", "new": "keep"}


def test_repositories_are_evaluated_separately(tmp_path):
    r = Repo(tmp_path)
    for i in range(3):
        r.repo = "one"
        r.push(f"one-{i}", 10 - i)
        r.repo = "two"
        r.push(f"two-{i}", 10 - i)
    assert r.expired("aws-keep-one-untagged.json") == {"one-0", "one-1", "two-0", "two-1"}


def test_same_push_time_ranks_deterministically(repo):
    for i in range(4):
        repo.push(f"u{i}", 5)
    first = repo.expired("aws-keep-one-untagged.json")
    assert len(first) == 3 and repo.expired("aws-keep-one-untagged.json") == first


def test_no_images_decides_nothing():
    policy = read_policy(FIXTURES / "aws-all-images.json")
    empty = pd.DataFrame(
        {
            c: pd.Series(dtype=object)
            for c in [
                "account_id",
                "region",
                "repository",
                "image_digest",
                "image_tags",
                "image_status",
                "parent_digest",
            ]
        }
    ).assign(
        pushed_at=pd.Series(dtype="datetime64[us, UTC]"),
        last_pulled_at=pd.Series(dtype="datetime64[us, UTC]"),
    )
    assert evaluate(empty, policy, pd.Timestamp(AS_OF)).empty


def test_referrers_follow_their_subject(repo):
    old = repo.push("old-prod", 20, "prod-1")
    repo.push("new-prod", 1, "prod-2")
    repo.push("signature", 20, "sha256-old.sig")  # no rule selects it
    repo.registry.images[-1]["subject_digest"] = old
    sbom = repo.push("sbom", 20)
    repo.registry.images[-1]["subject_digest"] = old
    repo.push("sbom-signature", 20)
    repo.registry.images[-1]["subject_digest"] = sbom
    # only "prod* older than 14 days" matches: old-prod goes, and everything referring to it, however deep
    assert repo.decide("aws-age-prod-14-days.json") == {
        "old-prod": "expire",
        "new-prod": "keep",
        "signature": "expire",
        "sbom": "expire",
        "sbom-signature": "expire",
    }
    images = ecrcost.load(repo.registry.write()).images
    out = evaluate(images, read_policy(FIXTURES / "aws-age-prod-14-days.json"), pd.Timestamp(AS_OF))
    assert out["reason"].str.startswith(f"follows its subject {old}").sum() == 2


def test_a_restored_image_counts_as_pushed_and_pulled_when_restored(repo):
    repo.push("restored", 300, "v1", pulled_days=200)
    repo.registry.images[-1]["last_activated_at"] = ago(5)
    repo.push("stale", 300, "v2", pulled_days=200)
    repo.push("fresh", 20, "v3")
    assert repo.decide("aws-archive-then-expire.json") == {
        "restored": "keep",
        "stale": "transition",
        "fresh": "keep",
    }
    # ranked by restore time too: keep one image of any kind keeps the restored one
    assert repo.expired("aws-all-images.json") == {"stale", "fresh"}


def test_archive_dates_are_read_from_the_inventory(repo):
    repo.push("long-ago", 800, "v1", status="ARCHIVED")
    repo.registry.images[-1]["last_archived_at"] = ago(366)
    repo.push("recent", 800, "v2", status="ARCHIVED")
    repo.registry.images[-1]["last_archived_at"] = ago(364)
    repo.push("undated", 800, "v3", status="ARCHIVED")
    assert repo.decide("aws-archive-then-expire.json") == {
        "long-ago": "expire",
        "recent": "keep",
        "undated": "keep",
    }


def test_as_of_before_every_push_decides_on_nothing_stored(registry):
    registry.push("app", "a", ago(3), {"a": 1})
    sim = simulate(
        ecrcost.load(registry.write()), read_policy(FIXTURES / "aws-all-images.json"), as_of=ago(10)
    )
    assert sim.decisions.empty and sim.expired == [] and sim.monthly_savings_usd == 0 and sim.bytes_freed == 0


def test_several_tags_matching_different_rules_are_decided_by_the_highest_priority(repo):
    # "prod-4 beta-4" matches both rules of example A: rule 1 (prod*) owns it, so rule 2 cannot expire it
    repo.push("both-old", 20, "prod-1 beta-1")
    repo.push("both-new", 10, "prod-2 beta-2")
    repo.push("beta-newest", 1, "beta-3")
    decisions = repo.decide("aws-multiple-rules-a.json")
    assert decisions == {"both-old": "expire", "both-new": "keep", "beta-newest": "keep"}
