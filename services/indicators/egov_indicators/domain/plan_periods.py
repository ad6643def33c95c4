"""Multi-year plan periods (giai đoạn 2016–2020) and targets given as a range.

The province's five-year plans state results over a span of years: the total over the period,
the average per year ("bình quân mỗi năm"), the comparison with an earlier period ("bằng
113,3% so với giai đoạn 2011–2015") and targets as a range ("từ 6,5 đến 7 vạn lao động").

A plan period is a span of whole calendar years, written ``2016-2020``. Its value follows from
the years' values by the indicator's time aggregation: ``sum`` for flows (jobs created over
the five years), ``last`` for levels (the poverty rate at the end of the period); it exists
only when every year is reported. The average per year is the total over the number of years
(flows only). Percentages are half-up to 2 decimals, as everywhere.

A range target ``[low, high]`` is achieved when the actual reaches the range (for
higher-is-better: actual ≥ low; for lower-is-better: actual ≤ high); ``within`` says whether
it lies inside the range, and achievement is given against both ends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from egov_indicators.domain.achievement import achievement_pct, meets, round_half_up
from egov_indicators.domain.definitions import Direction, IndicatorDefinition, TimeAggregation

_PATTERN = re.compile(r"^(?P<first>[0-9]{4})\s*[-–]\s*(?P<last>[0-9]{4})$")
MAX_YEARS = 20


class PlanPeriodError(ValueError):
    """Not a span of years such as 2016-2020."""


@dataclass(frozen=True, order=True)
class PlanPeriod:
    first_year: int
    last_year: int

    def __post_init__(self) -> None:
        if not 1 <= self.first_year < self.last_year <= 9999:
            raise PlanPeriodError(f"a plan period spans at least two years: {self}")
        if self.last_year - self.first_year + 1 > MAX_YEARS:
            raise PlanPeriodError(f"a plan period spans at most {MAX_YEARS} years: {self}")

    @classmethod
    def parse(cls, text: str) -> PlanPeriod:
        m = _PATTERN.match(text.strip())
        if m is None:
            raise PlanPeriodError(f"not a plan period (e.g. 2016-2020): {text!r}")
        return cls(int(m["first"]), int(m["last"]))

    def __str__(self) -> str:
        return f"{self.first_year:04d}-{self.last_year:04d}"

    @property
    def label_vi(self) -> str:
        return f"giai đoạn {self.first_year}–{self.last_year}"

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


class PlanValueUnavailable(ValueError):
    """The indicator's values do not add up over years (no time aggregation)."""


@dataclass(frozen=True)
class PlanValue:
    """An indicator's value over a plan period, from its years' values."""

    period: PlanPeriod
    value: Decimal | None  # None until every year is reported
    yearly_average: Decimal | None  # flows only
    missing_years: tuple[int, ...]


def plan_value(
    definition: IndicatorDefinition, period: PlanPeriod, by_year: Mapping[int, Decimal]
) -> PlanValue:
    """Total (flows) or end-of-period level (``last``) over the years, and the average per
    year of a flow; rates (``ratio``) are taken at the last year, as the plans state them."""
    aggregation = definition.time_aggregation
    if aggregation is TimeAggregation.NONE:
        raise PlanValueUnavailable(f"{definition.code} is not aggregated over time")
    missing = tuple(y for y in period.years if y not in by_year)
    if missing:
        return PlanValue(period, None, None, missing)
    if aggregation is TimeAggregation.SUM:
        total = sum((Decimal(by_year[y]) for y in period.years), Decimal(0))
        average = round_half_up(total / len(period.years), definition.decimals)
        return PlanValue(period, total, average, ())
    return PlanValue(period, Decimal(by_year[period.last_year]), None, ())


def ratio_pct(current: Decimal, earlier: Decimal) -> Decimal | None:
    """This period against an earlier one, × 100 ("bằng 113,3% so với giai đoạn trước")."""
    return achievement_pct(current, earlier)


@dataclass(frozen=True)
class RangeTarget:
    low: Decimal
    high: Decimal

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError(f"a range target runs from low to high: {self.low} > {self.high}")


@dataclass(frozen=True)
class RangeEvaluation:
    target: RangeTarget
    actual: Decimal
    achieved: bool
    within: bool  # low ≤ actual ≤ high
    pct_of_low: Decimal | None
    pct_of_high: Decimal | None

    @property
    def status(self) -> str:
        return "achieved" if self.achieved else "missed"


def evaluate_range(direction: Direction, target: RangeTarget, actual: Decimal) -> RangeEvaluation:
    """Achieved when the actual reaches the range from the worse side: at least ``low`` for
    higher-is-better, at most ``high`` for lower-is-better."""
    reference = target.high if direction is Direction.LOWER_IS_BETTER else target.low
    return RangeEvaluation(
        target=target,
        actual=actual,
        achieved=meets(direction, actual, reference),
        within=target.low <= actual <= target.high,
        pct_of_low=achievement_pct(actual, target.low),
        pct_of_high=achievement_pct(actual, target.high),
    )
