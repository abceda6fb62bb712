"""Simulation: decisions applied to the inventory, bytes actually freed (shared layers stay), and the
saving priced by the model, before − after to the cent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest
from factories import OCI_INDEX, GiB, Inventory

import ecrcost
from ecrcost.analysis.lifecycle import read_policy, simulate, stored_policies
from ecrcost.analysis.lifecycle.protect import parse_reference

FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
KEEP_ONE = read_policy(FIXTURES / "aws-keep-one-untagged.json")
ARCHIVE = read_policy(FIXTURES / "aws-archive-then-expire.json")


def ago(days: float) -> str:
    return (AS_OF - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(inventory: Inventory, policy, **kw):
    return simulate(inventory.load(), policy, as_of=AS_OF, month="2026-10", **kw)


def test_shared_layers_stay_and_only_unique_bytes_are_freed(inventory):
    old = inventory.push("app", "old", ago(10), {"base": GiB, "old-app": GiB})
    inventory.push("app", "new", ago(1), {"base": GiB, "new-app": GiB})
    sim = run(inventory, KEEP_ONE)
    assert sim.expired == [old] and sim.transitioned == []
    assert sim.bytes_freed == GiB  # the base layer is still used by "new"
    assert sim.storage_usd_before == D("0.300000")  # 3 GiB × $0.10, us-east-1
    assert sim.storage_usd_after == D("0.200000")
    assert sim.monthly_savings_usd == D("0.100000")
    repos = sim.repositories()
    assert list(repos["bytes_freed"]) == [GiB] and list(repos["expired"]) == [1]


def test_nothing_freed_when_every_layer_is_shared(inventory):
    inventory.push("app", "old", ago(10), {"base": GiB})
    inventory.push("app", "new", ago(1), {"base": GiB})
    sim = run(inventory, KEEP_ONE)
    assert len(sim.expired) == 1 and sim.bytes_freed == 0 and sim.monthly_savings_usd == 0


def test_blob_mounting_keeps_a_layer_another_repository_still_holds(inventory):
    inventory.push("svc-a", "old", ago(10), {"shared": GiB})
    inventory.push("svc-a", "new", ago(1), {"a-new": GiB})
    inventory.push("svc-b", "only", ago(10), {"shared": GiB})
    assert run(inventory, KEEP_ONE).bytes_freed == GiB
    mounted = run(inventory, KEEP_ONE, blob_mounting=True)
    assert len(mounted.expired) == 1 and mounted.bytes_freed == 0


def test_transition_moves_bytes_to_archive_with_its_minimum_and_restore_price(inventory):
    inventory.push("app", "stale", ago(200), {"stale": 10 * GiB}, tags="v1")
    inventory.push("app", "hot", ago(200), {"hot": GiB}, tags="v2", last_pulled_at=ago(1))
    sim = run(inventory, ARCHIVE)
    assert len(sim.transitioned) == 1 and sim.expired == []
    assert int(sim.bytes["archived_bytes"].sum()) == 10 * GiB
    assert sim.bytes_freed == 0
    # archive costs what standard does below 150 TB: no saving, but a 90-day commitment
    assert sim.monthly_savings_usd == 0
    assert sim.archive_minimum_usd == D("3.00")  # 10 GB × $0.10 × 3 months
    assert sim.restore_usd_per_gb["us-east-1"] == D("0.03")
    assert sim.restore_usd == D("0.30")
    assert sim.after.totals()["archive_storage_usd"] == D("1.000000")


def test_images_deleted_or_pushed_outside_as_of_are_not_evaluated(inventory):
    inventory.push("app", "gone", ago(30), {"g": GiB}, deleted_at=ago(20))
    inventory.push("app", "future", ago(-2), {"f": GiB})
    inventory.push("app", "u1", ago(10), {"u1": GiB})
    kept = inventory.push("app", "u2", ago(5), {"u2": GiB})
    sim = run(inventory, KEEP_ONE)
    assert len(sim.decisions) == 2 and kept not in sim.expired and len(sim.expired) == 1


def test_in_use_and_kept_tags_are_reported_not_silently_spared(inventory):
    in_use = inventory.push("app", "running", ago(40), {"r": GiB}, tags="build-7")
    release = inventory.push("app", "release", ago(40), {"rel": GiB}, tags="release-1.0")
    inventory.push("app", "latest", ago(1), {"l": GiB}, tags="build-9")
    refs = [parse_reference(f"123456789012.dkr.ecr.us-east-1.amazonaws.com/app@{in_use}")]
    policy = read_policy(FIXTURES / "aws-all-images.json")  # rule 3: keep 1 image of any kind
    plain = run(inventory, policy)
    checked = run(inventory, policy, in_use_refs=refs, keep_tags=["release-*"])
    assert set(plain.expired) == {in_use, release} == set(checked.expired)
    assert plain.safe and not checked.safe
    assert dict(zip(checked.protected["image_digest"], checked.protected["protected"], strict=True)) == {
        in_use: "in use",
        release: "keep-tags",
    }
    assert plain.monthly_savings_usd == checked.monthly_savings_usd


def test_in_use_tag_reference_protects_the_index_children_too(inventory):
    index = inventory.push("app", "idx", ago(60), {}, tags="v1", media_type=OCI_INDEX, size_bytes=0)
    child = inventory.push("app", "amd64", ago(60), {"c": GiB}, parent=index)
    inventory.push("app", "new", ago(1), {"n": GiB}, tags="v2")
    sim = run(
        inventory, read_policy(FIXTURES / "keep-5-release.json"), in_use_refs=[parse_reference("app:v1")]
    )
    assert set(sim.expired) == {index, child}
    assert set(sim.protected["image_digest"]) == {index, child}


def test_children_of_an_expired_index_that_no_rule_selects_are_orphans(inventory):
    index = inventory.push("app", "idx", ago(60), {}, tags="release-1", media_type=OCI_INDEX, size_bytes=0)
    child = inventory.push("app", "amd64", ago(60), {"c": GiB}, parent=index)
    for i in range(6):
        inventory.push("app", f"r{i}", ago(50 - i), {f"r{i}": 1}, tags=f"release-{i + 2}")
    policy = read_policy(FIXTURES / "keep-5-release.json")  # keep 5 release-*, then any > 30 days
    sim = run(inventory, policy)
    # the index is the oldest release (expired by rule 1); the untagged child matches rule 2 (any, 60
    # days), so it goes with it
    assert index in sim.expired and child in sim.expired and sim.orphans == []
    only_index = read_policy(FIXTURES / "aws-multiple-rules-a.json")  # rules on prod*/beta* tags only
    inventory.update(index, tags="prod-1")
    inventory.push("app", "prod-new", ago(1), {"p": 1}, tags="prod-2")
    sim = run(inventory, only_index)
    assert sim.expired == [index] and sim.orphans == [child]
    assert sim.bytes_freed == 0  # the child's layer stays stored
    assert any("orphans" in n for n in sim.notes)


def test_inventory_after_marks_expired_deleted_and_transitioned_archived(inventory):
    old = inventory.push("app", "old", ago(40), {"o": GiB})
    new = inventory.push("app", "new", ago(1), {"n": GiB})
    after = run(inventory, KEEP_ONE).after_usage.images.set_index("image_digest")
    assert after.loc[old, "deleted_at"] == pd.Timestamp(AS_OF)
    assert after["deleted_at"].notna().sum() == 1
    archived = run(inventory, ARCHIVE).after_usage.images.set_index("image_digest")["image_status"]
    assert archived.to_dict() == {old: "ARCHIVED", new: "ACTIVE"}


def test_stored_policies_apply_per_repository(tmp_path):
    sample = ecrcost.load(ecrcost.sample_path())
    stored = stored_policies(sample)
    assert {k[2] for k in stored} == {"team-a/web-app", "team-b/batch"}
    sim = simulate(sample, stored, as_of="2026-11-27T00:00:00Z", month="2026-10")
    acted = sim.decisions[sim.decisions["action"] != "keep"]
    assert set(acted["repository"]) <= {"team-a/web-app", "team-b/batch"}
    assert set(acted.loc[acted["repository"] == "team-b/batch", "action"]) == {"expire"}
    assert set(acted.loc[acted["repository"] == "team-a/web-app", "action"]) == {"transition"}
    repos = sim.repositories()
    untouched = repos[repos["policy"] == ""]
    assert (untouched["monthly_savings_usd"] == 0).all() and (untouched["bytes_freed"] == 0).all()
    assert sum(repos["monthly_savings_usd"], D(0)) == sim.monthly_savings_usd


def test_a_stored_policy_that_ecr_would_reject_names_the_repository(inventory):
    inventory.push("app", "a", ago(3), {"a": 1})
    inventory.repository("app", lifecycle_policy='{"rules": []}')
    with pytest.raises(ecrcost.InputError, match="stored policy of us-east-1/app: 'rules' is required"):
        stored_policies(inventory.load())


def test_a_scenario_cannot_be_simulated(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("repository,storage_gb\napp,10\n")
    with pytest.raises(ecrcost.InputError, match="needs an inventory folder"):
        simulate(ecrcost.load(path), KEEP_ONE, as_of=AS_OF)


def test_bad_as_of_is_an_input_error(inventory):
    inventory.push("app", "a", ago(3), {"a": 1})
    with pytest.raises(ecrcost.InputError, match="as_of"):
        simulate(inventory.load(), KEEP_ONE, as_of="yesterday-ish")


def test_without_layers_image_sizes_are_freed(inventory):
    inventory.push("app", "old", ago(10), {"o": GiB})
    inventory.push("app", "new", ago(1), {"n": GiB})
    sim = simulate(inventory.load(with_layers=False), KEEP_ONE, as_of=AS_OF, month="2026-10")
    assert sim.bytes_freed == GiB and any("No layer data" in n for n in sim.notes)


def test_the_same_stored_policy_in_many_repositories_decides_each_on_its_own(inventory):
    for repo in ("svc-a", "svc-b", "svc-c"):
        for i in range(3):
            inventory.push(repo, f"{repo}-{i}", ago(10 - i), {f"{repo}-{i}": GiB})
    for repo in ("svc-a", "svc-b"):
        inventory.repository(repo, lifecycle_policy=KEEP_ONE.text)
    usage = inventory.load()
    sim = simulate(usage, stored_policies(usage), as_of=AS_OF, month="2026-10")
    repos = sim.repositories().set_index("repository")
    assert repos["expired"].to_dict() == {"svc-a": 2, "svc-b": 2, "svc-c": 0}
    assert repos["policy"].to_dict() == {"svc-a": "stored:svc-a", "svc-b": "stored:svc-b", "svc-c": ""}
    assert sim.bytes_freed == 4 * GiB and sim.monthly_savings_usd == D("0.400000")


def test_inventory_lifecycle_columns_are_checked_like_the_others(inventory):
    a = inventory.push("app", "a", ago(3), {"a": 1}, subject="not-a-digest")
    with pytest.raises(
        ecrcost.InputError, match=r"line 2, column 'subject_digest': 'not-a-digest' is not a valid"
    ):
        inventory.load()
    inventory.update(a, subject="", last_archived_at="last tuesday")
    with pytest.raises(
        ecrcost.InputError, match=r"column 'last_archived_at': 'last tuesday' is not an ISO 8601"
    ):
        inventory.load()
    inventory.update(a, last_archived_at=ago(1))
    images = inventory.load().images
    assert images["last_archived_at"].iloc[0] == pd.Timestamp(AS_OF - timedelta(days=1))


def test_byte_counts_stay_exact_integers_beyond_float_precision(inventory):
    huge = 2**55 + 1  # a float would round this to 2**55
    inventory.push("svc-a", "old", ago(20), {"old": huge}, tags="prod-1")
    inventory.push("svc-a", "new", ago(1), {"new": 3}, tags="prod-2")
    inventory.push("svc-b", "gone", ago(20), {"gone": 5}, tags="prod-3")  # nothing left after
    inventory.push("svc-c", "other", ago(1), {"other": huge})
    sim = run(inventory, read_policy(FIXTURES / "aws-age-prod-14-days.json"))
    assert sim.bytes_freed == huge + 5
    repos = sim.repositories().set_index("repository")
    assert repos.loc["svc-a", "bytes_before"] == huge + 3
    assert repos.loc["svc-c", "bytes_after"] == huge and repos.loc["svc-b", "bytes_after"] == 0


def test_a_policy_that_expires_every_image_of_a_repository_says_so(inventory):
    inventory.push("svc-a", "old", ago(20), {"a": 1}, tags="prod-1")
    inventory.push("svc-b", "old", ago(20), {"b": 1}, tags="prod-2")
    inventory.push("svc-b", "new", ago(1), {"c": 1}, tags="prod-3")
    sim = run(inventory, read_policy(FIXTURES / "aws-age-prod-14-days.json"))
    assert sim.emptied == ["us-east-1/svc-a"]


def test_an_empty_repository_with_a_stored_policy_is_harmless(inventory):
    inventory.push("svc-a", "u1", ago(20), {"a": GiB})
    inventory.push("svc-a", "u2", ago(10), {"b": GiB})
    inventory.repository("svc-a", lifecycle_policy=KEEP_ONE.text)
    inventory.repository("svc-empty", lifecycle_policy=KEEP_ONE.text)
    usage = inventory.load()
    sim = simulate(usage, stored_policies(usage), as_of=AS_OF, month="2026-10")
    repos = sim.repositories()
    assert list(repos["repository"]) == ["svc-a"] and sim.bytes_freed == GiB and sim.emptied == []


def test_orphans_are_found_per_repository_not_per_name_across_replicated_regions(inventory):
    # The same digests in two regions (replication copies them); only us-east-1 has a newer prod image,
    # so only there the old index expires and its child is left behind.
    for region in ("us-east-1", "eu-west-1"):
        index = inventory.push(
            "app", "idx", ago(60), {}, tags="prod-1", media_type=OCI_INDEX, size_bytes=0, region=region
        )
        inventory.push("app", "amd64", ago(60), {"c": GiB}, parent=index, region=region)
    inventory.push("app", "prod-new", ago(1), {"p": 1}, tags="prod-2", region="us-east-1")
    sim = run(inventory, read_policy(FIXTURES / "aws-multiple-rules-a.json"))
    d = sim.decisions
    assert list(d.loc[d["action"] == "expire", "region"]) == ["us-east-1"]
    assert list(d.loc[d["orphan"], "region"]) == ["us-east-1"]
