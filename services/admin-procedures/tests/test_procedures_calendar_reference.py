"""The province's calendar exceptions published as reference data by admin-procedures' use cases
(outbox rows on ``egov.reference.calendar``, keyed by day), including the exceptions recorded
before publishing existed."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from egov_contracts.envelope import EventData, decode, model_for
from egov_contracts.reference import CalendarExceptionUpserted, CalendarExceptionWithdrawn
from egov_contracts.topics import REFERENCE_CALENDAR
from egov_procedures.main import SPEC
from egov_procedures.usecases import (
    Context,
    Work,
    publish_pending_calendar,
    put_calendar_exception,
    withdraw_calendar_exception,
)
from egov_runtime.consumer import Tx
from egov_runtime.db import all_migrations, connect, migrate
from egov_workdays import VN_TZ, CalendarException, ExceptionKind, WorkCalendar

pytestmark = pytest.mark.integration

AT = datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)


def work(conn) -> Work:
    return Work.on(Tx(conn, SPEC.name, "/vn/38/admin-procedures"))


LEGACY, NEW = date(2026, 3, 6), date(2026, 3, 9)


async def published(conn) -> list[tuple[str, EventData]]:
    rows = await conn.fetch(
        "SELECT key, value, headers FROM outbox WHERE topic = $1 ORDER BY seq",
        REFERENCE_CALENDAR.name,
    )
    out: list[tuple[str, EventData]] = []
    for r in rows:
        event = decode(bytes(r["value"]), [(k, v.encode()) for k, v in r["headers"]])
        out.append((r["key"], model_for(event.type).model_validate(event.data)))
    return out


async def test_exceptions_are_published_once_each_with_the_legacy_ones(database_dsn):
    await migrate(database_dsn, all_migrations(SPEC.migrations))
    conn = await connect(database_dsn)
    ctx = Context(source="/vn/38/admin-procedures", personal_data_key=b"k", calendar=WorkCalendar())
    try:
        # recorded before publishing existed: never published
        await conn.execute(
            "INSERT INTO calendar_exceptions (day, kind, note, entered_by)"
            " VALUES ($1, 'day-off', 'Lễ hội Lam Kinh', 'admin-38')",
            LEGACY,
        )
        async with conn.transaction():
            assert await publish_pending_calendar(work(conn), ctx) == 1
        async with conn.transaction():
            assert await publish_pending_calendar(work(conn), ctx) == 0
            w = work(conn)
            made_up = CalendarException(NEW, ExceptionKind.WORKING_DAY, "Làm bù", "admin-38")
            await put_calendar_exception(w, ctx, made_up, AT)
            assert await withdraw_calendar_exception(w, ctx, LEGACY, "admin-38", AT)
            assert not await withdraw_calendar_exception(w, ctx, LEGACY, "admin-38", AT)
        async with conn.transaction():
            assert await publish_pending_calendar(work(conn), ctx) == 0
        events = await published(conn)
    finally:
        await conn.close()
    assert [key for key, _ in events] == [LEGACY.isoformat(), NEW.isoformat(), LEGACY.isoformat()]
    legacy, new, withdrawn = (data for _, data in events)
    assert isinstance(legacy, CalendarExceptionUpserted) and legacy.note == "Lễ hội Lam Kinh"
    assert isinstance(new, CalendarExceptionUpserted) and new.kind == "working-day"
    assert isinstance(withdrawn, CalendarExceptionWithdrawn) and withdrawn.day == LEGACY
    # the service's own calendar follows at once
    assert ctx.calendar.is_working_day(LEGACY) and ctx.calendar.is_working_day(NEW)
    assert [e.day for e in ctx.calendar.exceptions] == [NEW]
