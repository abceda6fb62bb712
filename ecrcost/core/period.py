"""Billing periods: calendar months in UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import InputError

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


@dataclass(frozen=True)
class Month:
    """A calendar month in UTC, the unit of every bill."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str | None) -> Month:
        """``YYYY-MM``; ``None`` means the current month (UTC)."""
        if text is None:
            now = datetime.now(UTC)
            return cls(now.year, now.month)
        m = _MONTH.match(text.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise InputError(f"month must be YYYY-MM, got '{text}'", column="--month")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant of the next month (exclusive end)."""
        if self.month == 12:
            return datetime(self.year + 1, 1, 1, tzinfo=UTC)
        return datetime(self.year, self.month + 1, 1, tzinfo=UTC)

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    @property
    def hours(self) -> int:
        """Hours in the month: 744, 720, 696 or 672 (never a fixed 730)."""
        return self.seconds // 3600

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
