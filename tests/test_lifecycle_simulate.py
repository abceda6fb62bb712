"""Simulation: decisions applied to the inventory, bytes actually freed (shared layers stay), and the
saving priced by the model, before − after to the cent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest
from conftest import GiB, Registry

import ecrcost
from ecrcost.analysis.lifecycle import read_policy, simulate, stored_policies
from ecrcost.analysis.lifecycle.protect import parse_reference

FIXTURES = Path(__file__).parent / "fixtures" / "lifecycle"
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
KEEP_ONE = read_policy(FIXTURES / "aws-keep-one-untagged.json")
ARCHIVE = read_policy(FIXTURES / "aws-archive-then-expire.json")


def ago(days: float) -> str:
    return (AS_OF - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(registry: Registry, policy, **kw):
    return simulate(ecrcost.load(registry.write()), policy, as_of=AS_OF, month="2026-10", **kw)


def test_shared_layers_stay_and_only_unique_bytes_are_freed(registry):
    old = registry.push("app", "old", ago(10), {"base": GiB, "old-app": GiB})
    registry.push("app", "new", ago(1), {"base": GiB, "new-app": GiB})
    sim = run(registry, KEEP_ONE)
    assert sim.expired == [old] and sim.transitioned == []
    assert sim.bytes_freed == GiB  # the base layer is still used by "new"
    assert sim.storage_usd_before == D("0.300000")  # 3 GiB × $0.10, us-east-1
    assert sim.storage_usd_after == D("0.200000")
    assert sim.monthly_savings_usd == D("0.100000")
    repos = sim.repositories()
    assert list(repos["bytes_freed"]) == [GiB] and list(repos["expired"]) == [1]


def test_nothing_freed_when_every_layer_is_shared(registry):
    registry.push("app", "old", ago(10), {"base": GiB})
    registry.push("app", "new", ago(1), {"base": GiB})
    sim = run(registry, KEEP_ONE)
    assert len(sim.expired) == 1 and sim.bytes_freed == 0 and sim.monthly_savings_usd == 0


def test_blob_mounting_keeps_a_layer_another_repository_still_holds(registry):
    registry.push("svc-a", "old", ago(10), {"shared": GiB})
    registry.push("svc-a", "new", ago(1), {"a-new": GiB})
    registry.push("svc-b", "only", ago(10), {"shared": GiB})
    assert run(registry, KEEP_ONE).bytes_freed == GiB
    mounted = run(registry, KEEP_ONE, blob_mounting=True)
    assert len(mounted.expired) == 1 and mounted.bytes_freed == 0


def test_transition_moves_bytes_to_archive_with_its_minimum_and_restore_price(registry):
    registry.push("app", "stale", ago(200), {"stale": 10 * GiB}, tags="v1")
    registry.push("app", "hot", ago(200), {"hot": GiB}, tags="v2")
    registry.images[-1]["last_pulled_at"] = ago(1)
    sim = run(registry, ARCHIVE)
    assert len(sim.transitioned) == 1 and sim.expired == []
    assert int(sim.bytes["archived_bytes"].sum()) == 10 * GiB
    assert sim.bytes_freed == 0
    # archive costs what standard does below 150 TB: no saving, but a 90-day commitment
    assert sim.monthly_savings_usd == 0
    assert sim.archive_minimum_usd == D("3.00")  # 10 GB × $0.10 × 3 months
    assert sim.restore_usd_per_gb["us-east-1"] == D("0.03")
    assert sim.restore_usd == D("0.30")
    assert sim.after.totals()["archive_storage_usd"] == D("1.000000")


def test_images_deleted_or_pushed_outside_as_of_are_not_evaluated(registry):
    registry.push("app", "gone", ago(30), {"g": GiB}, deleted_at=ago(20))
    registry.push("app", "future", ago(-2), {"f": GiB})
    registry.push("app", "u1", ago(10), {"u1": GiB})
    kept = registry.push("app", "u2", ago(5), {"u2": GiB})
    sim = run(registry, KEEP_ONE)
    assert len(sim.decisions) == 2 and kept not in sim.expired and len(sim.expired) == 1


def test_in_use_and_kept_tags_are_reported_not_silently_spared(registry):
    in_use = registry.push("app", "running", ago(40), {"r": GiB}, tags="build-7")
    release = registry.push("app", "release", ago(40), {"rel": GiB}, tags="release-1.0")
    registry.push("app", "latest", ago(1), {"l": GiB}, tags="build-9")
    refs = [parse_reference(f"123456789012.dkr.ecr.us-east-1.amazonaws.com/app@{in_use}")]
    policy = read_policy(FIXTURES / "aws-all-images.json")  # rule 3: keep 1 image of any kind
    plain = run(registry, policy)
    checked = run(registry, policy, in_use_refs=refs, keep_tags=["release-*"])
    assert set(plain.expired) == {in_use, release} == set(checked.expired)
    assert plain.safe and not checked.safe
    assert dict(zip(checked.protected["image_digest"], checked.protected["protected"], strict=True)) == {
        in_use: "in use",
        release: "keep-tags",
    }
    assert plain.monthly_savings_usd == checked.monthly_savings_usd


def test_in_use_tag_reference_protects_the_index_children_too(registry):
    index = registry.push("app", "idx", ago(60), {}, tags="v1", media_type=OCI_INDEX, size_bytes=0)
    child = registry.push("app", "amd64", ago(60), {"c": GiB}, parent=index)
    registry.push("app", "new", ago(1), {"n": GiB}, tags="v2")
    sim = run(
        registry, read_policy(FIXTURES / "keep-5-release.json"), in_use_refs=[parse_reference("app:v1")]
    )
    assert set(sim.expired) == {index, child}
    assert set(sim.protected["image_digest"]) == {index, child}


def test_children_of_an_expired_index_that_no_rule_selects_are_orphans(registry):
    index = registry.push("app", "idx", ago(60), {}, tags="release-1", media_type=OCI_INDEX, size_bytes=0)
    child = registry.push("app", "amd64", ago(60), {"c": GiB}, parent=index)
    for i in range(6):
        registry.push("app", f"r{i}", ago(50 - i), {f"r{i}": 1}, tags=f"release-{i + 2}")
    policy = read_policy(FIXTURES / "keep-5-release.json")  # keep 5 release-*, then any > 30 days
    sim = run(registry, policy)
    # the index is the oldest release (expired by rule 1); the untagged child matches rule 2 (any, 60
    # days), so it goes with it
    assert index in sim.expired and child in sim.expired and sim.orphans == []
    only_index = read_policy(FIXTURES / "aws-multiple-rules-a.json")  # rules on prod*/beta* tags only
    registry.images[0]["image_tags"] = "prod-1"
    registry.push("app", "prod-new", ago(1), {"p": 1}, tags="prod-2")
    sim = run(registry, only_index)
    assert sim.expired == [index] and sim.orphans == [child]
    assert sim.bytes_freed == 0  # the child's layer stays stored
    assert any("orphans" in n for n in sim.notes)


def test_inventory_after_marks_expired_deleted_and_transitioned_archived(registry):
    old = registry.push("app", "old", ago(40), {"o": GiB})
    new = registry.push("app", "new", ago(1), {"n": GiB})
    after = run(registry, KEEP_ONE).after_usage.images.set_index("image_digest")
    assert after.loc[old, "deleted_at"] == pd.Timestamp(AS_OF)
    assert after["deleted_at"].notna().sum() == 1
    archived = run(registry, ARCHIVE).after_usage.images.set_index("image_digest")["image_status"]
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


def test_a_stored_policy_that_ecr_would_reject_names_the_repository(tmp_path):
    registry = Registry(tmp_path / "inv")
    registry.push("app", "a", ago(3), {"a": 1})
    folder = registry.write()
    (folder / "repositories.csv").write_text(
        'repository,lifecycle_policy\napp,"{""rules"": []}"\n', encoding="utf-8"
    )
    with pytest.raises(ecrcost.InputError, match="stored policy of us-east-1/app: 'rules' is required"):
        stored_policies(ecrcost.load(folder))


def test_a_scenario_cannot_be_simulated(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("repository,storage_gb\napp,10\n")
    with pytest.raises(ecrcost.InputError, match="needs an inventory folder"):
        simulate(ecrcost.load(path), KEEP_ONE, as_of=AS_OF)


def test_bad_as_of_is_an_input_error(registry):
    registry.push("app", "a", ago(3), {"a": 1})
    with pytest.raises(ecrcost.InputError, match="as_of"):
        simulate(ecrcost.load(registry.write()), KEEP_ONE, as_of="yesterday-ish")


def test_without_layers_image_sizes_are_freed(registry):
    registry.push("app", "old", ago(10), {"o": GiB})
    registry.push("app", "new", ago(1), {"n": GiB})
    sim = simulate(ecrcost.load(registry.write(with_layers=False)), KEEP_ONE, as_of=AS_OF, month="2026-10")
    assert sim.bytes_freed == GiB and any("No layer data" in n for n in sim.notes)


def test_the_same_stored_policy_in_many_repositories_decides_each_on_its_own(registry):
    for repo in ("svc-a", "svc-b", "svc-c"):
        for i in range(3):
            registry.push(repo, f"{repo}-{i}", ago(10 - i), {f"{repo}-{i}": GiB})
    folder = registry.write()
    (folder / "repositories.csv").write_text(
        "repository,lifecycle_policy\n"
        + "".join(
            f'{r},"{KEEP_ONE.text.replace(chr(10), " ").replace(chr(34), chr(34) * 2)}"\n'
            for r in ("svc-a", "svc-b")
        ),
        encoding="utf-8",
    )
    usage = ecrcost.load(folder)
    sim = simulate(usage, stored_policies(usage), as_of=AS_OF, month="2026-10")
    repos = sim.repositories().set_index("repository")
    assert repos["expired"].to_dict() == {"svc-a": 2, "svc-b": 2, "svc-c": 0}
    assert repos["policy"].to_dict() == {"svc-a": "stored:svc-a", "svc-b": "stored:svc-b", "svc-c": ""}
    assert sim.bytes_freed == 4 * GiB and sim.monthly_savings_usd == D("0.400000")


def test_inventory_lifecycle_columns_are_checked_like_the_others(registry):
    registry.push("app", "a", ago(3), {"a": 1})
    registry.images[-1]["subject_digest"] = "not-a-digest"
    with pytest.raises(
        ecrcost.InputError, match=r"line 2, column 'subject_digest': 'not-a-digest' is not a valid"
    ):
        ecrcost.load(registry.write())
    registry.images[-1]["subject_digest"] = ""
    registry.images[-1]["last_archived_at"] = "last tuesday"
    with pytest.raises(
        ecrcost.InputError, match=r"column 'last_archived_at': 'last tuesday' is not an ISO 8601"
    ):
        ecrcost.load(registry.write())
    registry.images[-1]["last_archived_at"] = ago(1)
    images = ecrcost.load(registry.write()).images
    assert images["last_archived_at"].iloc[0] == pd.Timestamp(AS_OF - timedelta(days=1))


def test_byte_counts_stay_exact_integers_beyond_float_precision(registry):
    huge = 2**55 + 1  # a float would round this to 2**55
    registry.push("svc-a", "old", ago(20), {"old": huge}, tags="prod-1")
    registry.push("svc-a", "new", ago(1), {"new": 3}, tags="prod-2")
    registry.push("svc-b", "gone", ago(20), {"gone": 5}, tags="prod-3")  # nothing left after
    registry.push("svc-c", "other", ago(1), {"other": huge})
    sim = run(registry, read_policy(FIXTURES / "aws-age-prod-14-days.json"))
    assert sim.bytes_freed == huge + 5
    repos = sim.repositories().set_index("repository")
    assert repos.loc["svc-a", "bytes_before"] == huge + 3
    assert repos.loc["svc-c", "bytes_after"] == huge and repos.loc["svc-b", "bytes_after"] == 0


def test_a_policy_that_expires_every_image_of_a_repository_says_so(registry):
    registry.push("svc-a", "old", ago(20), {"a": 1}, tags="prod-1")
    registry.push("svc-b", "old", ago(20), {"b": 1}, tags="prod-2")
    registry.push("svc-b", "new", ago(1), {"c": 1}, tags="prod-3")
    sim = run(registry, read_policy(FIXTURES / "aws-age-prod-14-days.json"))
    assert sim.emptied == ["us-east-1/svc-a"]


def test_an_empty_repository_with_a_stored_policy_is_harmless(registry):
    registry.push("svc-a", "u1", ago(20), {"a": GiB})
    registry.push("svc-a", "u2", ago(10), {"b": GiB})
    folder = registry.write()
    text = KEEP_ONE.text.replace("\n", " ").replace('"', '""')
    (folder / "repositories.csv").write_text(
        f'repository,lifecycle_policy\nsvc-a,"{text}"\nsvc-empty,"{text}"\n', encoding="utf-8"
    )
    usage = ecrcost.load(folder)
    sim = simulate(usage, stored_policies(usage), as_of=AS_OF, month="2026-10")
    repos = sim.repositories()
    assert list(repos["repository"]) == ["svc-a"] and sim.bytes_freed == GiB and sim.emptied == []


def test_orphans_are_found_per_repository_not_per_name_across_replicated_regions(registry):
    # The same digests in two regions (replication copies them); only us-east-1 has a newer prod image,
    # so only there the old index expires and its child is left behind.
    for region in ("us-east-1", "eu-west-1"):
        index = registry.push(
            "app", "idx", ago(60), {}, tags="prod-1", media_type=OCI_INDEX, size_bytes=0, region=region
        )
        registry.push("app", "amd64", ago(60), {"c": GiB}, parent=index, region=region)
    registry.push("app", "prod-new", ago(1), {"p": 1}, tags="prod-2", region="us-east-1")
    sim = run(registry, read_policy(FIXTURES / "aws-multiple-rules-a.json"))
    d = sim.decisions
    assert list(d.loc[d["action"] == "expire", "region"]) == ["us-east-1"]
    assert list(d.loc[d["orphan"], "region"]) == ["us-east-1"]
