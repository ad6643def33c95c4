"""HTTP API of indicators (``/v1``): submissions and CSV imports, values, achievement, targets,
definitions and rules, approval of a period, export of a period's table. Bearer tokens with
roles and admin-unit scope; RFC 9457 problem details for errors."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from egov_contracts import indicators as c
from egov_contracts.envelope import VN_TZ, CloudEvent, new_event
from egov_runtime.auth import Principal, require
from egov_runtime.consumer import Tx
from egov_runtime.idempotency import run_once
from egov_runtime.pagination import Page, PageQuery
from egov_runtime.problems import MEDIA_TYPE, Problem
from egov_runtime.scope import check_root, check_scope
from egov_runtime.service import Runtime, context_of, runtime_of
from egov_runtime.tables import table_download
from egov_runtime.units import descendants, unit_names
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from egov_indicators import usecases
from egov_indicators.adapters import store
from egov_indicators.adapters.spreadsheets import XLSX, UnreadableFile, is_xlsx, xlsx_to_csv
from egov_indicators.domain import LockRefused, Period, PeriodError, achievement_pct
from egov_indicators.domain.plan_periods import PlanPeriod, PlanPeriodError

router = APIRouter(prefix="/v1")

Reader = Annotated[
    Principal, Depends(require("admin", "operator", "officer", "council", "integration"))
]
Writer = Annotated[Principal, Depends(require("admin", "operator", "officer", "integration"))]
Planner = Annotated[Principal, Depends(require("admin", "operator"))]
Admin = Annotated[Principal, Depends(require("admin"))]
Approver = Annotated[Principal, Depends(require("admin", "operator", "officer"))]
MAX_CSV_BYTES = 5_000_000


def ctx_of(request: Request) -> usecases.Context:
    return context_of(request, usecases.Context)


async def _check_scope(rt: Runtime, principal: Principal, unit_code: str) -> None:
    async with rt.pool.acquire() as conn:
        await check_scope(conn, principal, unit_code)


async def _check_root(rt: Runtime, principal: Principal, what: str) -> None:
    """Indicator definitions and rules apply to the whole province."""
    async with rt.pool.acquire() as conn:
        await check_root(conn, principal, rt.settings.province_code, what)


async def _scope(
    rt: Runtime, principal: Principal, unit: str | None, subunits: bool = True
) -> tuple[str, list[str]]:
    unit = unit or principal.unit_code
    await _check_scope(rt, principal, unit)
    if not subunits:
        return unit, [unit]
    async with rt.pool.acquire() as conn:
        return unit, await descendants(conn, unit)


def _period(text: str, name: str = "period") -> Period:
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise Problem(
            422, "Invalid period", str(exc), errors=[{"field": name, "message": str(exc)}]
        ) from exc


def _json(v: Any) -> Any:
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, datetime):
        return v.astimezone(VN_TZ).isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return [_json(x) for x in v]
    if isinstance(v, dict):
        return {k: _json(x) for k, x in v.items()}
    return v


def _respond(status: int, body: dict[str, Any]) -> JSONResponse:
    media = MEDIA_TYPE if status >= 400 else "application/json"
    return JSONResponse(body, status_code=status, media_type=media)


# -- submissions ------------------------------------------------------------------------------


def _submission_response(
    result: usecases.SubmissionResult, path: str
) -> tuple[int, dict[str, Any]]:
    body = result.json()
    if result.outcome == "accepted":
        return 202, body
    if result.outcome == "conflict":
        problem = Problem(
            409,
            "Submission id reused",
            f"Submission {result.submission_id} was received before with other content.",
        )
        return 409, {**problem.body(path), "earlier_outcome": result.earlier_outcome}
    rejected = result.outcome == "rejected" or result.earlier_outcome == "rejected"
    if rejected:
        problem = Problem(
            422,
            "Submission rejected",
            f"Submission {result.submission_id} broke {len(result.violations)} rule(s);"
            " nothing of it was recorded.",
            errors=[{"field": v.get("indicator_code") or "", **v} for v in result.violations],
        )
        outcome = {k: v for k, v in body.items() if k != "status"} | {"outcome": result.outcome}
        return 422, {**outcome, **problem.body(path)}
    return 200, body  # a duplicate of an accepted submission: nothing changed


@router.post("/submissions", status_code=202, tags=["submissions"])
async def post_submission(
    body: c.SubmissionReceived,
    request: Request,
    principal: Writer,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """Submit indicator values for a unit and period (the payload of
    ``submission.received.v1``). 202 when accepted; 422 with every violated rule when
    rejected (nothing recorded); 200 for a submission id already accepted (nothing changes)."""
    rt = runtime_of(request)
    ctx = ctx_of(request)
    rt.settings.time_window().check(rt.now(), submitted_at=body.submitted_at)
    await _check_scope(rt, principal, body.unit_code)  # integration systems are scoped too
    data = body
    path = request.url.path

    async def action(tx: Tx) -> tuple[int, dict[str, Any]]:
        cause = new_event(
            data,
            source=f"{rt.source}/http",
            subject=f"{data.unit_code}/{data.period}",
            traceparent=request.headers.get("traceparent"),
        )
        [result] = await usecases.handle_submissions(
            tx, ctx, [usecases.Incoming(data, cause, "http", data.reason)]
        )
        status, payload = _submission_response(result, path)
        return status, {**payload, "correlation_id": cause.id}

    status, payload = await run_once(
        rt, principal.subject, idempotency_key, await request.body(), action
    )
    return _respond(status, payload)


@router.post(
    "/imports",
    tags=["submissions"],
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
            "required": True,
        }
    },
)
async def post_import(
    request: Request,
    principal: Writer,
    dry_run: Annotated[
        bool, Query(description="Check the file and answer its summary; store and send nothing")
    ] = False,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """Upload a CSV file (``unit_code,period,indicator_code,value[,disaggregation]``; UTF-8;
    comma, semicolon or tab) or an XLSX workbook (its first sheet, the same columns;
    Content-Type ``application/vnd.openxmlformats-officedocument.spreadsheetml.sheet``). Each
    unit and period becomes one submission, accepted or rejected whole; the answer is an import
    summary as DHIS2 gives one: imported, updated, ignored and the conflicts with their rows.
    ``?dry_run=true`` runs every check and answers the same summary, then stores nothing and
    publishes nothing (``"dry_run": true``)."""
    rt = runtime_of(request)
    ctx = ctx_of(request)
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise Problem(413, "File too large", f"At most {MAX_CSV_BYTES} bytes.")
    if is_xlsx(raw, request.headers.get("content-type", "")):
        try:
            text = xlsx_to_csv(raw)
        except UnreadableFile as exc:
            raise Problem(
                422,
                "Unreadable spreadsheet",
                "Save the file as an Excel workbook (.xlsx) or as CSV UTF-8.",
                errors=[{"field": "body", "message": str(exc)}],
            ) from exc
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Problem(
                422,
                "Not UTF-8",
                "Save the file as CSV UTF-8.",
                errors=[{"field": "body", "message": str(exc)}],
            ) from exc
    _, allowed = await _scope(rt, principal, None)  # integration systems are scoped too

    async def action(tx: Tx) -> tuple[int, dict[str, Any]]:
        import_id = f"{'DRY' if dry_run else 'CSV'}-{uuid.uuid4().hex[:12]}"
        # The upload is the cause of what it leads to (correlation of the outbound events);
        # it is not an event of its own on any topic.
        cause = CloudEvent(
            id=str(uuid.uuid4()),
            source=f"{rt.source}/http",
            type="vn.egov.indicators.csv-upload",
            subject=import_id,
            time=datetime.now(VN_TZ),
            data={},
        )
        summary = await usecases.import_file(
            tx,
            ctx,
            text,
            import_id=import_id,
            submitted_by=principal.subject[:64],
            allowed_units=set(allowed) if allowed is not None else None,
            cause=cause,
        )
        if dry_run:
            return 200, {**summary, "dry_run": True}
        return 200, {**summary, "dry_run": False, "correlation_id": cause.id}

    if dry_run:
        # The very checks of a real import, in a transaction that is always rolled back: what
        # it would store and the events it would send are undone, nothing is remembered.
        async with rt.pool.acquire() as conn:
            rollback = conn.transaction()
            await rollback.start()
            try:
                status, payload = await action(Tx(conn, rt.service, rt.source))
            finally:
                await rollback.rollback()
        return _respond(status, payload)
    status, payload = await run_once(rt, principal.subject, idempotency_key, raw, action)
    return _respond(status, payload)


# -- values, history, achievement ------------------------------------------------------------


@router.get("/values", tags=["values"])
async def get_values(
    request: Request,
    principal: Reader,
    page: PageQuery,
    period: str,
    unit: str | None = None,
    indicator: str | None = None,
    subunits: bool = Query(False, description="Include every unit below"),
    structure_on: date | None = Query(
        None,
        description="Roll up along the hierarchy valid on this day instead of the period's end"
        " (e.g. a 2024 district report restated under the commune that succeeded it)",
    ),
) -> Page:
    """Reported and rolled-up (``derived``) values of a unit (and its sub-units) for a period."""
    rt = runtime_of(request)
    p = _period(period)
    unit, units = await _scope(rt, principal, unit, subunits)
    async with rt.transaction() as tx:
        book = await usecases.load_rulebook(tx)
        if structure_on is not None:
            wanted = units
            if subunits:
                hierarchy = await usecases.load_hierarchy(tx)
                wanted = [
                    u
                    for u in hierarchy.codes
                    if u in units or unit in hierarchy.ancestors_at(u, structure_on)
                ]
            rows = await usecases.restated_values(tx, book, wanted, p, indicator, structure_on)
        else:
            rows = await store.find_values(tx.conn, units, str(p), indicator)
    items = []
    for r in rows:
        d = book.catalogue.get(r["indicator_code"])
        items.append(
            _json(
                {
                    **r,
                    "disaggregation": r["disaggregation"] or None,
                    "measure_unit": d.measure_unit if d else None,
                    "name_vi": d.name_vi if d else None,
                }
            )
        )
    return page.slice(
        items,
        unit_code=unit,
        period=str(p),
        structure_on=(structure_on or p.end).isoformat(),
    )


@router.get("/reports/{unit}/{period}", tags=["values"])
async def get_report(unit: str, period: str, request: Request, principal: Reader) -> dict[str, Any]:
    """What a unit reported for a period: its submissions (accepted and rejected, with every
    violation), the correction history (who, when, old → new, why) and the approval lock."""
    rt = runtime_of(request)
    p = _period(period)
    await _check_scope(rt, principal, unit)
    async with rt.pool.acquire() as conn:
        subs = await store.submissions_of(conn, unit, str(p))
        changes = await store.history(conn, unit, str(p))
        lock = await store.get_lock(conn, unit, str(p))
    return _json(
        {
            "unit_code": unit,
            "period": str(p),
            "locked": lock is not None,
            "lock": lock,
            "submissions": subs,
            "history": changes,
        }
    )


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
    p = _period(period)
    unit, units = await _scope(rt, principal, unit, subunits)
    day = as_of or usecases.today()
    items = []
    async with rt.transaction() as tx:
        book = await usecases.load_rulebook(tx)
        for t in await store.find_targets(tx.conn, units, str(p), indicator):
            e = await usecases.assess(tx, ctx, book, t, day)
            d = book.catalogue.get(t["indicator_code"])
            base = {
                "unit_code": t["unit_code"],
                "indicator_code": t["indicator_code"],
                "name_vi": d.name_vi if d else None,
                "period": str(p),
                "target": format(t["target"], "f"),
            }
            items.append({**base, **usecases.evaluation_json(e)} if e else {**base, "actual": None})
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
    p = _period(period)
    await _check_scope(rt, principal, unit)
    async with rt.transaction() as tx:
        evaluation = await usecases.set_target(
            tx,
            ctx_of(request),
            indicator,
            unit,
            str(p),
            body.target,
            body.note,
            principal.subject,
        )
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
    label = str(_period(period)) if period else None
    _, units = await _scope(rt, principal, unit, subunits)
    async with rt.pool.acquire() as conn:
        return page.slice(
            [_json(t) for t in await store.find_targets(conn, units, label, indicator)]
        )


# -- approval ---------------------------------------------------------------------------------


class ApprovalIn(BaseModel):
    unit_code: str = Field(min_length=1, max_length=32)
    period: str


@router.post("/approvals", status_code=201, tags=["approval"])
async def post_approval(body: ApprovalIn, request: Request, principal: Approver) -> dict[str, Any]:
    """The level directly above approves a unit's period, which locks it: afterwards only a
    correction (``replaces``) with a reason is accepted."""
    rt = runtime_of(request)
    p = _period(body.period)
    await _check_scope(rt, principal, body.unit_code)
    try:
        async with rt.transaction() as tx:
            lock = await usecases.approve_period(
                tx,
                body.unit_code,
                str(p),
                principal.subject,
                principal.unit_code,
                datetime.now(VN_TZ),
            )
    except LockRefused as exc:
        status = 403 if exc.rule_id == "not-level-above" else 409
        raise Problem(
            status,
            "Approval refused",
            exc.message_en,
            errors=[{"field": "unit_code", "rule": exc.rule_id, "message": exc.message_vi}],
        ) from exc
    return {
        "unit_code": body.unit_code,
        "period": str(p),
        "approved_by": lock.approved_by,
        "approver_unit": lock.approver_unit,
        "locked_at": lock.locked_at.isoformat(),
    }


# -- definitions and rules --------------------------------------------------------------------


@router.get("/definitions", tags=["catalogue"])
async def get_definitions(request: Request, principal: Reader, page: PageQuery) -> Page:
    """The indicator catalogue: unit of measure, value type, period kind, aggregation (sum,
    ratio of numerator and denominator, none), direction, range and disaggregations."""
    async with runtime_of(request).transaction() as tx:
        book = await usecases.load_rulebook(tx)
    return page.slice([d.model_dump(mode="json") for d in book.catalogue.definitions.values()])


@router.get("/definitions/{code}", tags=["catalogue"])
async def get_definition(code: str, request: Request, principal: Reader) -> dict[str, Any]:
    async with runtime_of(request).transaction() as tx:
        book = await usecases.load_rulebook(tx)
    d = book.catalogue.get(code)
    if d is None:
        raise Problem(404, "Indicator not found", f"No indicator {code}.")
    return d.model_dump(mode="json")


@router.put("/definitions/{code}", tags=["catalogue"])
async def put_definition(
    code: str, body: dict[str, Any], request: Request, principal: Admin
) -> dict[str, Any]:
    """Add or change an indicator; the catalogue and every rule must stay consistent.
    Province-wide: needs a role scoped at the province."""
    await _check_root(runtime_of(request), principal, "The indicator catalogue")
    try:
        async with runtime_of(request).transaction() as tx:
            book = await usecases.put_definition(tx, {**body, "code": code}, principal.subject)
    except (ValidationError, ValueError) as exc:
        raise Problem(422, "Invalid definition", str(exc)) from exc
    return book.catalogue[code].model_dump(mode="json")


@router.get("/rules", tags=["catalogue"])
async def get_rules(request: Request, principal: Reader, page: PageQuery) -> Page:
    """Validation rules (DHIS2-style): required, range, compare (cross-indicator, with a
    tolerance), outlier and jump (warnings only)."""
    async with runtime_of(request).transaction() as tx:
        book = await usecases.load_rulebook(tx)
    return page.slice([r.model_dump(mode="json") for r in book.rules])


@router.put("/rules/{rule_id}", tags=["catalogue"])
async def put_rule(
    rule_id: str, body: dict[str, Any], request: Request, principal: Admin
) -> dict[str, Any]:
    """Add or change a validation rule. Province-wide: needs a role scoped at the province."""
    await _check_root(runtime_of(request), principal, "The validation rules")
    try:
        async with runtime_of(request).transaction() as tx:
            return await usecases.put_rule(tx, {**body, "id": rule_id}, principal.subject)
    except (ValidationError, ValueError) as exc:
        raise Problem(422, "Invalid rule", str(exc)) from exc


@router.delete("/rules/{rule_id}", status_code=204, tags=["catalogue"])
async def delete_rule(rule_id: str, request: Request, principal: Admin) -> Response:
    await _check_root(runtime_of(request), principal, "The validation rules")
    async with runtime_of(request).transaction() as tx:
        await usecases.load_rulebook(tx)
        if not await store.delete_rule(tx.conn, rule_id):
            raise Problem(404, "Rule not found", f"No rule {rule_id}.")
    return Response(status_code=204)


# -- export -----------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    "unit_code",
    "unit_name",
    "indicator_code",
    "name_vi",
    "disaggregation",
    "value",
    "measure_unit",
    "derived",
    "revision",
    "target",
    "achievement_pct",
    "direction",
    "status",
    "planned_change",
    "achieved_change",
    "change_achievement_pct",
    "verdict_vi",
]


def _evaluation_cells(e: dict[str, Any] | None) -> list[Any]:
    """Direction, status and the planned versus achieved change of a target's evaluation (so a
    lower-is-better rate's achievement % is not read as over-achievement)."""
    keys = (
        "direction",
        "status",
        "planned_change",
        "achieved_change",
        "change_achievement_pct",
        "verdict_vi",
    )
    return ["" if e is None or e.get(k) is None else e[k] for k in keys]


