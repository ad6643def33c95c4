"""Each service's mirror of the province's working-day calendar exceptions, fed by
``calendar-exception.upserted.v1`` / ``.withdrawn.v1`` from the compacted
``egov.reference.calendar`` topic (admin-procedures publishes them when an administrator edits
the calendar).

A service that counts working days (nominations' 5 and 20 working-day deadlines) keeps this
table like the units read model and counts on :func:`province_calendar`: the national calendar
(public holidays, Tết, swapped days) plus the province's days off and make-up working days, so
every service counts the same days.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from egov_contracts.envelope import EventData
from egov_contracts.reference import CalendarExceptionUpserted, CalendarExceptionWithdrawn
from egov_contracts.topics import REFERENCE_CALENDAR
from egov_workdays import CalendarException, ExceptionKind, OfficeHours, WorkCalendar

from egov_runtime.consumer import Incoming, Subscription, Tx

CALENDAR_TYPES = frozenset(
    {CalendarExceptionUpserted.event_type, CalendarExceptionWithdrawn.event_type}
)


async def apply_calendar_events(conn: asyncpg.Connection, items: Sequence[EventData]) -> int:
    """Apply upserts and withdrawals in their order (one day's events share a partition, so
    they arrive in the order they were published); returns how many were applied."""
    applied = 0
    for data in items:
        if isinstance(data, CalendarExceptionUpserted):
            await conn.execute(
                "INSERT INTO reference_calendar_exceptions (day, kind, note, entered_by,"
                " entered_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (day) DO UPDATE SET"
                " kind = excluded.kind, note = excluded.note, entered_by = excluded.entered_by,"
                " entered_at = excluded.entered_at, updated_at = now()",
                data.day,
                str(data.kind),
                data.note,
                data.entered_by,
                data.entered_at,
            )
        elif isinstance(data, CalendarExceptionWithdrawn):
            await conn.execute("DELETE FROM reference_calendar_exceptions WHERE day = $1", data.day)
        else:
            continue
        applied += 1
    return applied


async def calendar_exceptions(conn: asyncpg.Connection) -> list[CalendarException]:
    rows = await conn.fetch(
        "SELECT day, kind, note, entered_by FROM reference_calendar_exceptions ORDER BY day"
    )
    return [
        CalendarException(r["day"], ExceptionKind(r["kind"]), r["note"], r["entered_by"])
        for r in rows
    ]


async def province_calendar(
    conn: asyncpg.Connection, office_hours: OfficeHours | None = None
) -> WorkCalendar:
    """The working-day calendar as the province has it: the national one with its exceptions
    (read in the caller's transaction, so a deadline uses what the mirror holds now)."""
    return WorkCalendar.with_exceptions(await calendar_exceptions(conn), office_hours)


def calendar_subscription(topics: Sequence[str] = (REFERENCE_CALENDAR.name,)) -> Subscription:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        await apply_calendar_events(tx.conn, [i.data for i in items])

    return Subscription("calendar", tuple(topics), handle, CALENDAR_TYPES)
