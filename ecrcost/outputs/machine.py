"""Machine-readable renderings of an Estimate: JSON, CSV and Markdown (docs/formats.md)."""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import cache
from typing import Any, cast

import pandas as pd

from ..core.errors import one_line
from ..core.estimate import PARTS, Estimate
from ..core.money import CONTEXT, MICRO
from .json_columns import ColumnList
from .rows import RepositoryRow

REPOSITORY_KEYS = [
    "account_id",
    "region",
    "registry",
    "repository",
    "storage_gb_month",
    "archive_gb_month",
    "archive_restored_gb",
    "storage_usd",
    "internet_out_gb",
    "cross_region_out_gb",
    "same_region_out_gb",
    "transfer_usd",
    "total_usd",
    *PARTS,
]
QUANTITY = Decimal("0.000001")  # GB and GB-month: six decimals, a millionth of a GB (docs/formats.md)
UNIT_PRICE = Decimal("0.000000001")  # list prices to nine decimals: some are finer than a micro-dollar


class Number:
    """A Decimal that JSON output writes as a number literal with every one of its decimals."""

    def __init__(self, value: Decimal, quantum: Decimal = MICRO) -> None:
        self.text = format(CONTEXT.quantize(value, quantum), "f")  # 0.000000, never 0E-9


def number(value: Any, quantum: Decimal = MICRO) -> Any:
    """A Decimal as an exact JSON number; lists and objects of them, each; anything else as it is."""
    if isinstance(value, Decimal):
        return Number(value, quantum)
    if isinstance(value, list | tuple):
        return [number(v, quantum) for v in value]
    if isinstance(value, dict):
        return {k: number(v, quantum) for k, v in value.items()}
    return value


def dumps(doc: Any, end: str = "") -> str:
    """JSON with Decimal amounts as exact number literals (``12.500000``), never via binary floats.

    The text of ``json.dumps(doc, indent=2)``, written faster: ``json`` indents in pure Python (one
    call per value), so a list of a million digests or of flat records (a lifecycle's per-image lists)
    is written one C-encoded line per item instead, each indented by the separator. ``end`` follows
    the text (a final newline). A :class:`~ecrcost.outputs.json_columns.ColumnList` in ``doc`` is
    written as the list it stands for; :func:`chunks` writes it without joining the whole text."""
    out = _pieces(doc, end)
    if all(isinstance(piece, str) for piece in out):
        return "".join(cast("list[str]", out))
    return b"".join(_chunks(out)).decode("utf-8")


def chunks(doc: Any, end: str = "") -> Iterator[bytes | memoryview]:
    """The text :func:`dumps` writes, as UTF-8 a piece at a time: each
    :class:`~ecrcost.outputs.json_columns.ColumnList` (a lifecycle's per-image lists) a few thousand
    items at a time, the text between them whole."""
    return _chunks(_pieces(doc, end))


def _pieces(doc: Any, end: str) -> list[str | tuple[ColumnList, int]]:
    out: list[str | tuple[ColumnList, int]] = []
    _write(doc, 0, out)
    out.append(end)  # here, not added to the text after: a lifecycle's text is hundreds of MB
    return out


def _chunks(out: list[str | tuple[ColumnList, int]]) -> Iterator[bytes | memoryview]:
    text: list[str] = []
    for piece in out:
        if isinstance(piece, str):
            text.append(piece)
            continue
        yield "".join(text).encode("utf-8")
        text = []
        listed, level = piece
        yield from listed.chunks(level)
    yield "".join(text).encode("utf-8")


_SCALARS = (str, int, float, Number)


def _write(obj: Any, level: int, out: list[str | tuple[ColumnList, int]]) -> None:
    if isinstance(obj, ColumnList):
        out.append((obj, level))
    elif isinstance(obj, dict):
        if not obj:
            out.append("{}")
        elif all(v is None or isinstance(v, _SCALARS) for v in obj.values()):
            out.append(_flat(obj, level, "{}"))
        else:
            inner = "\n" + "  " * (level + 1)
            out.append("{")
            for i, (key, value) in enumerate(obj.items()):
                out.append(f"{',' if i else ''}{inner}{_key(key)}: ")
                _write(value, level + 1, out)
            out.append("\n" + "  " * level + "}")
    elif isinstance(obj, list | tuple):
        if not obj:
            out.append("[]")
        elif all(v is None or isinstance(v, _SCALARS) for v in obj):
            out.append(_flat(obj, level, "[]"))
        else:
            inner = "\n" + "  " * (level + 1)
            out.append("[")
            for i, value in enumerate(obj):
                out.append(f"{',' if i else ''}{inner}")
                _write(value, level + 1, out)
            out.append("\n" + "  " * level + "]")
    else:
        out.append(_flat([obj], level, "")[1:-1] if obj is not None else "null")


def _flat(obj: dict[Any, Any] | list[Any] | tuple[Any, ...], level: int, brackets: str) -> str:
    """A list or object of scalars, one item per line, by the C encoder (the separator carries the
    newline and indent); Decimal literals go in through placeholders."""
    encoder = _encoder(level, threading.get_ident())  # its placeholders are per thread
    text = encoder.encode(obj)
    if encoder.literals:
        literals = encoder.literals
        text = re.sub(r'"\\u0000(\d+)\\u0000"', lambda m: literals[int(m.group(1))], text)
        encoder.literals = []
    if not brackets:
        return text
    return brackets[0] + encoder.inner + text[1:-1] + "\n" + "  " * level + brackets[1]