@router.get("/export", tags=["values"])
async def export_table(
    request: Request,
    principal: Reader,
    period: str,
    unit: str | None = None,
    fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "xlsx",
) -> Response:
    """A period's table for a unit and its sub-units (reported and rolled-up values, with the
    target and achievement where one is set: direction, status as of today, planned versus
    achieved change and the verdict in words), as CSV (UTF-8 with BOM, for Excel) or XLSX."""
    rt = runtime_of(request)
    p = _period(period)
    unit, units = await _scope(rt, principal, unit)
    async with rt.transaction() as tx:
        book = await usecases.load_rulebook(tx)
        rows = await store.find_values(tx.conn, units, str(p), None)
        targets = {}
        evaluations: dict[tuple[str, str], Any] = {}
        day = usecases.today()
        for t in await store.find_targets(tx.conn, units, str(p), None):
            targets[(t["indicator_code"], t["unit_code"])] = t["target"]
            e = await usecases.assess(tx, ctx_of(request), book, t, day)
            if e is not None:
                evaluations[(t["indicator_code"], t["unit_code"])] = usecases.evaluation_json(e)
        names = await unit_names(tx.conn, units)
    table: list[list[Any]] = [EXPORT_COLUMNS]
    for r in rows:
        d = book.catalogue.get(r["indicator_code"])
        target = (
            targets.get((r["indicator_code"], r["unit_code"])) if not r["disaggregation"] else None
        )
        pct = achievement_pct(r["value"], target) if target is not None else None
        table.append(
            [
                r["unit_code"],
                names.get(r["unit_code"], ""),
                r["indicator_code"],
                d.name_vi if d else "",
                r["disaggregation"],
                format(r["value"], "f"),
                d.measure_unit if d else "",
                "x" if r["derived"] else "",
                r["revision"],
                "" if target is None else format(target, "f"),
                "" if pct is None else format(pct, "f"),
                *_evaluation_cells(
                    None
                    if r["disaggregation"]
                    else evaluations.get((r["indicator_code"], r["unit_code"]))
                ),
            ]
        )
    name = f"chi-tieu-{unit}-{p}"
    return table_download(
        table,
        name=name,
        fmt=fmt,
        title=(
            "Chỉ tiêu ngành Lao động - Thương binh và Xã hội —"
            f" {names.get(unit, unit)} ({unit}) — kỳ {p}"
        ),
        sheet=str(p),
    )


