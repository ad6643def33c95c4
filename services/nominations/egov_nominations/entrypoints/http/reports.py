"""Reports: awards summary, proposals, and the annex of a decision (JSON, CSV or XLSX)."""

from __future__ import annotations

from typing import Any, Literal

from egov_runtime.edge import OptionalYear
from egov_runtime.refusals import invalid
from fastapi import APIRouter, Request, Response

from egov_nominations.adapters.spreadsheets import XLSX, to_csv, to_xlsx
from egov_nominations.entrypoints.http.common import (
    Reader,
    ctx_of,
    read_tx,
)
from egov_nominations.usecases import reports

router = APIRouter(prefix="/v1")


Format = Literal["json", "csv", "xlsx"]


def _table_response(table: reports.Table, fmt: Format, filename: str) -> Any:
    if fmt == "csv":
        return Response(
            to_csv(table.headers, table.rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            to_xlsx(table.title, table.headers, table.rows),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
        )
    return table.as_json()


@router.get("/reports/awards", tags=["reports"])
async def report_awards(
    request: Request,
    principal: Reader,
    unit: str | None = None,
    year: OptionalYear = None,
    movement: str | None = None,
    format: Format = "json",
) -> Any:
    """Awards by kind, level and individual/collective for a year or a movement."""
    if year is None and movement is None:
        raise invalid("Give year or movement.", [{"field": "year", "message": "required"}])
    table = await read_tx(
        request,
        lambda tx: reports.awards_summary(
            tx, principal, unit or principal.unit_code, year=year, movement_id=movement
        ),
    )
    return _table_response(table, format, f"khen-thuong-{year or movement}")


@router.get("/reports/proposals", tags=["reports"])
async def report_proposals(
    request: Request, principal: Reader, session: str, format: Format = "json"
) -> Any:
    """The list of proposals before a council session (danh sách đề nghị)."""
    table = await read_tx(
        request, lambda tx: reports.proposals(tx, ctx_of(request), principal, session)
    )
    return _table_response(table, format, f"danh-sach-de-nghi-{session}")


@router.get("/reports/decision-annex", tags=["reports"])
async def report_annex(
    request: Request, principal: Reader, decision: str, format: Format = "json"
) -> Any:
    """The annex of a decision: recipients and awards."""
    table = await read_tx(request, lambda tx: reports.decision_annex(tx, principal, decision))
    return _table_response(table, format, f"phu-luc-{decision}")
