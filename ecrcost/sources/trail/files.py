"""Where the trail is: a local folder of trail files, trail files under ``s3://bucket/prefix`` (AWS's
layout ``AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz``), or CloudTrail's
``LookupEvents``. Each source hands out batches of files on disk (S3 objects are downloaded in
parallel, one batch ahead, and removed once read; LookupEvents pages are written as trail files), so
a month is never held whole; and says which days of which registry its files cover."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.errors import InputError
from ...core.period import Month
from ..collect.coverage import AWS_ERRORS, Gap, error_code, message
from ..collect.permissions import Operation, register

# Read-only, declared beside the calls (IAM names ListObjectsV2's permission s3:ListBucket).
register(Operation("s3", "ListObjectsV2", "s3:ListBucket", "pulls s3://"))
register(Operation("s3", "GetObject", "s3:GetObject", "pulls s3://"))

SUFFIXES = (".json.gz", ".json")
# AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/ (a Control Tower or organization trail
# puts the organization id before the account)
LAYOUT = re.compile(
    r"AWSLogs/(?:o-[a-z0-9]+/)?(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/[^/]+$"
)
REGION_LEVEL = re.compile(r"AWSLogs/(?:o-[a-z0-9]+/)?\d{12}/CloudTrail/[a-z0-9-]+/$")
WALK = re.compile(r"AWSLogs/(?:(?:o-[a-z0-9]+/)?(?:\d{12}/(?:CloudTrail/(?:[a-z0-9-]+/)?)?)?)?$")
# A batch of files is read by one DuckDB query: gzipped trail files hold ~15 times their size in JSON,
# so 24 MiB of them is ~400 MiB of text at once (peak memory stays well under 2 GB).
BATCH_FILES = 32
BATCH_BYTES = 12 << 20
File = tuple[Path, str]  # on disk, and the name to report


@dataclass
class Found:
    """What a source found besides its files: the (account, region, day) its file layout covers, the
    calls or files it could not read (gaps) and what it is (for collection.json)."""

    about: dict[str, Any]
    days: set[tuple[str, str, str]] = field(default_factory=set)  # covered whatever the files hold
    file_days: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # name → its layout's day
    failed: set[str] = field(default_factory=set)  # names that could not be fetched
    gaps: list[Gap] = field(default_factory=list)

    def covered(self, unreadable: set[str]) -> set[tuple[str, str, str]]:
        """The days covered: by the source itself, and by every file that was fetched and read."""
        bad = unreadable | self.failed
        return self.days | {day for name, day in self.file_days.items() if name not in bad}


def is_trail_file(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    digest = "CloudTrail-Digest" in name  # the trail's integrity files: no records
    return not digest and not base.startswith((".", "_")) and base.lower().endswith(SUFFIXES)


def layout_day(key: str) -> tuple[str, str, str] | None:
    """(account, region, YYYY-MM-DD) of a key in AWS's layout; None for another name."""
    m = LAYOUT.search(key)
    if not m:
        return None
    account, region, y, mo, d = m.groups()
    return account, region, f"{y}-{mo}-{d}"


def in_month(key: str, month: Month, found: Found, name: str) -> bool:
    """False for a file whose layout dates it outside ``month`` (not read); a file in the month
    records the day it covers (once read); a file without the layout is read and its events dated."""
    day = layout_day(key)
    if day is None:
        return True
    if not day[2].startswith(f"{month}-"):
        return False
    found.file_days[name] = day
    return True


