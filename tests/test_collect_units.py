"""Collection pieces without a server: manifest parsing, the transfer estimate, options, the cache."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import pytest

from ecrcost.core.errors import InputError
from ecrcost.sources.collect import Options, collect
from ecrcost.sources.collect.cache import ManifestCache
from ecrcost.sources.collect.coverage import Gap
from ecrcost.sources.collect.manifests import OCI_INDEX, parse
from ecrcost.sources.collect.progress import Bars
from ecrcost.sources.collect.ratelimit import TokenBucket
from ecrcost.sources.collect.run import keeps_previous
from ecrcost.sources.collect.shapes import BadAnswer
from ecrcost.sources.collect.transfer import Assumptions, average_image_bytes, transfer_row
from tests.collect_seed import MANIFESTS, sha, text


def test_docker_v2_manifest_stores_its_config_and_layers():
    parsed = parse(text("docker-v2.json"))
    doc = json.loads(text("docker-v2.json"))
    stored = [doc["config"], *doc["layers"]]
    assert [b.digest for b in parsed.blobs] == [x["digest"] for x in stored]
    assert [b.size_bytes for b in parsed.blobs] == [x["size"] for x in stored]


def test_oci_index_names_its_children_and_stores_nothing_itself():
    parsed = parse(text("oci-index.json"))
    assert parsed.media_type == OCI_INDEX and parsed.blobs == ()
    assert parsed.children == (sha(text("oci-child-amd64.json")), sha(text("oci-child-arm64.json")))


def test_schema1_is_flagged_without_sizes():
    parsed = parse(text("schema1.json"))
    assert parsed.schema1 and parsed.blobs == ()


def test_a_manifest_we_cannot_size_is_a_bad_answer_not_schema_1():
    with pytest.raises(BadAnswer, match="not JSON"):
        parse("{not json", "application/vnd.oci.image.manifest.v1+json")
    config = {"digest": sha("c"), "size": 2}
    with pytest.raises(BadAnswer, match=r"layers\[0\]\.size is missing"):  # a layer without a size
        parse(json.dumps({"schemaVersion": 2, "config": config, "layers": [{"digest": sha("x")}]}))


def test_cache_returns_what_was_put_across_instances(tmp_path):
    digest = sha(text("oci-manifest.json"))
    cache = ManifestCache(tmp_path)
    cache.put_many([(digest, text("oci-manifest.json"), "application/vnd.oci.image.manifest.v1+json")])
    cache.close()
    again = ManifestCache(tmp_path)
    assert again.get(digest) == (text("oci-manifest.json"), "application/vnd.oci.image.manifest.v1+json")
    assert again.get_many([digest, sha("other")]).keys() == {digest}


def test_unusable_cache_folder_only_costs_calls(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    cache = ManifestCache(tmp_path / "file" / "cache")
    cache.put(sha("{}"), "{}", "x")
    assert cache.get(sha("{}")) is None


def test_full_bytes_per_pull_is_the_average_image_and_shares_split_it_exactly():
    images = [
        {"image_digest": "sha256:a", "size_bytes": 0, "parent_digest": ""},
        {"image_digest": "sha256:b", "size_bytes": 0, "parent_digest": ""},
        {"image_digest": "sha256:i", "size_bytes": 9, "parent_digest": ""},  # an index: a parent
        {"image_digest": "sha256:c", "size_bytes": 0, "parent_digest": "sha256:i"},
    ]
    layers = [
        {"image_digest": "sha256:a", "layer_digest": "sha256:base", "size_bytes": 100},
        {"image_digest": "sha256:a", "layer_digest": "sha256:own-a", "size_bytes": 20},
        {"image_digest": "sha256:b", "layer_digest": "sha256:base", "size_bytes": 100},
        {"image_digest": "sha256:c", "layer_digest": "sha256:base", "size_bytes": 100},
    ]
    assert average_image_bytes(images, layers) == round((120 + 100 + 100) / 3)
    row = transfer_row({}, 3, 2**30, Assumptions("full", Decimal("0.25"), Decimal("0.5")))
    split = (row["internet_out_gb"], row["cross_region_out_gb"], row["same_region_out_gb"])
    assert split == ("0.75", "1.5", "0.75")


@pytest.mark.parametrize(
    ("kw", "option"),
    [
        ({"internet_share": "1.5"}, "--internet-share"),
        ({"internet_share": "0.6", "cross_region_share": "0.6"}, "--internet-share"),
        ({"bytes_per_pull": "lots"}, "--bytes-per-pull"),
        ({"role_arns": ("arn:aws:iam::12:user/x",)}, "--role-arn"),
        ({"regions": ("us-east-1",), "all_regions": True}, "--all-regions"),
    ],
)
def test_bad_options_are_input_errors_naming_the_option(tmp_path, monkeypatch, kw, option):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(InputError) as err:
        collect(Options(output=tmp_path / "inv", quiet=True, **kw))
    # the core names the parameter; the command line turns it into its option
    assert err.value.field is not None and "--" + err.value.field.replace("_", "-") == option
    assert not (tmp_path / "inv").exists()


def test_accounts_file_errors_name_file_and_line(tmp_path):
    accounts = tmp_path / "accounts.txt"
    accounts.write_text("# roles\narn:aws:iam::111122223333:role/EcrCostReader,ext-1\nnot-an-arn\n")
    with pytest.raises(InputError) as err:
        collect(Options(output=tmp_path / "inv", accounts_file=accounts, quiet=True))
    assert err.value.file == str(accounts) and err.value.row == 3


def test_output_folder_holding_other_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError):
        collect(Options(output=tmp_path, quiet=True))
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_progress_bars_grow_and_advance_when_enabled():
    with Bars(enabled=True) as bars:
        bars.grow("repositories", 3)
        bars.advance("repositories", 2)
        task = bars.progress.tasks[bars.tasks["repositories"]]  # type: ignore[union-attr]
        assert (task.total, task.completed) == (3, 2)
    assert Bars(enabled=False).progress is None


class Clock:
    """Stands in for the time module the bucket reads: nothing waits, sleeping moves the clock on. Like
    a real clock it counts whole nanoseconds, and a sleep takes at least the time asked (at least 1 ns)."""

    def __init__(self) -> None:
        self.ns = 0
        self.sleeps = 0

    def monotonic(self) -> float:
        return self.ns / 1e9

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        assert self.sleeps < 1000, "the bucket keeps sleeping"
        self.ns += max(1, math.ceil(seconds * 1e9))


def test_token_bucket_spaces_requests_beyond_the_burst(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("ecrcost.sources.collect.ratelimit.time", clock)
    bucket = TokenBucket(rate=200, burst=1)
    for _ in range(11):
        bucket.take()
    # the first request spends the burst; each of the other ten waits 1/200 s for its token
    assert clock.monotonic() == pytest.approx(10 / 200)


def test_fixture_manifests_are_named_by_what_they_are():
    assert {p.name for p in Path(MANIFESTS).glob("*.json")} >= {
        "docker-v2.json",
        "oci-manifest.json",
        "oci-index.json",
        "schema1.json",
    }


def test_describe_images_lifecycle_fields_become_inventory_columns():
    from datetime import UTC, datetime

    from ecrcost.sources.collect.reader import Repository, _rows
    from ecrcost.sources.collect.sessions import Account
    from ecrcost.sources.collect.shapes import ImageInfo

    out = Repository(row={})
    detail = ImageInfo(
        digest=sha("sig"),
        size=10,
        pushed_at=datetime(2026, 1, 2, tzinfo=UTC),
        status="ARCHIVED",
        subject=sha("subject"),
        last_archived_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
        last_activated_at=datetime(2026, 2, 3, tzinfo=UTC),
    )
    _rows(Account("123456789012"), "us-east-1", "app", [detail], {}, out)
    [row] = out.images
    assert row["subject_digest"] == sha("subject")
    assert row["last_archived_at"] == "2026-03-04T05:06:07Z"
    assert row["last_activated_at"] == "2026-02-03T00:00:00Z"


GAP = (Gap("123456789012", "us-east-1", "", "DescribeRepositories", "AccessDeniedException", "denied"),)


@pytest.mark.parametrize(
    ("new", "previous", "gaps", "force", "kept"),
    [
        (0, 166, GAP, False, True),  # every region denied: nothing read
        (82, 166, GAP, False, True),  # under half, with gaps
        (83, 166, GAP, False, False),  # half: a deletion this large is plausible
        (0, 166, (), False, False),  # complete: what it read is the registry
        (0, 166, GAP, True, False),  # --force
        (0, None, GAP, False, False),  # nothing to protect
        (0, 0, GAP, False, False),
    ],
)
def test_the_rule_that_keeps_the_previous_inventory(new, previous, gaps, force, kept):
    assert keeps_previous(new, previous, gaps, force) is kept


def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_digests_are_verified_on_the_exact_bytes_sha256_and_sha512():
    import hashlib

    from ecrcost.sources.collect.digests import mismatch, verifiable, well_formed

    manifest = text("docker-v2.json")
    assert mismatch(sha(manifest), manifest) is None
    assert "does not match" in str(mismatch(sha(manifest), manifest + " "))  # one byte more
    long = "sha512:" + hashlib.sha512(manifest.encode()).hexdigest()
    assert well_formed(long) and mismatch(long, manifest) is None
    other = "sha1:" + hashlib.sha1(manifest.encode()).hexdigest()
    assert well_formed(other) and not verifiable(other)
    assert "cannot verify a sha1 digest" in str(mismatch(other, manifest))  # never used nor cached
    assert (
        not well_formed("latest") and not well_formed("sha256:ABC") and not well_formed("sha256:" + "0" * 63)
    )


def test_a_signed_schema_1_manifest_matches_the_digest_of_its_payload_without_signatures():
    import hashlib

    from ecrcost.sources.collect.digests import mismatch

    body = '{\n   "schemaVersion": 1,\n   "name": "legacy/x",\n   "tag": "1",\n   "fsLayers": []'
    tail = "\n}"
    header = {"formatLength": len(body), "formatTail": _b64url(tail.encode()), "time": "2015-06-01T00:00:00Z"}
    signature = {
        "header": {"alg": "ES256"},
        "signature": "c2ln",
        "protected": _b64url(json.dumps(header).encode()),
    }
    signed = body + ',\n   "signatures": ' + json.dumps([signature]) + tail
    payload = "sha256:" + hashlib.sha256((body + tail).encode()).hexdigest()
    assert mismatch(payload, signed) is None and mismatch(sha(signed), signed) is None
    assert mismatch(payload, signed.replace("legacy/x", "legacy/y")) is not None
    assert parse(signed).schema1


def test_an_index_that_lists_itself_is_a_bad_answer():
    index = text("oci-index.json")
    assert parse(index, digest=sha(index)).children  # its children are others
    doc = json.loads(index)
    doc["manifests"][1]["digest"] = sha("self")
    with pytest.raises(BadAnswer, match="lists itself"):
        parse(json.dumps(doc), digest=sha("self"))


def test_manifests_are_read_within_ecrs_size_and_a_nesting_bound():
    from ecrcost.sources.collect.manifests import MAX_CHARS, MAX_DEPTH, load

    with pytest.raises(BadAnswer, match="nested deeper"):
        load("[" * 200_000 + "]" * 200_000)
    with pytest.raises(BadAnswer, match="4 MiB"):
        load(" " * (MAX_CHARS + 1))
    # brackets inside strings do not nest, escaped quotes included
    assert load(json.dumps({"a": "[" * 500 + '\\"{' * 100})) == {"a": "[" * 500 + '\\"{' * 100}
    assert load("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None


def test_the_cache_keeps_only_manifests_that_match_their_digest(tmp_path):
    import sqlite3

    good, media = text("oci-manifest.json"), "application/vnd.oci.image.manifest.v1+json"
    cache = ManifestCache(tmp_path)
    cache.put_many([(sha(good), good, media), (sha("other"), good, media)])  # the second is a lie
    assert cache.get_many([sha(good), sha("other")]) == {sha(good): (good, media)}
    cache.close()
    with sqlite3.connect(tmp_path / "manifests.sqlite") as db:  # spoiled on disk since
        db.execute("UPDATE manifests SET manifest = ? WHERE digest = ?", (good + " ", sha(good)))
    again = ManifestCache(tmp_path)
    assert again.get(sha(good)) is None
    assert again.db is not None and again.db.execute("SELECT COUNT(*) FROM manifests").fetchone() == (0,)
