"""Pull counts: CloudWatch ``AWS/ECR`` ``RepositoryPullCount`` (Sum) per repository for the month.

A repository's count is known only when CloudWatch answered its query with ``StatusCode: Complete``;
anything else (a call that failed, a malformed answer, a query left unanswered, ``Forbidden``) is a
gap and the count stays unknown, never 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ...core.period import Month
from . import shapes
from .coverage import Gap, error_code, message
from .permissions import declare
from .sessions import Account, Clients
from .shapes import FAILURES, MAX_NUMBER, pages

declare("cloudwatch", "GetMetricData")

QUERIES = 500  # GetMetricData queries per call
PERIOD = 86400  # one datapoint per day: valid at any age up to 455 days


@dataclass
class Pulls:
    """``counts``: repository → pulls in the month (0 when CloudWatch has no datapoint), for the
    repositories whose count is known; the others have a gap."""

    account_id: str
    region: str
    counts: dict[str, int] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    minimum: dict[str, int] = field(default_factory=dict)


def read_pulls(
    clients: Clients, account: Account, region: str, repositories: list[str], month: Month
) -> Pulls:
    """One GetMetricData call per 500 repositories (more when CloudWatch pages); query ids ``r0..rN``
    map back to names (names hold ``/ - .``, which query ids may not)."""
    out = Pulls(account.account_id, region)
    if not repositories:
        return out
    cw = clients.client("cloudwatch", account, region)
    for start in range(0, len(repositories), QUERIES):
        chunk = repositories[start : start + QUERIES]
        ids = {f"r{start + i}": name for i, name in enumerate(chunk)}
        try:
            sums = _sums(cw, ids, month)
        except FAILURES as exc:
            reason = f"{message(exc)}; pull counts of {len(chunk)} repositories unknown"
            out.gaps.append(Gap(account.account_id, region, "", "GetMetricData", error_code(exc), reason))
            continue
        for qid, name in ids.items():
            status, total = sums.get(qid, ("", 0.0))
            count = round(total)
            if status == "Complete" and count <= MAX_NUMBER:
                out.counts[name] = count
                continue
            if not status:
                code, reason = "BadAnswer", "no result for the repository's query"
            elif status != "Complete":  # Forbidden, InternalError, PartialData on the last page
                code, reason = status, f"CloudWatch answered the query with StatusCode {status}"
            else:
                code, reason = "BadAnswer", "the pulls add up to more than 2^53"
            out.gaps.append(Gap(account.account_id, region, name, "GetMetricData", code, reason))
    out.minimum["cloudwatch.GetMetricData"] = math.ceil(len(repositories) / QUERIES)
    return out


def _sums(cw: Any, ids: dict[str, str], month: Month) -> dict[str, tuple[str, float]]:
    """Query id → (last StatusCode, sum of the values) over every page of one call's answers."""
    queries = [
        {
            "Id": qid,
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/ECR",
                    "MetricName": "RepositoryPullCount",
                    "Dimensions": [{"Name": "RepositoryName", "Value": name}],
                },
                "Period": PERIOD,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
        for qid, name in ids.items()
    ]
    sums: dict[str, tuple[str, float]] = {}
    for results in pages(
        "GetMetricData",
        lambda token: cw.get_metric_data(
            MetricDataQueries=queries,
            StartTime=month.start,
            EndTime=month.end,
            **({"NextToken": token} if token else {}),
        ),
        lambda answer: shapes.metric_data(answer, ids),
    ):
        for r in results:
            sums[r.id] = (r.status, sums.get(r.id, ("", 0.0))[1] + sum(r.values))
    return sums