# -- reporting completeness and timeliness ----------------------------------------------------


class DataSetIn(BaseModel):
    name_vi: str = Field(min_length=1, max_length=200, description="Tên bộ báo cáo")
    period_kind: Literal["year", "half-year", "quarter", "month"]
    indicators: list[str] = Field(min_length=1, max_length=500)
    units: list[str] = Field(max_length=20000, description="Units expected to report")
    due_day: int = Field(20, ge=1, le=31, description="Day of the month the report is due")
    due_months_after: int = Field(
        1, ge=0, le=12, description="Months after the period's last month (1: the next month)"
    )
    remind_days_before: int = Field(3, ge=0, le=60, description="Reminder this many days before")
    first_period: str | None = Field(
        None, description="Reports are due from this period on (reminders and overdue notices)"
    )


@router.get("/data-sets", tags=["reporting"])
async def get_data_sets(request: Request, principal: Reader, page: PageQuery) -> Page:
    """Data sets: the indicators a unit must report for a period kind, the units expected to
    report them and the due date of each period (day ``due_day`` of the month
    ``due_months_after`` months after the period)."""
    async with runtime_of(request).pool.acquire() as conn:
        rows = await store.data_sets(conn)
    return page.slice([usecases.data_set_json(usecases.data_set_of(r)) for r in rows])


