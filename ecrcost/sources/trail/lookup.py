"""``--trail lookup-events``: CloudTrail's ``LookupEvents`` (the management events of the last 90 days,
``EventSource`` ecr.amazonaws.com), one region of the session's account at a time, paged, at most
2 requests a second per account and region (CloudTrail's limit), retried when throttled. Each run of
pages becomes one trail file (``{"Records": [...]}`` of the events' own ``CloudTrailEvent`` text), read
like any other."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ...core.period import Month
from ..collect.coverage import AWS_ERRORS, Gap, error_code, message
from ..collect.permissions import declare
from ..collect.sessions import Clients
from .files import File, Found

declare("cloudtrail", "LookupEvents", when="pulls lookup-events")
RATE = 2.0  # LookupEvents: 2 requests per second per account per region
HISTORY = timedelta(days=90)
PAGES_PER_FILE = 40


def window(month: Month, now: datetime) -> tuple[datetime, datetime]:
    """The part of ``month`` LookupEvents can still answer for: its last 90 days, up to now."""
    return max(month.start, now - HISTORY), min(month.end, now)


def covered_days(start: datetime, end: datetime) -> list[str]:
    """The whole UTC days between ``start`` and ``end``."""
    day = datetime(start.year, start.month, start.day, tzinfo=UTC)
    if day < start:
        day += timedelta(days=1)
    out = []
    while day + timedelta(days=1) <= end:
        out.append(day.date().isoformat())
        day += timedelta(days=1)
    return out


def lookup_batches(
    clients: Clients, regions: list[str], month: Month, found: Found, now: datetime
) -> Iterator[list[File]]:
    start, end = window(month, now)
    if start >= end:
        return
    account = clients.caller_account(regions[0])
    with tempfile.TemporaryDirectory(prefix="ecrcost-lookup-") as tmp:
        for region in regions:
            client = clients.client("cloudtrail", account, region)
            kwargs = {
                "LookupAttributes": [{"AttributeKey": "EventSource", "AttributeValue": "ecr.amazonaws.com"}],
                "StartTime": start,
                "EndTime": end,
                "MaxResults": 50,
            }
            token: str | None = None
            part = 0
            while True:
                texts: list[str] = []
                try:
                    for _ in range(PAGES_PER_FILE):
                        page = client.lookup_events(**kwargs, **({"NextToken": token} if token else {}))
                        texts.extend(
                            e["CloudTrailEvent"] for e in page.get("Events", []) if e.get("CloudTrailEvent")
                        )
                        token = page.get("NextToken")
                        if not token:
                            break
                except AWS_ERRORS as exc:
                    found.gaps.append(
                        Gap(account.account_id, region, "", "LookupEvents", error_code(exc), message(exc))
                    )
                    break  # what was read of this region is kept; its days are not counted as covered
                if texts:
                    path = Path(tmp) / f"{region}-{part:06d}.json"
                    path.write_text('{"Records":[' + ",".join(texts) + "]}", encoding="utf-8")
                    part += 1
                    yield [(path, f"LookupEvents {account.account_id}/{region} part {part}")]
                    path.unlink(missing_ok=True)
                if not token:
                    found.days.update((account.account_id, region, d) for d in covered_days(start, end))
                    break
