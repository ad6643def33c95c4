"""Targets of the plan and achievement, multi-year plan periods and the year so far."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from egov_runtime.pagination import Page, PageQuery
from egov_runtime.problems import Problem
from egov_runtime.service import runtime_of
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from egov_indicators.adapters import store
from egov_indicators.domain.plan_periods import PlanPeriod, PlanPeriodError
from egov_indicators.domain.records import Target
from egov_indicators.entrypoints.http.common import (
    Planner,
    Reader,
    as_json,
    check_unit,
    ctx_of,
    parse_period,
    units_in_scope,
)
from egov_indicators.usecases.common import Work, load_rulebook
from egov_indicators.usecases.plans import SetPlanTarget, plan_period_report, set_plan_target
from egov_indicators.usecases.targets import SetTarget, assess, evaluation_json, set_target
from egov_indicators.usecases.year_to_date import year_to_date_report

router = APIRouter(prefix="/v1")


@router.get("/achievement", tags=["targets"])
async def get_achievement(
    request: Request,
    principal: Reader,
    page: PageQuery,
    period: str,
    unit: str | None = None,
    indicator: str | None = None,
    subunits: bool = False,
    as_of: date | None = Query(None, description="Evaluate as of this day (default: today)"),
) -> Page:
    """Actual against target for each target of the unit and period: achievement % (half-up,
    2 decimals), change vs the previous period in the indicator's unit (pp for rates), the
    planned versus achieved change (``planned_change``, ``achieved_change``,
    ``change_achievement_pct``: what reads right for lower-is-better indicators), the verdict in
    words (``verdict_vi``) and the status (achieved/missed for a closed period;
    on-track/at-risk against the linear or seasonal expectation to date for an open one)."""
    rt = runtime_of(request)
    ctx = ctx_of(request)
    p = parse_period(period)
    unit, units = await units_in_scope(rt, principal, unit, subunits)
    day = as_of or ctx.clock().date()
    items = []
    async with rt.transaction() as tx:
        w = Work.on(tx)
        book = await load_rulebook(w)
        for t in await store.find_targets(tx.conn, units, str(p), indicator):
            target = Target(t["indicator_code"], t["unit_code"], p, t["target"])
            e = await assess(w, ctx, book, target, day)
            d = book.catalogue.get(t["indicator_code"])
            base = {
                "unit_code": t["unit_code"],
                "indicator_code": t["indicator_code"],
                "name_vi": d.name_vi if d else None,
                "period": str(p),
                "target": format(t["target"], "f"),
            }
            items.append({**base, **evaluation_json(e)} if e else {**base, "actual": None})
    return page.slice(
        items,
        unit_code=unit,
        period=str(p),
        as_of=day.isoformat(),
        rounding="achievement_pct = actual / target × 100, half-up to 2 decimals",
    )


# -- targets ----------------------------------------------------------------------------------


class TargetIn(BaseModel):
    target: Decimal = Field(allow_inf_nan=False, description="Chỉ tiêu kế hoạch")
    note: str = Field("", max_length=500, description="E.g. the council resolution")


@router.put("/targets/{indicator}/{unit}/{period}", tags=["targets"])
async def put_target(
    indicator: str, unit: str, period: str, body: TargetIn, request: Request, principal: Planner
) -> dict[str, Any]:
    """Set the plan's target for an indicator, unit and period; it is evaluated at once when a
    value exists (``target.evaluated.v1``)."""
    rt = runtime_of(request)
    p = parse_period(period)
    await check_unit(rt, principal, unit)
    async with rt.transaction() as tx:
        command = SetTarget(indicator, unit, str(p), body.target, body.note, principal.subject)
        evaluation = await set_target(Work.on(tx), ctx_of(request), command)
    return {
        "indicator_code": indicator,
        "unit_code": unit,
        "period": str(p),
        "target": format(body.target, "f"),
        "note": body.note,
        "evaluation": evaluation,
    }


@router.get("/targets", tags=["targets"])
async def get_targets(
    request: Request,
    principal: Reader,
    page: PageQuery,
    unit: str | None = None,
    period: str | None = None,
    indicator: str | None = None,
    subunits: bool = False,
) -> Page:
    rt = runtime_of(request)
    label = str(parse_period(period)) if period else None
    _, units = await units_in_scope(rt, principal, unit, subunits)
    async with rt.pool.acquire() as conn:
        return page.slice(
            [as_json(t) for t in await store.find_targets(conn, units, label, indicator)]
        )


# -- multi-year plan periods ------------------------------------------------------------------


def _plan_period(text: str, name: str = "period") -> PlanPeriod:
    try:
        return PlanPeriod.parse(text)
    except PlanPeriodError as exc:
        raise Problem(
            422, "Invalid plan period", str(exc), errors=[{"field": name, "message": str(exc)}]
        ) from exc


class PlanTargetIn(BaseModel):
    target_low: Decimal = Field(allow_inf_nan=False, description="Từ (the lower end)")
    target_high: Decimal = Field(allow_inf_nan=False, description="Đến (the upper end)")
    basis: Literal["period", "yearly-average"] = Field(
        "period",
        description="What the range is for: the period's value (total of a flow, end level of"
        " a stock) or the average per year ('bình quân mỗi năm')",
    )
    note: str = Field("", max_length=500, description="E.g. the congress resolution")


@router.put("/plan-targets/{indicator}/{unit}/{period}", tags=["targets"])
async def put_plan_target(
    indicator: str,
    unit: str,
    period: str,
    body: PlanTargetIn,
    request: Request,
    principal: Planner,
) -> dict[str, Any]:
    """Set a multi-year plan period's target (``2016-2020``) as a range ("từ 6,5 đến 7 vạn";
    equal ends for a single figure), for the period's value or its average per year."""
    rt = runtime_of(request)
    p = _plan_period(period)
    await check_unit(rt, principal, unit)
    async with rt.transaction() as tx:
        w = Work.on(tx)
        book = await load_rulebook(w)
        command = SetPlanTarget(
            indicator,
            unit,
            p,
            basis=body.basis,
            low=body.target_low,
            high=body.target_high,
            note=body.note,
            by=principal.subject,
        )
        await set_plan_target(w, book, command)
        return as_json(await plan_period_report(w, book, indicator, unit, p, None))


