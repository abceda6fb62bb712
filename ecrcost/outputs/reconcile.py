"""A reconciliation as JSON, CSV, Markdown and the tables of the terminal and the HTML report
(docs/reconcile.md describes every field). Amounts: micro-dollars in JSON and CSV; cents in tables,
each column rounded so that it sums to its rounded total."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any, cast

import pandas as pd

from ..analysis.reconcile import EXPLANATIONS, Reconciliation
from ..analysis.reconcile.result import GROUP_KEY, MONEY, QUANTITIES
from ..core.money import CENT, ZERO, round_lines
from .machine import _md, dumps, number
from .tables import Spec

LABELS = {
    "not_in_inventory": "not in inventory",
    "quantity_differs": "quantity differs",
    "price_differs": "price differs",
    "free_tier": "free tier",
    "shared_transfer": "shared data transfer",
    "rounding": "rounding",
    "unexplained": "unexplained",
}
QUANTITY = Decimal("0.000001")  # GB and GB-month, as in every machine output


def usd(value: Decimal) -> str:
    """Dollars to the cent, the sign before the symbol (-$7.37)."""
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rec in cast("list[dict[str, Any]]", frame.to_dict(orient="records")):
        out.append(
            {k: number(v, QUANTITY if k in QUANTITIES else Decimal("0.000001")) for k, v in rec.items()}
        )
    return out


def to_dict(rec: Reconciliation) -> dict[str, Any]:
    t = rec.totals
    return {
        "period": str(rec.period),
        "currency": "USD",
        "source": number(rec.source),
        "estimated_usd": number(t["estimated_usd"]),
        "billed_usd": number(t["billed_usd"]),
        "difference_usd": number(t["difference_usd"]),
        "unexplained_usd": number(rec.unexplained_usd),
        "tolerance_usd": number(rec.tolerance_usd),
        "within_tolerance": rec.within_tolerance,
        "explanations": {e: number(v) for e, v in rec.explanations().items()},
        "usage_types": _records(rec.by_usage_type()),
        "repositories": _records(rec.by_repository()),
        "lines": _records(rec.groups),
        "parts": _records(rec.parts),
        "notes": list(rec.notes),
    }


def to_json(rec: Reconciliation) -> str:
    return dumps(to_dict(rec)) + "\n"


def to_csv(rec: Reconciliation) -> str:
    """One row per account, region, usage type and repository: quantities, USD, one column per
    explanation (they sum to ``difference_usd``)."""
    frame = rec.groups[[*GROUP_KEY, *QUANTITIES, *MONEY]].copy()
    for c in QUANTITIES:
        frame[c] = [f"{v:f}" for v in frame[c]]
    for c in MONEY:
        frame[c] = [f"{Decimal(v).quantize(Decimal('0.000001')):f}" for v in frame[c]]
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def summary_lines(rec: Reconciliation) -> list[str]:
    t = rec.totals
    verdict = "within" if rec.within_tolerance else "BEYOND"
    src = rec.source
    net = src.get("billed_net_usd")
    return [
        f"Estimated {usd(t['estimated_usd'])}, billed {usd(t['billed_usd'])} "
        f"({src['kind']}: {src['location']}), difference {usd(t['difference_usd'])}",
        f"Unexplained {usd(rec.unexplained_usd)}: {verdict} the tolerance of {usd(rec.tolerance_usd)}",
        f"Resource ids in the bill: {src['resource_ids']}",
        *([f"Net of discounts (net unblended cost): {usd(net)}"] if isinstance(net, Decimal) else []),
    ]


def _cents(frame: pd.DataFrame, columns: list[str]) -> dict[str, list[Decimal]]:
    return {c: round_lines(list(frame[c]), CENT) if len(frame) else [] for c in columns}


def explanations_spec(rec: Reconciliation) -> Spec:
    amounts = rec.explanations()
    cents = round_lines(list(amounts.values()), CENT)
    rows = [[LABELS[e], usd(v)] for e, v in zip(EXPLANATIONS, cents, strict=True)]
    total = sum(cents, ZERO)
    return Spec(
        f"Why the bill differs, {rec.period}",
        [("explanation", "text"), ("USD", "num")],
        rows,
        ["difference", usd(total)],
    )


def _spec(title: str, frame: pd.DataFrame, keys: list[tuple[str, str, str]]) -> Spec:
    """``keys``: (column, heading, kind) of the rows' names."""
    money = ["estimated_usd", "billed_usd", "difference_usd", "unexplained_usd"]
    cents = _cents(frame, money)
    rows = []
    for i, rec in enumerate(frame.to_dict(orient="records")):
        name = [str(rec[k]) or "(not itemised by the bill)" for k, _, _ in keys]
        explained = ", ".join(
            LABELS[e] for e in EXPLANATIONS if e != "unexplained" and abs(rec[f"{e}_usd"]) >= CENT / 2
        )
        quantities = [f"{rec[q]:,.3f}" for q in QUANTITIES if q in rec]
        rows.append([*name, *quantities, *(usd(cents[c][i]) for c in money), explained or "-"])
    shown = [q for q in QUANTITIES if q in frame.columns]
    footer = ["total", *[""] * (len(keys) - 1 + len(shown)), *(usd(sum(cents[c], ZERO)) for c in money), ""]
    columns = [
        *((h, kind) for _, h, kind in keys),
        *((("est. qty", "num"), ("billed qty", "num")) if shown else ()),
        ("estimated", "num"),
        ("billed", "num"),
        ("difference", "num"),
        ("unexplained", "num"),
        ("explanations", "text"),
    ]
    return Spec(title, columns, rows, footer)


def usage_type_spec(rec: Reconciliation) -> Spec:
    return _spec(
        f"Per usage type, {rec.period}",
        rec.by_usage_type(),
        [
            ("account_id", "account", "text"),
            ("region", "region", "text"),
            ("usage_type", "usage type", "name"),
        ],
    )


def repository_spec(rec: Reconciliation) -> Spec:
    return _spec(
        f"Per repository, {rec.period}",
        rec.by_repository(),
        [
            ("account_id", "account", "text"),
            ("region", "region", "text"),
            ("repository", "repository", "name"),
        ],
    )


def specs(rec: Reconciliation) -> list[Spec]:
    return [explanations_spec(rec), usage_type_spec(rec), repository_spec(rec)]


def to_markdown(rec: Reconciliation) -> str:
    lines = [f"# ECR bill reconciliation, {rec.period}", "", *(f"- {_md(s)}" for s in summary_lines(rec))]
    for spec in specs(rec):
        lines += [
            "",
            f"## {spec.title}",
            "",
            "| " + " | ".join(h for h, _ in spec.columns) + " |",
            "|" + "".join("---:|" if k == "num" else "---|" for _, k in spec.columns),
        ]
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in spec.rows]
        if spec.footer:
            lines.append("| " + " | ".join(f"**{_md(c)}**" if c else "" for c in spec.footer) + " |")
    if rec.notes:
        lines += ["", *[f"- {_md(n)}" for n in rec.notes]]
    return "\n".join(lines) + "\n"
