"""Reading one registry (account + region): repositories, images, manifests, tags, lifecycle policies,
replication and blob mounting. Read-only: Describe*, List*, Get* and BatchGetImage only.

DescribeImages is always read before any BatchGetImage, because fetching a manifest counts as a pull
and moves ``lastRecordedPullTime``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .cache import ManifestCache
from .coverage import AWS_ERRORS, Gap, error_code, message
from .manifests import ACCEPTED, INDEXES, Parsed, parse
from .permissions import declare
from .progress import Bars
from .sessions import Account, Clients

declare(
    "ecr",
    "DescribeRepositories",
    "DescribeImages",
    "BatchGetImage",
    "ListTagsForResource",
    "GetLifecyclePolicy",
    "DescribeRegistry",
    "GetAccountSetting",
)

PAGE = 1000  # DescribeRepositories / DescribeImages maxResults
BATCH = 100  # BatchGetImage imageIds


@dataclass
class Registry:
    """What one account-region holds: ``repositories`` (DescribeRepositories items), ``replication``
    rules, ``blob_mounting`` (ENABLED / DISABLED / unknown), ``gaps`` not read, ``minimum`` calls."""

    account_id: str
    region: str
    repositories: list[dict[str, Any]] = field(default_factory=list)
    replication: list[dict[str, Any]] = field(default_factory=list)
    blob_mounting: str = "unknown"
    gaps: list[Gap] = field(default_factory=list)
    minimum: dict[str, int] = field(default_factory=dict)


@dataclass
class Repository:
    """Rows for one repository (the inventory columns of docs/formats.md) plus what was not read."""

    row: dict[str, Any]
    images: list[dict[str, Any]] = field(default_factory=list)
    layers: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    minimum: dict[str, int] = field(default_factory=dict)
    schema1: int = 0


def read_registry(clients: Clients, account: Account, region: str) -> Registry:
    """Repositories, replication rules and the blob-mounting setting of one registry. A failure to
    list repositories (AccessDenied, an opted-out region) leaves the registry as one gap."""
    reg = Registry(account.account_id, region)
    ecr = clients.client("ecr", account, region)
    try:
        pages = ecr.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": PAGE})
        reg.repositories = [r for page in pages for r in page["repositories"]]
    except AWS_ERRORS as exc:
        reg.gaps.append(_gap(account, region, "", "DescribeRepositories", exc))
        reg.minimum["ecr.DescribeRepositories"] = 1  # one call is the least that learns this
        return reg
    reg.minimum["ecr.DescribeRepositories"] = max(1, math.ceil(len(reg.repositories) / PAGE))
    try:
        config = ecr.describe_registry().get("replicationConfiguration") or {}
        reg.replication = config.get("rules", [])
    except AWS_ERRORS as exc:
        reg.gaps.append(_gap(account, region, "", "DescribeRegistry", exc))
    reg.minimum["ecr.DescribeRegistry"] = 1
    # Not every endpoint offers the setting (moto answers 500): one attempt, and "unknown" if it fails.
    probe = clients.client("ecr", account, region, attempts=1)
    try:
        reg.blob_mounting = str(probe.get_account_setting(name="BLOB_MOUNTING").get("value", "unknown"))
    except AWS_ERRORS:
        reg.blob_mounting = "unknown"
    reg.minimum["ecr.GetAccountSetting"] = 1
    return reg


def read_repository(
    clients: Clients,
    account: Account,
    region: str,
    repo: dict[str, Any],
    cache: ManifestCache,
    bars: Bars | None = None,
) -> Repository:
    """Images (ACTIVE and ARCHIVED), their manifests' blobs, tags and lifecycle policy of one repository."""
    name = repo["repositoryName"]
    ecr = clients.client("ecr", account, region)
    out = Repository(_repository_row(account, region, repo))
    try:
        pages = ecr.get_paginator("describe_images").paginate(
            repositoryName=name,
            registryId=account.account_id,
            filter={"tagStatus": "ANY", "imageStatus": "ANY"},
            PaginationConfig={"PageSize": PAGE},
        )
        details = [d for page in pages for d in page["imageDetails"]]
    except AWS_ERRORS as exc:  # RepositoryNotFoundException: deleted since it was listed
        out.gaps.append(_gap(account, region, name, "DescribeImages", exc))
        out.minimum["ecr.DescribeImages"] = 1
        return out
    out.minimum["ecr.DescribeImages"] = max(1, math.ceil(len(details) / PAGE))
    if bars:
        bars.grow("images", len(details))
    out.row["image_count"] = len(details)
    out.row["tags"] = json.dumps(_tags(ecr, account, region, repo, out), sort_keys=True)
    out.row["lifecycle_policy"] = _lifecycle(ecr, account, region, name, out)
    manifests = _manifests(ecr, account, region, name, [d["imageDigest"] for d in details], cache, out)
    _rows(account, region, name, details, manifests, out)
    if bars:
        bars.advance("images", len(details))
    return out


