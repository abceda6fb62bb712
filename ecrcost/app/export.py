"""The monthly finance export: an estimate as FOCUS 1.2 rows or one spreadsheet row per repository,
amounts to the cent summing exactly to the estimate's total."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from ..core.errors import InputError
from ..core.estimate import Estimate
from ..core.money import ZERO
from ..core.usage import Usage
from ..outputs.export import encode, focus, simple

FORMATS = ("focus", "simple")


@dataclass(frozen=True)
class Export:
    """The export's rows (text columns, exact Decimal amounts) and how to type them in a file."""

    frame: pd.DataFrame
    decimals: list[str]
    timestamps: list[str]

    def __repr__(self) -> str:
        return f"<Export: {len(self.frame):,} rows × {len(self.frame.columns)} columns>"

    def csv(self) -> str:
        return encode.csv_text(self.frame, self.decimals)

    def file_bytes(self, path: Path) -> bytes:
        """CSV, or Parquet when ``path`` ends in ``.parquet``."""
        if path.suffix.lower() == ".parquet":
            return encode.parquet_bytes(self.frame, self.decimals, self.timestamps)
        return self.csv().encode("utf-8")


def export(
    est: Estimate,
    usage: Usage,
    format: str = "focus",
    *,
    account_id: str = "",
    team_tag: str = "team",
    namespace_depth: int = 1,
    discount_percent: Decimal | str = ZERO,
) -> Export:
    """``est`` (priced from ``usage``) in the ``focus`` or ``simple`` layout. ``account_id`` fills
    repositories whose account the input does not name; ``discount_percent`` (FOCUS only) lowers
    billed, effective and contracted cost; ``team_tag`` names the repository tag of the team (simple)."""
    if format not in FORMATS:
        raise InputError(f"'{format}' is not one of {', '.join(FORMATS)}", field="format")
    if account_id and not re.fullmatch(r"[0-9]{12}", account_id):
        raise InputError(f"'{account_id}' is not a 12-digit account id", field="account_id")
    percent = percentage(discount_percent, "discount_percent")
    if percent and format != "focus":
        raise InputError("a discount applies to the FOCUS layout only", field="discount_percent")
    if format == "focus":
        frame = focus.focus_frame(est, usage, account_id, namespace_depth, percent)
        return Export(frame, focus.DECIMALS, focus.TIMESTAMPS)
    return Export(simple.simple_frame(est, usage, team_tag, namespace_depth), simple.DECIMALS, [])


def percentage(value: Decimal | str, field: str) -> Decimal:
    """A percentage from 0 up to (not including) 100."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or not 0 <= number < 100:
        raise InputError(f"'{value}' is not a percentage from 0 up to 100", field=field)
    return number
