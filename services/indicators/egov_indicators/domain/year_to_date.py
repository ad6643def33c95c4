"""Year-to-date values (lũy kế từ đầu năm): a partial value of an open year from its months
reported so far, so the year can be judged against its target before December.

The months count from January without a gap (January to July when August is not yet in; a gap
stops the run, so a missing month is never read as zero). A flow (``sum``) adds them up; a
snapshot (``last``) takes the last of them. The value is marked partial until December is in,
says how it was derived (``sum 2026-01..2026-07``), and is judged against the target's
expectation at the end of the last month included (linear, or seasonal with a profile), never
against the whole year's target. Rates (``ratio``) and ``none`` have no year-to-date value here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from egov_indicators.domain.achievement import (
    Evaluation,
    SeasonalProfile,
    evaluate,
)
from egov_indicators.domain.definitions import IndicatorDefinition, TimeAggregation
from egov_indicators.domain.periods import Period, PeriodKind


@dataclass(frozen=True)
class YearToDate:
    year: int
    value: Decimal
    through: Period  # the last month included
    months: int
    aggregation: TimeAggregation

    @property
    def complete(self) -> bool:
        return self.months == 12

    @property
    def completeness(self) -> str:
        return "complete" if self.complete else "partial"

    @property
    def derivation(self) -> str:
        return f"{self.aggregation.value} {self.year:04d}-01..{self.through}"


def year_to_date(
    definition: IndicatorDefinition, year: int, by_month: Mapping[int, Decimal]
) -> YearToDate | None:
    """The value of the months from January without a gap; None when January is not in or the
    indicator has no year-to-date value (rates, ``none``)."""
    aggregation = definition.time_aggregation
    if aggregation not in (TimeAggregation.SUM, TimeAggregation.LAST):
        return None
    months = 0
    while months < 12 and (months + 1) in by_month:
        months += 1
    if months == 0:
        return None
    run = [Decimal(by_month[m]) for m in range(1, months + 1)]
    value = sum(run, Decimal(0)) if aggregation is TimeAggregation.SUM else run[-1]
    return YearToDate(year, value, Period(year, PeriodKind.MONTH, months), months, aggregation)


def judge_year_to_date(
    definition: IndicatorDefinition,
    ytd: YearToDate,
    target: Decimal,
    *,
    previous: Decimal | None = None,
    profile: SeasonalProfile | None = None,
) -> Evaluation:
    """The year judged by its year-to-date value, as of the last day of the last month in: the
    status is on-track / at-risk against the expectation then (achieved / missed once all
    twelve months are in)."""
    year = Period(ytd.year, PeriodKind.YEAR)
    as_of = year.end + timedelta(days=1) if ytd.complete else ytd.through.end
    return evaluate(
        definition,
        year,
        target=target,
        actual=ytd.value,
        as_of=as_of,
        previous=previous,
        profile=profile,
    )