def _repository_row(account: Account, region: str, repo: dict[str, Any]) -> dict[str, Any]:
    encryption = repo.get("encryptionConfiguration") or {}
    return {
        "account_id": account.account_id,
        "region": region,
        "repository": repo["repositoryName"],
        "repository_arn": repo.get("repositoryArn", ""),
        "repository_uri": repo.get("repositoryUri", ""),
        "created_at": _iso(repo.get("createdAt")),
        "image_tag_mutability": repo.get("imageTagMutability", ""),
        "encryption_type": encryption.get("encryptionType", ""),
        "image_count": 0,
        "tags": "{}",
        "lifecycle_policy": "",
    }


def _tags(ecr: Any, account: Account, region: str, repo: dict[str, Any], out: Repository) -> dict[str, str]:
    out.minimum["ecr.ListTagsForResource"] = 1
    try:
        tags = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"]).get("tags", [])
    except AWS_ERRORS as exc:
        out.gaps.append(_gap(account, region, repo["repositoryName"], "ListTagsForResource", exc))
        return {}
    return {t["Key"]: t["Value"] for t in tags}


def _lifecycle(ecr: Any, account: Account, region: str, name: str, out: Repository) -> str:
    out.minimum["ecr.GetLifecyclePolicy"] = 1
    try:
        return str(
            ecr.get_lifecycle_policy(repositoryName=name, registryId=account.account_id)[
                "lifecyclePolicyText"
            ]
        )
    except AWS_ERRORS as exc:
        if error_code(exc) == "LifecyclePolicyNotFoundException":
            return ""
        out.gaps.append(_gap(account, region, name, "GetLifecyclePolicy", exc))
        return ""


def _manifests(
    ecr: Any,
    account: Account,
    region: str,
    name: str,
    digests: list[str],
    cache: ManifestCache,
    out: Repository,
) -> dict[str, Parsed]:
    """Parsed manifest per digest: from the cache, else BatchGetImage in batches of 100; then the
    children of every index the same way, until none is missing."""
    parsed: dict[str, Parsed] = {}
    wanted = list(dict.fromkeys(digests))
    tried: set[str] = set()  # each digest is looked up once, whatever the answer
    fetched = 0
    while wanted:
        tried.update(wanted)
        hits = cache.get_many(wanted)
        parsed.update((digest, parse(*hit)) for digest, hit in hits.items())
        missing = [d for d in wanted if d not in hits]
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            fetched += len(batch)
            try:
                answer = ecr.batch_get_image(
                    repositoryName=name,
                    registryId=account.account_id,
                    imageIds=[{"imageDigest": d} for d in batch],
                    acceptedMediaTypes=ACCEPTED,
                )
            except AWS_ERRORS as exc:
                out.gaps.append(_gap(account, region, name, "BatchGetImage", exc))
                continue
            got = [
                (i["imageId"]["imageDigest"], i["imageManifest"], i.get("imageManifestMediaType", ""))
                for i in answer.get("images", [])
            ]
            cache.put_many(got)
            parsed.update((digest, parse(manifest, media)) for digest, manifest, media in got)
            answered = {i["imageId"]["imageDigest"] for i in answer.get("images", [])}
            for digest, failure in zip(batch, _failures(answer, batch, answered), strict=True):
                if failure:
                    out.gaps.append(Gap(account.account_id, region, name, "BatchGetImage", *failure, digest))
        children = {c for p in parsed.values() for c in p.children}
        wanted = sorted(children - parsed.keys() - tried)
    if fetched:
        out.minimum["ecr.BatchGetImage"] = math.ceil(fetched / BATCH)
    return parsed


