"""Reporting periods the console asks the report API for: a month (``2026-07``), a quarter
(``2026-Q3``) or a year (``2026``), the one before it, and the twelve months of a trend. The
API decides the dates of each period (its cut-off scheme); the console only names them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_LABEL = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None = None
    quarter: int | None = None

    @property
    def kind(self) -> str:
        return "month" if self.month else "quarter" if self.quarter else "year"

    @property
    def label(self) -> str:
        if self.month:
            return f"{self.year}-{self.month:02d}"
        if self.quarter:
            return f"{self.year}-Q{self.quarter}"
        return str(self.year)

    @property
    def name(self) -> str:
        """``Tháng 07/2026``, ``Quý III/2026``, ``Năm 2026``."""
        if self.month:
            return f"Tháng {self.month:02d}/{self.year}"
        if self.quarter:
            return f"Quý {ROMAN[self.quarter]}/{self.year}"
        return f"Năm {self.year}"

    @property
    def last_month(self) -> Period:
        if self.month:
            return self
        return Period(self.year, 3 * self.quarter if self.quarter else 12)

    def previous(self) -> Period:
        if self.month:
            return Period(self.year - (self.month == 1), month=(self.month - 2) % 12 + 1)
        if self.quarter:
            return Period(self.year - (self.quarter == 1), quarter=(self.quarter - 2) % 4 + 1)
        return Period(self.year - 1)

    def months_up_to(self, count: int = 12) -> list[Period]:
        """The ``count`` months ending with this period's last month, oldest first."""
        months = [self.last_month]
        while len(months) < count:
            months.append(months[-1].previous())
        return months[::-1]


def parse(label: str) -> Period:
    m = _LABEL.match(label.strip())
    if not m:
        raise ValueError(f"kỳ không hợp lệ {label!r}: dùng 2026, 2026-Q3 hoặc 2026-07")
    year = int(m.group(1))
    if m.group(2):
        return Period(year, month=int(m.group(2)))
    if m.group(3):
        return Period(year, quarter=int(m.group(3)))
    return Period(year)


def current(kind: str, today: date) -> Period:
    """The period of ``kind`` (month, quarter, year) that contains ``today``."""
    if kind == "year":
        return Period(today.year)
    if kind == "quarter":
        return Period(today.year, quarter=(today.month - 1) // 3 + 1)
    return Period(today.year, month=today.month)
