"""The kit's reference read models on PostgreSQL: the admin-unit hierarchy answers through the
one date-aware model (a merged unit's successor), the calendar mirror applies upserts and
withdrawals in order."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg
import pytest
from egov_contracts.envelope import VN_TZ
from egov_contracts.reference import (
    CalendarExceptionKind,
    CalendarExceptionUpserted,
    CalendarExceptionWithdrawn,
    load_units,
)
from egov_runtime.auth import Principal
from egov_runtime.calendar_exceptions import apply_calendar_events, province_calendar
from egov_runtime.db import all_migrations, migrate
from egov_runtime.scope import in_scope
from egov_runtime.units import ancestry, descendants, load_hierarchy, upsert_units

pytestmark = pytest.mark.integration

BEFORE, AFTER = date(2025, 6, 1), date(2026, 3, 2)
AT = datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)


async def test_the_units_read_model_follows_validity_dates_and_successors(database_dsn):
    await migrate(database_dsn, all_migrations(None))
    conn = await asyncpg.connect(database_dsn)
    try:
        await upsert_units(conn, (u.model_dump() for u in load_units()))
        assert await ancestry(conn, "38.380", AFTER) == ["38.XA.HACTHANH", "38"]
        assert await ancestry(conn, "38.380", BEFORE) == ["38.380", "38"]
        assert await ancestry(conn, "38.SNV.NCC", AFTER) == ["38.SNV.NCC", "38.SNV", "38"]
        assert await descendants(conn, "38.XA.HACTHANH", AFTER) == ["38.XA.HACTHANH", "38.380"]
        assert await descendants(conn, "38.SNV", AFTER) == [
            "38.SNV",
            "38.SLDTBXH",
            "38.SNV.GDNN",
            "38.SNV.NCC",
            "38.SNV.VL",
        ]
        assert await descendants(conn, "NO-SUCH", AFTER) == ["NO-SUCH"]
        # the successor's officer may act on the former district's records (today: after 2025)
        officer = Principal("cb", frozenset({"officer"}), "38.XA.HACTHANH")
        assert await in_scope(conn, officer, "38.380")
        assert not await in_scope(conn, officer, "38.389")  # merged into another commune
        former = Principal("cb", frozenset({"officer"}), "38.380")
        assert await in_scope(conn, former, "38.380")  # its own history stays its own
    finally:
        await conn.close()


async def test_the_hierarchy_is_read_again_only_when_the_units_table_changed(database_dsn):
    await migrate(database_dsn, all_migrations(None))
    conn = await asyncpg.connect(database_dsn)
    try:
        await upsert_units(conn, (u.model_dump() for u in load_units()))
        first = await load_hierarchy(conn)
        assert await load_hierarchy(conn) is first  # unchanged: the model in memory
        moved = {
            "unit_code": "38.SNV.VL",
            "name": "Phòng Việc làm",
            "level": "agency",
            "parent_code": "38",
        }
        with pytest.raises(RuntimeError):  # a change rolled back leaves no trace
            async with conn.transaction():
                await upsert_units(conn, [moved])
                assert (await load_hierarchy(conn)).ancestry("38.SNV.VL", AFTER) == [
                    "38.SNV.VL",
                    "38",
                ]
                raise RuntimeError("rolled back")
        assert (await load_hierarchy(conn)).ancestry("38.SNV.VL", AFTER) == [
            "38.SNV.VL",
            "38.SNV",
            "38",
        ]
        await upsert_units(conn, [moved])
        assert await ancestry(conn, "38.SNV.VL", AFTER) == ["38.SNV.VL", "38"]
        await conn.execute("DELETE FROM units WHERE unit_code = '38.SNV.VL'")
        assert "38.SNV.VL" not in await load_hierarchy(conn)
    finally:
        await conn.close()


async def test_the_calendar_mirror_applies_upserts_and_withdrawals_in_order(database_dsn):
    await migrate(database_dsn, all_migrations(None))
    friday, saturday = date(2026, 3, 6), date(2026, 3, 7)
    conn = await asyncpg.connect(database_dsn)
    try:
        off = CalendarExceptionUpserted(
            day=friday,
            kind=CalendarExceptionKind.DAY_OFF,
            note="Lễ hội",
            entered_by="a",
            entered_at=AT,
        )
        make_up = CalendarExceptionUpserted(
            day=saturday,
            kind=CalendarExceptionKind.WORKING_DAY,
            note="Làm bù",
            entered_by="a",
            entered_at=AT,
        )
        assert await apply_calendar_events(conn, [off, make_up]) == 2
        calendar = await province_calendar(conn)
        assert not calendar.is_working_day(friday) and calendar.is_working_day(saturday)
        withdrawn = CalendarExceptionWithdrawn(day=friday, withdrawn_by="a", withdrawn_at=AT)
        await apply_calendar_events(conn, [withdrawn, make_up])  # a repeat changes nothing
        calendar = await province_calendar(conn)
        assert calendar.is_working_day(friday) and calendar.is_working_day(saturday)
        assert [e.day for e in calendar.exceptions] == [saturday]
    finally:
        await conn.close()
