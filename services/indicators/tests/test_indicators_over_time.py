"""Aggregation along time for one unit: months into quarters, halves and the year — counts add
up, snapshots take the last part, rates come from numerator and denominator, ``none`` stays
absent, a value reported for the longer period wins, and a missing part leaves no value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from egov_indicators.domain.definitions import (
    TimeAggregation,
    catalogue_from_data,
    load_catalogue,
)
from egov_indicators.domain.over_time import aggregate_over_time
from egov_indicators.domain.periods import Period
from egov_indicators.domain.values import UnitValue, disagg_key

UNIT = "38.XA.SAMSON"


def _def(code: str, **kw: object) -> dict[str, object]:
    return {
        "code": code,
        "name_vi": code,
        "measure_unit": "người",
        "value_type": "integer",
        "period_kind": "month",
        "aggregation": "sum",
        **kw,
    }


CAT = catalogue_from_data(
    {
        "indicators": [
            _def("JOBS", temporal="flow"),
            _def("POOR", measure_unit="hộ"),
            _def("HH", measure_unit="hộ"),
            _def(
                "RATE",
                measure_unit="%",
                value_type="percent",
                aggregation="ratio",
                numerator="POOR",
                denominator="HH",
            ),
            _def("LEVEL", measure_unit="đồng", aggregation="none"),
            _def("PAID", temporal="flow", time_aggregation="none"),
        ]
    }
)


def months(year: int, code: str, values: list[int], unit: str = UNIT, **dis: str) -> list:
    return [
        UnitValue(code, unit, Period.parse(f"{year}-{m:02d}"), Decimal(v), disagg_key(dis))
        for m, v in enumerate(values, start=1)
    ]


def derived(values, period: str, cat=CAT) -> dict[tuple[str, str], object]:
    return {
        (d.indicator_code, d.unit_code): d
        for d in aggregate_over_time(values, Period.parse(period), cat)
        if not d.disaggregation
    }


def test_defaults_follow_the_type_and_the_bundled_catalogue_states_them():
    assert CAT["JOBS"].time_aggregation is TimeAggregation.SUM  # a flow
    assert CAT["POOR"].time_aggregation is TimeAggregation.LAST  # a stock (the default)
    assert CAT["RATE"].time_aggregation is TimeAggregation.RATIO
    assert CAT["LEVEL"].time_aggregation is TimeAggregation.NONE
    assert CAT["PAID"].time_aggregation is TimeAggregation.NONE  # stated
    bundled = load_catalogue()
    assert bundled["VL_GQVL"].time_aggregation is TimeAggregation.SUM
    assert bundled["HO_NGHEO"].time_aggregation is TimeAggregation.LAST
    assert bundled["TL_HO_NGHEO"].time_aggregation is TimeAggregation.RATIO
    assert bundled["BTXH_MUC_CHUAN"].time_aggregation is TimeAggregation.NONE


def test_a_rate_cannot_add_up_over_time_and_a_ratio_needs_parts_that_aggregate():
    with pytest.raises(ValueError, match="rate does not add up"):
        catalogue_from_data(
            {"indicators": [_def("R", value_type="percent", time_aggregation="sum")]}
        )
    with pytest.raises(ValueError, match="must aggregate over time"):
        catalogue_from_data(
            {
                "indicators": [
                    _def("N", time_aggregation="none"),
                    _def("D"),
                    _def(
                        "R",
                        value_type="percent",
                        aggregation="ratio",
                        numerator="N",
                        denominator="D",
                    ),
                ]
            }
        )


def test_counts_add_up_into_quarters_halves_and_the_year():
    jobs = [1400, 1300, 1500, 1350, 1420, 1380, 1410, 1390, 1460, 1440, 1396, 1410]
    values = months(2099, "JOBS", jobs)
    year = derived(values, "2099")[("JOBS", UNIT)]
    assert year.value == Decimal(16856) and year.derived
    assert year.sources == tuple(f"2099-{m:02d}" for m in range(1, 13))
    assert derived(values, "2099-Q1")[("JOBS", UNIT)].value == Decimal(4200)
    assert derived(values, "2099-H2")[("JOBS", UNIT)].value == Decimal(8506)


def test_disaggregations_are_derived_each_on_its_own():
    values = months(2099, "JOBS", [10, 20, 30], sex="female")
    got = aggregate_over_time(values, Period.parse("2099-Q1"), CAT)
    assert [(d.disaggregation, d.value) for d in got] == [((("sex", "female"),), Decimal(60))]


def test_a_snapshot_takes_the_last_part():
    values = months(2099, "POOR", [500 - m for m in range(12)])
    assert derived(values, "2099")[("POOR", UNIT)].value == Decimal(489)
    assert derived(values, "2099-Q2")[("POOR", UNIT)].value == Decimal(495)  # June


def test_a_rate_comes_from_numerator_and_denominator_not_the_mean_of_monthly_rates():
    # flows of a rate: the quarter's rate is 60 / 1100, not the mean of 10 %, 2 % and 5 %
    cat = catalogue_from_data(
        {
            "indicators": [
                _def("N", temporal="flow"),
                _def("D", temporal="flow"),
                _def(
                    "R",
                    measure_unit="%",
                    value_type="percent",
                    aggregation="ratio",
                    numerator="N",
                    denominator="D",
                ),
            ]
        }
    )
    values = [
        *months(2099, "N", [10, 20, 30]),
        *months(2099, "D", [100, 1000, 600]),
        *months(2099, "R", [10, 2, 5]),
    ]
    rate = derived(values, "2099-Q1", cat)[("R", UNIT)]
    assert (rate.value, rate.numerator, rate.denominator) == (
        Decimal("3.53"),
        Decimal(60),
        Decimal(1700),
    )
    # stocks: the year's poverty rate is December's households, not a mean over the months
    stock = [*months(2099, "POOR", [60] * 11 + [40]), *months(2099, "HH", [1000] * 12)]
    assert derived(stock, "2099")[("RATE", UNIT)].value == Decimal("4.00")


def test_indicators_that_do_not_aggregate_stay_absent():
    values = [*months(2099, "LEVEL", [500_000] * 12), *months(2099, "PAID", [5] * 12)]
    assert derived(values, "2099") == {}


def test_a_missing_part_leaves_the_longer_period_without_a_value():
    values = months(2099, "JOBS", [100] * 11)  # no December
    got = derived(values, "2099")
    assert ("JOBS", UNIT) not in got
    assert derived(values, "2099-Q3")[("JOBS", UNIT)].value == Decimal(300)  # Q3 is complete
    assert derived(values, "2099-H1")[("JOBS", UNIT)].value == Decimal(600)


def test_a_value_reported_for_the_longer_period_wins():
    values = months(2099, "JOBS", [100] * 12)
    values.append(UnitValue("JOBS", UNIT, Period.parse("2099"), Decimal(1250)))
    assert derived(values, "2099") == {}  # reported: nothing derived
    # a quarter reported directly is used for the year instead of its months
    values = [v for v in months(2099, "JOBS", [100] * 12) if v.period.index > 3]
    values.append(UnitValue("JOBS", UNIT, Period.parse("2099-Q1"), Decimal(350)))
    year = derived(values, "2099")[("JOBS", UNIT)]
    assert year.value == Decimal(1250)
    assert year.sources[:2] == ("2099-Q1", "2099-04")


def test_units_are_kept_apart_and_other_periods_ignored():
    values = [
        *months(2099, "JOBS", [1] * 12),
        *months(2099, "JOBS", [2] * 12, unit="38.XA.QUANGPHU"),
        *months(2098, "JOBS", [5] * 12),
    ]
    got = derived(values, "2099")
    assert got[("JOBS", UNIT)].value == Decimal(12)
    assert got[("JOBS", "38.XA.QUANGPHU")].value == Decimal(24)


def test_periods_know_their_parts_and_the_periods_around_them():
    assert [str(p) for p in Period.parse("2099").parts()] == ["2099-H1", "2099-H2"]
    assert [str(p) for p in Period.parse("2099-H2").parts()] == ["2099-Q3", "2099-Q4"]
    assert [str(p) for p in Period.parse("2099-Q4").parts()] == ["2099-10", "2099-11", "2099-12"]
    assert Period.parse("2099-05").parts() == []
    assert len(Period.parse("2099").sub_periods()) == 2 + 4 + 12
    assert [str(p) for p in Period.parse("2099-07").enclosing()] == ["2099-Q3", "2099-H2", "2099"]
    assert [str(p) for p in Period.parse("2099-Q2").enclosing()] == ["2099-H1", "2099"]
    assert Period.parse("2099").enclosing() == []
