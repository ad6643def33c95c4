"""Multi-year plan periods: a 2016–2020 total with its average per year, the comparison with
2011–2015 ("bằng 113,3% so với giai đoạn trước"), a level at the period's end, and targets
given as a range ("từ 6,5 đến 7 vạn lao động mỗi năm") judged by the indicator's direction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from egov_indicators.domain.definitions import Direction, load_catalogue
from egov_indicators.domain.plan_periods import (
    PlanPeriod,
    PlanPeriodError,
    PlanValueUnavailable,
    RangeTarget,
    evaluate_range,
    plan_value,
    ratio_pct,
)

CAT = load_catalogue()
D = Decimal
PLAN = PlanPeriod.parse("2016-2020")
EARLIER = PlanPeriod.parse("2011–2015")  # an en dash, as reports print it
JOBS_2011 = {2011: D(58000), 2012: D(59000), 2013: D(60000), 2014: D(61000), 2015: D(62000)}
JOBS_2016 = {2016: D(64000), 2017: D(66500), 2018: D(68000), 2019: D(70200), 2020: D(71200)}


def test_plan_periods_parse_and_print():
    assert (PLAN.first_year, PLAN.last_year, PLAN.years) == (2016, 2020, list(range(2016, 2021)))
    assert str(EARLIER) == "2011-2015" and EARLIER.label_vi == "giai đoạn 2011–2015"
    assert EARLIER < PLAN
    for bad in ("2020-2016", "2020", "2020-2020", "2000-2030", "2016-20"):
        with pytest.raises(PlanPeriodError):
            PlanPeriod.parse(bad)


def test_a_flow_over_the_plan_period_its_yearly_average_and_the_earlier_period():
    jobs = CAT["VL_GQVL"]
    now, before = plan_value(jobs, PLAN, JOBS_2016), plan_value(jobs, EARLIER, JOBS_2011)
    assert (now.value, now.yearly_average, now.missing_years) == (D(339900), D(67980), ())
    assert before.value == D(300000)
    assert now.value is not None and before.value is not None
    assert ratio_pct(now.value, before.value) == D("113.30")  # "bằng 113,3% so với 2011–2015"


def test_no_value_until_every_year_is_reported():
    partial = {y: v for y, v in JOBS_2016.items() if y != 2019}
    v = plan_value(CAT["VL_GQVL"], PLAN, partial)
    assert (v.value, v.yearly_average, v.missing_years) == (None, None, (2019,))


def test_a_level_is_taken_at_the_period_s_end():
    poverty = CAT["HO_NGHEO"]
    v = plan_value(
        poverty, PLAN, {2016: D(9000), 2017: D(8000), 2018: D(7000), 2019: D(6000), 2020: D(5000)}
    )
    assert (v.value, v.yearly_average) == (D(5000), None)


def test_an_indicator_not_aggregated_over_time_has_no_plan_value():
    flat = next(d for d in CAT.definitions.values() if d.time_aggregation == "none")
    with pytest.raises(PlanValueUnavailable):
        plan_value(flat, PLAN, {})


def test_a_range_target_is_judged_by_the_direction():
    # "từ 6,5 đến 7 vạn lao động mỗi năm": the yearly average 67,980 lies within the range
    yearly = RangeTarget(D(65000), D(70000))
    e = evaluate_range(Direction.HIGHER_IS_BETTER, yearly, D(67980))
    assert (e.achieved, e.within, e.status) == (True, True, "achieved")
    assert (e.pct_of_low, e.pct_of_high) == (D("104.58"), D("97.11"))
    above = evaluate_range(Direction.HIGHER_IS_BETTER, yearly, D(71000))
    assert (above.achieved, above.within) == (True, False)
    below = evaluate_range(Direction.HIGHER_IS_BETTER, yearly, D(64000))
    assert (below.achieved, below.status) == (False, "missed")
    # a poverty rate to be brought to 3–4 %: 4.2 % is missed, 2.8 % achieved beyond the range
    poverty = RangeTarget(D(3), D(4))
    assert evaluate_range(Direction.LOWER_IS_BETTER, poverty, D("4.2")).achieved is False
    low = evaluate_range(Direction.LOWER_IS_BETTER, poverty, D("2.8"))
    assert (low.achieved, low.within) == (True, False)
    with pytest.raises(ValueError):
        RangeTarget(D(7), D(6))
