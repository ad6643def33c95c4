"""Reporting completeness and timeliness (DHIS2's "reporting rates").

A data set (bộ báo cáo) is the indicators a unit must report for a period kind, the units
expected to report it and when each period is due: by default the 20th of the month after the
period ends (``due_day`` and ``due_months_after`` are set per data set; a day past the month's
end is its last day). A unit has reported a period when it has an accepted submission for that
period carrying at least one of the data set's indicators; it reported on time when the first
such submission was sent on or before the due date (the day in Vietnam).

For a unit and a period, every expected unit in its subtree (the unit itself and the units
below it on the period's last day) counts: expected, received, received on time, late, missing;
rate = received / expected × 100 and on-time rate = received on time / expected × 100, half-up
to 2 decimals (None when nothing is expected); the missing units are listed.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from egov_units import Hierarchy

from egov_indicators.domain.achievement import round_half_up
from egov_indicators.domain.periods import Period, PeriodKind


@dataclass(frozen=True)
class DataSet:
    """The indicators a unit must report for a period kind, and who must report them."""

    code: str
    name_vi: str
    period_kind: PeriodKind
    indicators: tuple[str, ...]
    units: tuple[str, ...]  # the units expected to report
    due_day: int = 20
    due_months_after: int = 1
    remind_days_before: int = 3
    first_period: Period | None = None  # reports are due from this period on (None: always)

    def __post_init__(self) -> None:
        if not 1 <= self.due_day <= 31:
            raise ValueError(f"data set {self.code}: due_day must be 1..31, not {self.due_day}")
        if not 0 <= self.due_months_after <= 12:
            raise ValueError(f"data set {self.code}: due_months_after must be 0..12")
        if self.remind_days_before < 0:
            raise ValueError(f"data set {self.code}: remind_days_before must be ≥ 0")
        if not self.indicators:
            raise ValueError(f"data set {self.code}: no indicators")
        if self.first_period is not None and self.first_period.kind != self.period_kind:
            raise ValueError(f"data set {self.code}: first_period must be a {self.period_kind}")

    def due_date(self, period: Period) -> date:
        """The day a period's report is due: ``due_day`` of the month ``due_months_after``
        months after the period's last month (2026-07 → 20 August 2026; a quarter Q3 → 20
        October). A day beyond the month's end is its last day."""
        months = period.year * 12 + (period.last_month - 1) + self.due_months_after
        year, month = divmod(months, 12)
        month += 1
        return date(year, month, min(self.due_day, monthrange(year, month)[1]))

    def remind_on(self, period: Period) -> date:
        """The first day a reminder before the due date goes out."""
        return date.fromordinal(self.due_date(period).toordinal() - self.remind_days_before)


class UnitStatus(StrEnum):
    """on-time — đúng hạn; late — muộn; missing — chưa báo cáo."""

    ON_TIME = "on-time"
    LATE = "late"
    MISSING = "missing"


def status_of(sent_on: date | None, due: date) -> UnitStatus:
    if sent_on is None:
        return UnitStatus.MISSING
    return UnitStatus.ON_TIME if sent_on <= due else UnitStatus.LATE


@dataclass(frozen=True)
class ReportingRate:
    """Completeness and timeliness of a unit's subtree for a data set and period."""

    unit_code: str
    expected: int
    received: int
    on_time: int
    late: int
    missing: int
    missing_units: tuple[str, ...]

    @property
    def rate(self) -> Decimal | None:
        return _pct(self.received, self.expected)

    @property
    def rate_on_time(self) -> Decimal | None:
        return _pct(self.on_time, self.expected)