@router.get("/plan-periods/{period}", tags=["targets"])
async def get_plan_period(
    period: str,
    request: Request,
    principal: Reader,
    indicator: str,
    unit: str | None = None,
    compare_with: str | None = Query(
        None, description="An earlier plan period to compare with (e.g. 2011-2015)"
    ),
) -> dict[str, Any]:
    """An indicator over a multi-year plan period (``2016-2020``) for a unit: its value (the
    years' total of a flow, the last year's level of a stock; only when every year is in), the
    average per year, the ratio to an earlier period × 100, and each range target with its
    status (higher-is-better: achieved from the lower end; lower-is-better: up to the upper
    end), whether the actual lies within the range and its % of either end."""
    rt = runtime_of(request)
    p = _plan_period(period)
    earlier = _plan_period(compare_with, "compare_with") if compare_with else None
    unit = unit or principal.unit_code
    await check_unit(rt, principal, unit)
    async with rt.transaction() as tx:
        w = Work.on(tx)
        book = await load_rulebook(w)
        return as_json(await plan_period_report(w, book, indicator, unit, p, earlier))


# -- year to date -----------------------------------------------------------------------------


@router.get("/year-to-date", tags=["targets"])
async def get_year_to_date(
    request: Request,
    principal: Reader,
    indicator: str,
    year: Annotated[int, Query(ge=2000, le=2099)],
    unit: str | None = None,
) -> dict[str, Any]:
    """An open year's value so far ("lũy kế từ đầu năm") from its months from January without a
    gap (the unit's reported or rolled-up month values): the total of a flow, the last month
    of a snapshot; ``completeness`` partial until December is in, ``derivation`` says how
    (``sum 2026-01..2026-07``), and the year's target judged at the end of the last month in
    (on-track / at-risk against the linear or seasonal expectation then)."""
    rt = runtime_of(request)
    unit = unit or principal.unit_code
    await check_unit(rt, principal, unit)
    async with rt.transaction() as tx:
        w = Work.on(tx)
        book = await load_rulebook(w)
        report = await year_to_date_report(w, ctx_of(request), book, indicator, unit, year)
    return as_json(report)
