from datetime import date
from decimal import Decimal

import pytest
from egov_indicators.domain.achievement import (
    Expectation,
    Status,
    achievement_pct,
    change_vs_previous,
    evaluate,
    expected_to_date,
    load_seasonal_profiles,
    round_half_up,
    seasonal_profile,
)
from egov_indicators.domain.definitions import load_catalogue
from egov_indicators.domain.periods import Period
from hypothesis import given
from hypothesis import strategies as st

CAT = load_catalogue()
D = Decimal


def test_seed_jobs_created_against_plan() -> None:
    assert achievement_pct(D(16856), D(16000)) == D("105.35")


def test_seed_vocational_enrolment_against_plan() -> None:
    # 104.7619… rounds half-up to 104.76
    assert achievement_pct(D(11000), D(10500)) == D("104.76")


def test_rounding_is_half_up_not_bankers() -> None:
    # 1.0125 × 100 = 101.25 exactly; 2.00625 → 200.625 → 200.63 (banker's would give 200.62)
    assert achievement_pct(D("200.625"), D(100)) == D("200.63")
    assert round_half_up(D("0.125")) == D("0.13")
    assert round_half_up(D("-1.005")) == D("-1.01")


def test_zero_target_has_no_percentage() -> None:
    assert achievement_pct(D(5), D(0)) is None


def test_seed_poverty_change_is_in_percentage_points() -> None:
    change = change_vs_previous(CAT["TL_HO_NGHEO"], D("5.33"), D("6.74"))
    assert change.value == D("-1.41")
    assert change.unit == "pp"
    assert change.label == "−1.41 pp"
    assert "%" not in change.label


def test_change_of_a_count_is_in_its_own_unit() -> None:
    change = change_vs_previous(CAT["VL_GQVL"], D(16856), D(16000))
    assert (change.value, change.unit, change.label) == (D(856), "người", "+856 người")


def test_closed_period_higher_is_better() -> None:
    year = Period.parse("2025")
    ev = evaluate(CAT["VL_GQVL"], year, target=D(16000), actual=D(16856), as_of=date(2026, 1, 5))
    assert ev.period_closed and ev.status is Status.ACHIEVED and ev.achievement_pct == D("105.35")
    ev = evaluate(CAT["VL_GQVL"], year, target=D(16000), actual=D(15999), as_of=date(2026, 1, 5))
    assert ev.status is Status.MISSED


def test_closed_period_lower_is_better_achieved_when_at_or_below_target() -> None:
    year = Period.parse("2025")
    rate = CAT["TL_HO_NGHEO"]
    ev = evaluate(
        rate, year, target=D("5.50"), actual=D("5.33"), as_of=date(2026, 2, 1), previous=D("6.74")
    )
    assert ev.status is Status.ACHIEVED
    assert ev.change is not None and ev.change.value == D("-1.41") and ev.change.unit == "pp"
    assert ev.achievement_pct == D("96.91")
    equal = evaluate(rate, year, target=D("5.33"), actual=D("5.33"), as_of=date(2026, 2, 1))
    assert equal.status is Status.ACHIEVED
    above = evaluate(rate, year, target=D("5.33"), actual=D("5.34"), as_of=date(2026, 2, 1))
    assert above.status is Status.MISSED


def test_open_period_flow_uses_linear_pro_rata_expectation() -> None:
    year = Period.parse("2026")
    jobs = CAT["VL_GQVL"]
    as_of = date(2026, 6, 30)  # 181 of 365 days
    expected = expected_to_date(jobs, D(16000), year, as_of)
    assert expected == round_half_up(D(16000) * D(181) / D(365), 0) == D(7934)
    on = evaluate(jobs, year, target=D(16000), actual=D(7934), as_of=as_of)
    assert on.status is Status.ON_TRACK and on.expectation is Expectation.LINEAR
    assert on.expected_to_date == D(7934) and not on.period_closed
    behind = evaluate(jobs, year, target=D(16000), actual=D(7933), as_of=as_of)
    assert behind.status is Status.AT_RISK


def test_open_period_stock_moves_from_previous_value_towards_target() -> None:
    year = Period.parse("2026")
    rate = CAT["TL_HO_NGHEO"]  # lower is better
    as_of = date(2026, 7, 2)  # 183 of 365 days
    expected = expected_to_date(rate, D("4.33"), year, as_of, baseline=D("5.33"))
    assert expected == round_half_up(D("5.33") - D(1) * D(183) / D(365))
    assert expected == D("4.83")
    kwargs = {"target": D("4.33"), "as_of": as_of, "previous": D("5.33")}
    assert evaluate(rate, year, actual=D("4.80"), **kwargs).status is Status.ON_TRACK
    assert evaluate(rate, year, actual=D("5.00"), **kwargs).status is Status.AT_RISK
    # without a previous value, a level is expected to be at its target already
    assert expected_to_date(rate, D("4.33"), year, as_of) == D("4.33")


