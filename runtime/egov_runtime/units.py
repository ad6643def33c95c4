"""Each service's read model of the admin-unit hierarchy, fed by ``unit.upserted.v1``.

Services never hard-code the hierarchy (it changes by law: the 2025 reform); they keep this
table from the compacted ``egov.reference.units`` topic and use it for unit scope (a unit and
its descendants) in reports and authorisation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import asyncpg
from fastapi import APIRouter, Request

from egov_runtime.consumer import Incoming, Subscription, Tx
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


async def descendants(conn: asyncpg.Connection, unit_code: str) -> list[str]:
    """The unit itself and every unit below it."""
    rows = await conn.fetch(
        "WITH RECURSIVE sub AS (SELECT unit_code FROM units WHERE unit_code = $1"
        " UNION SELECT u.unit_code FROM units u JOIN sub ON u.parent_code = sub.unit_code)"
        " SELECT unit_code FROM sub",
        unit_code,
    )
    found = [r["unit_code"] for r in rows]
    return found or [unit_code]


async def ancestry(conn: asyncpg.Connection, unit_code: str) -> list[str]:
    """The unit itself, then its parent, up to the root."""
    rows = await conn.fetch(
        "WITH RECURSIVE up AS (SELECT unit_code, parent_code, 0 AS depth FROM units"
        " WHERE unit_code = $1 UNION SELECT u.unit_code, u.parent_code, up.depth + 1"
        " FROM units u JOIN up ON u.unit_code = up.parent_code WHERE up.depth < 20)"
        " SELECT unit_code FROM up ORDER BY depth",
        unit_code,
    )
    found = [r["unit_code"] for r in rows]
    return found or [unit_code]


async def get_unit(conn: asyncpg.Connection, unit_code: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM units WHERE unit_code = $1", unit_code)
    return dict(row) if row else None


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
    (public reference data), with each unit's ancestry, so operators can see what a service
    knows. Every service has it (the app factory mounts it).

    ``Request`` is imported at module level on purpose: with postponed annotations FastAPI
    resolves the string ``"Request"`` in this module's globals, and a local import made it an
    unknown query parameter (422 on every call, 500 on ``/openapi.json``)."""
    router = APIRouter(prefix="/v1", tags=["reference"])

    @router.get("/units")
    async def list_units(request: Request, parent: str | None = None) -> list[dict[str, Any]]:
        async with request.app.state.runtime.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT unit_code, name, level, parent_code, valid_from, valid_to,"
                " successor_code FROM units WHERE $1::text IS NULL OR parent_code = $1"
                " ORDER BY unit_code",
                parent,
            )
        return [dict(r) for r in rows]

    @router.get("/units/{code}")
    async def get_one(code: str, request: Request) -> dict[str, Any]:
        async with request.app.state.runtime.pool.acquire() as conn:
            unit = await get_unit(conn, code)
            if unit is None:
                raise Problem(404, "Unit not found", f"No unit {code} in this service's view.")
            unit["ancestry"] = await ancestry(conn, code)
            unit["children"] = [
                r["unit_code"]
                for r in await conn.fetch(
                    "SELECT unit_code FROM units WHERE parent_code = $1 ORDER BY 1", code
                )
            ]
        return unit

    return router
