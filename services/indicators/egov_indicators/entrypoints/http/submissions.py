"""Submissions over HTTP and CSV/XLSX imports."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from egov_contracts import indicators as c
from egov_contracts.envelope import CloudEvent, new_event
from egov_runtime.consumer import Tx
from egov_runtime.idempotency import run_once
from egov_runtime.problems import Problem
from egov_runtime.service import runtime_of
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from egov_indicators.adapters.spreadsheets import XLSX, UnreadableFile, is_xlsx, xlsx_to_csv
from egov_indicators.entrypoints.http.common import (
    Writer,
    check_unit,
    ctx_of,
    respond,
    units_in_scope,
)
from egov_indicators.usecases.common import Work
from egov_indicators.usecases.imports import import_file
from egov_indicators.usecases.submissions import Incoming, SubmissionResult, handle_submissions

router = APIRouter(prefix="/v1")
MAX_CSV_BYTES = 5_000_000


def _submission_response(result: SubmissionResult, path: str) -> tuple[int, dict[str, Any]]:
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
    await check_unit(rt, principal, body.unit_code)  # integration systems are scoped too
    data = body
    path = request.url.path

    async def action(tx: Tx) -> tuple[int, dict[str, Any]]:
        cause = new_event(
            data,
            source=f"{rt.source}/http",
            subject=f"{data.unit_code}/{data.period}",
            traceparent=request.headers.get("traceparent"),
        )
        [result] = await handle_submissions(
            Work.on(tx), ctx, [Incoming(data, cause, "http", data.reason)]
        )
        status, payload = _submission_response(result, path)
        return status, {**payload, "correlation_id": cause.id}

    status, payload = await run_once(
        rt, principal.subject, idempotency_key, await request.body(), action
    )
    return respond(status, payload)


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
    _, allowed = await units_in_scope(rt, principal, None)  # integration systems are scoped too

    async def action(tx: Tx) -> tuple[int, dict[str, Any]]:
        import_id = f"{'DRY' if dry_run else 'CSV'}-{uuid.uuid4().hex[:12]}"
        # The upload is the cause of what it leads to (correlation of the outbound events);
        # it is not an event of its own on any topic.
        cause = CloudEvent(
            id=str(uuid.uuid4()),
            source=f"{rt.source}/http",
            type="vn.egov.indicators.csv-upload",
            subject=import_id,
            time=ctx.clock(),
            data={},
        )
        summary = await import_file(
            Work.on(tx),
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
        return respond(status, payload)
    status, payload = await run_once(rt, principal.subject, idempotency_key, raw, action)
    return respond(status, payload)
