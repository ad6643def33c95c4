"""Flow across services: the province declares a day off in admin-procedures → it is published
on the reference calendar topic → nominations mirrors it, and the 5-working-day deadline of a
nomination submitted afterwards skips that day (the national calendar alone would not)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

import pytest
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.service import RunningService, running_stack
from egov_nominations.main import SPEC as NOMINATIONS
from egov_procedures.main import SPEC as PROCEDURES
from egov_runtime.calendar_exceptions import calendar_exceptions
from egov_runtime.units import upsert_units
from egov_workdays import VN_TZ, CalendarException, ExceptionKind, WorkCalendar

pytestmark = pytest.mark.integration

DEPT = "38.SNV"
DOCS = ["to-trinh", "bao-cao-thanh-tich", "bien-ban-hoi-dong", "xac-nhan-sang-kien"]
NATIONAL = WorkCalendar()


def fifth_working_day(calendar: WorkCalendar, received: date) -> date:
    return calendar.end_of_nth_working_day(datetime.combine(received, time(8), VN_TZ), 5).date()


async def submitted(nom: RunningService, unit: str, year: int) -> dict[str, str]:
    """A collective nomination of ``unit`` for ``year`` submitted to the department: its
    deadlines."""
    r = await nom.client.post(
        "/v1/nominations",
        json={
            "nominee": {"kind": "collective", "ref": unit},
            "award": "tap-the-lao-dong-tien-tien",
            "achievement_year": year,
            "documents": DOCS,
            "submit": True,
        },
        headers=nom.token("officer", unit=unit),
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "submitted"
    deadlines: dict[str, str] = r.json()["deadlines"]
    return deadlines


async def test_a_province_day_off_moves_a_nominations_working_day_deadline(
    kafka_bootstrap, postgres_admin_dsn
):
    unit = f"38.SNV.T{uuid.uuid4().hex[:8].upper()}"  # a unit of its own on the shared broker
    new_unit = {"unit_code": unit, "name": f"Phòng {unit}", "level": "agency", "parent_code": DEPT}
    stack = {"admin-procedures": (PROCEDURES, {}), "nominations": (NOMINATIONS, {})}
    async with running_stack(kafka_bootstrap, postgres_admin_dsn, stack) as svc:
        procedures, nom = svc["admin-procedures"], svc["nominations"]
        async with nom.runtime.transaction() as tx:
            await upsert_units(tx.conn, [new_unit])
        for n in range(3):
            r = await nom.client.put(
                f"/v1/register/people/CB{uuid.uuid4().hex[:8].upper()}",
                json={"name": f"Cán bộ {n}", "unit_code": unit},
                headers=nom.token("officer", unit=unit),
            )
            assert r.status_code == 201, r.text

        before = await submitted(nom, unit, 2024)
        received = date.fromisoformat(before["received_on"])
        assert date.fromisoformat(before["return_by"]) == fifth_working_day(NATIONAL, received)

        # the third working day after receipt: inside the 5-day window of a file received
        # today or tomorrow (whatever the time of day the test runs at)
        day_off = received
        for _ in range(3):
            day_off = NATIONAL.next_working_day(day_off)
        admin = procedures.token("admin", unit="38")
        path = f"/v1/calendar/exceptions/{day_off.isoformat()}"
        r = await procedures.client.put(
            path, json={"kind": "day-off", "note": "Nghỉ lễ hội của tỉnh"}, headers=admin
        )
        assert r.status_code == 200, r.text
        try:

            async def mirrored() -> bool:
                async with nom.runtime.pool.acquire() as conn:
                    return day_off in [e.day for e in await calendar_exceptions(conn)]

            await wait_for(mirrored, timeout=30, message="the day off in nominations' mirror")

            after = await submitted(nom, unit, 2025)
            received = date.fromisoformat(after["received_on"])
            province = WorkCalendar.with_exceptions(
                [CalendarException(day_off, ExceptionKind.DAY_OFF)]
            )
            return_by = date.fromisoformat(after["return_by"])
            assert return_by == fifth_working_day(province, received)
            assert return_by > fifth_working_day(NATIONAL, received)  # one working day later
        finally:
            # withdrawn again (the topic is compacted and shared by the other tests)
            r = await procedures.client.delete(path, headers=admin)
            assert r.status_code == 204, r.text

        async def withdrawn() -> bool:
            async with nom.runtime.pool.acquire() as conn:
                return day_off not in [e.day for e in await calendar_exceptions(conn)]

        await wait_for(withdrawn, timeout=30, message="the withdrawal in nominations' mirror")
