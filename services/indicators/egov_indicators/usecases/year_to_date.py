"""A year's value so far from its months, judged against the year's target."""

from __future__ import annotations

from typing import Any

from egov_indicators.domain import (
    Period,
)
from egov_indicators.domain.periods import PeriodKind
from egov_indicators.domain.records import RuleBook
from egov_indicators.domain.year_to_date import judge_year_to_date, year_to_date
from egov_indicators.usecases.common import Context, Work, definition_of
from egov_indicators.usecases.targets import evaluation_json


async def year_to_date_report(
    w: Work, ctx: Context, book: RuleBook, indicator: str, unit: str, year: int
) -> dict[str, Any]:
    """A year's value so far from its months (the unit's reported or rolled-up month values),
    marked partial until December is in, judged against the year's target at the end of the
    last month in."""
    definition = definition_of(book, indicator)
    pair = (definition.code, unit)
    by_month = {}
    for m in Period(year, PeriodKind.YEAR).months():
        value = (await w.periods.totals([pair], m)).get(pair)
        if value is not None:
            by_month[m.index] = value
    ytd = year_to_date(definition, year, by_month)
    out: dict[str, Any] = {
        "indicator_code": definition.code,
        "name_vi": definition.name_vi,
        "unit_code": unit,
        "period": f"{year:04d}",
        "measure_unit": definition.measure_unit,
        "value": None,
        "completeness": None,
        "derivation": None,
        "through": None,
        "months": 0,
        "evaluation": None,
    }
    if ytd is None:
        return out
    out |= {
        "value": format(ytd.value, "f"),
        "completeness": ytd.completeness,
        "derivation": ytd.derivation,
        "through": str(ytd.through),
        "months": ytd.months,
    }
    the_year = Period(year, PeriodKind.YEAR)
    targets = await w.targets.of([pair], the_year)
    if targets:
        previous = (await w.periods.totals([pair], the_year.previous())).get(pair)
        e = judge_year_to_date(
            definition,
            ytd,
            targets[0].target,
            previous=previous,
            profile=ctx.profiles.get(definition.code),
        )
        out["evaluation"] = {**evaluation_json(e), "as_of": ytd.through.end.isoformat()}
    return out
