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

from . import shapes
from .cache import ManifestCache
from .coverage import Gap, error_code, message
from .digests import mismatch, verifiable
from .manifests import ACCEPTED, INDEXES, Parsed, parse
from .permissions import declare
from .progress import Bars
from .sessions import Account, Clients
from .shapes import FAILURES, BadAnswer, ImageInfo, RepositoryInfo, ask, pages

declare(
    "ecr",
    "DescribeRepositories",
    "DescribeImages",
    "BatchGetImage",
    "ListTagsForResource",
    "GetLifecyclePolicy",
    "DescribeRegistry",
    "GetAccountSetting",
    "DescribePullThroughCacheRules",
)

PAGE = 1000  # DescribeRepositories / DescribeImages maxResults
RULES_PAGE = 1000  # DescribePullThroughCacheRules maxResults
BATCH = 100  # BatchGetImage imageIds


@dataclass
class Registry:
    """What one account-region holds: ``repositories`` (as DescribeRepositories tells them),
    ``replication`` rules, ``blob_mounting`` (ENABLED / DISABLED / unknown), ``gaps`` not read,
    ``minimum`` calls."""

    account_id: str
    region: str
    repositories: list[RepositoryInfo] = field(default_factory=list)
    replication: list[dict[str, Any]] = field(default_factory=list)
    blob_mounting: str = "unknown"
    # repository prefixes of its pull-through cache rules: repositories under them never share layers
    pull_through: list[str] = field(default_factory=list)
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
    list repositories (AccessDenied, an opted-out region, a bad answer) is a gap; the repositories of
    the pages read before it are kept."""
    reg = Registry(account.account_id, region)
    ecr = clients.client("ecr", account, region)
    try:
        for items in pages(
            "DescribeRepositories",
            lambda token: ecr.describe_repositories(**_paged(token)),
            shapes.repositories,
        ):
            reg.repositories.extend(items)
    except FAILURES as exc:
        reg.gaps.append(_gap(account, region, "", "DescribeRepositories", exc))
        if not reg.repositories:
            reg.minimum["ecr.DescribeRepositories"] = 1  # one call is the least that learns this
            return reg
    reg.minimum["ecr.DescribeRepositories"] = max(1, math.ceil(len(reg.repositories) / PAGE))
    try:
        reg.replication = ask("DescribeRegistry", ecr.describe_registry, shapes.replication_rules)
    except FAILURES as exc:
        reg.gaps.append(_gap(account, region, "", "DescribeRegistry", exc))
    reg.minimum["ecr.DescribeRegistry"] = 1
    try:
        for prefixes in pages(
            "DescribePullThroughCacheRules",
            lambda token: ecr.describe_pull_through_cache_rules(**_paged(token, RULES_PAGE)),
            shapes.pull_through_prefixes,
        ):
            reg.pull_through.extend(prefixes)
    except FAILURES as exc:
        reg.gaps.append(_gap(account, region, "", "DescribePullThroughCacheRules", exc))
    reg.minimum["ecr.DescribePullThroughCacheRules"] = 1
    # Not every endpoint offers the setting (moto answers 500): one attempt, and "unknown" if it fails.
    probe = clients.client("ecr", account, region, attempts=1)
    try:
        reg.blob_mounting = ask(
            "GetAccountSetting",
            lambda: probe.get_account_setting(name="BLOB_MOUNTING"),
            shapes.account_setting,
            tries=1,
        )
    except FAILURES:
        reg.blob_mounting = "unknown"
    reg.minimum["ecr.GetAccountSetting"] = 1
    return reg


def read_repository(
    clients: Clients,
    account: Account,
    region: str,
    repo: RepositoryInfo,
    cache: ManifestCache,
    bars: Bars | None = None,
) -> Repository:
    """Images (ACTIVE and ARCHIVED), their manifests' blobs, tags and lifecycle policy of one repository.
    A page of images that cannot be read is a gap; the images of the pages before it are read on."""
    name = repo.name
    ecr = clients.client("ecr", account, region)
    out = Repository(_repository_row(account, region, repo))
    details: list[ImageInfo] = []
    try:
        for items in pages(
            "DescribeImages",
            lambda token: ecr.describe_images(
                repositoryName=name,
                registryId=account.account_id,
                filter={"tagStatus": "ANY", "imageStatus": "ANY"},
                **_paged(token),
            ),
            shapes.images,
        ):
            details.extend(items)
    except FAILURES as exc:  # RepositoryNotFoundException: deleted since it was listed
        out.gaps.append(_gap(account, region, name, "DescribeImages", exc))
        if not details:
            out.minimum["ecr.DescribeImages"] = 1
            return out
    out.minimum["ecr.DescribeImages"] = max(1, math.ceil(len(details) / PAGE))
    if bars:
        bars.grow("images", len(details))
    out.row["image_count"] = len(details)
    out.row["tags"] = json.dumps(_tags(ecr, account, region, repo, out), sort_keys=True)
    out.row["lifecycle_policy"] = _lifecycle(ecr, account, region, name, out)
    manifests = _manifests(ecr, account, region, name, [d.digest for d in details], cache, out)
    _rows(account, region, name, details, manifests, out)
    if bars:
        bars.advance("images", len(details))
    return out


def _paged(token: str | None, size: int = PAGE) -> dict[str, Any]:
    return {"maxResults": size, **({"nextToken": token} if token else {})}


def _repository_row(account: Account, region: str, repo: RepositoryInfo) -> dict[str, Any]:
    return {
        "account_id": account.account_id,
        "region": region,
        "repository": repo.name,
        "repository_arn": repo.arn,
        "repository_uri": repo.uri,
        "created_at": _iso(repo.created_at),
        "image_tag_mutability": repo.tag_mutability,
        "encryption_type": repo.encryption_type,
        "kms_key": repo.kms_key,
        "pull_through_cache": False,
        "image_count": 0,
        "tags": "{}",
        "lifecycle_policy": "",
    }


def _tags(ecr: Any, account: Account, region: str, repo: RepositoryInfo, out: Repository) -> dict[str, str]:
    """The repository's tags; ``{}`` with a gap beside it when they could not be read."""
    out.minimum["ecr.ListTagsForResource"] = 1
    try:
        return ask(
            "ListTagsForResource", lambda: ecr.list_tags_for_resource(resourceArn=repo.arn), shapes.tags
        )
    except FAILURES as exc:
        out.gaps.append(_gap(account, region, repo.name, "ListTagsForResource", exc))
        return {}


