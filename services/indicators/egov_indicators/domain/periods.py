"""Reporting periods (kỳ báo cáo): ``2026``, ``2026-H1``, ``2026-Q3``, ``2026-07``.

A period is a calendar range of whole days. Periods of one kind are ordered; ``previous`` steps
back one period of the same kind and ``same_period_last_year`` steps back a year (the two
comparisons the sector's reports make).
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

_PATTERN = re.compile(
    r"^(?P<year>[0-9]{4})(?:-(?:H(?P<h>[12])|Q(?P<q>[1-4])|(?P<m>0[1-9]|1[0-2])))?$"
)


class PeriodKind(StrEnum):
    """Period kinds, coarsest first; ``months`` is the length of one period."""

    YEAR = "year"
    HALF_YEAR = "half-year"
    QUARTER = "quarter"
    MONTH = "month"

    @property
    def months(self) -> int:
        return _MONTHS[self]

    def finer_than(self, other: PeriodKind) -> bool:
        return self.months < other.months


_MONTHS = {
    PeriodKind.YEAR: 12,
    PeriodKind.HALF_YEAR: 6,
    PeriodKind.QUARTER: 3,
    PeriodKind.MONTH: 1,
}


_FINER = {
    PeriodKind.YEAR: PeriodKind.HALF_YEAR,
    PeriodKind.HALF_YEAR: PeriodKind.QUARTER,
    PeriodKind.QUARTER: PeriodKind.MONTH,
}


class PeriodError(ValueError):
    """A period text that is not one of the four forms."""


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period. ``index`` is 1-based within the year (1 for a year)."""

    year: int
    kind: PeriodKind
    index: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9999:
            raise PeriodError(f"year out of range: {self.year}")
        per_year = 12 // self.kind.months
        if not 1 <= self.index <= per_year:
            raise PeriodError(f"{self.kind} index out of range: {self.index}")

    @classmethod
    def parse(cls, text: str) -> Period:
        m = _PATTERN.match(text.strip())
        if m is None:
            raise PeriodError(f"not a period (2026, 2026-H1, 2026-Q3, 2026-07): {text!r}")
        year = int(m["year"])
        if m["h"]:
            return cls(year, PeriodKind.HALF_YEAR, int(m["h"]))
        if m["q"]:
            return cls(year, PeriodKind.QUARTER, int(m["q"]))
        if m["m"]:
            return cls(year, PeriodKind.MONTH, int(m["m"]))
        return cls(year, PeriodKind.YEAR)

    def __str__(self) -> str:
        match self.kind:
            case PeriodKind.YEAR:
                return f"{self.year:04d}"
            case PeriodKind.HALF_YEAR:
                return f"{self.year:04d}-H{self.index}"
            case PeriodKind.QUARTER:
                return f"{self.year:04d}-Q{self.index}"
            case PeriodKind.MONTH:
                return f"{self.year:04d}-{self.index:02d}"

    @property
    def first_month(self) -> int:
        return (self.index - 1) * self.kind.months + 1

    @property
    def last_month(self) -> int:
        return self.first_month + self.kind.months - 1

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        return date(self.year, self.last_month, monthrange(self.year, self.last_month)[1])

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same kind just before this one (2026-Q1 → 2025-Q4)."""
        if self.index > 1:
            return Period(self.year, self.kind, self.index - 1)
        return Period(self.year - 1, self.kind, 12 // self.kind.months)

    def next(self) -> Period:
        if self.index < 12 // self.kind.months:
            return Period(self.year, self.kind, self.index + 1)
        return Period(self.year + 1, self.kind, 1)

    def same_period_last_year(self) -> Period:
        return Period(self.year - 1, self.kind, self.index)

    def contains(self, other: Period | date) -> bool:
        """Whether a date, or every day of another period, lies within this period."""
        if isinstance(other, Period):
            return self.start <= other.start and other.end <= self.end
        return self.start <= other <= self.end

    def is_closed_on(self, day: date) -> bool:
        """Whether the period has ended by the given day (the day after its last day)."""
        return day > self.end

    def elapsed_fraction(self, day: date) -> Decimal:
        """Share of the period's days elapsed at the end of ``day``, from 0 to 1 (linear)."""
        if day < self.start:
            return Decimal(0)
        if day >= self.end:
            return Decimal(1)
        return Decimal((day - self.start).days + 1) / Decimal(self.days)

    def parts(self) -> list[Period]:
        """The periods of the next finer kind that make up this one, in order: a year's halves,
        a half-year's quarters, a quarter's months; none for a month."""
        finer = _FINER.get(self.kind)
        if finer is None:
            return []
        per = self.kind.months // finer.months
        first = (self.index - 1) * per + 1
        return [Period(self.year, finer, i) for i in range(first, first + per)]

    def sub_periods(self) -> list[Period]:
        """Every shorter period within this one (halves, quarters and months of a year)."""
        out: list[Period] = []
        for part in self.parts():
            out.append(part)
            out.extend(part.sub_periods())
        return out

    def enclosing(self) -> list[Period]:
        """The longer periods that contain this one, shortest first (2026-07 → 2026-Q3,
        2026-H2, 2026)."""
        return [
            Period(self.year, kind, (self.first_month - 1) // kind.months + 1)
            for kind in (PeriodKind.QUARTER, PeriodKind.HALF_YEAR, PeriodKind.YEAR)
            if self.kind.finer_than(kind)
        ]

    def months(self) -> list[Period]:
        """The calendar months of this period, in order."""
        return [
            Period(self.year, PeriodKind.MONTH, m)
            for m in range(self.first_month, self.last_month + 1)
        ]


def parse_period(text: str) -> Period:
    return Period.parse(text)
