"""The console's pages: sign-in, overview (Tổng quan), queues with export, a dossier, the
integration health, and ``/live`` for the pages' refresh. Server-rendered (Jinja2); every
asset is served from ``/static`` by the console itself."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar, cast
from urllib.parse import urlencode

from egov_runtime.auth import ROLES, Principal, decode_token, issue_token
from egov_runtime.problems import Problem
from egov_runtime.service import runtime_of, state_of
from egov_runtime.tables import table_download
from egov_runtime.units import load_hierarchy
from egov_workdays import VN_TZ
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from prometheus_client.parser import text_string_to_metric_families

from egov_console.adapters.api import ApiError, ServiceApis
from egov_console.domain import fmt
from egov_console.domain.chart import trend
from egov_console.domain.periods import Period, current, parse
from egov_console.entrypoints.live import Live
from egov_console.settings import ConsoleSettings

HERE = Path(__file__).resolve().parent.parent
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

router = APIRouter(include_in_schema=False)
T = TypeVar("T")


# -- plumbing --------------------------------------------------------------------------------


def _settings(request: Request) -> ConsoleSettings:
    return cast(ConsoleSettings, runtime_of(request).settings)


def _apis(request: Request) -> ServiceApis:
    return state_of(request, "apis", ServiceApis)


def _live(request: Request) -> Live:
    return state_of(request, "live", Live)


def _person(request: Request) -> tuple[Principal, str] | None:
    """The signed-in person and their token (from the HTTP-only session cookie)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return decode_token(_settings(request).jwt_secret.get_secret_value(), token), token
    except Problem:
        return None


def _to_sign_in(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/sign-in?" + urlencode({"next": target}), status_code=303)


def _safe_next(target: str | None) -> str:
    """Only a path of this console (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _set_session(request: Request, response: Response, token: str) -> None:
    settings = _settings(request)
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


async def _units(request: Request) -> dict[str, dict[str, Any]]:
    """The units valid today (+07:00), each under its parent as it stands today (a parent
    merged away: its successor), from the console's read model of the hierarchy (reference
    data, from the topic) read through the one date-aware model."""
    async with runtime_of(request).pool.acquire() as conn:
        hierarchy = await load_hierarchy(conn)
    today = _now().date()
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


def _chain(units: dict[str, dict[str, Any]], code: str, top: str) -> list[dict[str, Any]]:
    """The units from the person's own unit down to ``code`` (breadcrumbs)."""
    chain: list[dict[str, Any]] = []
    at: str | None = code
    while at is not None and at in units and len(chain) < 20:
        chain.append(units[at])
        if at == top:
            break
        at = units[at]["parent_code"]
    return chain[::-1]


def _now() -> datetime:
    return datetime.now(VN_TZ)


