"""The working-day calendar against domain.md's worked examples and its own properties."""

from datetime import date, datetime, time, timedelta

import pytest
from egov_workdays import VN_TZ, CalendarException, ExceptionKind, OfficeHours, WorkCalendar
from hypothesis import given, settings
from hypothesis import strategies as st

CAL = WorkCalendar()


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        (vn(2026, 2, 12, 9), 5, vn(2026, 2, 26, 9)),  # Tết 2026: 13/2 counts, 14–22/2 off
        (vn(2026, 11, 23, 20), 2, vn(2026, 11, 26, 17)),  # night, 24/11 Culture Day off
        (vn(2026, 3, 2, 8), 10, vn(2026, 3, 16, 8)),  # plain
    ],
)
def test_worked_examples_working_days(received, days, due):
    assert CAL.add_working_days(received, days) == due


def test_calendar_days_civil_code():
    # day 15 = 30/4 (holiday), 1/5 holiday, 2–3/5 weekend → Monday 4/5 at closing time
    assert CAL.calendar_days_deadline(vn(2026, 4, 15, 10), 15) == vn(2026, 5, 4, 17)


def test_supplement_worked_example_used_time():
    assert CAL.working_minutes_between(vn(2026, 3, 2, 8), vn(2026, 3, 4, 15)) == 21 * 60 + 30


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        (date(2026, 2, 13), True, "ngày làm việc"),
        (date(2026, 2, 16), False, "Tết"),
        (date(2026, 2, 20), False, "Tết"),
        (date(2026, 4, 27), False, "Hùng"),  # Giỗ Tổ observed on Monday
        (date(2026, 4, 30), False, "Chiến thắng"),
        (date(2026, 5, 1), False, "Quốc tế Lao động"),
        (date(2026, 8, 22), True, "bù"),  # a Saturday made a working day
        (date(2026, 8, 31), False, "thay cho"),  # the day off it bought
        (date(2026, 9, 2), False, "Quốc khánh"),
        (date(2026, 11, 24), False, "Văn hóa"),
        (date(2027, 2, 10), False, "Tết"),
        (date(2027, 2, 11), True, "ngày làm việc"),
        (date(2026, 11, 28), False, "cuối tuần"),
    ],
)
def test_day_info_knows_vietnamese_holidays_and_swaps(day, working, why):
    info = CAL.day_info(day)
    assert info.working is working
    assert why.lower() in info.reason.lower()


def test_tet_2027_deadline_crosses_the_break():
    # Tết 2027: 4/2 to 10/2 off (Thu to Wed); 3 working days from Wed 3/2 10:00
    assert CAL.add_working_days(vn(2027, 2, 3, 10), 3) == vn(2027, 2, 15, 10)


def test_year_boundary_and_new_year():
    # Wed 31/12/2025 16:00 + 1 working day: 1 h on 31/12, 1/1 off, 7 h on Fri 2/1 → 16:00
    assert CAL.add_working_days(vn(2025, 12, 31, 16), 1) == vn(2026, 1, 2, 16)


def test_afternoon_and_lunch_break():
    assert CAL.add_working_minutes(vn(2026, 3, 2, 11), 60) == vn(2026, 3, 2, 13, 30)
    assert CAL.add_working_minutes(vn(2026, 3, 2, 12), 30) == vn(2026, 3, 2, 13, 30)
    assert CAL.add_working_minutes(vn(2026, 3, 2, 16), 60) == vn(2026, 3, 2, 17)


def test_province_exceptions_change_the_calendar():
    cal = WorkCalendar.with_exceptions(
        [
            CalendarException(date(2026, 3, 3), ExceptionKind.DAY_OFF, "Lễ hội tỉnh", "admin"),
            CalendarException(date(2026, 3, 7), ExceptionKind.WORKING_DAY, "Làm bù", "admin"),
        ]
    )
    assert not cal.is_working_day(date(2026, 3, 3))
    assert cal.is_working_day(date(2026, 3, 7))
    assert cal.day_info(date(2026, 3, 3)).reason == "Lễ hội tỉnh"
    # 10 working days from Mon 2/3 08:00: 3/3 off, Saturday 7/3 works → same end
    assert cal.add_working_days(vn(2026, 3, 2, 8), 10) == vn(2026, 3, 16, 8)
    assert cal.skipped_days(date(2026, 3, 2), date(2026, 3, 8))[0].day == date(2026, 3, 3)


