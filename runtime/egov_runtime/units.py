"""Each service's read model of the admin-unit hierarchy, fed by ``unit.upserted.v1``.

Services never hard-code the hierarchy (it changes by law: the 2025 reform); they keep this
table from the compacted ``egov.reference.units`` topic and use it for unit scope (a unit and
its descendants) in reports and authorisation. The table is read into the one date-aware model
(:class:`egov_units.Hierarchy`): validity dates and successors count, so a unit merged away is
answered for by its successor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
from egov_contracts.envelope import VN_TZ
from egov_units import AdminUnit, Hierarchy
from fastapi import APIRouter, Request

from egov_runtime.consumer import Incoming, Subscription, Tx
from egov_runtime.pagination import Page, PageQuery
from egov_runtime.problems import Problem

UNIT_UPSERTED = "vn.egov.reference.unit.upserted.v1"


async def upsert_units(conn: asyncpg.Connection, units: Iterable[dict[str, Any]]) -> int:
    rows = [
        (
            u["unit_code"],
            u["name"],
            str(u["level"]),
            u.get("parent_code"),
            _date(u.get("valid_from")),
            _date(u.get("valid_to")),
            u.get("successor_code"),
        )
        for u in units
    ]
    await conn.executemany(
        "INSERT INTO units (unit_code, name, level, parent_code, valid_from, valid_to,"
        " successor_code) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (unit_code) DO UPDATE SET name = excluded.name, level = excluded.level,"
        " parent_code = excluded.parent_code, valid_from = excluded.valid_from,"
        " valid_to = excluded.valid_to, successor_code = excluded.successor_code,"
        " updated_at = now()",
        rows,
    )
    return len(rows)


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def today() -> date:
    """Today in Vietnam: the day the hierarchy is taken as standing on by default."""
    return datetime.now(VN_TZ).date()


# The model last read from each database's units table (by its ``units_version.instance``),
# with the table's version then: reread only when the version moved.
_MODELS: dict[str, tuple[int, Hierarchy]] = {}


async def load_hierarchy(conn: asyncpg.Connection) -> Hierarchy:
    """This service's read model as the one date-aware hierarchy model (:mod:`egov_units`);
    kept in memory while the table's version (bumped by a trigger) stays the same."""
    current = await conn.fetchrow("SELECT instance, version FROM units_version")
    key, version = str(current["instance"]), int(current["version"])
    cached = _MODELS.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    rows = await conn.fetch(
        "SELECT unit_code, name, level, parent_code, valid_from, valid_to, successor_code"
        " FROM units"
    )
    model = Hierarchy(AdminUnit.from_record(r) for r in rows)
    _MODELS[key] = (version, model)
    return model


async def descendants(
    conn: asyncpg.Connection, unit_code: str, on: date | None = None
) -> list[str]:
    """The unit itself and every unit below it on ``on`` (today by default), including the
    former units it answers for after a merger (their records are its records)."""
    return (await load_hierarchy(conn)).descendants(unit_code, on or today())


async def ancestry(conn: asyncpg.Connection, unit_code: str, on: date | None = None) -> list[str]:
    """The unit answering for ``unit_code`` on ``on`` (today by default: its successor once it
    was merged away), then its parents up to the root."""
    return (await load_hierarchy(conn)).ancestry(unit_code, on or today())


async def get_unit(conn: asyncpg.Connection, unit_code: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM units WHERE unit_code = $1", unit_code)
    return dict(row) if row else None


async def unit_names(conn: asyncpg.Connection, codes: Sequence[str]) -> dict[str, str]:
    """The names of these units by code (those the read model knows)."""
    rows = await conn.fetch(
        "SELECT unit_code, name FROM units WHERE unit_code = ANY($1::text[])", list(codes)
    )
    return {r["unit_code"]: r["name"] for r in rows}


def units_subscription(topics: Sequence[str] = ("egov.reference.units",)) -> Subscription:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        await upsert_units(tx.conn, (i.data.model_dump(mode="json") for i in items))

    return Subscription("units", tuple(topics), handle, frozenset({UNIT_UPSERTED}))


async def publish_units(producer: Any, units: Sequence[Any], source: str) -> int:
    """Publish ``unit.upserted.v1`` events (keyed by unit code) to the compacted topic."""
    from egov_contracts.envelope import encode, new_event
    from egov_contracts.topics import REFERENCE_UNITS

    for unit in units:
        value, headers = encode(new_event(unit, source=source, subject=unit.unit_code))
        await producer.send(
            REFERENCE_UNITS.name, value=value, key=unit.unit_code.encode(), headers=headers
        )
    await producer.flush()
    return len(units)


def units_router() -> APIRouter:
    """``GET /v1/units`` and ``GET /v1/units/{code}``: this service's view of the hierarchy
    (public reference data), with each unit's ancestry today (from the unit answering for it:
    its successor once it was merged away), so operators can see what a service knows. Every
    service has it (the app factory mounts it).

    ``Request`` is imported at module level on purpose: with postponed annotations FastAPI
    resolves the string ``"Request"`` in this module's globals, and a local import made it an
    unknown query parameter (422 on every call, 500 on ``/openapi.json``)."""
    router = APIRouter(prefix="/v1", tags=["reference"])

    @router.get("/units")
    async def list_units(request: Request, page: PageQuery, parent: str | None = None) -> Page:
        async with request.app.state.runtime.pool.acquire() as conn:
            return await page.fetch(
                conn,
                "SELECT unit_code, name, level, parent_code, valid_from, valid_to,"
                " successor_code FROM units WHERE $1::text IS NULL OR parent_code = $1",
                parent,
                order_by="unit_code",
            )

    @router.get("/units/{code}")
    async def get_one(code: str, request: Request) -> dict[str, Any]:
        async with request.app.state.runtime.pool.acquire() as conn:
            unit = await get_unit(conn, code)
            if unit is None:
                raise Problem(404, "Unit not found", f"No unit {code} in this service's view.")
            hierarchy, day = await load_hierarchy(conn), today()
            unit["answered_by"] = hierarchy.answering(code, day)  # its successor once merged
            unit["ancestry"] = hierarchy.ancestry(code, day)
            unit["children"] = [
                r["unit_code"]
                for r in await conn.fetch(
                    "SELECT unit_code FROM units WHERE parent_code = $1 ORDER BY 1", code
                )
            ]
        return unit

    return router
