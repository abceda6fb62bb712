"""The bill as Cost Explorer sums it: ``GetCostAndUsage`` for one month, ECR's service only, grouped
by linked account and usage type (the region is the usage type's code). Every request costs the
caller $0.01, so the requests are counted (retries included) and reported.

Cost Explorer has no resource ids and no line-item types: credits and discounts are inside
``UnblendedCost`` and show as a price difference, and repositories cannot be matched.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ...core.errors import InputError
from ...core.period import Month
from ...core.pricebook import PriceBook
from ..collect.permissions import declare
from ..collect.shapes import BadAnswer, ask
from .frame import Bill, normalise

declare("ce", "GetCostAndUsage", when="reconcile --cost-explorer")
SERVICE = "Amazon EC2 Container Registry (ECR)"
REQUEST_USD = Decimal("0.01")
MAX_PAGES = 1000


class BillGap(InputError):
    """The bill could not be read from AWS (refused, or an answer without the shape we read): exit 3,
    like every other answer AWS did not give; never a silent zero."""

    exit_code = 3


def read_cost_explorer(month: Month, prices: PriceBook, profile: str | None = None) -> Bill:
    """ECR's cost and usage of ``month`` from Cost Explorer (us-east-1, boto3's credentials and
    endpoint), every page of it."""
    import boto3
    import botocore.exceptions
    from botocore.config import Config

    sent = [0]
    try:
        session = boto3.Session(profile_name=profile)
    except botocore.exceptions.ProfileNotFound:
        raise InputError(f"AWS profile '{profile}' not found", field="profile") from None
    config = Config(retries={"mode": "standard", "total_max_attempts": 8}, user_agent_extra="ecrcost")
    ce: Any = session.client("ce", region_name="us-east-1", config=config)
    ce.meta.events.register("before-send", lambda **_: sent.__setitem__(0, sent[0] + 1))
    query: dict[str, Any] = {
        "TimePeriod": {"Start": month.start.strftime("%Y-%m-%d"), "End": month.end.strftime("%Y-%m-%d")},
        "Granularity": "MONTHLY",
        "Metrics": ["UnblendedCost", "UsageQuantity"],
        "Filter": {"Dimensions": {"Key": "SERVICE", "Values": [SERVICE]}},
        "GroupBy": [
            {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
            {"Type": "DIMENSION", "Key": "USAGE_TYPE"},
        ],
    }
    groups: list[dict[str, Any]] = []
    estimated = False
    token: str | None = None
    try:
        for _ in range(MAX_PAGES):
            kwargs = {**query, **({"NextPageToken": token} if token else {})}
            page = ask("GetCostAndUsage", lambda kw=kwargs: ce.get_cost_and_usage(**kw), _page)  # type: ignore[misc]
            groups += page[0]
            estimated = estimated or page[2]
            token = page[1]
            if not token:
                break
        else:
            raise BillGap(f"GetCostAndUsage: more than {MAX_PAGES} pages", file="Cost Explorer")
    except BadAnswer as exc:
        raise BillGap(
            f"GetCostAndUsage: bad answer ({exc.reason}); {sent[0]} request(s) made", file="Cost Explorer"
        ) from None
    except botocore.exceptions.NoCredentialsError:
        raise InputError(
            "no AWS credentials found (environment, --profile, ~/.aws, SSO or instance role)"
        ) from None
    except botocore.exceptions.ClientError as exc:
        err = exc.response.get("Error", {})
        raise BillGap(
            f"GetCostAndUsage refused ({err.get('Code', 'error')}: {err.get('Message', '')}); "
            f"{sent[0]} request(s) made",
            file="Cost Explorer",
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise BillGap(
            f"GetCostAndUsage failed ({exc}); {sent[0]} request(s) made", file="Cost Explorer"
        ) from None
    notes = [f"Cost Explorer: {sent[0]} request(s), ${REQUEST_USD * sent[0]} charged by AWS"]
    if estimated:
        notes.append("Cost Explorer marks this month as estimated: the bill is not final yet")
    return Bill(
        "cost-explorer",
        "Cost Explorer",
        month,
        normalise(groups, prices),
        requests=sent[0],
        notes=tuple(notes),
    )


def _page(answer: Any) -> tuple[list[dict[str, Any]], str | None, bool]:
    """The groups of one answer as bill rows, its next page token, whether AWS calls it estimated."""
    if not isinstance(answer, dict) or not isinstance(answer.get("ResultsByTime"), list):
        raise BadAnswer("ResultsByTime missing or not a list")
    rows, estimated = [], False
    for result in answer["ResultsByTime"]:
        if not isinstance(result, dict) or not isinstance(result.get("Groups", []), list):
            raise BadAnswer("ResultsByTime[].Groups not a list")
        estimated = estimated or bool(result.get("Estimated"))
        for g in result.get("Groups", []):
            keys = g.get("Keys") if isinstance(g, dict) else None
            if not isinstance(keys, list) or len(keys) != 2 or not all(isinstance(k, str) for k in keys):
                raise BadAnswer("Groups[].Keys is not [account, usage type]")
            metrics = g.get("Metrics")
            if not isinstance(metrics, dict):
                raise BadAnswer("Groups[].Metrics missing")
            cost, quantity = _amount(metrics, "UnblendedCost"), _amount(metrics, "UsageQuantity")
            if metrics["UnblendedCost"].get("Unit", "USD") != "USD":
                raise BadAnswer(f"UnblendedCost in {metrics['UnblendedCost'].get('Unit')}, not USD")
            rows.append(
                {
                    "account_id": keys[0],
                    "region": "",
                    "usage_type": keys[1],
                    "resource_id": "",
                    "product": "AmazonECR",
                    "kind": "usage",
                    "detail": "UnblendedCost",
                    "free": cost == 0 and quantity > 0,
                    "quantity": quantity,
                    "cost": cost,
                    "rows": 1,
                }
            )
    token = answer.get("NextPageToken")
    if token is not None and not isinstance(token, str):
        raise BadAnswer("NextPageToken not a string")
    return rows, token or None, estimated


def _amount(metrics: dict[str, Any], name: str) -> Decimal:
    m = metrics.get(name)
    try:
        value = Decimal(str(m["Amount"])) if isinstance(m, dict) else None
    except (InvalidOperation, ValueError, TypeError, LookupError):
        value = None
    if value is None or not value.is_finite():
        raise BadAnswer(f"{name}.Amount missing or not a number")
    return value