def test_office_hours_are_settable():
    hours = OfficeHours(((time(8), time(12)), (time(13, 30), time(17, 30))))
    cal = WorkCalendar(office_hours=hours)
    assert hours.minutes_per_day == 480
    # from the opening, one working day ends at the closing of the same day
    assert cal.add_working_days(vn(2026, 3, 2, 8), 1) == vn(2026, 3, 2, 17, 30)
    assert cal.add_working_days(vn(2026, 3, 2, 9), 1) == vn(2026, 3, 3, 9)
    with pytest.raises(ValueError):
        OfficeHours(((time(13), time(12)),))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        CAL.add_working_minutes(datetime(2026, 3, 2, 8), 10)


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(VN_TZ)
)


@settings(max_examples=150, deadline=None)
@given(instants, st.integers(min_value=0, max_value=480 * 30))
def test_adding_then_measuring_gives_the_minutes_back(start, minutes):
    end = CAL.add_working_minutes(start, minutes)
    assert CAL.working_minutes_between(start, end) == minutes
    assert CAL.subtract_working_minutes(end, minutes) <= end


@settings(max_examples=100, deadline=None)
@given(instants, st.integers(min_value=0, max_value=480 * 20), st.integers(0, 600))
def test_deadlines_are_monotonic(start, minutes, more):
    assert CAL.add_working_minutes(start, minutes) <= CAL.add_working_minutes(start, minutes + more)
    later = start + timedelta(minutes=more)
    assert CAL.add_working_minutes(start, minutes) <= CAL.add_working_minutes(later, minutes)


def test_ending_exactly_at_a_closing_time_returns_that_closing():
    assert CAL.add_working_minutes(vn(2026, 3, 2, 7, 30), 240) == vn(2026, 3, 2, 11, 30)
    assert CAL.add_working_minutes(vn(2026, 3, 2, 7, 30), 480) == vn(2026, 3, 2, 17)
    assert CAL.add_working_time(vn(2026, 3, 2, 7, 30), 481) == vn(2026, 3, 3, 7, 31)
    # nothing to add from outside office hours: the next opening
    assert CAL.add_working_minutes(vn(2026, 3, 2, 12), 0) == vn(2026, 3, 2, 13)


def test_reunification_and_labour_day_break():
    # Wed 29/4 10:00 + 2 working days: 30/4, 1/5 off, 2–3/5 weekend → Tue 5/5 10:00
    assert CAL.add_working_days(vn(2026, 4, 29, 10), 2) == vn(2026, 5, 5, 10)
    # 25–26/4 weekend, 27/4 Giỗ Tổ observed, 30/4–1/5 off, 2–3/5 weekend: only 28 and 29/4
    assert CAL.working_days_between(date(2026, 4, 25), date(2026, 5, 3)) == 2
    reasons = [d.reason for d in CAL.skipped_days(date(2026, 4, 25), date(2026, 5, 3))]
    assert any("Hùng" in r for r in reasons) and any("Lao động" in r for r in reasons)


def test_national_day_with_the_swapped_saturday():
    # Fri 21/8 16:00 + 2 h: 1 h on Friday, Saturday 22/8 is a working day → 08:30
    assert CAL.add_working_minutes(vn(2026, 8, 21, 16), 120) == vn(2026, 8, 22, 8, 30)
    # Fri 28/8 09:00 + 1 working day: 31/8 (swap), 1/9 and 2/9 off → Thu 3/9 09:00
    assert CAL.add_working_days(vn(2026, 8, 28, 9), 1) == vn(2026, 9, 3, 9)