def local_batches(folder: Path, month: Month, found: Found) -> Iterator[list[File]]:
    """The trail files under ``folder`` (any depth), in name order, in batches."""
    if not folder.is_dir():
        raise InputError(
            "no such folder (a trail is a folder, s3://bucket/prefix or lookup-events)", file=folder
        )
    paths = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and is_trail_file(p.relative_to(folder).as_posix())
        and in_month(p.relative_to(folder).as_posix(), month, found, str(p))
    )
    if not paths:
        raise InputError(f"no trail files for {month} here (looked for {', '.join(SUFFIXES)})", file=folder)
    batch: list[File] = []
    size = 0
    for p in paths:
        batch.append((p, str(p)))
        size += p.stat().st_size
        if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def s3_batches(
    location: str, month: Month, found: Found, client: Any, workers: int = 8
) -> Iterator[list[File]]:
    """The month's trail objects under ``s3://bucket/prefix``, downloaded ``workers`` at a time into a
    temporary folder, one batch ahead of the reader, each removed once its batch is read."""
    bucket, _, prefix = location[len("s3://") :].partition("/")
    if not bucket:
        raise InputError("an S3 location is s3://bucket/prefix", file=location)
    try:
        keys = _month_keys(client, bucket, prefix, month)
    except AWS_ERRORS as exc:
        raise InputError(
            f"S3 refused the listing ({error_code(exc)}): {message(exc)}", file=location
        ) from None
    keys = [(k, n) for k, n in keys if is_trail_file(k) and in_month(k, month, found, f"s3://{bucket}/{k}")]
    if not keys:
        raise InputError(f"no trail files for {month} under this prefix", file=location)
    groups: list[list[tuple[str, int]]] = [[]]
    size = 0
    for key, n in keys:
        if len(groups[-1]) >= BATCH_FILES or size >= BATCH_BYTES:
            groups.append([])
            size = 0
        groups[-1].append((key, n))
        size += n
    with tempfile.TemporaryDirectory(prefix="ecrcost-trail-") as tmp, ThreadPoolExecutor(workers) as pool:

        def fetch(i: int, key: str) -> File | None:
            target = Path(tmp) / f"{i:08d}{'.json.gz' if key.endswith('.gz') else '.json'}"
            try:  # GetObject streamed to disk (download_file would also send HeadObject)
                body = client.get_object(Bucket=bucket, Key=key)["Body"]
                with open(target, "wb") as out:
                    shutil.copyfileobj(body, out, 1 << 20)
            except AWS_ERRORS as exc:
                name = f"s3://{bucket}/{key}"
                account, region, _ = layout_day(key) or ("", "", "")
                found.failed.add(name)
                found.gaps.append(
                    Gap(account, region, "", "GetObject", error_code(exc), f"{name}: {message(exc)}")
                )
                return None
            return (target, f"s3://{bucket}/{key}")

        def submit(group: list[tuple[str, int]], start: int) -> list[Future[File | None]]:
            return [pool.submit(fetch, start + j, key) for j, (key, _) in enumerate(group)]

        start = 0
        ahead = submit(groups[0], start)
        for g in range(len(groups)):
            current = ahead
            start += len(groups[g])
            if g + 1 < len(groups):
                ahead = submit(groups[g + 1], start)
            files = [f for f in (fut.result() for fut in current) if f is not None]
            yield files
            for path, _ in files:
                path.unlink(missing_ok=True)


def _month_keys(client: Any, bucket: str, prefix: str, month: Month) -> list[tuple[str, int]]:
    """(key, size) of the trail objects for ``month``: the folders are walked down AWS's layout to each
    ``CloudTrail/<region>/`` and only its ``YYYY/MM/`` is listed; a prefix without the layout is
    listed whole."""
    month_part = f"{month.start.year:04d}/{month.start.month:02d}/"
    keys: list[tuple[str, int]] = []
    paginator = client.get_paginator("list_objects_v2")
    for p in sorted(set(_month_prefixes(client, bucket, prefix, month_part))):
        for page in paginator.paginate(Bucket=bucket, Prefix=p):
            keys.extend((o["Key"], int(o.get("Size", 0))) for o in page.get("Contents", []))
    return sorted(set(keys))


def _month_prefixes(client: Any, bucket: str, prefix: str, month_part: str, depth: int = 0) -> list[str]:
    if REGION_LEVEL.search(prefix):
        return [prefix + month_part]
    if depth >= 6:
        return [prefix]
    subs = _folders(client, bucket, prefix)
    inside = "AWSLogs/" in prefix
    subs = [s for s in subs if (WALK.search(s) if inside or "AWSLogs/" in s else False)]
    if not subs:
        return [prefix]
    return [p for s in subs for p in _month_prefixes(client, bucket, s, month_part, depth + 1)]


def _folders(client: Any, bucket: str, prefix: str) -> list[str]:
    paginator = client.get_paginator("list_objects_v2")
    out: list[str] = []
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        out.extend(c["Prefix"] for c in page.get("CommonPrefixes", []))
    return out
