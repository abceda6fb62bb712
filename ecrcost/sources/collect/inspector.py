"""Amazon Inspector's view of which ECR images are in use (``collect --workloads``): Inspector2
``ListCoverage`` for resource type ``AWS_ECR_CONTAINER_IMAGE``, pages of 200. Each covered image whose
``resourceMetadata.ecrImage`` says it is in use (``inUseCount`` > 0, or ``lastInUseAt`` within
:data:`IN_USE_DAYS` of the collection) becomes a ``workloads`` row of kind ``inspector``: ``tasks`` =
``inUseCount``, first/last seen = ``lastInUseAt``. Inspector counts ECS tasks and EKS pods only
(docs/collect.md).

Inspector is optional: a region that answers AccessDeniedException or ValidationException (Inspector
not enabled there, or not allowed) or covers no image is a note, not a gap. Any other failure is a
coverage gap naming ListCoverage.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..workloads import row
from .coverage import Gap, error_code, message
from .permissions import declare
from .shapes import FAILURES, BadAnswer, Page, pages

if TYPE_CHECKING:
    from .workloads import Workloads

declare("inspector2", "ListCoverage", when="--workloads")

KIND = "inspector"
NOTE = "Amazon Inspector"  # every note of this module starts so (collect prints them)
PAGE = 200  # ListCoverage's maxResults is 1..200
IN_USE_DAYS = 30  # an image Inspector saw in use this recently counts as in use
NOT_ENABLED = {"AccessDeniedException", "ValidationException"}
# The covered image's id: arn:aws:ecr:REGION:ACCOUNT:repository/REPOSITORY/sha256:DIGEST
_ARN = re.compile(
    r"^arn:aws[a-z-]*:ecr:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):repository/(?P<repo>.+)/"
    r"(?P<digest>sha(?:256|512):[0-9a-f]+)$"
)


def covered(answer: Any, later: bool = False) -> Page[dict[str, Any]]:
    """One ListCoverage page: its covered resources (objects) and next token. ``later``: a page after
    the first, which must hold ``coveredResources`` (botocore reads a cut-short rest-json body as an
    empty answer: without this check the list would just end)."""
    if not isinstance(answer, dict):
        raise BadAnswer("the answer is not an object")
    if later and "coveredResources" not in answer:
        raise BadAnswer("coveredResources is missing")
    items = answer.get("coveredResources", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BadAnswer("coveredResources is not a list of objects")
    token = answer.get("nextToken")
    return Page(items, str(token) if token else None)


def _stamp(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise BadAnswer("ecrImage.lastInUseAt is not a timestamp")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def image_row(resource: dict[str, Any], account_id: str, region: str, now: datetime) -> dict[str, Any] | None:
    """The workloads row of one covered resource Inspector says is in use; None for another resource
    type or an image not in use. A resourceId that names no ECR image is a bad answer."""
    if resource.get("resourceType") != "AWS_ECR_CONTAINER_IMAGE":
        return None
    found = _ARN.match(str(resource.get("resourceId") or ""))
    if not found:
        raise BadAnswer("resourceId is not an ECR image ARN (…:repository/NAME/sha256:…)")
    meta = resource.get("resourceMetadata") or {}
    image = meta.get("ecrImage") or {} if isinstance(meta, dict) else None
    repo = meta.get("ecrRepository") or {} if isinstance(meta, dict) else None
    if not isinstance(image, dict) or not isinstance(repo, dict):
        raise BadAnswer("resourceMetadata.ecrImage or .ecrRepository is not an object")
    count = image.get("inUseCount") or 0
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count < 2**53:
        raise BadAnswer("ecrImage.inUseCount is not a count")
    last = _stamp(image.get("lastInUseAt"))
    if not count and (last is None or last < now - timedelta(days=IN_USE_DAYS)):
        return None
    repository = str(repo.get("name") or found["repo"])
    host = f"{found['account']}.dkr.ecr.{found['region']}.amazonaws.com"
    seen = (last or now).strftime("%Y-%m-%dT%H:%M:%SZ")
    return row(
        account_id=account_id,
        region=region,
        kind=KIND,
        cluster="",
        workload=repository,
        container="",
        image=f"{host}/{repository}@{found['digest']}",
        tasks=count,
        seen=seen,
    )


def read_inspector(client: Any, out: Workloads, now: datetime) -> None:
    """Add to ``out`` the rows of the images Inspector says are in use, a note when Inspector is not
    enabled (or not allowed) or covers no image, or a gap for any other failure (the rows read before
    it stay), and the pages read."""
    calls = 0
    criteria = {"resourceType": [{"comparison": "EQUALS", "value": "AWS_ECR_CONTAINER_IMAGE"}]}
    seen_any = False
    where = f"{out.account_id}/{out.region}"
    try:
        for items in pages(
            "ListCoverage",
            lambda t: client.list_coverage(
                maxResults=PAGE, filterCriteria=criteria, **({"nextToken": t} if t else {})
            ),
            lambda answer: covered(answer, later=calls > 0),  # noqa: B023 (the pages read so far)
        ):
            calls += 1
            seen_any = seen_any or bool(items)
            for resource in items:
                got = image_row(resource, out.account_id, out.region, now)
                if got is not None:
                    out.rows.append(got)
    except FAILURES as exc:
        code = error_code(exc)
        if code in NOT_ENABLED and not calls:
            out.notes.append(f"{NOTE} not read in {where} ({code}: not enabled or not allowed)")
        else:
            out.gaps.append(Gap(out.account_id, out.region, "", "ListCoverage", code, message(exc)))
        seen_any = True
    out.minimum["inspector2.ListCoverage"] = out.minimum.get("inspector2.ListCoverage", 0) + max(1, calls)
    if not seen_any:
        out.notes.append(f"{NOTE} covers no ECR image in {where} (enhanced scanning off?)")


def unnamed(rows: list[dict[str, Any]]) -> str | None:
    """The cross-check: a note naming the images Inspector says are in use whose digest no other
    workloads row (ECS, Lambda, pods) names; None when every one is named."""
    named = {r["image_digest"] for r in rows if r["kind"] != KIND and r["image_digest"]}
    alone = sorted(
        {
            f"{r['repository']}@{r['image_digest']}"
            for r in rows
            if r["kind"] == KIND and r["image_digest"] not in named
        }
    )
    if not alone:
        return None
    shown = ", ".join(a[: a.index("@") + 20] + "…" for a in alone[:5]) + (", …" if len(alone) > 5 else "")
    return (
        f"{NOTE}: {len(alone)} image(s) in use that no collected workload names "
        f"(lifecycle protects them as 'inspector'): {shown}"
    )
