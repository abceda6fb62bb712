"""``ecrcost diff`` rendered: a rich table, JSON (exact number literals), CSV and Markdown."""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol, cast

from rich.table import Table

from ..app.diff import Difference
from ..core.money import CENT
from .machine import dumps, markdown_table, number
from .tables import CHARGE_LABELS, Spec, usd
from .terminal import rich_table


class ChangeRow(Protocol):
    """A row of ``Difference.changes``."""

    registry: str
    region: str
    repository: str
    charge: str
    a_usd: Decimal
    b_usd: Decimal
    change_usd: Decimal


def _label(charge: str) -> str:
    return CHARGE_LABELS.get(f"{charge}_usd", charge)


def spec(d: Difference) -> Spec:
    rows = [
        [r.repository + (" (public)" if r.registry == "public" else ""), r.region, _label(r.charge),
         usd(r.a_usd), usd(r.b_usd), _signed(r.change_usd)]
        for r in cast("Iterable[ChangeRow]", d.changes.itertuples())
    ]  # fmt: skip
    columns = [("Repository", "name"), ("Region", "text"), ("Charge", "text")]
    columns += [("A", "num"), ("B", "num"), ("Change", "num")]
    footer = ["Total", "", "", usd(d.total_a), usd(d.total_b), _signed(d.total_b - d.total_a)]
    a, b = (f"{e.assumptions.get('source') or 'input'}, {e.period}" for e in (d.a, d.b))
    title = f"What changes from A ({a}) to B ({b})"
    return Spec(title, columns, rows, footer)


def _signed(value: Any) -> str:
    return ("+" if value > 0 else "-" if value < 0 else "") + usd(abs(value))


def table(d: Difference) -> Table:
    t = rich_table(spec(d))
    if not len(d.changes):
        t.caption = "No repository's cost changes."
    return t


def to_json(d: Difference) -> str:
    doc = {
        "a": {
            "source": d.a.assumptions.get("source"),
            "period": str(d.a.period),
            "total_usd": number(d.total_a),
        },
        "b": {
            "source": d.b.assumptions.get("source"),
            "period": str(d.b.period),
            "total_usd": number(d.total_b),
        },
        "change_usd": number(d.total_b - d.total_a),
        "changes": [{k: number(v) for k, v in rec.items()} for rec in d.changes.to_dict(orient="records")],
    }
    return dumps(doc) + "\n"


def to_csv(d: Difference) -> str:
    buf = io.StringIO()
    frame = d.changes.copy()
    for c in ("a_usd", "b_usd", "change_usd"):
        frame[c] = [str(v.quantize(CENT)) for v in frame[c]]
    frame.to_csv(buf, index=False)
    return buf.getvalue()


def to_markdown(d: Difference) -> str:
    s = spec(d)
    frame_rows = [*s.rows, s.footer or []]
    import pandas as pd

    return f"## {s.title}\n\n" + markdown_table(pd.DataFrame(frame_rows, columns=[h for h, _ in s.columns]))
