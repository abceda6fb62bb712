"""The shape of every AWS answer we read, checked where it is read.

A proxy can answer HTTP 200 with a truncated or empty body; botocore then hands back ``{}`` (or raises
while parsing a timestamp or a list). Each operation's answer is checked for exactly the fields we use:
present when we need them, of the right type, numbers in range (sizes and counts: whole numbers
0..2^53). A failed check raises :class:`BadAnswer`; :func:`ask` asks once more and then lets it through,
for the caller to record as a coverage gap (``error_code`` ``BadAnswer``, the reason as its message).

One thing a check cannot see: botocore turns a string sent where a list is expected into the list of
its characters before we get it; that is caught only where the items' own shape then fails.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Generic, TypeVar

from botocore.parsers import ResponseParserError

from .coverage import AWS_ERRORS
from .digests import well_formed

T = TypeVar("T")

MAX_NUMBER = 2**53  # sizes and counts: exact in a double, far beyond any registry

# What botocore raises while parsing a malformed 200 answer (a timestamp that is not one, an object
# where a list belongs, a body nested past the recursion limit, invalid XML).
UNREADABLE: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    AttributeError,
    LookupError,
    ArithmeticError,
    RuntimeError,
    ResponseParserError,
)


class BadAnswer(Exception):
    """An answer without the shape we read. ``reason`` says which field and why (no secrets: field
    names, types and short values only); ``operation`` is set once :func:`ask` gives up."""

    def __init__(self, reason: str, operation: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.operation = operation


FAILURES: tuple[type[BaseException], ...] = (*AWS_ERRORS, BadAnswer)


def ask(operation: str, call: Callable[[], Any], check: Callable[[Any], T], tries: int = 2) -> T:
    """``check(call())``; a bad answer is asked for again (``tries`` in all), then raises BadAnswer.
    AWS errors pass through untouched (botocore has already retried what can be retried)."""
    reason = ""
    for _ in range(tries):
        try:
            answer = call()
        except AWS_ERRORS:
            raise
        except UNREADABLE as exc:
            reason = f"unreadable answer ({type(exc).__name__}: {_first_line(exc)})"
            continue
        try:
            return check(answer)
        except BadAnswer as exc:
            reason = exc.reason
    raise BadAnswer(reason, operation)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None = None


def pages(
    operation: str, call: Callable[[str | None], Any], check: Callable[[Any], Page[T]]
) -> Iterator[list[T]]:
    """Every page's items, each page asked for with :func:`ask` (so a bad page is asked again, with
    the same token). What was yielded before a failure stays with the caller."""
    token: str | None = None
    seen: set[str] = set()
    while True:
        page = ask(operation, partial(call, token), check)
        yield page.items
        if not page.next_token:
            return
        if page.next_token in seen:
            raise BadAnswer("the same next token came twice (the pages would never end)", operation)
        seen.add(page.next_token)
        token = page.next_token


class Doc:
    """One JSON object of an answer, read field by field. ``where`` names it in reasons."""

    def __init__(self, value: Any, where: str = "") -> None:
        if not isinstance(value, dict):
            raise BadAnswer(f"{where or 'the answer'} is {_show(value)}, not an object")
        self.value: dict[str, Any] = value
        self.where = where

    def at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _get(self, key: str, required: bool) -> Any:
        value = self.value.get(key)
        if value is None and required:
            raise BadAnswer(f"{self.at(key)} is missing")
        return value

    def text(self, key: str, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is not None and not isinstance(value, str):
            raise BadAnswer(f"{self.at(key)} is {_show(value)}, not text")
        return value

    def need_text(self, key: str) -> str:
        value = self.text(key, required=True)
        assert value is not None
        return value

    def count(self, key: str, required: bool = False) -> int | None:
        """A whole number 0..2^53 (sizes, counts)."""
        value = self._get(key, required)
        return None if value is None else whole(value, self.at(key))

    def time(self, key: str) -> datetime | None:
        value = self._get(key, False)
        if value is not None and not isinstance(value, datetime):
            raise BadAnswer(f"{self.at(key)} is {_show(value)}, not a time")
        return value

    def digest(self, key: str, required: bool = False) -> str | None:
        value = self.text(key, required)
        if value is not None and not well_formed(value):
            raise BadAnswer(f"{self.at(key)} is {_show(value)}, not a digest (sha256:<64 hex>)")
        return value

    def need_digest(self, key: str) -> str:
        value = self.digest(key, required=True)
        assert value is not None
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key, False)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadAnswer(f"{self.at(key)} is {_show(value)}, not a list of text")
        return tuple(value)

    def doc(self, key: str, required: bool = False) -> Doc | None:
        value = self._get(key, required)
        return None if value is None else Doc(value, self.at(key))

    def docs(self, key: str, required: bool = True) -> list[Doc]:
        """A list of objects (``required``: the key must be there, even if the list is empty)."""
        value = self._get(key, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise BadAnswer(f"{self.at(key)} is {_show(value)}, not a list")
        return [Doc(v, f"{self.at(key)}[{i}]") for i, v in enumerate(value)]


def whole(value: Any, where: str) -> int:
    """``value`` as a whole number 0..2^53, or BadAnswer (floats, booleans and text are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_NUMBER:
        raise BadAnswer(f"{where} is {_show(value)}, not a whole number 0..2^53")
    return value


# ---- ECR ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepositoryInfo:
    """What DescribeRepositories tells of one repository."""

    name: str
    arn: str
    uri: str = ""
    created_at: datetime | None = None
    tag_mutability: str = ""
    encryption_type: str = ""
    kms_key: str = ""


@dataclass(frozen=True)
class ImageInfo:
    """What DescribeImages tells of one image (``size`` None: not reported)."""

    digest: str
    size: int | None = None
    pushed_at: datetime | None = None
    tags: tuple[str, ...] = ()
    last_pulled_at: datetime | None = None
    status: str = ""
    media_type: str = ""
    subject: str = ""
    last_archived_at: datetime | None = None
    last_activated_at: datetime | None = None


def repositories(answer: Any) -> Page[RepositoryInfo]:
    doc = Doc(answer)
    items = []
    for r in doc.docs("repositories"):
        encryption = r.doc("encryptionConfiguration")
        items.append(
            RepositoryInfo(
                name=_name(r, "repositoryName"),
                arn=_name(r, "repositoryArn"),
                uri=r.text("repositoryUri") or "",
                created_at=r.time("createdAt"),
                tag_mutability=r.text("imageTagMutability") or "",
                encryption_type=(encryption.text("encryptionType") or "") if encryption else "",
                kms_key=(encryption.text("kmsKey") or "") if encryption else "",
            )
        )
    return Page(items, doc.text("nextToken"))


def pull_through_prefixes(answer: Any) -> Page[str]:
    """The repository prefixes of a registry's pull-through cache rules (DescribePullThroughCacheRules)."""
    doc = Doc(answer)
    return Page(
        [_name(r, "ecrRepositoryPrefix") for r in doc.docs("pullThroughCacheRules")], doc.text("nextToken")
    )


def images(answer: Any) -> Page[ImageInfo]:
    doc = Doc(answer)
    items = [
        ImageInfo(
            digest=d.need_digest("imageDigest"),
            size=d.count("imageSizeInBytes"),
            pushed_at=d.time("imagePushedAt"),
            tags=d.texts("imageTags"),
            last_pulled_at=d.time("lastRecordedPullTime"),
            status=d.text("imageStatus") or "",
            media_type=d.text("imageManifestMediaType") or "",
            subject=d.digest("subjectManifestDigest") or "",
            last_archived_at=d.time("lastArchivedAt"),
            last_activated_at=d.time("lastActivatedAt"),
        )
        for d in doc.docs("imageDetails")
    ]
    return Page(items, doc.text("nextToken"))


def tags(answer: Any) -> dict[str, str]:
    """ListTagsForResource: every tag has a text Key and Value (an untagged repository: ``tags: []``)."""
    out: dict[str, str] = {}
    for t in Doc(answer).docs("tags"):
        out[_name(t, "Key")] = t.need_text("Value")
    return out


def lifecycle_policy(answer: Any) -> str:
    return Doc(answer).need_text("lifecyclePolicyText")


def replication_rules(answer: Any) -> list[dict[str, Any]]:
    """DescribeRegistry: the registry id proves a whole answer; replication may be absent (none)."""
    doc = Doc(answer)
    doc.need_text("registryId")
    config = doc.doc("replicationConfiguration")
    return [r.value for r in config.docs("rules", required=False)] if config else []


def account_setting(answer: Any) -> str:
    return Doc(answer).need_text("value")


@dataclass(frozen=True)
class Fetched:
    """BatchGetImage: ``manifests`` digest → (manifest text, media type); ``failures`` digest (or None
    when the failure names no digest) → (failure code, reason)."""

    manifests: dict[str, tuple[str, str]]
    failures: dict[str | None, tuple[str, str]]


def batch_get_image(answer: Any, asked: Collection[str]) -> Fetched:
    doc = Doc(answer)
    manifests: dict[str, tuple[str, str]] = {}
    for image in doc.docs("images"):
        image_id = image.doc("imageId", required=True)
        assert image_id is not None
        digest = image_id.need_digest("imageDigest")
        if digest not in asked:
            raise BadAnswer(f"{image_id.at('imageDigest')} {digest[:19]}… was not asked for")
        got = (image.need_text("imageManifest"), image.text("imageManifestMediaType") or "")
        if manifests.setdefault(digest, got) != got:
            raise BadAnswer(f"two different manifests for {digest[:19]}…")
    failures: dict[str | None, tuple[str, str]] = {}
    for f in doc.docs("failures", required=False):
        failed_id = f.doc("imageId")
        named = failed_id.text("imageDigest") if failed_id else None
        failures[named] = (f.need_text("failureCode"), f.text("failureReason") or "")
    return Fetched(manifests, failures)


# ---- CloudWatch --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricResult:
    id: str
    values: tuple[float, ...]
    status: str


def metric_data(answer: Any, ids: Collection[str]) -> Page[MetricResult]:
    """GetMetricData: every result answers a query we sent; values are finite counts 0..2^53."""
    doc = Doc(answer)
    items = []
    for r in doc.docs("MetricDataResults"):
        qid = r.need_text("Id")
        if qid not in ids:
            raise BadAnswer(f"{r.at('Id')} {_show(qid)} answers no query we sent")
        values = r.value.get("Values")
        if values is None:
            values = []
        if not isinstance(values, list):
            raise BadAnswer(f"{r.at('Values')} is {_show(values)}, not a list")
        for i, v in enumerate(values):
            ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            if not ok or not 0 <= v <= MAX_NUMBER:
                raise BadAnswer(f"{r.at('Values')}[{i}] is {_show(v)}, not a count 0..2^53")
        items.append(MetricResult(qid, tuple(float(v) for v in values), r.need_text("StatusCode")))
    return Page(items, doc.text("NextToken"))


# ---- STS and EC2 -------------------------------------------------------------------------------

_ACCOUNT = re.compile(r"^\d{12}$")


def caller_account(answer: Any) -> str:
    account = Doc(answer).need_text("Account")
    if not _ACCOUNT.match(account):
        raise BadAnswer(f"Account is {_show(account)}, not 12 digits")
    return account


def credentials(answer: Any) -> dict[str, str]:
    """AssumeRole: the three parts of the temporary credentials (their values never go in a reason)."""
    creds = Doc(answer).doc("Credentials", required=True)
    assert creds is not None
    return {k: _name(creds, k) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}


def region_names(answer: Any) -> set[str]:
    return {_name(r, "RegionName") for r in Doc(answer).docs("Regions")}


# ---- helpers -----------------------------------------------------------------------------------


def _name(doc: Doc, key: str) -> str:
    """Text that must be there and not blank (names, ARNs, keys)."""
    value = doc.need_text(key)
    if not value.strip():
        raise BadAnswer(f"{doc.at(key)} is blank")
    return value


def _show(value: Any) -> str:
    """A short, safe picture of a value for a reason: its type, and small scalars themselves."""
    if isinstance(value, bool | int | float) or value is None:
        return repr(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 24 else value[:24] + "…")
    return f"a {type(value).__name__}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text[:160]
