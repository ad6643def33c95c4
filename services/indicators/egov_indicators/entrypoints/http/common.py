"""What the routes of indicators share: the roles, the use-case context, the unit-scope checks
and the parsing and rendering of periods and values."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from egov_contracts.envelope import VN_TZ
from egov_runtime.auth import Principal, require
from egov_runtime.problems import MEDIA_TYPE, Problem
from egov_runtime.scope import check_root, check_scope
from egov_runtime.service import Runtime, context_of
from egov_runtime.units import descendants
from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from egov_indicators.domain import Period, PeriodError
from egov_indicators.usecases.common import Context

Reader = Annotated[
    Principal, Depends(require("admin", "operator", "officer", "council", "integration"))
]
Writer = Annotated[Principal, Depends(require("admin", "operator", "officer", "integration"))]
Planner = Annotated[Principal, Depends(require("admin", "operator"))]
Admin = Annotated[Principal, Depends(require("admin"))]
Approver = Annotated[Principal, Depends(require("admin", "operator", "officer"))]


def ctx_of(request: Request) -> Context:
    return context_of(request, Context)


async def check_unit(rt: Runtime, principal: Principal, unit_code: str) -> None:
    async with rt.pool.acquire() as conn:
        await check_scope(conn, principal, unit_code)


async def check_province(rt: Runtime, principal: Principal, what: str) -> None:
    """Indicator definitions and rules apply to the whole province."""
    async with rt.pool.acquire() as conn:
        await check_root(conn, principal, rt.settings.province_code, what)


async def units_in_scope(
    rt: Runtime, principal: Principal, unit: str | None, subunits: bool = True
) -> tuple[str, list[str]]:
    unit = unit or principal.unit_code
    await check_unit(rt, principal, unit)
    if not subunits:
        return unit, [unit]
    async with rt.pool.acquire() as conn:
        return unit, await descendants(conn, unit)


def parse_period(text: str, name: str = "period") -> Period:
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise Problem(
            422, "Invalid period", str(exc), errors=[{"field": name, "message": str(exc)}]
        ) from exc


def as_json(v: Any) -> Any:
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, datetime):
        return v.astimezone(VN_TZ).isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return [as_json(x) for x in v]
    if isinstance(v, dict):
        return {k: as_json(x) for k, x in v.items()}
    return v


def respond(status: int, body: dict[str, Any]) -> JSONResponse:
    media = MEDIA_TYPE if status >= 400 else "application/json"
    return JSONResponse(body, status_code=status, media_type=media)