def test_seasonal_profile_replaces_linear_share() -> None:
    year = Period.parse("2026")
    # Hiring concentrated in the first quarter: weights 3,3,3 then 1 for the other months.
    profile = seasonal_profile([3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    as_of = date(2026, 3, 31)
    expected = expected_to_date(CAT["VL_GQVL"], D(18000), year, as_of, profile=profile)
    assert expected == D(9000)  # 9 of 18 weight units
    ev = evaluate(
        CAT["VL_GQVL"], year, target=D(18000), actual=D(8000), as_of=as_of, profile=profile
    )
    assert ev.status is Status.AT_RISK and ev.expectation is Expectation.SEASONAL
    # linear would expect 18000 × 90/365 = 4438 and call 8000 on track
    linear = evaluate(CAT["VL_GQVL"], year, target=D(18000), actual=D(8000), as_of=as_of)
    assert linear.status is Status.ON_TRACK


def test_seasonal_profile_needs_twelve_weights() -> None:
    with pytest.raises(ValueError):
        seasonal_profile([1] * 11)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=10**9))
def test_achievement_matches_integer_half_up(actual: int, target: int) -> None:
    # Half-up to 2 decimals of actual*100/target, computed in integers: floor(x*10000/t + 1/2)
    hundredths = (actual * 10000 * 2 + target) // (2 * target)
    assert achievement_pct(D(actual), D(target)) == D(hundredths) / 100


@given(st.decimals(min_value=-(10**6), max_value=10**6, places=4))
def test_round_half_up_is_within_half_a_unit_and_rounds_ties_away(value: Decimal) -> None:
    rounded = round_half_up(value)
    assert abs(rounded - value) <= D("0.005")
    if abs(rounded - value) == D("0.005"):
        assert abs(rounded) > abs(value)


def test_bundled_seasonal_profiles_load_and_shift_the_expectation() -> None:
    profiles = load_seasonal_profiles()
    assert set(profiles) <= set(CAT.codes()) and "GDNN_TUYEN_SINH" in profiles
    year = Period.parse("2026")
    as_of = date(2026, 7, 31)
    enrol = CAT["GDNN_TUYEN_SINH"]
    seasonal = expected_to_date(enrol, D(10500), year, as_of, profile=profiles["GDNN_TUYEN_SINH"])
    linear = expected_to_date(enrol, D(10500), year, as_of)
    # 5.3 of 12.0 weight units by the end of July vs 212 of 365 days
    assert seasonal == round_half_up(D(10500) * D("5.3") / D("12.0"), 0) == D(4638)
    assert linear == D(6099)


def test_a_lower_is_better_target_reads_as_planned_versus_achieved_reduction() -> None:
    poverty = CAT["TL_HO_NGHEO"]
    year = Period.parse("2025")
    # the seed: 6.74 % → 5.33 % against a plan to reduce by 1 point (to 5.74 %)
    met = evaluate(
        poverty,
        year,
        target=D("5.74"),
        actual=D("5.33"),
        previous=D("6.74"),
        as_of=date(2026, 2, 1),
    )
    assert met.status is Status.ACHIEVED and met.progress is not None
    assert (met.progress.planned, met.progress.achieved, met.progress.unit) == (
        D("-1.00"),
        D("-1.41"),
        "pp",
    )
    assert met.progress.pct_of_planned == D("141.00")
    assert met.verdict_vi == (
        "Đạt kế hoạch: thực hiện 5,33% (chỉ tiêu càng thấp càng tốt, kế hoạch không quá 5,74%);"
        " kế hoạch giảm 1,00 điểm %, thực hiện giảm 1,41 điểm % so với kỳ trước"
        " (141,00% mức kế hoạch)"
    )
    # missed: 102.61 % "of plan" would read as over-achievement; the change and words do not
    missed = evaluate(
        poverty,
        year,
        target=D("5.74"),
        actual=D("5.89"),
        previous=D("6.74"),
        as_of=date(2026, 2, 1),
    )
    assert missed.achievement_pct == D("102.61") and missed.status is Status.MISSED
    assert missed.progress is not None and missed.progress.pct_of_planned == D("85.00")
    assert missed.verdict_vi.startswith("Không đạt kế hoạch: thực hiện 5,89%")
    assert "kế hoạch giảm 1,00 điểm %, thực hiện giảm 0,85 điểm %" in missed.verdict_vi
    # the rate went up instead of down: no share of the planned reduction is claimed
    worse = evaluate(
        poverty,
        year,
        target=D("5.74"),
        actual=D("6.94"),
        previous=D("6.74"),
        as_of=date(2026, 2, 1),
    )
    assert worse.progress is not None and worse.progress.pct_of_planned == D("-20.00")
    assert worse.verdict_vi.endswith("thực hiện tăng 0,20 điểm % so với kỳ trước")


def test_a_higher_is_better_target_in_words_with_thousands_in_the_vietnamese_way() -> None:
    jobs = CAT["VL_GQVL"]
    e = evaluate(
        jobs, Period.parse("2025"), target=D(16000), actual=D(16856), as_of=date(2026, 2, 1)
    )
    assert e.progress is None
    assert e.verdict_vi == "Đạt kế hoạch: thực hiện 16.856 người (kế hoạch 16.000 người)"