class _Encoder(json.JSONEncoder):
    """The C encoder with one item per line at one indent level; a Decimal amount becomes a
    placeholder string, put back as its literal by :func:`_flat`."""

    def __init__(self, level: int) -> None:
        self.inner = "\n" + "  " * (level + 1)
        self.literals: list[str] = []
        super().__init__(separators=("," + self.inner, ": "))

    def default(self, o: Any) -> Any:
        if isinstance(o, Number):
            self.literals.append(o.text)
            return f"\x00{len(self.literals) - 1}\x00"
        raise TypeError(f"{type(o).__name__} is not JSON serializable")


@cache
def _encoder(level: int, thread: int) -> _Encoder:
    return _Encoder(level)


def _key(key: Any) -> str:
    """An object key as ``json`` writes it (text; numbers, booleans and null as their JSON text)."""
    if isinstance(key, str):
        return json.dumps(key)
    if key is True or key is False or key is None:
        return json.dumps(json.dumps(key))
    if isinstance(key, int | float):
        return json.dumps(json.dumps(key) if isinstance(key, float) else str(int(key)))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def tier(value: Any) -> Any:
    """A price tier as JSON: its number as a number (``1``); ``free`` and ``""`` as they are."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _records(frame: pd.DataFrame, money: set[str]) -> list[dict[str, Any]]:
    return [
        {k: tier(v) if k == "tier" else number(v, MICRO if k in money else QUANTITY) for k, v in rec.items()}
        for rec in cast("list[dict[str, Any]]", frame.to_dict(orient="records"))
    ]


def to_dict(est: Estimate) -> dict[str, Any]:
    repos = est.rounded()
    totals = est.totals()
    money = {
        "storage_usd",
        "transfer_usd",
        "total_usd",
        "usd",
        "nat_gateway_usd",
        "interface_endpoint_usd",
        *PARTS,
    }
    return {
        "period": str(est.period),
        "currency": est.currency,
        "total_usd": number(totals["total_usd"]),
        "storage_usd": number(totals["storage_usd"]),
        "transfer_usd": number(totals["transfer_usd"]),
        "charges": {p: number(totals[p]) for p in PARTS},
        "repositories": _records(repos[REPOSITORY_KEYS], money),
        "internet_tiers": _records(est.tiers().astype(object).where(est.tiers().notna(), None), money),
        "network": {
            "note": "NAT gateway / interface endpoint processing, billed under Amazon VPC, not ECR; "
            "not included in total_usd",
            "total_usd": number(est.network_usd),
            "repositories": _records(est.network, money),
        },
        "assumptions": number(est.assumptions),
        "notes": list(est.notes),
        "line_items": line_items(est),
    }


def line_items(est: Estimate) -> list[dict[str, Any]]:
    """The bill's lines in the ECR total, each cost to the micro-dollar (largest remainder within its
    repository and charge), so the items sum to ``total_usd`` exactly."""
    lines = est.billed_lines(MICRO)
    return [
        {
            "account_id": r.account_id,
            "region": r.region,
            "registry": r.registry,
            "repository": r.repository,
            "charge": r.charge,
            "usage_type": r.usage_type,
            "pricing_unit": r.pricing_unit,
            "tier": tier(r.tier),
            "destination_region": r.destination_region,
            "quantity": number(r.quantity, QUANTITY),
            "unit_price_usd": number(r.unit_price, UNIT_PRICE),
            "cost_usd": number(r.cost_rounded),
        }
        for r in lines.itertuples(index=False)
    ]


def to_json(est: Estimate) -> str:
    return dumps(to_dict(est)) + "\n"


def to_csv(est: Estimate) -> str:
    repos = est.rounded()[REPOSITORY_KEYS]
    buf = io.StringIO()
    repos.to_csv(buf, index=False)
    return buf.getvalue()


def to_markdown(est: Estimate, quantum: Decimal = Decimal("0.01")) -> str:
    repos = est.rounded(quantum)
    totals = est.totals(quantum)
    lines = [
        f"# ECR cost estimate, {est.period}",
        "",
        f"**Total: ${totals['total_usd']:,}** (storage ${totals['storage_usd']:,}, "
        f"transfer ${totals['transfer_usd']:,})",
        "",
        "| account | region | repository | storage GB-month | storage USD | internet GB | cross-region GB "
        "| transfer USD | total USD |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in cast("Iterable[RepositoryRow]", repos.itertuples()):
        lines.append(
            f"| {r.account_id} | {r.region} | {_md(r.repository)} | {r.storage_gb_month:,.3f} | "
            f"{r.storage_usd:,} | {r.internet_out_gb:,} | {r.cross_region_out_gb:,} | {r.transfer_usd:,} | "
            f"{r.total_usd:,} |"
        )
    lines.append(
        f"| | | **total** | | **{totals['storage_usd']:,}** | | | **{totals['transfer_usd']:,}** | "
        f"**{totals['total_usd']:,}** |"
    )
    if est.notes:
        lines += ["", *[f"- {_md(n)}" for n in est.notes]]
    return "\n".join(lines) + "\n"


def markdown_table(frame: pd.DataFrame) -> str:
    """Any DataFrame as a GitHub-flavoured Markdown table."""
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(_md(str(v)) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"


def _md(text: str) -> str:
    """A cell of text from an input: on one line, control characters escaped, pipes kept in the cell."""
    return one_line(text).replace("|", "\\|")
