"""Reporting completeness and timeliness: data sets, reporting rates, the units missing."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from egov_runtime.auth import Principal
from egov_runtime.pagination import Page, PageQuery
from egov_runtime.problems import Problem
from egov_runtime.service import runtime_of
from egov_runtime.tables import table_download
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from egov_indicators.domain import Period, PeriodError
from egov_indicators.entrypoints.http.common import (
    Admin,
    Reader,
    check_province,
    check_unit,
    ctx_of,
    parse_period,
)
from egov_indicators.usecases import reporting
from egov_indicators.usecases.common import Work, load_hierarchy

router = APIRouter(prefix="/v1")


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
    async with runtime_of(request).transaction() as tx:
        found = await Work.on(tx).reporting.data_sets()
    return page.slice([reporting.data_set_json(d) for d in found])


@router.put("/data-sets/{code}", tags=["reporting"])
async def put_data_set(
    code: str, body: DataSetIn, request: Request, principal: Admin
) -> dict[str, Any]:
    """Add or change a data set. Province-wide: needs a role scoped at the province."""
    await check_province(runtime_of(request), principal, "The data sets")
    try:
        data_set = reporting.data_set_of({"code": code, **body.model_dump()})
        async with runtime_of(request).transaction() as tx:
            d = await reporting.put_data_set(Work.on(tx), data_set, principal.subject)
    except (ValueError, PeriodError) as exc:
        raise Problem(422, "Invalid data set", str(exc)) from exc
    return reporting.data_set_json(d)


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
    p = parse_period(period)
    unit = unit or principal.unit_code
    await check_unit(rt, principal, unit)
    async with rt.transaction() as tx:
        w = Work.on(tx)
        d = await reporting.get_data_set(w, data_set)
        if d is None:
            raise Problem(404, "Data set not found", f"No data set {data_set}.")
        if p.kind != d.period_kind:
            raise Problem(
                422,
                "Invalid period",
                f"Data set {d.code} is reported per {d.period_kind}, not per {p.kind}.",
                errors=[{"field": "period", "message": f"a {d.period_kind} period"}],
            )
        hierarchy = await load_hierarchy(w)
        subtree = hierarchy.descendants(unit, p.end)
        rates, _ = await reporting.reporting_rates_of(w, d, p, subtree)
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
        today=ctx_of(request).clock().date(),
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
    today: date,
) -> Page | Response:
    """A reporting-rate list as a CSV/XLSX download of ``columns``, or as a page (``overdue``
    once ``today``, the service clock's day, is past the due date)."""
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
        overdue=today > due,
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
        today=ctx_of(request).clock().date(),
        title=f"Đơn vị chưa báo cáo — {d.name_vi} ({d.code}) — {unit} — kỳ {p}",
    )
