"""Pull counts: CloudWatch ``AWS/ECR`` ``RepositoryPullCount`` (Sum) per repository for the month."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ...core.period import Month
from .coverage import AWS_ERRORS, Gap, error_code, message
from .permissions import declare
from .sessions import Account, Clients

declare("cloudwatch", "GetMetricData")

QUERIES = 500  # GetMetricData queries per call
PERIOD = 86400  # one datapoint per day: valid at any age up to 455 days


@dataclass
class Pulls:
    """``counts``: repository → pulls in the month (0 when CloudWatch has no datapoint)."""

    account_id: str
    region: str
    counts: dict[str, int] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    minimum: dict[str, int] = field(default_factory=dict)


def read_pulls(
    clients: Clients, account: Account, region: str, repositories: list[str], month: Month
) -> Pulls:
    """One GetMetricData call per 500 repositories; query ids ``r0..rN`` map back to names (names hold
    ``/ - .``, which query ids may not)."""
    out = Pulls(account.account_id, region, counts=dict.fromkeys(repositories, 0))
    if not repositories:
        return out
    cw = clients.client("cloudwatch", account, region)
    for start in range(0, len(repositories), QUERIES):
        chunk = repositories[start : start + QUERIES]
        ids = {f"r{start + i}": name for i, name in enumerate(chunk)}
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
        try:
            pages = cw.get_paginator("get_metric_data").paginate(
                MetricDataQueries=queries, StartTime=month.start, EndTime=month.end
            )
            for page in pages:
                for result in page.get("MetricDataResults", []):
                    name = ids.get(result["Id"])
                    if name is not None:
                        out.counts[name] += round(sum(result.get("Values", [])))
        except AWS_ERRORS as exc:
            out.gaps.append(
                Gap(account.account_id, region, "", "GetMetricData", error_code(exc), message(exc))
            )
    out.minimum["cloudwatch.GetMetricData"] = math.ceil(len(repositories) / QUERIES)
    return out
