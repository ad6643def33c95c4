"""Tổng quan: the unit's dossiers for a period, its sub-units' rates, the trend."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from egov_console.adapters.api import ApiError, ServiceApis
from egov_console.domain import fmt
from egov_console.domain.chart import trend
from egov_console.domain.periods import Period, current, parse
from egov_console.entrypoints.web.common import (
    PROCEDURES,
    apis_of,
    breadcrumbs,
    error_page,
    failure_page,
    gather_limited,
    now_vn,
    period_choices,
    render,
    signed_in,
    to_sign_in,
    units_today,
)

router = APIRouter(include_in_schema=False)


CLOSED_REPORT_KEPT_S = 300.0


def _closed_for_a_while(body: Any) -> float:
    """A report of a period that ended before today changes only when a late report corrects
    it: kept five minutes. The current period's is always asked again."""
    ended = isinstance(body, dict) and body.get("to") and body["to"] < now_vn().date().isoformat()
    return CLOSED_REPORT_KEPT_S if ended else 0.0


async def _report(apis: ServiceApis, token: str, unit: str, period: Period) -> dict[str, Any]:
    body: dict[str, Any] = await apis.get_kept(
        PROCEDURES,
        "/v1/reports/on-time",
        token,
        {"unit": unit, "period": period.label},
        _closed_for_a_while,
    )
    return body


async def _same(report: dict[str, Any]) -> dict[str, Any]:
    return report


def _rate_key(row: dict[str, Any]) -> tuple[int, float, int]:
    rate = row["total"]["on_time_rate"] if row.get("total") else None
    overdue = row["total"]["in_progress_overdue"] if row.get("total") else 0
    # worst first: the lowest rate, then the most overdue; units with nothing resolved last
    return (rate is None, float(rate) if rate is not None else 0.0, -overdue)


@router.get("/", response_class=HTMLResponse, response_model=None)
async def overview(
    request: Request,
    unit: str | None = None,
    period: str | None = None,
    kind: Literal["month", "quarter", "year"] = "month",
) -> Response:
    who = signed_in(request)
    if who is None:
        return to_sign_in(request)
    person, token = who
    unit = unit or person.unit_code
    try:
        chosen = parse(period) if period else current(kind, now_vn().date())
    except ValueError as exc:
        return error_page(request, person, 422, "Kỳ không hợp lệ", str(exc))
    apis = apis_of(request)
    units = await units_today(request)
    try:
        main, previous = await asyncio.gather(
            _report(apis, token, unit, chosen), _report(apis, token, unit, chosen.previous())
        )
    except ApiError as exc:
        return failure_page(request, person, exc)
    months = chosen.months_up_to(12)
    children = [u for u in units.values() if u["parent_code"] == unit]
    parents = {u["parent_code"] for u in units.values()}
    # A sub-unit with no units below it is one group of the report grouped by unit (the same
    # counts and rule as its own report): one call for all of them; the others one call each.
    leaves = [c for c in children if c["unit_code"] not in parents]
    branches = [c for c in children if c["unit_code"] in parents]
    by_unit: dict[str, Any] = {
        "group_by": "unit",
        "unit": unit,
        "period": chosen.label,
    }
    found = await gather_limited(
        # this month is the overview's own report when the period is a month: not asked twice
        [_same(main) if m == chosen else _report(apis, token, unit, m) for m in months]
        + [_report(apis, token, c["unit_code"], chosen) for c in branches]
        + ([apis.get(PROCEDURES, "/v1/reports/on-time", token, by_unit)] if leaves else [])
    )
    monthly = found[: len(months)]
    per_branch = found[len(months) : len(months) + len(branches)]
    grouped = found[len(months) + len(branches) :]
    points = [
        (
            f"{m.month:02d}/{m.year % 100:02d}",
            r["total"]["on_time_rate"] if isinstance(r, dict) else None,
        )
        for m, r in zip(months, monthly, strict=True)
    ]
    subs = []
    for child, r in zip(branches, per_branch, strict=True):
        if isinstance(r, dict):
            subs.append({"unit": child, "total": r["total"]})
    if grouped and isinstance(grouped[0], dict):
        groups = {g["unit"]: g for g in grouped[0]["groups"]}
        nothing = {k: (None if k == "on_time_rate" else 0) for k in main["total"]}
        for child in leaves:
            subs.append({"unit": child, "total": groups.get(child["unit_code"], nothing)})
    subs.sort(key=_rate_key)
    total = main["total"]
    return render(
        request,
        "overview.html",
        person,
        unit=units.get(unit, {"unit_code": unit, "name": unit}),
        chain=breadcrumbs(units, unit, person.unit_code),
        period=chosen,
        previous=chosen.previous(),
        kind=chosen.kind,
        report=main,
        total=total,
        change=fmt.rate_change(total["on_time_rate"], previous["total"]["on_time_rate"]),
        previous_rate=previous["total"]["on_time_rate"],
        chart=trend(points, fmt.percent),
        subs=subs,
        has_children=parents,
        periods=period_choices(chosen),
    )