def _pct(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return round_half_up(Decimal(part) / Decimal(whole) * 100)


def reporting_rates(
    data_set: DataSet,
    period: Period,
    sent_on: Mapping[str, date],
    hierarchy: Hierarchy,
    units: Iterable[str],
) -> list[ReportingRate]:
    """Completeness and timeliness for each of ``units`` (each counting its whole subtree on
    the period's last day). ``sent_on``: the day in Vietnam each unit first reported the data
    set for the period (units that have not reported are absent)."""
    due = data_set.due_date(period)
    expected = set(data_set.units)
    out = []
    for unit in units:
        subtree = [u for u in hierarchy.descendants(unit, period.end) if u in expected]
        statuses = {u: status_of(sent_on.get(u), due) for u in subtree}
        counts = {s: sum(1 for v in statuses.values() if v is s) for s in UnitStatus}
        out.append(
            ReportingRate(
                unit_code=unit,
                expected=len(subtree),
                received=counts[UnitStatus.ON_TIME] + counts[UnitStatus.LATE],
                on_time=counts[UnitStatus.ON_TIME],
                late=counts[UnitStatus.LATE],
                missing=counts[UnitStatus.MISSING],
                missing_units=tuple(
                    sorted(u for u, s in statuses.items() if s is UnitStatus.MISSING)
                ),
            )
        )
    return out


class NoticeKind(StrEnum):
    DUE_SOON = "due-soon"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Notice:
    """A reminder before the due date or a notice once it has passed, for one unit."""

    kind: NoticeKind
    data_set: str
    unit_code: str
    period: Period
    due_date: date


def notices_due(
    data_set: DataSet,
    periods: Iterable[Period],
    sent_on: Mapping[tuple[str, str], date],
    already: set[tuple[str, str, str]],
    today: date,
) -> list[Notice]:
    """The notices to send on ``today`` for the given periods of a data set: ``due-soon`` from
    ``remind_days_before`` days before the due date up to it, ``overdue`` from the day after it,
    to every expected unit that has not reported; ``sent_on`` is keyed by (unit, period) and
    ``already`` holds the (kind, unit, period) sent before, so each goes out once."""
    out = []
    for period in periods:
        due = data_set.due_date(period)
        if today < data_set.remind_on(period):
            continue
        kind = NoticeKind.DUE_SOON if today <= due else NoticeKind.OVERDUE
        for unit in sorted(data_set.units):
            if (unit, str(period)) in sent_on:
                continue
            if (str(kind), unit, str(period)) in already:
                continue
            out.append(Notice(kind, data_set.code, unit, period, due))
    return out


def periods_to_watch(data_set: DataSet, today: date, lookback_days: int = 31) -> list[Period]:
    """The periods of a data set whose reminder window has opened by ``today`` and whose due
    date is no more than ``lookback_days`` behind it (older gaps show in the reporting rates,
    not as new notices); none before the data set's ``first_period``."""
    # start from the period containing today and step back while the due date is recent
    current = _period_of(data_set.period_kind, today)
    out = []
    period = current
    for _ in range(400):
        due = data_set.due_date(period)
        if (today - due).days > lookback_days:
            break
        if data_set.first_period is not None and period < data_set.first_period:
            break
        if today >= data_set.remind_on(period):
            out.append(period)
        period = period.previous()
    return sorted(out)


def _period_of(kind: PeriodKind, day: date) -> Period:
    return Period(day.year, kind, (day.month - 1) // kind.months + 1)


def data_set_of(data: Mapping[str, Any]) -> DataSet:
    """A data set from its JSON (as the API and the store state it)."""
    return DataSet(
        code=data["code"],
        name_vi=data["name_vi"],
        period_kind=PeriodKind(data["period_kind"]),
        indicators=tuple(data["indicators"]),
        units=tuple(data["units"]),
        due_day=data["due_day"],
        due_months_after=data["due_months_after"],
        remind_days_before=data["remind_days_before"],
        first_period=Period.parse(data["first_period"]) if data.get("first_period") else None,
    )


def data_set_json(d: DataSet) -> dict[str, Any]:
    return {
        "code": d.code,
        "name_vi": d.name_vi,
        "period_kind": str(d.period_kind),
        "indicators": list(d.indicators),
        "units": list(d.units),
        "due_day": d.due_day,
        "due_months_after": d.due_months_after,
        "remind_days_before": d.remind_days_before,
        "first_period": str(d.first_period) if d.first_period else None,
    }
