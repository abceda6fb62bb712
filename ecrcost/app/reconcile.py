"""Reconcile: an estimate held against the bill of its month (a CUR 2.0 or FOCUS export, local or in
S3, or Cost Explorer), every dollar of difference explained or shown as unexplained."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..analysis.reconcile import Reconciliation, Tolerance
from ..analysis.reconcile import reconcile as match_bill
from ..core.errors import InputError
from ..core.estimate import Estimate
from ..core.period import Month
from ..core.pricebook import PriceBook
from ..sources.bill.frame import Bill
from .steps import Step, quiet

SOURCES = ("cur", "focus", "cost-explorer")
EXIT_BEYOND_TOLERANCE = 4


def read_bill(
    source: str, location: str | Path | None, month: Month, prices: PriceBook, profile: str | None = None
) -> Bill:
    """The bill's ECR rows of ``month``: ``source`` cur or focus (``location``: a file, a folder of
    parts or ``s3://bucket/prefix``), or cost-explorer (no location; $0.01 a request)."""
    if source == "cost-explorer":
        from ..sources.bill.costexplorer import read_cost_explorer

        return read_cost_explorer(month, prices, profile)
    if source not in SOURCES or location is None:
        raise InputError(
            f"a bill is one of {', '.join(SOURCES)} (cur and focus with a location)", field="source"
        )
    from ..sources.bill.exports import read_export

    return read_export(str(location), source, month, prices, profile)


def tolerance(text: str | Decimal | None) -> Tolerance:
    """``None``: 1 % of the billed ECR amount or $1, whichever is larger; ``"2.50"``: USD; ``"2%"``: a
    percentage of the billed amount."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return Tolerance()
    raw = str(text).strip()
    percent = raw.endswith("%")
    try:
        value = Decimal(raw.removesuffix("%").strip().removeprefix("$"))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise InputError(f"'{raw}' is not an amount in USD (2.50) or a percentage (2%)", field="tolerance")
    return Tolerance(percent=value) if percent else Tolerance(usd=value)


def reconcile(
    est: Estimate,
    bill: Bill | None = None,
    *,
    cur: str | Path | None = None,
    focus: str | Path | None = None,
    cost_explorer: bool = False,
    tolerance_usd: str | Decimal | None = None,
    profile: str | None = None,
    step: Step = quiet,
) -> Reconciliation:
    """``est`` held against one bill: a :class:`Bill` already read, or ``cur=``/``focus=`` (file,
    folder, ``s3://``) or ``cost_explorer=True``. ``tolerance_usd``: see :func:`tolerance`."""
    limit = tolerance(tolerance_usd)
    if bill is None:
        chosen: list[tuple[str, str | Path | None]] = [
            (s, loc) for s, loc in (("cur", cur), ("focus", focus)) if loc is not None
        ]
        chosen += [("cost-explorer", None)] if cost_explorer else []
        if len(chosen) != 1:
            raise InputError("give exactly one bill: cur, focus or cost_explorer", field="source")
        with step("Reading the bill"):
            bill = read_bill(chosen[0][0], chosen[0][1], est.period, est.options.prices, profile)
    if bill.period != est.period:
        raise InputError(f"the bill is for {bill.period}, the estimate for {est.period}", field="month")
    with step("Reconciling"):
        return match_bill(est, bill, limit)


def reconcile_with(
    est: Estimate, bill: str | Path, tolerance_usd: str | Decimal | None = None
) -> Reconciliation:
    """``est`` against ``bill``: ``"cost-explorer"``, or a CUR 2.0 or FOCUS export (file, folder,
    ``s3://``) told apart by its columns (``report --bill``)."""
    if str(bill) == "cost-explorer":
        return reconcile(est, cost_explorer=True, tolerance_usd=tolerance_usd)
    from ..sources.bill.exports import read_export

    read = read_export(str(bill), "auto", est.period, est.options.prices)
    return reconcile(est, read, tolerance_usd=tolerance_usd)
