"""Vietnamese working-day calendar: holidays, swapped days, office hours, deadlines."""

from egov_workdays.calendar import (
    VN_TZ,
    CalendarException,
    DayInfo,
    ExceptionKind,
    OfficeHours,
    WorkCalendar,
)

__all__ = ["VN_TZ", "CalendarException", "DayInfo", "ExceptionKind", "OfficeHours", "WorkCalendar"]
