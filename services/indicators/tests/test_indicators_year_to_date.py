"""Year-to-date values: the months from January without a gap, marked partial and said how
derived, judged against the expectation at the end of the last month in (not the year's
target), complete once December is in."""

from __future__ import annotations

from decimal import Decimal

from egov_indicators.domain.achievement import Expectation, Status
from egov_indicators.domain.definitions import load_catalogue
from egov_indicators.domain.periods import Period
from egov_indicators.domain.year_to_date import judge_year_to_date, year_to_date

CAT = load_catalogue()
D = Decimal
JOBS = CAT["VL_GQVL"]


def test_a_flow_adds_up_the_months_from_january_and_is_partial():
    ytd = year_to_date(JOBS, 2026, {1: D(1000), 2: D(1200), 3: D(1300), 5: D(900)})
    assert ytd is not None
    # April is missing: the run stops at March, May is not read past the gap
    assert (ytd.value, ytd.months, ytd.through) == (D(3500), 3, Period.parse("2026-03"))
    assert (ytd.completeness, ytd.derivation) == ("partial", "sum 2026-01..2026-03")
    assert year_to_date(JOBS, 2026, {2: D(5)}) is None  # no January, no value


def test_a_snapshot_takes_the_last_month_and_a_rate_has_none_here():
    households = CAT["HO_NGHEO"]
    ytd = year_to_date(households, 2026, {1: D(900), 2: D(880), 3: D(870)})
    assert ytd is not None and (ytd.value, ytd.derivation) == (D(870), "last 2026-01..2026-03")
    assert year_to_date(CAT["TL_HO_NGHEO"], 2026, {1: D(5)}) is None


def test_an_open_year_is_judged_against_the_expectation_at_the_end_of_the_last_month():
    months = {m: D(1400) for m in range(1, 8)}  # 9,800 jobs by the end of July
    ytd = year_to_date(JOBS, 2026, months)
    assert ytd is not None and ytd.completeness == "partial"
    e = judge_year_to_date(JOBS, ytd, D(16000))
    assert e.period_closed is False and e.expectation is Expectation.LINEAR
    # 212 of 365 days: 16,000 × 212 / 365 = 9,293 expected, 9,800 done → on track
    assert e.expected_to_date == D(9293) and e.status is Status.ON_TRACK
    assert e.achievement_pct == D("61.25")  # of the year's target, not a missed target
    behind = year_to_date(JOBS, 2026, {m: D(1200) for m in range(1, 8)})
    assert behind is not None
    assert judge_year_to_date(JOBS, behind, D(16000)).status is Status.AT_RISK


def test_twelve_months_make_the_year_complete_and_judged_closed():
    ytd = year_to_date(JOBS, 2025, {m: D(1405) for m in range(1, 13)})
    assert ytd is not None and (ytd.value, ytd.completeness) == (D(16860), "complete")
    e = judge_year_to_date(JOBS, ytd, D(16000))
    assert e.period_closed and e.status is Status.ACHIEVED and e.achievement_pct == D("105.38")