@router.put("/data-sets/{code}", tags=["reporting"])
async def put_data_set(
    code: str, body: DataSetIn, request: Request, principal: Admin
) -> dict[str, Any]:
    """Add or change a data set. Province-wide: needs a role scoped at the province."""
    await _check_root(runtime_of(request), principal, "The data sets")
    try:
        async with runtime_of(request).transaction() as tx:
            d = await usecases.put_data_set(
                tx, {"code": code, **body.model_dump()}, principal.subject
            )
    except (ValueError, PeriodError) as exc:
        raise Problem(422, "Invalid data set", str(exc)) from exc
    return usecases.data_set_json(d)


RATE_COLUMNS = [
    "unit_code",
    "unit_name",
    "expected",
    "received",
    "on_time",
    "late",
    "missing",
    "rate",
    "rate_on_time",
]


async def _rates(
    request: Request, principal: Principal, data_set: str, unit: str | None, period: str
) -> tuple[Any, Period, list[Any], Any, str]:
    rt = runtime_of(request)
    p = _period(period)
    unit = unit or principal.unit_code
    await _check_scope(rt, principal, unit)
    async with rt.transaction() as tx:
        d = await usecases.get_data_set(tx, data_set)
        if d is None:
            raise Problem(404, "Data set not found", f"No data set {data_set}.")
        if p.kind != d.period_kind:
            raise Problem(
                422,
                "Invalid period",
                f"Data set {d.code} is reported per {d.period_kind}, not per {p.kind}.",
                errors=[{"field": "period", "message": f"a {d.period_kind} period"}],
            )
        hierarchy = await usecases.load_hierarchy(tx)
        subtree = hierarchy.descendants(unit, p.end)
        rates, _ = await usecases.reporting_rates_of(tx, d, p, subtree)
    shown = [r for r in rates if r.unit_code == unit or r.expected > 0]
    return d, p, shown, hierarchy, unit