def test_end_of_nth_working_day_with_cutoff():
    assert CAL.end_of_nth_working_day(vn(2026, 3, 2, 10), 2) == vn(2026, 3, 4, 17)
    # after the 16:00 intake cut-off the receipt counts on the next working day
    late = vn(2026, 3, 2, 16, 30)
    assert CAL.end_of_nth_working_day(late, 2, cutoff=time(16)) == vn(2026, 3, 5, 17)
    assert CAL.end_of_nth_working_day(late, 2) == vn(2026, 3, 4, 17)
    # received on a Saturday: Monday is the day of receipt
    assert CAL.end_of_nth_working_day(vn(2026, 3, 7, 9), 1) == vn(2026, 3, 10, 17)
    # received Thu 12/2/2026: 13/2 is day 1, 14–22/2 off, so day 2 is Mon 23/2
    assert CAL.end_of_nth_working_day(vn(2026, 2, 12, 9), 2) == vn(2026, 2, 23, 17)


def test_calendar_days_deadline_on_a_working_day_and_before_tet():
    assert CAL.calendar_days_deadline(vn(2026, 3, 2, 10), 3) == vn(2026, 3, 5, 17)
    # Tết 2027: day 5 after Mon 1/2 is Sat 6/2; the break lasts to Wed 10/2 → Thu 11/2
    assert CAL.calendar_days_deadline(vn(2027, 2, 1, 10), 5) == vn(2027, 2, 11, 17)


def test_working_days_between_counts_tet_2026():
    # 9–27/2/2026: 19 days, of which 10 weekend/Tết days: 9–13, 23–27 work
    assert CAL.working_days_between(date(2026, 2, 9), date(2026, 2, 27)) == 10
    skipped = CAL.skipped_days(date(2026, 2, 9), date(2026, 2, 27))
    assert [d.day.day for d in skipped] == list(range(14, 23))
    assert CAL.working_days_between(date(2026, 2, 27), date(2026, 2, 9)) == 0


@settings(max_examples=100, deadline=None)
@given(instants, st.integers(min_value=0, max_value=480 * 20))
def test_subtracting_then_measuring_gives_the_minutes_back(end, minutes):
    start = CAL.subtract_working_minutes(end, minutes)
    assert start <= end
    assert CAL.working_minutes_between(start, end) == minutes


@settings(max_examples=60, deadline=None)
@given(st.dates(date(2025, 1, 1), date(2027, 12, 31)), st.integers(0, 60))
def test_working_and_skipped_days_partition_the_range(start, length):
    end = start + timedelta(days=length)
    skipped = CAL.skipped_days(start, end)
    assert CAL.working_days_between(start, end) + len(skipped) == length + 1
    assert all(not CAL.is_working_day(d.day) for d in skipped)


def _minutes_day_by_day(cal: WorkCalendar, a: datetime, b: datetime) -> int:
    """The reference: every day from a's to b's, each office period intersected with [a, b]."""
    total = timedelta(0)
    day = a.date()
    while day <= b.date():
        if cal.is_working_day(day):
            for s, e in cal.office_hours.periods:
                lo = max(a, datetime.combine(day, s, VN_TZ))
                hi = min(b, datetime.combine(day, e, VN_TZ))
                total += max(hi - lo, timedelta(0))
        day += timedelta(days=1)
    return int(total.total_seconds() // 60)


PROVINCE = WorkCalendar.with_exceptions(
    [
        CalendarException(date(2026, 9, 3), ExceptionKind.DAY_OFF, "nghỉ lễ của tỉnh"),
        CalendarException(date(2026, 9, 5), ExceptionKind.WORKING_DAY, "làm bù"),
    ]
)


@settings(max_examples=150, deadline=None)
@given(instants, st.integers(min_value=0, max_value=900 * 24 * 60 * 60), st.booleans())
def test_working_minutes_over_long_spans_are_those_counted_day_by_day(a, seconds, province):
    cal = PROVINCE if province else CAL
    b = a + timedelta(seconds=seconds)
    assert cal.working_minutes_between(a, b) == _minutes_day_by_day(cal, a, b)
    assert cal.working_days_between(a.date(), b.date()) == sum(
        cal.is_working_day(a.date() + timedelta(days=i))
        for i in range((b.date() - a.date()).days + 1)
    )