def _page(
    request: Request,
    name: str,
    who: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    settings = _settings(request)
    return templates.TemplateResponse(
        request,
        name,
        {
            "person": who,
            "updated_at": _now(),
            "live_poll_ms": settings.live_poll_ms,
            "local": not settings.production,
            **context,
        },
        status_code=status_code,
    )


def _failure(request: Request, who: Principal | None, exc: ApiError) -> HTMLResponse:
    if exc.status == 403:
        title, text = "Ngoài phạm vi của bạn", "Đơn vị hoặc hồ sơ này không thuộc đơn vị của bạn."
    elif exc.status == 404:
        title, text = "Không tìm thấy", "Không có dữ liệu được yêu cầu."
    elif exc.status == 422:
        title, text = "Yêu cầu không hợp lệ", exc.detail
    else:
        title, text = "Dịch vụ chưa trả lời", f"{exc.service}: {exc.detail}"
    code = exc.status if exc.status in (403, 404, 422) else 502
    return _page(request, "error.html", who, status_code=code, title=title, text=text)


async def _gather(calls: Sequence[Awaitable[T]], limit: int = 8) -> list[T | BaseException]:
    """Run calls concurrently, at most ``limit`` at a time (the services' pools are small)."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    return await asyncio.gather(*(one(c) for c in calls), return_exceptions=True)


# -- assets and sign-in ----------------------------------------------------------------------


@router.get("/static/{name}")
async def static(name: str) -> FileResponse:
    files = {p.name: p for p in STATIC.iterdir() if p.is_file()}
    if name not in files:
        raise Problem(404, "Not found")
    return FileResponse(files[name], headers={"Cache-Control": "max-age=3600"})


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    units = await _units(request)
    return _page(
        request,
        "sign_in.html",
        None,
        roles=SIGN_IN_ROLES,
        units=sorted(units.values(), key=lambda u: (u["parent_code"] is not None, u["unit_code"])),
        next=_safe_next(next),
        oidc=request.app.state.wiring.state.get("oidc") is not None,
    )


@router.post("/sign-in", response_model=None)
async def sign_in(
    request: Request,
    role: str = Form(...),
    unit: str = Form(...),
    next: str = Form("/"),
) -> Response:
    """Local profile: sign in as a development role of a unit (production signs in through the
    province's identity provider, which this console does not yet speak)."""
    settings = _settings(request)
    if settings.production:
        raise Problem(404, "Not found")
    if role not in SIGN_IN_ROLES or unit not in await _units(request):
        return _page(
            request,
            "error.html",
            None,
            status_code=422,
            title="Không đăng nhập được",
            text="Vai trò hoặc đơn vị không hợp lệ.",
        )
    token = issue_token(
        settings.jwt_secret.get_secret_value(),
        subject=f"dev-{role}",
        roles=[role],
        unit_code=unit,
        ttl_seconds=settings.session_hours * 3600,
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_session(request, response, token)
    return response


@router.get("/sign-in/token", response_model=None)
async def sign_in_with_token(request: Request, token: str, next: str | None = None) -> Response:
    """Local profile: open the console signed in with a development token (the links in
    ``.run/stack.json``); the token is checked, then kept in the HTTP-only session cookie."""
    settings = _settings(request)
    if settings.production:
        raise Problem(404, "Not found")
    try:
        decode_token(settings.jwt_secret.get_secret_value(), token)
    except Problem:
        return _page(
            request,
            "error.html",
            None,
            status_code=401,
            title="Liên kết đăng nhập không hợp lệ",
            text="Liên kết đã hết hạn hoặc không đúng. Hãy đăng nhập lại.",
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_session(request, response, token)
    return response


@router.post("/sign-out")
async def sign_out() -> RedirectResponse:
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/live")
async def live_version(request: Request) -> JSONResponse:
    live = _live(request)
    return JSONResponse(
        {"version": live.version, "changed_at": live.changed_at.astimezone(VN_TZ).isoformat()},
        headers={"Cache-Control": "no-store"},
    )


# -- overview --------------------------------------------------------------------------------


CLOSED_REPORT_KEPT_S = 300.0


def _closed_for_a_while(body: Any) -> float:
    """A report of a period that ended before today changes only when a late report corrects
    it: kept five minutes. The current period's is always asked again."""
    ended = isinstance(body, dict) and body.get("to") and body["to"] < _now().date().isoformat()
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
    who = _person(request)
    if who is None:
        return _to_sign_in(request)
    person, token = who
    unit = unit or person.unit_code
    try:
        chosen = parse(period) if period else current(kind, _now().date())
    except ValueError as exc:
        return _page(
            request, "error.html", person, status_code=422, title="Kỳ không hợp lệ", text=str(exc)
        )
    apis = _apis(request)
    units = await _units(request)
    try:
        main, previous = await asyncio.gather(
            _report(apis, token, unit, chosen), _report(apis, token, unit, chosen.previous())
        )
    except ApiError as exc:
        return _failure(request, person, exc)
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
    found = await _gather(
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
    return _page(
        request,
        "overview.html",
        person,
        unit=units.get(unit, {"unit_code": unit, "name": unit}),
        chain=_chain(units, unit, person.unit_code),
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
        periods=_period_choices(chosen),
    )


def _period_choices(chosen: Period) -> dict[str, list[Period]]:
    today = _now().date()
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


# -- queues ----------------------------------------------------------------------------------

QUEUES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "overdue": ("Quá hạn", "✖", {"overdue": "true"}),
    "due-1": ("Đến hạn trong 1 ngày làm việc", "⚠", {"due_within_working_days": 1}),
    "due-3": ("Đến hạn trong 3 ngày làm việc", "◷", {"due_within_working_days": 3}),
    "paused": ("Tạm dừng, chờ bổ sung", "‖", {"paused": "true"}),
}
COLUMNS = [
    "Mã hồ sơ",
    "Mã thủ tục",
    "Tên thủ tục",
    "Mã đơn vị",
    "Đơn vị",
    "Hình thức nộp",
    "Trạng thái",
    "Ngày tiếp nhận",
    "Hạn giải quyết",
    "Quá hạn (ngày làm việc)",
    "Còn lại (ngày làm việc)",
]


async def _procedure_names(apis: ServiceApis) -> dict[str, str]:
    try:
        rows = await apis.get(PROCEDURES, "/v1/procedures", None, {"limit": 500})
    except ApiError:
        return {}
    return {r["code"]: r.get("name") or r["code"] for r in rows["items"]}


def _row(
    item: dict[str, Any], names: dict[str, str], units: dict[str, dict[str, Any]]
) -> list[Any]:
    unit = units.get(item["unit_code"], {})
    return [
        item["dossier_code"],
        item["procedure_code"],
        names.get(item["procedure_code"], ""),
        item["unit_code"],
        unit.get("name", ""),
        fmt.word(fmt.CHANNEL, item.get("channel")),
        fmt.pair(fmt.STATUS, item.get("status"))[0],
        fmt.moment(item.get("received_at")),
        fmt.moment(item.get("due_at")),
        fmt.decimal(item["overdue_working_days"]) if "overdue_working_days" in item else "",
        fmt.decimal(item["working_days_left"]) if "working_days_left" in item else "",
    ]


@router.get("/queues/{kind}", response_class=HTMLResponse, response_model=None)
async def queue(
    request: Request,
    kind: str,
    unit: str | None = None,
    procedure: str | None = None,
    channel: str | None = None,
    page: int = 1,
    format: Literal["html", "csv", "xlsx"] = "html",
) -> Response:
    who = _person(request)
    if who is None:
        return _to_sign_in(request)
    person, token = who
    if kind not in QUEUES:
        return _page(
            request, "error.html", person, status_code=404, title="Không có hàng đợi này", text=""
        )
    title, icon, queue_params = QUEUES[kind]
    unit = unit or person.unit_code
    page = max(page, 1)
    size = _settings(request).page_size
    apis = _apis(request)
    units = await _units(request)
    filters = {"unit": unit, "procedure": procedure or None, "channel": channel or None}
    params = {**filters, **queue_params}
    names = await _procedure_names(apis)
    try:
        if format != "html":
            items = await _all_items(apis, token, params)
            table = [COLUMNS, *(_row(i, names, units) for i in items)]
            stamp = _now().strftime("%Y%m%d-%H%M")
            return table_download(
                table,
                name=f"hang-doi-{kind}-{unit}-{stamp}",
                fmt=format,
                title=f"{title} — {units.get(unit, {}).get('name', unit)} — {fmt.moment(_now())}",
                sheet="Hang doi",
            )
        body = await apis.get(
            PROCEDURES,
            "/v1/dossiers",
            token,
            {**params, "limit": size, "offset": (page - 1) * size},
        )
    except ApiError as exc:
        return _failure(request, person, exc)
    total = int(body.get("total", len(body["items"])))
    pages = max((total + size - 1) // size, 1)
    query = {k: v for k, v in filters.items() if v}
    return _page(
        request,
        "queue.html",
        person,
        kind=kind,
        queues=QUEUES,
        title=title,
        icon=icon,
        unit=units.get(unit, {"unit_code": unit, "name": unit}),
        units=_subtree(units, person.unit_code),
        rows=[(i, _row(i, names, units)) for i in body["items"]],
        total=total,
        page=page,
        pages=pages,
        procedure=procedure or "",
        channel=channel or "",
        procedures=sorted(names.items()),
        channels=fmt.CHANNEL,
        query=query,
        export_csv=f"/queues/{kind}?" + urlencode({**query, "format": "csv"}),
        export_xlsx=f"/queues/{kind}?" + urlencode({**query, "format": "xlsx"}),
        page_link=lambda n: f"/queues/{kind}?" + urlencode({**query, "page": n}),
    )


async def _all_items(apis: ServiceApis, token: str, params: dict[str, Any]) -> list[Any]:
    """Every row of the filtered view (page after page), for the download."""
    items: list[Any] = []
    while len(items) < EXPORT_LIMIT:
        body = await apis.get(
            PROCEDURES, "/v1/dossiers", token, {**params, "limit": 500, "offset": len(items)}
        )
        items += body["items"]
        if not body["items"] or len(items) >= int(body.get("total", 0)):
            break
    return items


def _subtree(units: dict[str, dict[str, Any]], top: str) -> list[dict[str, Any]]:
    """The person's unit and every unit below it, as the unit filter's choices."""
    found, frontier = [], [top]
    while frontier:
        code = frontier.pop(0)
        if code in units:
            found.append(units[code])
            frontier += [u["unit_code"] for u in units.values() if u["parent_code"] == code]
    return found


# -- a dossier -------------------------------------------------------------------------------


@router.get("/dossiers/{code}", response_class=HTMLResponse, response_model=None)
async def dossier(request: Request, code: str) -> Response:
    who = _person(request)
    if who is None:
        return _to_sign_in(request)
    person, token = who
    apis = _apis(request)
    try:
        d = await apis.get(PROCEDURES, f"/v1/dossiers/{code}", token)
    except ApiError as exc:
        return _failure(request, person, exc)
    units = await _units(request)
    deliveries: list[Any] | None = None
    deliveries_note = ""
    if person.has_any(HEALTH_ROLES):
        try:
            deliveries = (
                await apis.get(NOTIFIER, "/v1/deliveries", token, {"about": code, "limit": 200})
            )["items"]
        except ApiError as exc:
            deliveries_note = f"Chưa đọc được thông báo: {exc.detail}"
    else:
        deliveries_note = "Chỉ cán bộ vận hành xem được các thông báo đã gửi."
    explained = d.get("deadline_explained") or {}
    return _page(
        request,
        "dossier.html",
        person,
        d=d,
        unit=units.get(d["unit_code"], {"unit_code": d["unit_code"], "name": d["unit_code"]}),
        explained=explained,
        deliveries=deliveries,
        deliveries_note=deliveries_note,
    )


# -- integration health ----------------------------------------------------------------------


def _metrics_of(text: str, service: str) -> dict[str, float]:
    """The kit's operational gauges and counters of one service, from its /metrics."""
    wanted = {
        "egov_outbox_backlog": "outbox",
        "egov_outbox_oldest_age_seconds": "outbox_age",
        "egov_consumer_lag": "lag",
        "egov_dead_letters": "dead_letters",
        "egov_events_failed": "failed",
    }
    found = dict.fromkeys(wanted.values(), 0.0)
    for family in text_string_to_metric_families(text):
        key = wanted.get(family.name)
        if key is None:
            continue
        for sample in family.samples:
            if sample.labels.get("service") != service or sample.name.endswith("_created"):
                continue
            if key == "outbox_age":
                found[key] = max(found[key], sample.value)
            else:
                found[key] += sample.value
    return found


@router.get("/health", response_class=HTMLResponse, response_model=None)
async def health(request: Request) -> Response:
    who = _person(request)
    if who is None:
        return _to_sign_in(request)
    person, token = who
    if not person.has_any(HEALTH_ROLES):
        return _page(
            request,
            "error.html",
            person,
            status_code=403,
            title="Không có quyền",
            text="Trang tình trạng tích hợp dành cho cán bộ vận hành và quản trị.",
        )
    apis = _apis(request)

    async def one(name: str) -> dict[str, Any]:
        row: dict[str, Any] = {"name": name, "url": apis.url(name)}
        try:
            ready = await apis.raw(name, "/readyz", None, ok=(200, 503))
            body = ready.json()
            row["ready"] = ready.status_code == 200
            row["checks"] = body.get("checks", {})
        except (ApiError, ValueError) as exc:
            row["ready"] = False
            row["checks"] = {"http": str(exc)}
        try:
            metrics = await apis.raw(name, "/metrics", None)
            row["metrics"] = _metrics_of(metrics.text, name)
        except ApiError:
            row["metrics"] = None
        return row

    services = await _gather([one(n) for n in apis.urls])
    rows = [s for s in services if isinstance(s, dict)]
    endpoints: list[Any] | None = None
    failed: list[Any] | None = None
    notes = []
    try:
        endpoints = (await apis.get(NOTIFIER, "/v1/subscriptions", token, {"limit": 500}))["items"]
        since = (datetime.now(UTC) - timedelta(hours=24)).isoformat()
        # failed: refused or out of retries; endpoint-disabled: the receiver said 410 Gone
        lists = await asyncio.gather(
            *(
                apis.get(
                    NOTIFIER,
                    "/v1/deliveries",
                    token,
                    {"status": status, "since": since, "limit": 200},
                )
                for status in ("failed", "endpoint-disabled")
            )
        )
        failed = sorted(
            (n for found in lists for n in found["items"]),
            key=lambda n: str(n["created_at"]),
            reverse=True,
        )
    except ApiError as exc:
        notes.append(f"notifier: {exc.detail}")
    troubled = [e for e in endpoints or [] if not e.get("enabled") or e.get("failing_since")]
    return _page(
        request,
        "health.html",
        person,
        services=rows,
        endpoints=troubled,
        endpoints_total=len(endpoints or []),
        failed=failed,
        notes=notes,
    )


@router.post("/health/endpoints/{sid}/enable", response_model=None)
async def enable_endpoint(request: Request, sid: str) -> Response:
    """Admin: turn a disabled webhook endpoint back on (the notifier's own action, with the
    admin's token). The session cookie is SameSite=Lax, so another site cannot post this."""
    who = _person(request)
    if who is None:
        return _to_sign_in(request)
    person, token = who
    if "admin" not in person.roles:
        return _page(
            request,
            "error.html",
            person,
            status_code=403,
            title="Không có quyền",
            text="Chỉ quản trị hệ thống được bật lại điểm nhận webhook.",
        )
    try:
        await _apis(request).post(NOTIFIER, f"/v1/subscriptions/{sid}/enable", token)
    except ApiError as exc:
        return _failure(request, person, exc)
    return RedirectResponse("/health", status_code=303)


# -- reporting (indicators) and nominations ----------------------------------------------------

INDICATORS = "indicators"
NOMINATIONS = "nominations"
WAITING = ("submitted", "returned", "under-review", "approved", "forwarded")


@router.get("/reporting", response_class=HTMLResponse, response_model=None)
async def reporting(
    request: Request, period: str | None = None, unit: str | None = None
) -> Response:
    """Which sub-units have not reported an indicator set for the period, the rejected
    submissions with their violations, and the targets at risk or missed (indicators' API)."""
    who = _person(request)
    if who is None:
        return _to_sign_in(request)
    person, token = who
    unit = unit or person.unit_code
    try:
        chosen = parse(period) if period else current("month", _now().date())
    except ValueError as exc:
        return _page(
            request, "error.html", person, status_code=422, title="Kỳ không hợp lệ", text=str(exc)
        )
    apis = _apis(request)
    units = await _units(request)
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
        return _failure(request, person, exc)
    reports = await _gather(
        [apis.get(INDICATORS, f"/v1/reports/{c['unit_code']}/{label}", token) for c in children]
    )
    reported = {v["unit_code"] for v in values["items"] if not v.get("derived")}
    rows: list[dict[str, Any]] = []
    for child, report in zip(children, reports, strict=True):
        subs = report.get("submissions", []) if isinstance(report, dict) else []
        below = {u["unit_code"] for u in _subtree(units, child["unit_code"])}
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
    return _page(
        request,
        "reporting.html",
        person,
        active="reporting",
        unit=units.get(unit, {"unit_code": unit, "name": unit}),
        period=chosen,
        periods=_period_choices(chosen),
        rows=rows,
        at_risk=at_risk,
        names=units,
    )


@router.get("/nominations", response_class=HTMLResponse, response_model=None)
async def nominations(request: Request, unit: str | None = None) -> Response:
    """Award files of the person's unit waiting for an action, with their deadlines (the
    nominations service counts them in working days)."""
    who = _person(request)
    if who is None:
        return _to_sign_in(request)
    person, token = who
    unit = unit or person.unit_code
    apis = _apis(request)
    units = await _units(request)
    try:
        listed = await apis.get(NOMINATIONS, "/v1/nominations", token, {"unit": unit, "limit": 500})
    except ApiError as exc:
        return _failure(request, person, exc)
    waiting = [n for n in listed["items"] if n.get("status") in WAITING][:100]
    details = await _gather(
        [apis.get(NOMINATIONS, f"/v1/nominations/{n['nomination_id']}", token) for n in waiting]
    )
    files = [d for d in details if isinstance(d, dict)]

    def due(d: dict[str, Any]) -> str:
        deadlines = d.get("deadlines") or {}
        dates = [deadlines.get(k) for k in ("return_by", "complete_on", "decide_by")]
        return min((x for x in dates if x), default="9999-12-31")

    files.sort(key=lambda d: (not (d.get("deadlines") or {}).get("overdue"), due(d)))
    return _page(
        request,
        "nominations.html",
        person,
        active="nominations",
        unit=units.get(unit, {"unit_code": unit, "name": unit}),
        files=files,
        due=due,
        total_listed=len(listed),
    )


@router.post("/health/deliveries/{nid}/replay", response_model=None)
async def replay_delivery(request: Request, nid: str) -> Response:
    """Admin: send a failed notification again (the notifier keeps its id, so a receiver can
    drop a duplicate)."""
    who = _person(request)
    if who is None:
        return _to_sign_in(request)
    person, token = who
    if "admin" not in person.roles:
        return _page(
            request,
            "error.html",
            person,
            status_code=403,
            title="Không có quyền",
            text="Chỉ quản trị hệ thống được gửi lại thông báo.",
        )
    try:
        await _apis(request).post(NOTIFIER, f"/v1/deliveries/{nid}/replay", token)
    except ApiError as exc:
        return _failure(request, person, exc)
    return RedirectResponse("/health", status_code=303)
