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