def _failures(answer: dict[str, Any], batch: list[str], answered: set[str]) -> list[tuple[str, str] | None]:
    """Per requested digest: (code, reason) when it was not returned. BatchGetImage reports failures
    per id; some endpoints omit the digest from a failure, so match by what came back."""
    by_digest = {
        f.get("imageId", {}).get("imageDigest"): (f.get("failureCode", ""), f.get("failureReason", ""))
        for f in answer.get("failures", [])
    }
    default = next(iter(by_digest.values()), ("ImageNotFound", "not returned"))
    return [None if d in answered else by_digest.get(d, default) for d in batch]


def _rows(
    account: Account,
    region: str,
    name: str,
    details: list[dict[str, Any]],
    manifests: dict[str, Parsed],
    out: Repository,
) -> None:
    base = {"account_id": account.account_id, "region": region, "repository": name}
    images: dict[str, dict[str, Any]] = {}
    for d in details:
        digest = d["imageDigest"]
        parsed = manifests.get(digest)
        images[digest] = base | {
            "image_digest": digest,
            "size_bytes": int(d.get("imageSizeInBytes") or 0),
            "pushed_at": _iso(d.get("imagePushedAt")),
            "image_tags": " ".join(sorted(d.get("imageTags") or [])),
            "last_pulled_at": _iso(d.get("lastRecordedPullTime")),
            "image_status": d.get("imageStatus") or "ACTIVE",
            "manifest_media_type": d.get("imageManifestMediaType") or (parsed.media_type if parsed else ""),
            "parent_digest": "",
            "subject_digest": d.get("subjectManifestDigest") or "",
            "last_archived_at": _iso(d.get("lastArchivedAt")),
            "last_activated_at": _iso(d.get("lastActivatedAt")),
        }
    for digest, parsed in list(manifests.items()):
        for child in parsed.children:
            if child not in images and child in manifests:
                # A child the registry did not list as an image: stored all the same, with its parent.
                images[child] = images[digest] | {
                    "image_digest": child,
                    "size_bytes": sum(b.size_bytes for b in manifests[child].blobs),
                    "image_tags": "",
                    "subject_digest": "",
                    "manifest_media_type": manifests[child].media_type,
                }
            if child in images and not images[child]["parent_digest"] and child != digest:
                images[child]["parent_digest"] = digest
    for digest, row in images.items():
        parsed = manifests.get(digest)
        if parsed is None or parsed.media_type in INDEXES:
            continue
        if parsed.schema1:
            out.schema1 += 1  # no sizes in schema 1: the image's own size is all there is
            continue
        for blob in parsed.blobs:
            out.layers.append(
                base
                | {
                    "image_digest": digest,
                    "layer_digest": blob.digest,
                    "size_bytes": blob.size_bytes,
                    "media_type": blob.media_type,
                }
            )
        if not row["size_bytes"]:
            row["size_bytes"] = sum(b.size_bytes for b in parsed.blobs)
    out.images = list(images.values())


def _gap(account: Account, region: str, repository: str, operation: str, exc: BaseException) -> Gap:
    return Gap(account.account_id, region, repository, operation, error_code(exc), message(exc))


def _iso(value: Any) -> str:
    """boto3 timestamps (tz-aware datetimes) as ISO 8601 UTC; blank when absent."""
    if value is None or value == "":
        return ""
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)