def _lifecycle(ecr: Any, account: Account, region: str, name: str, out: Repository) -> str:
    out.minimum["ecr.GetLifecyclePolicy"] = 1
    try:
        return ask(
            "GetLifecyclePolicy",
            lambda: ecr.get_lifecycle_policy(repositoryName=name, registryId=account.account_id),
            shapes.lifecycle_policy,
        )
    except FAILURES as exc:
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
    """Parsed manifest per digest: from the cache (verified on read), else BatchGetImage in batches of
    100 (verified, then cached); then the children of every index the same way, until none is missing.
    A manifest that cannot be had or read is a gap naming its digest."""
    parsed: dict[str, Parsed] = {}
    wanted = list(dict.fromkeys(digests))
    tried: set[str] = set()  # each digest is looked up once, whatever the answer
    fetched = 0

    def gap(digest: str, code: str, reason: str) -> None:
        out.gaps.append(Gap(account.account_id, region, name, "BatchGetImage", code, reason, digest))

    def use(digest: str, manifest: str, media_type: str) -> None:
        try:  # verified bytes: the same answer every time, so a manifest we cannot read is not asked again
            parsed[digest] = parse(manifest, media_type, digest)
        except BadAnswer as exc:
            gap(digest, "BadAnswer", exc.reason)

    while wanted:
        tried.update(wanted)
        hits = cache.get_many(wanted)
        for digest, (manifest, media_type) in hits.items():
            use(digest, manifest, media_type)
        missing = [d for d in wanted if d not in hits]
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            fetched += len(batch)
            good, failed = _fetch(ecr, account, name, batch)
            cache.put_many(good)
            for digest, manifest, media_type in good:
                use(digest, manifest, media_type)
            for digest, (code, reason) in failed.items():
                gap(digest, code, reason)
        children = {c for p in parsed.values() for c in p.children}
        wanted = sorted(children - parsed.keys() - tried)
    if fetched:
        out.minimum["ecr.BatchGetImage"] = math.ceil(fetched / BATCH)
    return parsed


def _fetch(
    ecr: Any, account: Account, name: str, batch: list[str]
) -> tuple[list[tuple[str, str, str]], dict[str, tuple[str, str]]]:
    """(digest, manifest, media type) of every manifest that matches its digest, and (code, reason) of
    every other. What did not match, or came back neither as a manifest nor as a failure, is asked for
    once more; what AWS itself reports as a failure (ImageNotFound) is not."""
    good: list[tuple[str, str, str]] = []
    failed: dict[str, tuple[str, str]] = {}
    asking = batch
    for _ in range(2):
        try:
            answer = _batch_get(ecr, account, name, asking)
        except FAILURES as exc:
            failed.update((d, (error_code(exc), message(exc))) for d in asking)
            break
        again = []
        for digest in asking:
            got = answer.manifests.get(digest)
            if got is None:
                # Some endpoints (moto) name no digest in a failure: it is then the failure of each
                # digest not returned.
                reported = answer.failures.get(digest) or answer.failures.get(None)
                failed[digest] = reported or _UNANSWERED
                if not reported:
                    again.append(digest)
                continue
            problem = mismatch(digest, got[0])
            if problem is None:
                good.append((digest, *got))
                failed.pop(digest, None)
            else:
                failed[digest] = ("BadAnswer", problem)
                if verifiable(digest):
                    again.append(digest)
        if not again:
            break
        asking = again
    return good, failed


_UNANSWERED = ("BadAnswer", "neither returned nor listed as a failure")


def _batch_get(ecr: Any, account: Account, name: str, digests: list[str]) -> shapes.Fetched:
    return ask(
        "BatchGetImage",
        lambda: ecr.batch_get_image(
            repositoryName=name,
            registryId=account.account_id,
            imageIds=[{"imageDigest": d} for d in digests],
            acceptedMediaTypes=ACCEPTED,
        ),
        lambda answer: shapes.batch_get_image(answer, set(digests)),
    )


def _rows(
    account: Account,
    region: str,
    name: str,
    details: list[ImageInfo],
    manifests: dict[str, Parsed],
    out: Repository,
) -> None:
    base = {"account_id": account.account_id, "region": region, "repository": name}
    images: dict[str, dict[str, Any]] = {}
    for d in details:
        parsed = manifests.get(d.digest)
        images[d.digest] = base | {
            "image_digest": d.digest,
            "size_bytes": d.size or 0,
            "pushed_at": _iso(d.pushed_at),
            "image_tags": " ".join(sorted(d.tags)),
            "last_pulled_at": _iso(d.last_pulled_at),
            "image_status": d.status or "ACTIVE",
            "manifest_media_type": d.media_type or (parsed.media_type if parsed else ""),
            "parent_digest": "",
            "subject_digest": d.subject,
            "last_archived_at": _iso(d.last_archived_at),
            "last_activated_at": _iso(d.last_activated_at),
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


def _iso(value: datetime | None) -> str:
    """boto3 timestamps (tz-aware datetimes) as ISO 8601 UTC; blank when absent."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