def _rate_row(r: Any, hierarchy: Any) -> dict[str, Any]:
    u = hierarchy.get(r.unit_code)
    return {
        "unit_code": r.unit_code,
        "unit_name": u.name if u else None,
        "expected": r.expected,
        "received": r.received,
        "on_time": r.on_time,
        "late": r.late,
        "missing": r.missing,
        "rate": None if r.rate is None else format(r.rate, "f"),
        "rate_on_time": None if r.rate_on_time is None else format(r.rate_on_time, "f"),
    }


@router.get("/reporting-rates", tags=["reporting"], response_model=None)
async def get_reporting_rates(
    request: Request,
    principal: Reader,
    page: PageQuery,
    data_set: str,
    period: str,
    unit: str | None = None,
    fmt: Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")] = "json",
) -> Page | Response:
    """Reporting completeness and timeliness of a data set for a period: for the unit and
    every unit below it that is expected to report (each counting its whole subtree), the
    units expected, received, received on time (on or before the due date, the day in
    Vietnam), late and missing, ``rate`` = received / expected × 100 and ``rate_on_time`` =
    received on time / expected × 100 (half-up, 2 decimals; null when nothing is expected).
    The units missing are in ``GET /v1/reporting-rates/missing``."""
    d, p, rates, hierarchy, unit = await _rates(request, principal, data_set, unit, period)
    due = d.due_date(p)
    rows = [_rate_row(r, hierarchy) for r in rates]
    return _reporting_answer(
        page,
        fmt,
        rows,
        RATE_COLUMNS,
        d,
        p,
        unit,
        name=f"ty-le-bao-cao-{d.code}-{unit}-{p}",
        title=f"Tỷ lệ báo cáo — {d.name_vi} ({d.code}) — {unit} — kỳ {p} — hạn {due:%d/%m/%Y}",
    )


