"""Reporting (indicators) and award files waiting for an action (nominations)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from egov_console.adapters.api import ApiError
from egov_console.domain.periods import current, parse
from egov_console.entrypoints.web.common import (
    apis_of,
    error_page,
    failure_page,
    gather_limited,
    now_vn,
    period_choices,
    render,
    signed_in,
    subtree,
    to_sign_in,
    units_today,
)

router = APIRouter(include_in_schema=False)


INDICATORS = "indicators"
NOMINATIONS = "nominations"
WAITING = ("submitted", "returned", "under-review", "approved", "forwarded")


@router.get("/reporting", response_class=HTMLResponse, response_model=None)
async def reporting(
    request: Request, period: str | None = None, unit: str | None = None
) -> Response:
    """Which sub-units have not reported an indicator set for the period, the rejected
    submissions with their violations, and the targets at risk or missed (indicators' API)."""
    who = signed_in(request)
    if who is None:
        return to_sign_in(request)
    person, token = who
    unit = unit or person.unit_code
    try:
        chosen = parse(period) if period else current("month", now_vn().date())
    except ValueError as exc:
        return error_page(request, person, 422, "Kỳ không hợp lệ", str(exc))
    apis = apis_of(request)
    units = await units_today(request)
    children = [u for u in units.values() if u["parent_code"] == unit] or [
        units.get(unit, {"unit_code": unit, "name": unit, "parent_code": None})
    ]
    label = chosen.label
    try:
        values, achievement = await asyncio.gather(
            apis.get(
                INDICATORS,
                "/v1/values",
                token,
                {"period": label, "unit": unit, "subunits": "true", "limit": 500},
            ),
            apis.get(
                INDICATORS,
                "/v1/achievement",
                token,
                {"period": label, "unit": unit, "subunits": "true", "limit": 500},
            ),
        )
    except ApiError as exc:
        return failure_page(request, person, exc)
    reports = await gather_limited(
        [apis.get(INDICATORS, f"/v1/reports/{c['unit_code']}/{label}", token) for c in children]
    )
    reported = {v["unit_code"] for v in values["items"] if not v.get("derived")}
    rows: list[dict[str, Any]] = []
    for child, report in zip(children, reports, strict=True):
        subs = report.get("submissions", []) if isinstance(report, dict) else []
        below = {u["unit_code"] for u in subtree(units, child["unit_code"])}
        rows.append(
            {
                "unit": child,
                "reported": bool(reported & below),
                "rejected": [s for s in subs if s.get("status") == "rejected"],
                "locked": isinstance(report, dict) and report.get("locked"),
            }
        )
    rows.sort(key=lambda r: (r["reported"], r["unit"]["unit_code"]))
    at_risk = [i for i in achievement["items"] if i.get("status") in ("at-risk", "missed")]
    return render(
        request,
        "reporting.html",
        person,
        active="reporting",
        unit=units.get(unit, {"unit_code": unit, "name": unit}),
        period=chosen,
        periods=period_choices(chosen),
        rows=rows,
        at_risk=at_risk,
        names=units,
    )


@router.get("/nominations", response_class=HTMLResponse, response_model=None)
async def nominations(request: Request, unit: str | None = None) -> Response:
    """Award files of the person's unit waiting for an action, with their deadlines (the
    nominations service counts them in working days)."""
    who = signed_in(request)
    if who is None:
        return to_sign_in(request)
    person, token = who
    unit = unit or person.unit_code
    apis = apis_of(request)
    units = await units_today(request)
    try:
        listed = await apis.get(NOMINATIONS, "/v1/nominations", token, {"unit": unit, "limit": 500})
    except ApiError as exc:
        return failure_page(request, person, exc)
    waiting = [n for n in listed["items"] if n.get("status") in WAITING][:100]
    details = await gather_limited(
        [apis.get(NOMINATIONS, f"/v1/nominations/{n['nomination_id']}", token) for n in waiting]
    )
    files = [d for d in details if isinstance(d, dict)]

    def due(d: dict[str, Any]) -> str:
        deadlines = d.get("deadlines") or {}
        dates = [deadlines.get(k) for k in ("return_by", "complete_on", "decide_by")]
        return min((x for x in dates if x), default="9999-12-31")

    files.sort(key=lambda d: (not (d.get("deadlines") or {}).get("overdue"), due(d)))
    return render(
        request,
        "nominations.html",
        person,
        active="nominations",
        unit=units.get(unit, {"unit_code": unit, "name": unit}),
        files=files,
        due=due,
        total_listed=len(listed),
    )
