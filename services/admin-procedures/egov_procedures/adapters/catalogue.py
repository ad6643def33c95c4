"""PostgreSQL store of the procedure catalogue and the province's calendar exceptions."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

PROCEDURE_COLUMNS = (
    "code, name, field, level, processing_value, processing_unit, supplement_rule,"
    " deadline_mode, settings"
)


async def upsert_procedures(conn: asyncpg.Connection, procedures: list[dict[str, Any]]) -> int:
    await conn.executemany(
        f"INSERT INTO procedures ({PROCEDURE_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name, field = excluded.field,"
        " level = excluded.level, processing_value = excluded.processing_value,"
        " processing_unit = excluded.processing_unit,"
        " supplement_rule = excluded.supplement_rule, deadline_mode = excluded.deadline_mode,"
        " settings = excluded.settings, updated_at = now()",
        [
            (
                p["code"],
                p["name"],
                p.get("field", ""),
                p.get("level", "province"),
                p["processing_value"],
                p["processing_unit"],
                p.get("supplement_rule", "pause"),
                p.get("deadline_mode", "working-time"),
                p.get("settings", {}),
            )
            for p in procedures
        ],
    )
    return len(procedures)


async def get_procedure(conn: asyncpg.Connection, code: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT {PROCEDURE_COLUMNS} FROM procedures WHERE code = $1", code)
    return dict(row) if row else None


async def list_procedures(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(f"SELECT {PROCEDURE_COLUMNS} FROM procedures ORDER BY code")
    return [dict(r) for r in rows]


async def delete_procedure(conn: asyncpg.Connection, code: str) -> bool:
    return await conn.execute("DELETE FROM procedures WHERE code = $1", code) != "DELETE 0"


async def calendar_exceptions(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT day, kind, note, entered_by, entered_at FROM calendar_exceptions ORDER BY day"
    )
    return [dict(r) for r in rows]


async def put_calendar_exception(
    conn: asyncpg.Connection, day: date, kind: str, note: str, entered_by: str
) -> None:
    await conn.execute(
        "INSERT INTO calendar_exceptions (day, kind, note, entered_by, published_at)"
        " VALUES ($1, $2, $3, $4, now()) ON CONFLICT (day) DO UPDATE SET kind = excluded.kind,"
        " note = excluded.note, entered_by = excluded.entered_by, entered_at = now(),"
        " published_at = now()",
        day,
        kind,
        note,
        entered_by,
    )


async def unpublished_calendar_exceptions(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """The exceptions never published (recorded before publishing existed), locked for this
    transaction; another instance doing the same skips them."""
    rows = await conn.fetch(
        "SELECT day, kind, note, entered_by, entered_at FROM calendar_exceptions"
        " WHERE published_at IS NULL ORDER BY day FOR UPDATE SKIP LOCKED"
    )
    return [dict(r) for r in rows]


async def mark_calendar_published(conn: asyncpg.Connection, days: list[date]) -> None:
    await conn.execute(
        "UPDATE calendar_exceptions SET published_at = now() WHERE day = ANY($1::date[])", days
    )


async def delete_calendar_exception(conn: asyncpg.Connection, day: date) -> bool:
    return await conn.execute("DELETE FROM calendar_exceptions WHERE day = $1", day) != "DELETE 0"
