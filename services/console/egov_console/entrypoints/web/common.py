"""What the console's pages share: the templates, the signed-in person (session cookie), the
services' APIs, the units valid today, rendering a page or a failure, and bounded fan-out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from egov_runtime.auth import ROLES, Principal, decode_token
from egov_runtime.problems import Problem
from egov_runtime.service import runtime_of, state_of
from egov_runtime.units import load_hierarchy
from egov_workdays import VN_TZ
from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from egov_console.adapters.api import ApiError, ServiceApis
from egov_console.domain import fmt
from egov_console.domain.periods import Period, current
from egov_console.entrypoints.live import Live
from egov_console.settings import ConsoleSettings

HERE = Path(__file__).resolve().parents[2]  # the egov_console package
STATIC = HERE / "static"
COOKIE = "egov_console_session"
PROCEDURES = "admin-procedures"
NOTIFIER = "notifier"
SIGN_IN_ROLES = [r for r in ROLES if r != "integration"]
HEALTH_ROLES = ("admin", "operator")
EXPORT_LIMIT = 50_000

templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters.update(
    number=fmt.number,
    decimal=fmt.decimal,
    percent=fmt.percent,
    day=fmt.day,
    moment=fmt.moment,
    clock=fmt.clock,
)
templates.env.globals.update(
    status=lambda c: fmt.pair(fmt.STATUS, c),
    timeliness=lambda c: fmt.pair(fmt.TIMELINESS, c),
    delivery=lambda c: fmt.pair(fmt.DELIVERY, c),
    channel=lambda c: fmt.word(fmt.CHANNEL, c),
    role_name=lambda c: fmt.word(fmt.ROLE, c),
)


T = TypeVar("T")


def settings_of(request: Request) -> ConsoleSettings:
    return cast(ConsoleSettings, runtime_of(request).settings)


def apis_of(request: Request) -> ServiceApis:
    return state_of(request, "apis", ServiceApis)


def live_of(request: Request) -> Live:
    return state_of(request, "live", Live)


def signed_in(request: Request) -> tuple[Principal, str] | None:
    """The signed-in person and their token (from the HTTP-only session cookie)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return decode_token(settings_of(request).jwt_secret.get_secret_value(), token), token
    except Problem:
        return None


def to_sign_in(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/sign-in?" + urlencode({"next": target}), status_code=303)


def safe_next(target: str | None) -> str:
    """Only a path of this console (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def set_session(request: Request, response: Response, token: str) -> None:
    settings = settings_of(request)
    secure = settings.production if settings.cookie_secure is None else settings.cookie_secure
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )


async def units_today(request: Request) -> dict[str, dict[str, Any]]:
    """The units valid today (+07:00), each under its parent as it stands today (a parent
    merged away: its successor), from the console's read model of the hierarchy (reference
    data, from the topic) read through the one date-aware model."""
    async with runtime_of(request).pool.acquire() as conn:
        hierarchy = await load_hierarchy(conn)
    today = now_vn().date()
    units: dict[str, dict[str, Any]] = {}
    for unit in sorted(hierarchy, key=lambda u: u.code):
        if unit.valid_on(today):
            chain = hierarchy.ancestry(unit.code, today)
            parent = chain[1] if len(chain) > 1 else None
            units[unit.code] = {
                "unit_code": unit.code,
                "name": unit.name,
                "level": unit.level,
                "parent_code": parent,
            }
    return units


def breadcrumbs(units: dict[str, dict[str, Any]], code: str, top: str) -> list[dict[str, Any]]:
    """The units from the person's own unit down to ``code`` (breadcrumbs)."""
    chain: list[dict[str, Any]] = []
    at: str | None = code
    while at is not None and at in units and len(chain) < 20:
        chain.append(units[at])
        if at == top:
            break
        at = units[at]["parent_code"]
    return chain[::-1]


def now_vn() -> datetime:
    return datetime.now(VN_TZ)


def render(
    request: Request,
    name: str,
    who: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    settings = settings_of(request)
    return templates.TemplateResponse(
        request,
        name,
        {
            "person": who,
            "updated_at": now_vn(),
            "live_poll_ms": settings.live_poll_ms,
            "local": not settings.production,
            **context,
        },
        status_code=status_code,
    )


def failure_page(request: Request, who: Principal | None, exc: ApiError) -> HTMLResponse:
    if exc.status == 403:
        title, text = "Ngoài phạm vi của bạn", "Đơn vị hoặc hồ sơ này không thuộc đơn vị của bạn."
    elif exc.status == 404:
        title, text = "Không tìm thấy", "Không có dữ liệu được yêu cầu."
    elif exc.status == 422:
        title, text = "Yêu cầu không hợp lệ", exc.detail
    else:
        title, text = "Dịch vụ chưa trả lời", f"{exc.service}: {exc.detail}"
    code = exc.status if exc.status in (403, 404, 422) else 502
    return error_page(request, who, code, title, text)


def error_page(
    request: Request, who: Principal | None, status_code: int, title: str, text: str
) -> HTMLResponse:
    """The error page with its status, a title and a sentence (Vietnamese)."""
    return render(request, "error.html", who, status_code=status_code, title=title, text=text)


async def gather_limited(calls: Sequence[Awaitable[T]], limit: int = 8) -> list[T | BaseException]:
    """Run calls concurrently, at most ``limit`` at a time (the services' pools are small)."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    return await asyncio.gather(*(one(c) for c in calls), return_exceptions=True)


def period_choices(chosen: Period) -> dict[str, list[Period]]:
    today = now_vn().date()
    month = current("month", today)
    quarter = current("quarter", today)
    year = current("year", today)
    return {
        "month": month.months_up_to(12)[::-1],
        "quarter": [quarter, *_back(quarter, 7)],
        "year": [year, *_back(year, 4)],
    }


def _back(period: Period, count: int) -> list[Period]:
    out = []
    for _ in range(count):
        period = period.previous()
        out.append(period)
    return out


def subtree(units: dict[str, dict[str, Any]], top: str) -> list[dict[str, Any]]:
    """The person's unit and every unit below it, as the unit filter's choices."""
    found, frontier = [], [top]
    while frontier:
        code = frontier.pop(0)
        if code in units:
            found.append(units[code])
            frontier += [u["unit_code"] for u in units.values() if u["parent_code"] == code]
    return found
