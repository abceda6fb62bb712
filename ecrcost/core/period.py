"""Billing periods: calendar months in UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from .errors import InputError

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in UTC, the unit of every bill."""

    year: int
    month: int

    @classmethod
    def of(cls, value: Month | str | date | None = None) -> Month:
        """A month from ``YYYY-MM`` text, a ``date``/``datetime`` (its month, in UTC) or a Month;
        ``None`` is the current month (UTC)."""
        if isinstance(value, Month):
            return value
        if value is None:
            value = datetime.now(UTC)
        if isinstance(value, datetime):
            value = value.astimezone(UTC) if value.tzinfo else value
            return cls(value.year, value.month)
        if isinstance(value, date):
            return cls(value.year, value.month)
        return cls.parse(value)

    @classmethod
    def parse(cls, text: str | None) -> Month:
        """``YYYY-MM``; ``None`` means the current month (UTC)."""
        if text is None:
            return cls.of(None)
        m = _MONTH.match(str(text).strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise InputError(f"month must be YYYY-MM, got '{text}'", field="month")
        return cls(int(m.group(1)), int(m.group(2)))

    def shift(self, by: int) -> Month:
        """The month ``by`` months after (negative: before) this one."""
        index = self.year * 12 + self.month - 1 + by
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant of the next month (exclusive end)."""
        return self.shift(1).start

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    @property
    def hours(self) -> int:
        """Hours in the month: 744, 720, 696 or 672 (never a fixed 730)."""
        return self.seconds // 3600

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
