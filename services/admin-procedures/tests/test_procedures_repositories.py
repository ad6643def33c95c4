"""One test body per repository of admin-procedures, run against its in-memory fake (fast) and
its PostgreSQL adapter (integration), as the ``eventsourcing`` library tests its recorders: the
fakes the use-case tests rely on behave as the adapters do."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from egov_contracts import procedures as c
from egov_devkit.testing.fixtures import service_database_of
from egov_procedures.adapters.catalogue import PgCalendarExceptions, PgCatalogue, upsert_procedures
from egov_procedures.adapters.dossiers import PgDossiers
from egov_procedures.adapters.rates import PgPublished
from egov_procedures.domain.dossier import DeadlineWarning, fold
from egov_procedures.domain.model import (
    Apology,
    Channel,
    DeadlineMode,
    Dossier,
    Procedure,
    Status,
    StatusReport,
    TimeUnit,
)
from egov_procedures.domain.report import Published, PublishedFigures
from egov_procedures.main import SPEC
from egov_workdays import VN_TZ, CalendarException, ExceptionKind, WorkCalendar

# the PostgreSQL side: a database migrated with the service's migrations, `conn` a rolled-back
# transaction in it (egov_devkit.testing.fixtures)
service_database = service_database_of(SPEC)

MON = datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)
T5 = Procedure("T5", "Năm ngày", 5)


def said(r: StatusReport) -> c.StatusReported:
    """What a one-door system said for the report ``r`` (the adapter keeps it, and reads the
    report back from it)."""
    return c.StatusReported(
        dossier_code=r.dossier_code,
        procedure_code="T5",
        unit_code="38.SNV.VL",
        status=c.DossierStatus(r.status),
        occurred_at=r.occurred_at,
        channel=r.channel,
        result=r.result,
        note=r.note or None,
    )


RECEIVED = StatusReport("r-1", "D-1", Status.RECEIVED, MON, channel=Channel.ONLINE)
SUSPENDED = StatusReport("r-2", "D-1", Status.SUSPENDED, MON + timedelta(hours=2), note="chờ")


class DossierRepositoryContract:
    """The test body; a subclass provides ``repo``."""

    async def test_a_dossier_is_kept_with_its_reports_state_and_version(self, repo):
        assert await repo.get("D-1") is None
        await repo.add_reports("D-1", [(RECEIVED, said(RECEIVED))])
        state = fold("D-1", T5, WorkCalendar(), [RECEIVED])
        await repo.save(Dossier("D-1", "T5", "38.SNV.VL", version=1), state)
        got = await repo.get("D-1", lock=True)
        assert got == Dossier(
            "D-1", "T5", "38.SNV.VL", version=1, due_at=state.due_at, reports=(RECEIVED,)
        )
        await repo.add_reports("D-1", [(SUSPENDED, said(SUSPENDED)), (RECEIVED, said(RECEIVED))])
        later = fold("D-1", T5, WorkCalendar(), [RECEIVED, SUSPENDED])
        await repo.save(Dossier("D-1", "T5", "38.SNV.VL", version=2, applicant_ref="ref-1"), later)
        got = await repo.get("D-1")
        assert got is not None and (got.version, got.applicant_ref, got.due_at) == (
            2,
            "ref-1",
            None,
        )
        assert sorted(got.reports, key=lambda r: r.report_id) == [RECEIVED, SUSPENDED]

    async def test_saving_without_state_keeps_the_version_the_reference_and_one_apology(self, repo):
        state = fold("D-2", T5, WorkCalendar(), [replace_code(RECEIVED, "D-2")])
        await repo.save(Dossier("D-2", "T5", "38", version=1, applicant_ref="ref-2"), state)
        first = Apology(MON, MON + timedelta(days=9), "Chờ xác minh", "can-bo")
        await repo.save(Dossier("D-2", "T5", "38", version=2, apology=first))
        second = Apology(MON, MON + timedelta(days=20), "Lần hai", "can-bo")
        await repo.save(Dossier("D-2", "T5", "38", version=3, apology=second))
        got = await repo.get("D-2")
        assert got is not None
        assert (got.version, got.applicant_ref, got.due_at, got.apology) == (
            3,
            "ref-2",
            state.due_at,
            first,
        )
        await repo.save(Dossier("D-none", "T5", "38", version=5))  # no such dossier: nothing
        assert await repo.get("D-none") is None

    async def test_daily_aggregates_add_up_and_cancel_out(self, repo):
        day = date(2026, 3, 2)
        await repo.add_to_daily("38", "T5", {(day, "online", "received"): 2})
        await repo.add_to_daily(
            "38", "T5", {(day, "online", "received"): -1, (day, "counter", "finished"): 1}
        )
        await repo.add_to_daily("38", "T6", {(day, "online", "received"): 1})
        assert await repo.daily("38", "T5") == {
            (day, "online", "received"): 1,
            (day, "counter", "finished"): 1,
        }
        await repo.add_to_daily("38", "T5", {(day, "counter", "finished"): -1})
        assert await repo.daily("38", "T5") == {(day, "online", "received"): 1}

    async def test_warnings_fire_once_and_a_new_schedule_replaces_only_the_unfired(self, repo):
        a, b, due = MON + timedelta(days=3), MON + timedelta(days=4), MON + timedelta(days=5)
        schedule = [
            ("deadline-approaching", "used-75", a),
            ("deadline-approaching", "days-left-1", b),
            ("overdue", "due", due),
        ]
        await repo.schedule("D-3", schedule)
        await repo.schedule("D-4", [("overdue", "due", due)])
        assert await repo.due(a - timedelta(minutes=1), 10) == []
        assert await repo.due(a, 10) == ["D-3"]
        assert sorted(await repo.due(due, 10)) == ["D-3", "D-4"]
        claimed = sorted(await repo.claim_due("D-3", a), key=lambda w: w.at)
        assert claimed == [DeadlineWarning("deadline-approaching", "used-75", a)]
        assert await repo.claim_due("D-3", a) == []
        # the deadline moved: unfired warnings follow it; the fired one does not come back
        moved = due + timedelta(days=2)
        await repo.schedule(
            "D-3", [("deadline-approaching", "used-75", a), ("overdue", "due", moved)]
        )
        assert await repo.claim_due("D-3", due) == []
        assert await repo.claim_due("D-3", moved) == [DeadlineWarning("overdue", "due", moved)]
        assert await repo.due(moved, 10) == ["D-4"]


def replace_code(r: StatusReport, code: str) -> StatusReport:
    return StatusReport(r.report_id + code, code, r.status, r.occurred_at, channel=r.channel)


class TestFakeDossiers(DossierRepositoryContract):
    @pytest.fixture
    def repo(self, fake_work):
        return fake_work.dossiers


@pytest.mark.integration
class TestPgDossiers(DossierRepositoryContract):
    @pytest.fixture
    def repo(self, conn):
        return PgDossiers(conn)


class CatalogueContract:
    async def test_a_procedure_is_read_as_the_domain_value(self, catalogue):
        assert await catalogue.procedure("NOPE") is None
        got = await catalogue.procedure("C3")
        assert got == Procedure("C3", "Ba ngày lịch", 3, TimeUnit.CALENDAR_DAYS, field="Tư pháp")

    async def test_a_procedure_put_is_read_back_and_replaced(self, catalogue):
        entered = Procedure(
            "E2",
            "Hai ngày, hết ngày",
            2,
            deadline_mode=DeadlineMode.END_OF_DAY,
            intake_cutoff=time(15, 30),
            warn_used_fraction=0.5,
            warn_days_left=0,
            field="Nội vụ",
            level="commune",
        )
        await catalogue.put(entered)
        assert await catalogue.procedure("E2") == entered
        changed = Procedure("E2", "Hai ngày", 2, TimeUnit.CALENDAR_DAYS)
        await catalogue.put(changed)
        assert await catalogue.procedure("E2") == changed


C3 = {
    "code": "C3",
    "name": "Ba ngày lịch",
    "field": "Tư pháp",
    "processing_value": 3,
    "processing_unit": "calendar-days",
}


class TestFakeCatalogue(CatalogueContract):
    @pytest.fixture
    def catalogue(self, fake_work):
        fake = fake_work.catalogue
        fake.procedures["C3"] = Procedure(
            "C3", "Ba ngày lịch", 3, TimeUnit.CALENDAR_DAYS, field="Tư pháp"
        )
        return fake


@pytest.mark.integration
class TestPgCatalogue(CatalogueContract):
    @pytest.fixture
    async def catalogue(self, conn):
        await upsert_procedures(conn, [C3])
        return PgCatalogue(conn)


OFF = CalendarException(date(2026, 3, 3), ExceptionKind.DAY_OFF, "Lễ hội", "admin-38")
LEGACY = CalendarException(date(2026, 3, 7), ExceptionKind.WORKING_DAY, "Làm bù", "admin-38")


class CalendarContract:
    """``calendar`` comes with LEGACY recorded before publishing existed (at MON)."""

    async def test_exceptions_are_kept_replaced_withdrawn_and_published_once(self, calendar):
        await calendar.put(OFF)
        assert await calendar.all() == [OFF, LEGACY]
        replaced = CalendarException(OFF.day, ExceptionKind.DAY_OFF, "Lễ hội Lam Kinh", "admin-2")
        await calendar.put(replaced)
        assert await calendar.all() == [replaced, LEGACY]
        assert await calendar.unpublished() == [(LEGACY, MON)]
        await calendar.mark_published([LEGACY.day])
        assert await calendar.unpublished() == []
        assert await calendar.withdraw(OFF.day)
        assert not await calendar.withdraw(OFF.day)
        assert await calendar.all() == [LEGACY]


class TestFakeCalendar(CalendarContract):
    @pytest.fixture
    def calendar(self, fake_work):
        fake = fake_work.calendar
        fake.legacy(LEGACY, MON)
        return fake


@pytest.mark.integration
class TestPgCalendar(CalendarContract):
    @pytest.fixture
    async def calendar(self, conn):
        await conn.execute(
            "INSERT INTO calendar_exceptions (day, kind, note, entered_by, entered_at)"
            " VALUES ($1, $2, $3, $4, $5)",
            LEGACY.day,
            str(LEGACY.kind),
            LEGACY.note,
            LEGACY.entered_by,
            MON,
        )
        return PgCalendarExceptions(conn)


class PublishedContract:
    async def test_the_last_figures_of_a_unit_s_period_are_kept_by_kind(self, published):
        assert await published.last("38.SNV", "2026-03", Published.RATE) is None
        rate = PublishedFigures(
            "38.SNV", "2026-03", Published.RATE, {"received": 4, "on_time_rate": "75.00"}
        )
        index = PublishedFigures(
            "38.SNV", "2026-03", Published.SERVICE_INDEX, {"progress_in_time": 6}, 3
        )
        await published.save(rate)
        await published.save(index)
        assert await published.last("38.SNV", "2026-03", Published.RATE) == rate
        assert await published.last("38.SNV", "2026-03", Published.SERVICE_INDEX) == index
        corrected = PublishedFigures(
            "38.SNV", "2026-03", Published.RATE, {"received": 4, "on_time_rate": "50.00"}, 2
        )
        await published.save(corrected)
        assert await published.last("38.SNV", "2026-03", Published.RATE) == corrected
        assert await published.last("38.SNV", "2026-04", Published.RATE) is None
        assert await published.last("38.STP", "2026-03", Published.RATE) is None


class TestFakePublished(PublishedContract):
    @pytest.fixture
    def published(self, fake_work):
        return fake_work.published


@pytest.mark.integration
class TestPgPublished(PublishedContract):
    @pytest.fixture
    def published(self, conn):
        return PgPublished(conn)
