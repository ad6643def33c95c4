"""Multi-year plan periods (``2016-2020``): an indicator's value over the period and its range
targets."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from egov_runtime.refusals import Invalid

from egov_indicators.domain.definitions import IndicatorDefinition
from egov_indicators.domain.periods import Period, PeriodKind
from egov_indicators.domain.plan_periods import (
    PlanPeriod,
    PlanValue,
    PlanValueUnavailable,
    RangeTarget,
    evaluate_range,
    plan_value,
    ratio_pct,
)
from egov_indicators.domain.records import PlanTarget, RuleBook
from egov_indicators.usecases.common import Work, definition_of


async def _plan_value(
    w: Work, definition: IndicatorDefinition, unit: str, period: PlanPeriod
) -> PlanValue:
    pair = (definition.code, unit)
    by_year = {}
    for year in period.years:
        value = (await w.periods.totals([pair], Period(year, PeriodKind.YEAR))).get(pair)
        if value is not None:
            by_year[year] = value
    return plan_value(definition, period, by_year)


def _amount(v: Decimal | None) -> str | None:
    return None if v is None else format(v, "f")


async def plan_period_report(
    w: Work,
    book: RuleBook,
    indicator: str,
    unit: str,
    period: PlanPeriod,
    compare_with: PlanPeriod | None,
) -> dict[str, Any]:
    """An indicator over a plan period for a unit: the value (total of a flow, end level of a
    stock), the average per year, the ratio to an earlier period, and the range targets."""
    definition = definition_of(book, indicator)
    try:
        current = await _plan_value(w, definition, unit, period)
    except PlanValueUnavailable as exc:
        raise Invalid("Not aggregated over time", str(exc)) from exc
    out: dict[str, Any] = {
        "indicator_code": definition.code,
        "name_vi": definition.name_vi,
        "unit_code": unit,
        "period": str(period),
        "period_label_vi": period.label_vi,
        "measure_unit": definition.measure_unit,
        "direction": definition.direction.value,
        "time_aggregation": definition.time_aggregation.value,
        "value": _amount(current.value),
        "yearly_average": _amount(current.yearly_average),
        "missing_years": list(current.missing_years),
        "compare_with": None,
        "targets": [],
    }
    if compare_with is not None:
        earlier = await _plan_value(w, definition, unit, compare_with)
        ratio = (
            ratio_pct(current.value, earlier.value)
            if current.value is not None and earlier.value is not None
            else None
        )
        out["compare_with"] = {
            "period": str(compare_with),
            "period_label_vi": compare_with.label_vi,
            "value": _amount(earlier.value),
            "yearly_average": _amount(earlier.yearly_average),
            "missing_years": list(earlier.missing_years),
            "ratio_pct": _amount(ratio),
        }
    for t in await w.targets.plans(definition.code, unit, str(period)):
        actual = current.yearly_average if t.basis == "yearly-average" else current.value
        target = RangeTarget(t.target_low, t.target_high)
        item: dict[str, Any] = {
            "basis": t.basis,
            "target_low": _amount(target.low),
            "target_high": _amount(target.high),
            "note": t.note,
            "actual": _amount(actual),
            "status": None,
        }
        if actual is not None:
            e = evaluate_range(definition.direction, target, actual)
            item |= {
                "status": e.status,
                "within_range": e.within,
                "pct_of_low": _amount(e.pct_of_low),
                "pct_of_high": _amount(e.pct_of_high),
            }
        out["targets"].append(item)
    return out


@dataclass(frozen=True)
class SetPlanTarget:
    """A planner sets a range target of a plan period, on its value or its average per year."""

    indicator: str
    unit: str
    period: PlanPeriod
    basis: str  # period | yearly-average
    low: Decimal
    high: Decimal
    note: str
    by: str


async def set_plan_target(w: Work, book: RuleBook, command: SetPlanTarget) -> None:
    indicator = command.indicator
    definition = definition_of(book, indicator)
    if command.basis == "yearly-average" and definition.time_aggregation.value != "sum":
        raise Invalid("Invalid target", f"{indicator} has no average per year (not a flow)")
    try:
        RangeTarget(command.low, command.high)
    except ValueError as exc:
        raise Invalid("Invalid target", str(exc)) from exc
    await w.targets.put_plan(
        PlanTarget(
            indicator,
            command.unit,
            str(command.period),
            command.basis,
            command.low,
            command.high,
            command.note,
            command.by,
        )
    )