def _reporting_answer(
    page: Any,
    fmt: str,
    rows: list[dict[str, Any]],
    columns: list[str],
    d: Any,
    p: Any,
    unit: str,
    *,
    name: str,
    title: str,
) -> Page | Response:
    """A reporting-rate list as a CSV/XLSX download of ``columns``, or as a page."""
    due = d.due_date(p)
    if fmt != "json":
        table: list[list[Any]] = [columns] + [[r[k] for k in columns] for r in rows]
        return table_download(table, name=name, fmt=fmt, title=title, sheet=str(p))
    return page.slice(
        rows,
        data_set=d.code,
        data_set_name=d.name_vi,
        unit_code=unit,
        period=str(p),
        due_date=due.isoformat(),
        overdue=usecases.today() > due,
    )


MISSING_COLUMNS = ["unit_code", "unit_name", "parent_code", "parent_name", "due_date"]


@router.get("/reporting-rates/missing", tags=["reporting"], response_model=None)
async def get_missing_reports(
    request: Request,
    principal: Reader,
    page: PageQuery,
    data_set: str,
    period: str,
    unit: str | None = None,
    fmt: Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")] = "json",
) -> Page | Response:
    """The units of the unit's subtree expected to report a data set for a period that have
    not reported it (``overdue`` once the due date has passed)."""
    d, p, rates, hierarchy, unit = await _rates(request, principal, data_set, unit, period)
    due = d.due_date(p)
    missing = next(r for r in rates if r.unit_code == unit).missing_units
    rows = []
    for code in missing:
        u = hierarchy.get(code)
        parent = hierarchy.parent_at(code, p.end)
        pu = hierarchy.get(parent) if parent else None
        rows.append(
            {
                "unit_code": code,
                "unit_name": u.name if u else None,
                "parent_code": parent,
                "parent_name": pu.name if pu else None,
                "due_date": due.isoformat(),
            }
        )
    return _reporting_answer(
        page,
        fmt,
        rows,
        MISSING_COLUMNS,
        d,
        p,
        unit,
        name=f"chua-bao-cao-{d.code}-{unit}-{p}",
        title=f"Đơn vị chưa báo cáo — {d.name_vi} ({d.code}) — {unit} — kỳ {p}",
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
    await _check_scope(rt, principal, unit)
    async with rt.transaction() as tx:
        book = await usecases.load_rulebook(tx)
        await usecases.set_plan_target(
            tx,
            book,
            indicator,
            unit,
            p,
            basis=body.basis,
            low=body.target_low,
            high=body.target_high,
            note=body.note,
            by=principal.subject,
        )
        return _json(await usecases.plan_period_report(tx, book, indicator, unit, p, None))


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
    await _check_scope(rt, principal, unit)
    async with rt.transaction() as tx:
        book = await usecases.load_rulebook(tx)
        return _json(await usecases.plan_period_report(tx, book, indicator, unit, p, earlier))


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
    await _check_scope(rt, principal, unit)
    async with rt.transaction() as tx:
        book = await usecases.load_rulebook(tx)
        report = await usecases.year_to_date_report(
            tx, ctx_of(request), book, indicator, unit, year
        )
    return _json(report)
