"""PostgreSQL store of the procedure catalogue and the province's calendar exceptions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

import asyncpg
from egov_workdays import CalendarException, ExceptionKind

from egov_procedures.domain.model import DeadlineMode, Procedure, SupplementRule, TimeUnit

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


def procedure_from_row(row: dict[str, Any]) -> Procedure:
    s = row.get("settings") or {}
    cutoff = s.get("intake_cutoff")
    return Procedure(
        code=row["code"],
        name=row["name"],
        processing_value=row["processing_value"],
        processing_unit=TimeUnit(row["processing_unit"]),
        supplement_rule=SupplementRule(row["supplement_rule"]),
        deadline_mode=DeadlineMode(row["deadline_mode"]),
        intake_cutoff=time.fromisoformat(cutoff) if cutoff else None,
        warn_used_fraction=float(s.get("warn_used_fraction", 0.75)),
        warn_days_left=int(s.get("warn_days_left", 1)),
        field=row.get("field", ""),
        level=row.get("level", "province"),
    )


def procedure_row(procedure: Procedure) -> dict[str, Any]:
    """The catalogue's row of a procedure (its warning thresholds and intake cutoff in
    ``settings``); :func:`procedure_from_row` reads it back."""
    p = procedure
    settings: dict[str, Any] = {
        "warn_used_fraction": p.warn_used_fraction,
        "warn_days_left": p.warn_days_left,
    }
    if p.intake_cutoff is not None:
        settings["intake_cutoff"] = p.intake_cutoff.strftime("%H:%M")
    return {
        "code": p.code,
        "name": p.name,
        "field": p.field,
        "level": p.level,
        "processing_value": p.processing_value,
        "processing_unit": p.processing_unit.value,
        "supplement_rule": p.supplement_rule.value,
        "deadline_mode": p.deadline_mode.value,
        "settings": settings,
    }


def _exception(row: dict[str, Any]) -> CalendarException:
    return CalendarException(
        row["day"], ExceptionKind(row["kind"]), row["note"] or "", row["entered_by"] or ""
    )


class PgCatalogue:
    """:class:`~egov_procedures.domain.repositories.Catalogue` on a connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def procedure(self, code: str) -> Procedure | None:
        row = await get_procedure(self.conn, code)
        return procedure_from_row(row) if row is not None else None

    async def put(self, procedure: Procedure) -> None:
        await upsert_procedures(self.conn, [procedure_row(procedure)])


class PgCalendarExceptions:
    """:class:`~egov_procedures.domain.repositories.CalendarExceptions` on a connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def all(self) -> list[CalendarException]:
        return [_exception(r) for r in await calendar_exceptions(self.conn)]

    async def put(self, exception: CalendarException) -> None:
        e = exception
        await put_calendar_exception(self.conn, e.day, str(e.kind), e.note, e.entered_by)

    async def withdraw(self, day: date) -> bool:
        return await delete_calendar_exception(self.conn, day)

    async def unpublished(self) -> list[tuple[CalendarException, datetime]]:
        return [
            (_exception(r), r["entered_at"])
            for r in await unpublished_calendar_exceptions(self.conn)
        ]

    async def mark_published(self, days: Sequence[date]) -> None:
        await mark_calendar_published(self.conn, list(days))
