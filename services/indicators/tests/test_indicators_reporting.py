"""Reporting completeness and timeliness: due dates of a data set, the counts and rates of a
unit's subtree at commune, district and province level, the missing list, and which reminders
and overdue notices are due on a day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from egov_indicators.domain import AdminUnit, Hierarchy, Period, PeriodKind
from egov_indicators.domain.reporting import (
    DataSet,
    Notice,
    NoticeKind,
    notices_due,
    periods_to_watch,
    reporting_rates,
)

PROVINCE = "38"
DISTRICTS = {"38.H1": range(1, 7), "38.H2": range(7, 11)}  # six and four communes
COMMUNES = [f"38.X{i:02d}" for i in range(1, 11)]


def hierarchy() -> Hierarchy:
    units = [AdminUnit(PROVINCE, None, "Thanh Hóa", "province")]
    for district, numbers in DISTRICTS.items():
        units.append(AdminUnit(district, PROVINCE, f"Huyện {district}", "district"))
        units += [AdminUnit(f"38.X{i:02d}", district, f"Xã {i}", "commune") for i in numbers]
    return Hierarchy(units)


MONTHLY = DataSet(
    "BC-THANG",
    "Báo cáo tháng",
    PeriodKind.MONTH,
    ("VL_GQVL",),
    tuple(COMMUNES),
)
JULY = Period.parse("2026-07")
ON_TIME, LATE = date(2026, 8, 15), date(2026, 8, 21)
# three late (X03, X07, X08), two not at all (X05, X10), five on time
SENT = {c: ON_TIME for c in COMMUNES if c not in {"38.X03", "38.X07", "38.X08", "38.X05", "38.X10"}}
SENT |= {"38.X03": LATE, "38.X07": LATE, "38.X08": date(2026, 9, 2), "38.X01": date(2026, 8, 20)}


def test_due_date_is_the_20th_of_the_next_month_unless_the_data_set_says_otherwise():
    assert MONTHLY.due_date(JULY) == date(2026, 8, 20)
    assert MONTHLY.due_date(Period.parse("2026-12")) == date(2027, 1, 20)
    quarterly = DataSet("Q", "Quý", PeriodKind.QUARTER, ("VL_GQVL",), (), due_day=31)
    assert quarterly.due_date(Period.parse("2026-Q3")) == date(2026, 10, 31)
    assert quarterly.due_date(Period.parse("2026-Q4")) == date(2027, 1, 31)
    early = DataSet(
        "M", "Tháng", PeriodKind.MONTH, ("VL_GQVL",), (), due_day=31, due_months_after=0
    )
    assert early.due_date(Period.parse("2026-02")) == date(2026, 2, 28)
    with pytest.raises(ValueError):
        DataSet("X", "X", PeriodKind.MONTH, ("VL_GQVL",), (), due_day=0)


def test_rates_and_missing_list_at_commune_district_and_province():
    rates = {
        r.unit_code: r
        for r in reporting_rates(
            MONTHLY, JULY, SENT, hierarchy(), [PROVINCE, "38.H1", "38.H2", "38.X03", "38.X05"]
        )
    }
    p = rates[PROVINCE]
    assert (p.expected, p.received, p.on_time, p.late, p.missing) == (10, 8, 5, 3, 2)
    assert (p.rate, p.rate_on_time) == (Decimal("80.00"), Decimal("50.00"))
    assert p.missing_units == ("38.X05", "38.X10")
    h1 = rates["38.H1"]  # X01..X06: X03 late, X05 missing
    assert (h1.expected, h1.received, h1.on_time, h1.late, h1.missing) == (6, 5, 4, 1, 1)
    assert (h1.rate, h1.rate_on_time) == (Decimal("83.33"), Decimal("66.67"))
    assert h1.missing_units == ("38.X05",)
    h2 = rates["38.H2"]  # X07..X10: X07, X08 late, X10 missing
    assert (h2.expected, h2.received, h2.on_time, h2.late, h2.missing) == (4, 3, 1, 2, 1)
    assert (h2.rate, h2.rate_on_time) == (Decimal("75.00"), Decimal("25.00"))
    assert h2.missing_units == ("38.X10",)
    late = rates["38.X03"]
    assert (late.expected, late.received, late.on_time, late.late) == (1, 1, 0, 1)
    assert (late.rate, late.rate_on_time) == (Decimal("100.00"), Decimal("0.00"))
    missing = rates["38.X05"]
    assert (missing.rate, missing.missing_units) == (Decimal("0.00"), ("38.X05",))


def test_a_unit_expecting_nothing_has_no_rate():
    other = DataSet("BC", "BC", PeriodKind.MONTH, ("VL_GQVL",), ("38.X01",))
    [r] = reporting_rates(other, JULY, {}, hierarchy(), ["38.H2"])
    assert (r.expected, r.rate, r.rate_on_time, r.missing_units) == (0, None, None, ())


def test_reminders_from_three_days_before_then_overdue_once_each():
    sent = {(u, "2026-07"): d for u, d in SENT.items() if d <= date(2026, 8, 18)}
    assert notices_due(MONTHLY, [JULY], sent, set(), date(2026, 8, 16)) == []
    soon = notices_due(MONTHLY, [JULY], sent, set(), date(2026, 8, 17))
    assert {n.kind for n in soon} == {NoticeKind.DUE_SOON}
    # X01 reports on the due date itself (on time), after its reminder
    assert [n.unit_code for n in soon] == [
        "38.X01",
        "38.X03",
        "38.X05",
        "38.X07",
        "38.X08",
        "38.X10",
    ]
    assert soon[0] == Notice(NoticeKind.DUE_SOON, "BC-THANG", "38.X01", JULY, date(2026, 8, 20))
    already = {(str(n.kind), n.unit_code, str(n.period)) for n in soon}
    assert notices_due(MONTHLY, [JULY], sent, already, date(2026, 8, 20)) == []
    # 21 August: X01 reported on the 20th, X03 and X07 late on the 21st; the others are overdue
    sent |= {("38.X01", "2026-07"): date(2026, 8, 20)}
    sent |= {("38.X03", "2026-07"): LATE, ("38.X07", "2026-07"): LATE}
    overdue = notices_due(MONTHLY, [JULY], sent, already, date(2026, 8, 21))
    assert [(n.kind, n.unit_code) for n in overdue] == [
        (NoticeKind.OVERDUE, "38.X05"),
        (NoticeKind.OVERDUE, "38.X08"),
        (NoticeKind.OVERDUE, "38.X10"),
    ]
    already |= {(str(n.kind), n.unit_code, str(n.period)) for n in overdue}
    assert notices_due(MONTHLY, [JULY], sent, already, date(2026, 8, 22)) == []


def test_periods_watched_are_those_whose_reminders_opened_and_due_date_is_recent():
    assert periods_to_watch(MONTHLY, date(2026, 8, 10)) == [
        Period.parse("2026-06"),
    ]
    assert periods_to_watch(MONTHLY, date(2026, 8, 17)) == [
        Period.parse("2026-06"),
        Period.parse("2026-07"),
    ]
    assert periods_to_watch(MONTHLY, date(2026, 9, 17)) == [
        Period.parse("2026-07"),
        Period.parse("2026-08"),
    ]


def test_no_notices_for_periods_before_the_data_set_s_first_period():
    from dataclasses import replace

    since_july = replace(MONTHLY, first_period=JULY)
    assert periods_to_watch(since_july, date(2026, 8, 10)) == []
    assert periods_to_watch(since_july, date(2026, 8, 17)) == [JULY]
