"""The Vietnamese working-day calendar: public holidays, swapped days, office hours.

Holidays come from the ``holidays`` library's Vietnam calendar (lunar Tết, observed and
substituted days, and the weekend days the government turns into working days); a province's
own announcements are :class:`CalendarException` data. Working time elapses only inside office
hours (default 07:30–11:30 and 13:00–17:00, 8 hours a day) in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_SCAN_DAYS = 3700  # ~10 years: no deadline scans further


class ExceptionKind(StrEnum):
    DAY_OFF = "day-off"
    WORKING_DAY = "working-day"


@dataclass(frozen=True)
class CalendarException:
    """A day a province declares off, or a working day (make-up day), beyond the national rules."""

    day: date
    kind: ExceptionKind
    note: str = ""
    entered_by: str = ""


@dataclass(frozen=True)
class OfficeHours:
    """Office periods of one working day, in local time, in order and not overlapping."""

    periods: tuple[tuple[time, time], ...] = (
        (time(7, 30), time(11, 30)),
        (time(13, 0), time(17, 0)),
    )

    def __post_init__(self) -> None:
        previous = time(0, 0)
        for start, end in self.periods:
            if not previous <= start < end:
                raise ValueError("office periods must be ordered, positive and not overlap")
            previous = end

    @property
    def minutes_per_day(self) -> int:
        return sum(_minutes(e) - _minutes(s) for s, e in self.periods)

    @property
    def opening(self) -> time:
        return self.periods[0][0]

    @property
    def closing(self) -> time:
        return self.periods[-1][1]


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    reason: str  # "working day", "weekend", the holiday's name, or the exception's note


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


@lru_cache(maxsize=64)
def _national(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year, language="vi")


@lru_cache(maxsize=256)
def _working_days_of_year(calendar: WorkCalendar, year: int) -> tuple[date, ...]:
    """The working days of ``year`` in order (a calendar is immutable, so this is computed once
    per calendar and year)."""
    day, out = date(year, 1, 1), []
    while day.year == year:
        if calendar.is_working_day(day):
            out.append(day)
        day += timedelta(days=1)
    return tuple(out)


@dataclass(frozen=True)
class WorkCalendar:
    exceptions: tuple[CalendarException, ...] = ()
    office_hours: OfficeHours = field(default_factory=OfficeHours)
    tz: ZoneInfo = VN_TZ

    @classmethod
    def with_exceptions(
        cls, exceptions: Iterable[CalendarException], office_hours: OfficeHours | None = None
    ) -> WorkCalendar:
        return cls(tuple(exceptions), office_hours or OfficeHours())

    # -- days ---------------------------------------------------------------------------

    def day_info(self, d: date) -> DayInfo:
        for exc in self.exceptions:
            if exc.day == d:
                working = exc.kind == ExceptionKind.WORKING_DAY
                label = "ngày làm việc bù" if working else "ngày nghỉ do tỉnh công bố"
                return DayInfo(d, working, exc.note or label)
        national = _national(d.year)
        name = national.get(d)
        if name is not None:
            return DayInfo(d, False, str(name))
        if d in getattr(national, "weekend_workdays", set()):
            return DayInfo(d, True, "ngày làm việc bù (thay cho ngày nghỉ)")
        if d.weekday() >= 5:
            return DayInfo(d, False, "cuối tuần")
        return DayInfo(d, True, "ngày làm việc")

    def is_working_day(self, d: date) -> bool:
        return self.day_info(d).working

    def next_working_day(self, d: date, *, include: bool = False) -> date:
        day = d if include else d + timedelta(days=1)
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError(f"no working day within {MAX_SCAN_DAYS} days of {d}")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in [start, end] (0 when end < start)."""
        if end < start:
            return 0
        count = 0
        for year in range(start.year, end.year + 1):
            days = _working_days_of_year(self, year)
            count += bisect_right(days, end) - bisect_left(days, start)
        return count

    def skipped_days(self, start: date, end: date) -> list[DayInfo]:
        """Non-working days in [start, end], with why."""
        out = []
        day = start
        while day <= end:
            info = self.day_info(day)
            if not info.working:
                out.append(info)
            day += timedelta(days=1)
        return out

    # -- working time ---------------------------------------------------------------------

    def local(self, instant: datetime) -> datetime:
        if instant.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        return instant.astimezone(self.tz)

    def _periods_of(self, d: date) -> Iterator[tuple[datetime, datetime]]:
        for s, e in self.office_hours.periods:
            yield (datetime.combine(d, s, self.tz), datetime.combine(d, e, self.tz))

    def add_working_minutes(self, start: datetime, minutes: int) -> datetime:
        """The instant at which ``minutes`` of office time have elapsed after ``start``.

        Time outside office hours does not count; a start outside them begins at the next
        opening. When the time runs out exactly at a closing time, that closing instant is the
        answer (not the next opening).
        """
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        at = self.local(start)
        left = timedelta(minutes=minutes)
        day = at.date()
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                for p_start, p_end in self._periods_of(day):
                    if at >= p_end:
                        continue
                    begin = max(at, p_start)
                    if left == timedelta(0):
                        return begin
                    available = p_end - begin
                    if left <= available:
                        return begin + left
                    left -= available
                    at = p_end
            day += timedelta(days=1)
            at = max(at, datetime.combine(day, time(0, 0), self.tz))
        raise ValueError("deadline beyond the calendar's range")

    def add_working_time(self, start: datetime, minutes: int) -> datetime:
        """Alias of :meth:`add_working_minutes`."""
        return self.add_working_minutes(start, minutes)

    def subtract_working_minutes(self, end: datetime, minutes: int) -> datetime:
        """The latest instant from which ``minutes`` of office time remain until ``end``."""
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        at = self.local(end)
        left = timedelta(minutes=minutes)
        day = at.date()
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                for p_start, p_end in reversed(list(self._periods_of(day))):
                    if at <= p_start:
                        continue
                    finish = min(at, p_end)
                    if left == timedelta(0):
                        return finish
                    available = finish - p_start
                    if left <= available:
                        return finish - left
                    left -= available
                    at = p_start
            day -= timedelta(days=1)
            at = min(at, datetime.combine(day + timedelta(days=1), time(0, 0), self.tz))
        raise ValueError("instant before the calendar's range")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        return self.add_working_minutes(start, days * self.office_hours.minutes_per_day)

    def working_minutes_between(self, a: datetime, b: datetime) -> int:
        """Office minutes elapsed in [a, b] (0 when b <= a)."""
        a, b = self.local(a), self.local(b)
        if b <= a:
            return 0
        total = timedelta(0)
        # the first and the last day in part; the days between in whole, counted per year (an
        # overdue queue asks this of dossiers a year late: not day by day)
        for day in {a.date(), b.date()}:
            if self.is_working_day(day):
                for p_start, p_end in self._periods_of(day):
                    lo, hi = max(a, p_start), min(b, p_end)
                    if hi > lo:
                        total += hi - lo
        whole = self.working_days_between(
            a.date() + timedelta(days=1), b.date() - timedelta(days=1)
        )
        total += timedelta(minutes=whole * self.office_hours.minutes_per_day)
        return int(total.total_seconds() // 60)

    def end_of_day(self, d: date) -> datetime:
        return datetime.combine(d, self.office_hours.closing, self.tz)

    def end_of_nth_working_day(
        self, received_at: datetime, n: int, *, cutoff: time | None = None
    ) -> datetime:
        """``deadline_mode = end-of-day``: closing time of the N-th working day after the day
        of receipt; received after ``cutoff`` (or on a non-working day) counts as received on
        the next working day."""
        local = self.local(received_at)
        day = local.date()
        if not self.is_working_day(day) or (cutoff is not None and local.time() >= cutoff):
            day = self.next_working_day(day)
        for _ in range(n):
            day = self.next_working_day(day)
        return self.end_of_day(day)

    def calendar_days_deadline(self, received_at: datetime, n: int) -> datetime:
        """Civil Code art. 147–148: counting starts the day after receipt; the deadline is the
        end of office hours of the N-th day, or of the next working day if that is not one."""
        last = self.local(received_at).date() + timedelta(days=n)
        return self.end_of_day(self.next_working_day(last, include=True))
