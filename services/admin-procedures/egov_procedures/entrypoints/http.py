"""HTTP API of admin-procedures (``/v1``): status reports, dossiers, reports, calendar,
procedure catalogue. Bearer tokens with roles and admin-unit scope; RFC 9457 errors."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from egov_contracts import procedures as c
from egov_contracts.envelope import new_event
from egov_contracts.topics import STATUS_REPORTS
from egov_contracts.types import VnDatetime
from egov_runtime import units as unit_model
from egov_runtime.auth import Principal, credential_header, issue_token, require
from egov_runtime.idempotency import run_once
from egov_runtime.pagination import Page, PageQuery
from egov_runtime.problems import Problem
from egov_runtime.refusals import NotFound, not_found
from egov_runtime.scope import check_root, check_scope
from egov_runtime.service import Runtime, context_of, runtime_of
from egov_runtime.tables import table_download
from egov_runtime.units import descendants
from egov_workdays import VN_TZ, CalendarException, ExceptionKind
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from egov_procedures.adapters import catalogue, dossiers
from egov_procedures.adapters.catalogue import procedure_from_row, procedure_row
from egov_procedures.domain.dossier import ApologyRefused, colour, warning_schedule
from egov_procedures.domain.model import DossierState, Phase, TimeUnit
from egov_procedures.domain.report import (
    FORM_BASIS,
    FORM_CODE,
    FORM_TITLE,
    PeriodScheme,
    period_bounds,
    period_instants,
)
from egov_procedures.domain.service_index import rule_set_for, service_index
from egov_procedures.entrypoints import forms as forms_out
from egov_procedures.entrypoints import index_out
from egov_procedures.entrypoints.sealing import sealed
from egov_procedures.usecases import (
    Context,
    IssueApology,
    PutProcedure,
    Work,
    build_on_time_report,
    issue_apology,
    put_calendar_exception,
    put_catalogue_procedure,
    withdraw_calendar_exception,
)

router = APIRouter(prefix="/v1")

READERS = ("admin", "operator", "officer")
Reader = Annotated[Principal, Depends(require(*READERS))]
Writer = Annotated[Principal, Depends(require("admin", "operator", "officer", "integration"))]
Admin = Annotated[Principal, Depends(require("admin", "operator"))]


def ctx_of(request: Request) -> Context:
    return context_of(request, Context)


def _dossier_missing(code: str) -> NotFound:
    """The one answer for a dossier that does not exist or that the caller may not see (the
    same the use cases refuse with)."""
    return not_found("Dossier", code)


async def _scope(rt: Runtime, principal: Principal, unit: str | None) -> tuple[str, list[str]]:
    """The unit asked for (default: the caller's), checked against the caller's scope, and the
    units below it."""
    unit = unit or principal.unit_code
    async with rt.pool.acquire() as conn:
        await check_scope(conn, principal, unit)
        return unit, await descendants(conn, unit)


# -- status reports --------------------------------------------------------------------------


@router.post("/status-reports", status_code=202, tags=["status reports"])
async def post_status_report(
    body: c.StatusReported,
    request: Request,
    principal: Writer,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """Accept a status report (the same payload as the inbound event); it is processed in order
    with the reports arriving on Kafka.

    Every role, `integration` included, reports only for units in its scope: the body's unit
    must be in the caller's subtree, and for a dossier already known it must be the dossier's
    unit (another unit's dossier answers 404, as a missing one would)."""
    rt = runtime_of(request)
    rt.settings.time_window().check(rt.now(), occurred_at=body.occurred_at)
    async with rt.pool.acquire() as conn:
        await check_scope(conn, principal, body.unit_code)
        row = await dossiers.get_dossier(conn, body.dossier_code)
        if row is not None:
            await check_scope(
                conn, principal, row["unit_code"], hidden=_dossier_missing(body.dossier_code)
            )
    if row is not None and row["unit_code"] != body.unit_code:
        raise Problem(
            422,
            "Not the dossier's unit",
            f"Dossier {body.dossier_code} belongs to {row['unit_code']}, not {body.unit_code}.",
            errors=[{"field": "unit_code", "message": f"must be {row['unit_code']}"}],
        )
    # the copy on the topic carries a credential of the caller's scope, signed by this service:
    # the consumer judges it as it judges a one-door system's records
    credential = credential_header(
        issue_token(
            rt.settings.jwt_secret.get_secret_value(),
            subject=principal.subject,
            roles=sorted(principal.roles),
            unit_code=principal.unit_code,
        )
    )

    async def action(tx: Any) -> tuple[int, dict[str, Any]]:
        # the copy on the topic carries the applicant sealed, never in clear
        data = sealed(body, ctx_of(request).personal_data_key)
        event = new_event(
            data,
            source=f"{rt.source}/http",
            subject=body.dossier_code,
            traceparent=request.headers.get("traceparent"),
        )
        await tx.emit(STATUS_REPORTS.name, [event], [credential])
        return 202, {"status": "accepted", "event_id": event.id, "dossier_code": body.dossier_code}

    raw = await request.body()
    status, payload = await run_once(rt, principal.subject, idempotency_key, raw, action)
    return JSONResponse(payload, status_code=status)


# -- dossiers --------------------------------------------------------------------------------


def _iso(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(VN_TZ).isoformat()
    return v.isoformat() if isinstance(v, date) else v


@router.get("/dossiers/{code}", tags=["dossiers"])
async def get_dossier(code: str, request: Request, principal: Reader) -> dict[str, Any]:
    """State, deadline (with the skipped days and pauses that explain it), timeliness, timeline."""
    rt = runtime_of(request)
    ctx = ctx_of(request)
    async with rt.pool.acquire() as conn:
        row = await dossiers.get_dossier(conn, code)
        if row is None:
            raise _dossier_missing(code)
        await check_scope(conn, principal, row["unit_code"], hidden=_dossier_missing(code))
        reports = await dossiers.timeline(conn, code)
        apology = await dossiers.get_apology(conn, code)
        prow = await catalogue.get_procedure(conn, row["procedure_code"])
    state = row["state"]
    procedure = procedure_from_row(prow) if prow else None
    refused = {r["report_id"]: r["reason"] for r in state.get("refused", [])}
    skipped = []
    if row["received_at"] is not None:
        end = (row["finished_at"] or row["due_at"] or rt.now()).astimezone(VN_TZ).date()
        skipped = [
            {"day": d.day.isoformat(), "reason": d.reason}
            for d in ctx.calendar.skipped_days(row["received_at"].astimezone(VN_TZ).date(), end)
        ]
    warnings: list[Any] = []
    if procedure is not None and row["due_at"] is not None and state.get("phase") == "processing":
        live = _live_state(state)
        if live is not None:
            warnings = warning_schedule(live, procedure, ctx.calendar)
    now = rt.now()
    return {
        "dossier_code": code,
        "procedure": {
            "code": row["procedure_code"],
            "name": prow["name"] if prow else None,
            "processing_time": prow["processing_value"] if prow else None,
            "processing_time_unit": prow["processing_unit"] if prow else None,
            "supplement_rule": prow["supplement_rule"] if prow else None,
        },
        "unit_code": row["unit_code"],
        "channel": row["channel"],
        "status": row["status"],
        "received_at": _iso(row["received_at"]),
        "due_at": _iso(row["due_at"]),
        "initial_due_at": state.get("initial_due_at"),
        "finished_at": _iso(row["finished_at"]),
        "result": row["result"],
        "timeliness": row["timeliness"],
        "applicant_ref": row["applicant_ref"],
        "colour": _colour(row, warnings, now),
        "deadline_explained": {
            "office_hours": [
                [s.isoformat(), e.isoformat()] for s, e in ctx.calendar.office_hours.periods
            ],
            "working_time_used_minutes_before_current_segment": state.get("used"),
            "pauses": state.get("pauses", []),
            "non_working_days": skipped,
            "warnings": [
                {"kind": k, "threshold": t, "at": at.isoformat()} for k, t, at in warnings
            ],
        },
        "apology": ({k: _iso(v) for k, v in dict(apology).items()} if apology else None),
        "timeline": [
            {
                "report_id": r["report_id"],
                "status": r["status"],
                "occurred_at": _iso(r["occurred_at"]),
                "received_at": _iso(r["received_at"]),
                "note": r["payload"].get("note"),
                "result": r["payload"].get("result"),
                "applied": r["report_id"] not in refused,
                "refused_reason": refused.get(r["report_id"]),
            }
            for r in reports
        ],
    }


def _live_state(state: dict[str, Any]) -> DossierState | None:
    from egov_procedures.domain.model import Phase

    try:
        return DossierState(
            dossier_code=state["dossier_code"],
            phase=Phase(state["phase"]),
            due_at=datetime.fromisoformat(state["due_at"]),
            clock_started_at=datetime.fromisoformat(state["clock_started_at"]),
            used=int(state["used"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _colour(row: Any, warnings: list[Any], now: datetime) -> str:
    if row["finished_at"] is not None:
        return "grey"
    if row["due_at"] is None:
        return "green"
    state = DossierState(dossier_code=row["dossier_code"], due_at=row["due_at"])
    return colour(state, warnings, now)


@router.get("/dossiers", tags=["dossiers"])
async def list_dossiers(
    request: Request,
    principal: Reader,
    page: PageQuery,
    unit: str | None = None,
    procedure: str | None = None,
    state: Phase | None = Query(None, description="Where the dossier is"),
    due_before: VnDatetime | None = None,
    channel: c.Channel | None = Query(None, description="How it was submitted"),
    overdue: bool = Query(
        False, description="Only open dossiers past their deadline, longest overdue first"
    ),
    due_within_working_days: int | None = Query(
        None, ge=0, le=60, description="Only open dossiers due within N working days from now"
    ),
    paused: bool = Query(
        False, description="Only open dossiers paused (supplement requested, suspended)"
    ),
) -> Page:
    """Dossiers of a unit's subtree, newest first, or one of the operators' queues: ``overdue``,
    ``due_within_working_days`` or ``paused`` (then open dossiers only, most urgent first). Each
    open dossier past its deadline carries ``overdue_working_days``, one not yet due
    ``working_days_left`` (office time, holidays and weekends skipped)."""
    if sum([overdue, due_within_working_days is not None, paused]) > 1:
        raise Problem(
            422,
            "One queue at a time",
            "Give only one of overdue, due_within_working_days and paused.",
            errors=[{"field": "overdue", "message": "combined with another queue"}],
        )
    rt = runtime_of(request)
    calendar = ctx_of(request).calendar
    now = rt.now()
    due_after = None
    queue: dict[str, Any] = {}
    if overdue:
        due_before = min(due_before or now, now)
        queue = {"open_only": True, "paused": False, "order": "due"}
    elif due_within_working_days is not None:
        until = calendar.add_working_days(now, due_within_working_days)
        due_before = min(due_before or until, until)
        due_after = now
        queue = {"open_only": True, "paused": False, "order": "due"}
    elif paused:
        queue = {"open_only": True, "paused": True, "order": "paused"}
    unit, units = await _scope(rt, principal, unit)
    async with rt.pool.acquire() as conn:
        rows, total = await dossiers.search(
            conn,
            units=units,
            procedure=procedure,
            state=state,
            due_before=due_before,
            limit=page.limit,
            offset=page.offset,
            channel=channel,
            due_after=due_after,
            **queue,
        )
    minutes_per_day = calendar.office_hours.minutes_per_day
    items = []
    for r in rows:
        item = {k: _iso(v) for k, v in dict(r).items()}
        if r["finished_at"] is None and r["due_at"] is not None:
            if r["due_at"] <= now:
                late = calendar.working_minutes_between(r["due_at"], now)
                item["overdue_working_days"] = round(late / minutes_per_day, 1)
            else:
                left = calendar.working_minutes_between(now, r["due_at"])
                item["working_days_left"] = round(left / minutes_per_day, 1)
        items.append(item)
    return page.of(items, total)


class ApologyIn(BaseModel):
    new_due_at: VnDatetime = Field(description="Ngày hẹn trả kết quả mới")
    reason: str = Field(min_length=3, max_length=2000, description="Lý do chậm")


@router.post("/dossiers/{code}/apology", status_code=201, tags=["dossiers"])
async def post_apology(
    code: str,
    body: ApologyIn,
    request: Request,
    principal: Annotated[Principal, Depends(require("officer", "admin"))],
) -> dict[str, Any]:
    """Record the apology letter with a new promised date (once per dossier)."""
    rt = runtime_of(request)
    ctx = ctx_of(request)
    async with rt.pool.acquire() as conn:
        row = await dossiers.get_dossier(conn, code)
        if row is None:
            raise _dossier_missing(code)
        await check_scope(conn, principal, row["unit_code"], hidden=_dossier_missing(code))
    try:
        async with rt.transaction() as tx:
            apology = IssueApology(code, body.new_due_at, body.reason, principal.subject)
            data = await issue_apology(Work.on(tx), ctx, apology, rt.now())
    except ApologyRefused as exc:
        raise Problem(409, "Apology refused", str(exc)) from exc
    return data.model_dump(mode="json")


# -- reports -------------------------------------------------------------------------------


@router.get("/reports/on-time", tags=["reports"])
async def on_time_report(
    request: Request,
    principal: Reader,
    unit: str | None = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    period: str | None = Query(None, description="2026, 2026-H1, 2026-Q3 or 2026-07"),
    procedure: str | None = None,
    group_by: Literal["field", "procedure", "unit", "channel"] | None = Query(
        None, description="Rows by lĩnh vực (each with its procedures), procedure, unit, channel"
    ),
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    """The report form (Biểu số 06/VPCP/KSTT) for a unit and its sub-units and a date range;
    the CSV and XLSX are the form as filed (Vietnamese headings in the form's order, the form's
    code, the unit, the period and the rules above the table, "Tổng số" rows)."""
    rt = runtime_of(request)
    ctx = ctx_of(request)
    settings: Any = rt.settings
    if period:
        try:
            start, end = period_bounds(period, PeriodScheme(settings.period_scheme))
        except ValueError as exc:
            raise Problem(
                422, "Invalid period", str(exc), errors=[{"field": "period", "message": str(exc)}]
            ) from exc
    elif from_ and to:
        start, end = from_, to
    else:
        raise Problem(
            422,
            "Missing period",
            "Give period=… or both from=… and to=….",
            errors=[{"field": "from", "message": "required without period"}],
        )
    if end < start:
        raise Problem(
            422,
            "Invalid range",
            "`to` is before `from`.",
            errors=[{"field": "to", "message": "before from"}],
        )
    unit, units = await _scope(rt, principal, unit)
    async with rt.pool.acquire() as conn:
        report = await build_on_time_report(
            conn,
            ctx.returned_withdrawn,
            units=units,
            start=start,
            end=end,
            now=rt.now(),
            procedure=procedure,
            group_by="procedure" if group_by == "field" else group_by,
        )
        procedures = {p["code"]: p for p in await catalogue.list_procedures(conn)}
        unit_names = await unit_model.unit_names(conn, units)
    groups: list[dict[str, Any]] = []
    if group_by == "field":
        groups = forms_out.field_groups(report.groups, procedures, ctx.returned_withdrawn)
    elif group_by:
        groups = [{group_by: g, **forms_out.report_json(f)} for g, f in report.groups]
        if group_by == "procedure":
            for g in groups:
                known = procedures.get(g["procedure"]) or {}
                g["name"], g["field"] = known.get("name"), known.get("field") or None
    body: dict[str, Any] = {
        "form": {"code": FORM_CODE, "title": FORM_TITLE, "basis": FORM_BASIS},
        "unit_code": unit,
        "unit_name": unit_names.get(unit),
        "units_included": len(units),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "period": period,
        "procedure_code": procedure,
        "period_scheme": settings.period_scheme if period else "explicit",
        "returned_withdrawn": ctx.returned_withdrawn.value,
        "rate_rule": "(early + on time) / resolved × 100, truncated to 2 decimals",
        "legal_basis": forms_out.basis_json(end),
        "total": forms_out.report_json(report.total),
        "groups": groups,
    }
    if format == "json":
        return JSONResponse(body)
    preamble, table = forms_out.printed_form(body, group_by, unit_names)
    return table_download(
        table,
        name=f"bieu-06-VPCP-KSTT-{unit}-{start}-{end}",
        fmt=format,
        title=forms_out.form_title(unit, unit_names.get(unit), start, end),
        sheet="Bieu 06-VPCP-KSTT",
        preamble=preamble,
        vietnamese_numbers=True,
    )


@router.get("/reports/service-index", tags=["reports"])
async def service_index_report(
    request: Request,
    principal: Reader,
    period: Annotated[str, Query(description="A month, 2026-07 (2026-Q3, 2026 also work)")],
    unit: str | None = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    """The national service index (Quyết định 766/QĐ-TTg) of a unit and its sub-units for a
    period: the indicators the dossiers support with their scores (the others listed as lacking
    data), the dossiers that made the progress indicator, and the difference with the report
    form's rate for the same unit and period. Weights and thresholds not checked against the
    decision's text are flagged ``needs_legal_check``."""
    rt = runtime_of(request)
    ctx = ctx_of(request)
    settings: Any = rt.settings
    try:
        first, last = period_bounds(period, PeriodScheme(settings.period_scheme))
        rules = rule_set_for(last)
    except (ValueError, LookupError) as exc:
        raise Problem(
            422, "Invalid period", str(exc), errors=[{"field": "period", "message": str(exc)}]
        ) from exc
    unit, units = await _scope(rt, principal, unit)
    start, end = period_instants(first, last)
    async with rt.pool.acquire() as conn:
        found = await dossiers.index_dossiers(conn, units=units, start=start, end=end)
        unit_name = (await unit_model.unit_names(conn, [unit])).get(unit)
    index = service_index(found, start, end, rules, ctx.returned_withdrawn)
    body: dict[str, Any] = {
        "unit_code": unit,
        "unit_name": unit_name,
        "units_included": len(units),
        "period": period,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "period_scheme": settings.period_scheme,
        "returned_withdrawn": ctx.returned_withdrawn.value,
        **index_out.index_json(index),
    }
    if format == "json":
        return JSONResponse(body)
    preamble, table = index_out.printed_index(body)
    return table_download(
        table,
        name=f"chi-so-766-{unit}-{period}",
        fmt=format,
        title=f"Bộ chỉ số phục vụ người dân, doanh nghiệp (QĐ 766/QĐ-TTg) — {unit} — {period}",
        sheet="Chi so 766",
        preamble=preamble,
        vietnamese_numbers=True,
    )


# -- calendar --------------------------------------------------------------------------------


@router.get("/calendar/working-days", tags=["calendar"])
async def working_days(
    request: Request,
    from_: Annotated[date, Query(alias="from")],
    to: date,
) -> dict[str, Any]:
    """Every day of the range with whether it is a working day and why (public)."""
    if to < from_ or (to - from_).days > 731:
        raise Problem(
            422,
            "Invalid range",
            "`to` must be after `from`, at most two years.",
            errors=[{"field": "to", "message": "invalid range"}],
        )
    cal = ctx_of(request).calendar
    days = []
    d = from_
    while d <= to:
        info = cal.day_info(d)
        days.append({"day": d.isoformat(), "working": info.working, "reason": info.reason})
        d += timedelta(days=1)
    return {
        "from": from_.isoformat(),
        "to": to.isoformat(),
        "working_days": sum(1 for x in days if x["working"]),
        "days": days,
    }


class ExceptionIn(BaseModel):
    kind: Literal["day-off", "working-day"]
    note: str = Field(min_length=1, max_length=500)


@router.get("/calendar/exceptions", tags=["calendar"])
async def get_exceptions(request: Request, principal: Reader, page: PageQuery) -> Page:
    async with runtime_of(request).pool.acquire() as conn:
        return page.slice(
            [{k: _iso(v) for k, v in r.items()} for r in await catalogue.calendar_exceptions(conn)]
        )


@router.put("/calendar/exceptions/{day}", tags=["calendar"])
async def put_exception(
    day: date, body: ExceptionIn, request: Request, principal: Admin
) -> dict[str, Any]:
    """A day the province declares off, or a make-up working day. New deadlines use it at once;
    deadlines already computed are not moved. Published on ``egov.reference.calendar``, so every
    service that counts working days (nominations) counts it too. Province-wide: needs a role
    scoped at the province."""
    rt = runtime_of(request)
    async with rt.transaction() as tx:
        await check_root(tx.conn, principal, rt.settings.province_code, "The calendar")
        exception = CalendarException(day, ExceptionKind(body.kind), body.note, principal.subject)
        await put_calendar_exception(Work.on(tx), ctx_of(request), exception, rt.now())
    return {"day": day.isoformat(), "kind": body.kind, "note": body.note}


@router.delete("/calendar/exceptions/{day}", status_code=204, tags=["calendar"])
async def delete_exception(day: date, request: Request, principal: Admin) -> Response:
    rt = runtime_of(request)
    async with rt.transaction() as tx:
        await check_root(tx.conn, principal, rt.settings.province_code, "The calendar")
        withdrawn = await withdraw_calendar_exception(
            Work.on(tx), ctx_of(request), day, principal.subject, rt.now()
        )
        if not withdrawn:
            raise Problem(404, "No exception on that day")
    return Response(status_code=204)


# -- procedure catalogue ---------------------------------------------------------------------


class ProcedureIn(BaseModel):
    name: str = Field(min_length=3, max_length=500)
    field: str = Field("", max_length=200)
    level: Literal["province", "commune", "agency"] = "province"
    processing_value: int = Field(gt=0, le=365)
    processing_unit: TimeUnit = TimeUnit.WORKING_DAYS
    supplement_rule: Literal["pause", "restart"] = "pause"
    deadline_mode: Literal["working-time", "end-of-day"] = "working-time"
    warn_used_fraction: float = Field(0.75, gt=0, lt=1)
    warn_days_left: int = Field(1, ge=0, le=30)
    intake_cutoff: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


def _procedure_json(row: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in row.items() if k != "settings"}, **(row.get("settings") or {})}


@router.get("/procedures", tags=["procedures"])
async def get_procedures(request: Request, page: PageQuery) -> Page:
    """The procedure catalogue (public)."""
    async with runtime_of(request).pool.acquire() as conn:
        return page.slice([_procedure_json(r) for r in await catalogue.list_procedures(conn)])


@router.get("/procedures/{code}", tags=["procedures"])
async def get_procedure(code: str, request: Request) -> dict[str, Any]:
    async with runtime_of(request).pool.acquire() as conn:
        row = await catalogue.get_procedure(conn, code)
    if row is None:
        raise Problem(404, "Procedure not found", f"No procedure {code}.")
    return _procedure_json(row)


@router.put("/procedures/{code}", tags=["procedures"])
async def put_procedure(
    code: str, body: ProcedureIn, request: Request, principal: Admin
) -> dict[str, Any]:
    """Create or change a procedure; dossiers already received keep their deadlines until their
    next report. The catalogue is province-wide: needs a role scoped at the province."""
    rt = runtime_of(request)
    async with rt.pool.acquire() as conn:
        await check_root(conn, principal, rt.settings.province_code, "The procedure catalogue")
    cmd = PutProcedure(code=code, **body.model_dump())
    async with rt.transaction() as tx:
        procedure = await put_catalogue_procedure(Work.on(tx), cmd)
    return _procedure_json(procedure_row(procedure))
