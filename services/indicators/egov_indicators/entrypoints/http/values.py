"""Values of a unit and period, what a unit reported, and a period's table for download."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from egov_runtime.pagination import Page, PageQuery
from egov_runtime.service import runtime_of
from egov_runtime.tables import table_download
from egov_runtime.units import unit_names
from fastapi import APIRouter, Query, Request, Response

from egov_indicators.adapters import store
from egov_indicators.domain import achievement_pct
from egov_indicators.domain.records import Target
from egov_indicators.entrypoints.http.common import (
    Reader,
    as_json,
    check_unit,
    ctx_of,
    parse_period,
    units_in_scope,
)
from egov_indicators.usecases.common import Work, load_hierarchy, load_rulebook
from egov_indicators.usecases.rollup import restated_values
from egov_indicators.usecases.targets import assess, evaluation_json

router = APIRouter(prefix="/v1")


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
    p = parse_period(period)
    unit, units = await units_in_scope(rt, principal, unit, subunits)
    async with rt.transaction() as tx:
        w = Work.on(tx)
        book = await load_rulebook(w)
        if structure_on is not None:
            wanted = units
            if subunits:
                hierarchy = await load_hierarchy(w)
                wanted = [
                    u
                    for u in hierarchy.codes
                    if u in units or unit in hierarchy.ancestors_at(u, structure_on)
                ]
            rows = await restated_values(w, book, wanted, p, indicator, structure_on)
        else:
            rows = await store.find_values(tx.conn, units, str(p), indicator)
    items = []
    for r in rows:
        d = book.catalogue.get(r["indicator_code"])
        items.append(
            as_json(
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
    p = parse_period(period)
    await check_unit(rt, principal, unit)
    async with rt.pool.acquire() as conn:
        subs = await store.submissions_of(conn, unit, str(p))
        changes = await store.history(conn, unit, str(p))
        lock = await store.get_lock(conn, unit, str(p))
    return as_json(
        {
            "unit_code": unit,
            "period": str(p),
            "locked": lock is not None,
            "lock": lock,
            "submissions": subs,
            "history": changes,
        }
    )


# what the export shows of a target's evaluation, in its order
EVALUATION_COLUMNS = (
    "direction",
    "status",
    "planned_change",
    "achieved_change",
    "change_achievement_pct",
    "verdict_vi",
)
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
    *EVALUATION_COLUMNS,
]


def _evaluation_cells(e: dict[str, Any] | None) -> list[Any]:
    """Direction, status and the planned versus achieved change of a target's evaluation (so a
    lower-is-better rate's achievement % is not read as over-achievement)."""
    return ["" if e is None or e.get(k) is None else e[k] for k in EVALUATION_COLUMNS]


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
    p = parse_period(period)
    unit, units = await units_in_scope(rt, principal, unit)
    async with rt.transaction() as tx:
        w = Work.on(tx)
        book = await load_rulebook(w)
        rows = await store.find_values(tx.conn, units, str(p), None)
        targets = {}
        evaluations: dict[tuple[str, str], Any] = {}
        day = ctx_of(request).clock().date()
        for t in await store.find_targets(tx.conn, units, str(p), None):
            targets[(t["indicator_code"], t["unit_code"])] = t["target"]
            target = Target(t["indicator_code"], t["unit_code"], p, t["target"])
            e = await assess(w, ctx_of(request), book, target, day)
            if e is not None:
                evaluations[(t["indicator_code"], t["unit_code"])] = evaluation_json(e)
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
