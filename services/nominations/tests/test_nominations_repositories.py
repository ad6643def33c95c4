"""One test body per repository of nominations, run against its in-memory fake (fast) and its
PostgreSQL adapter (integration), as the ``eventsourcing`` library tests its recorders: the fakes
the use-case tests rely on behave as the adapters do."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from egov_contracts.reference import CalendarExceptionKind, CalendarExceptionUpserted
from egov_devkit.testing.fixtures import service_database_of
from egov_nominations.adapters import register as people
from egov_nominations.adapters.repositories import (
    PgCalendar,
    PgClusters,
    PgCouncils,
    PgDecisions,
    PgEvidence,
    PgMovements,
    PgNominations,
    PgPeople,
    PgRecords,
)
from egov_nominations.domain.councils import Council, Member, Nomination, Session, Tally
from egov_nominations.domain.decisions import ConferredAward, RecordedDecision
from egov_nominations.domain.evidence import OnTimeEvidence, TargetEvidence
from egov_nominations.domain.movements import Movement, Registration
from egov_nominations.domain.people import RatedYear
from egov_nominations.domain.register import (
    AwardKind,
    AwardRecord,
    DisciplineLevel,
    DisciplineRecord,
    EmulationCluster,
    IndividualRecord,
    Initiative,
    Leave,
    LeaveKind,
    NomineeKind,
    PendingKind,
    PendingMatter,
    Person,
    Scope,
    TaskRating,
    WorkYear,
    YearRating,
)
from egov_nominations.domain.workflow import NominationFile, Status
from egov_nominations.main import SPEC
from egov_runtime.calendar_exceptions import apply_calendar_events
from egov_workdays import VN_TZ, CalendarException, ExceptionKind

from .conftest import (
    FakeCalendar,
    FakeClusters,
    FakeCouncils,
    FakeDecisions,
    FakeEvidence,
    FakeMovements,
    FakeNominations,
    FakePeople,
    FakeRecords,
)

# the PostgreSQL side: a database migrated with the service's migrations, `conn` a rolled-back
# transaction in it (egov_devkit.testing.fixtures)
service_database = service_database_of(SPEC)

AT = datetime(2026, 1, 20, 9, 30, tzinfo=VN_TZ)
COUNCIL = Council(
    "HD-1",
    "38.SNV",
    "Hội đồng TĐKT Sở Nội vụ",
    "department",
    (Member("tv01", "Thành viên 01", "Chủ tịch"), Member("tv02", "Thành viên 02")),
    "can-bo-snv",
)
FILE = NominationFile(
    id="HS-1",
    nominee_kind=NomineeKind.INDIVIDUAL,
    nominee_ref="cb-001",
    award=AwardKind.CHIEN_SI_THI_DUA_CO_SO,
    achievement_year=2025,
    status=Status.UNDER_REVIEW,
)
HS1 = Nomination(
    "HS-1",
    "38.SNV",
    "38.SNV",
    FILE,
    version=3,
    nominee_name="Nguyễn Văn A",
    occasion="yearly",
    deciding_level="department",
    documents=("to-trinh",),
    summary="Hoàn thành xuất sắc nhiệm vụ",
)


class CouncilsContract:
    """``councils`` comes with HS1 kept (a tally names a file)."""

    async def test_a_council_is_kept_and_only_its_name_and_members_change(self, councils):
        assert await councils.get("HD-1") is None
        await councils.put(COUNCIL)
        kept = await councils.get("HD-1")
        assert kept is not None and kept.created_at is not None
        assert replace(kept, created_at=None) == COUNCIL
        moved = replace(
            COUNCIL,
            unit_code="38.01",
            name="Hội đồng mới",
            level="district",
            members=COUNCIL.members[:1],
            created_by="khac",
        )
        await councils.put(moved)
        again = await councils.get("HD-1")
        assert again is not None
        assert (again.unit_code, again.level, again.created_by, again.created_at) == (
            "38.SNV",
            "department",
            "can-bo-snv",
            kept.created_at,
        )
        assert (again.name, again.members) == ("Hội đồng mới", COUNCIL.members[:1])

    async def test_sessions_and_their_tallies_are_kept(self, councils):
        await councils.put(COUNCIL)
        assert await councils.session("PH-1") is None
        s = Session("PH-1", "HD-1", date(2026, 1, 20), 2, ("tv01", "tv02"), True, "can-bo-snv")
        await councils.add_session(s)
        assert await councils.session("PH-1") == s
        assert await councils.tallies("PH-1") == []
        assert await councils.tally("PH-1", "HS-1") is None
        t = Tally(
            "PH-1", "HS-1", 2, 2, 2, Decimal("75.00"), Decimal("100.00"), True, True, "tv01", AT
        )
        await councils.add_tally(t)
        assert await councils.tally("PH-1", "HS-1") == t
        assert await councils.tallies("PH-1") == [t]

    async def test_a_files_latest_tally_is_the_last_recorded(self, councils):
        assert await councils.latest_tally("HS-1") is None
        await councils.put(COUNCIL)
        for sid, day in (("PH-1", 20), ("PH-2", 27)):
            await councils.add_session(
                Session(sid, "HD-1", date(2026, 1, day), 2, ("tv01", "tv02"), True, "can-bo-snv")
            )
        first = Tally(
            "PH-1", "HS-1", 2, 2, 1, Decimal("50"), Decimal("50.00"), True, False, "tv01", AT
        )
        later = replace(
            first,
            session_id="PH-2",
            votes_for=2,
            share_pct=Decimal("100.00"),
            passed=True,
            recorded_at=AT.replace(day=27),
        )
        await councils.add_tally(later)
        await councils.add_tally(first)
        got = await councils.latest_tally("HS-1")
        assert got is not None and (got.session_id, got.votes_for) == ("PH-2", 2)


class TestFakeCouncils(CouncilsContract):
    @pytest.fixture
    def councils(self):
        return FakeCouncils()


@pytest.mark.integration
class TestPgCouncils(CouncilsContract):
    @pytest.fixture
    async def councils(self, conn):
        await PgNominations(conn).add(HS1, "can-bo-snv")
        return PgCouncils(conn)


class NominationsContract:
    """``nominations`` comes with HS1 kept."""

    async def test_a_file_is_loaded_and_saved_with_its_version_and_session(self, nominations):
        assert await nominations.get("HS-9") is None
        assert await nominations.get("HS-1", lock=True) == HS1
        approved = FILE.model_copy(update={"status": Status.APPROVED})
        await nominations.save(replace(HS1, file=approved, version=4, session_id="PH-1"))
        got = await nominations.get("HS-1")
        assert got is not None
        assert (got.status, got.version, got.session_id) == (Status.APPROVED, 4, "PH-1")
        await nominations.save(replace(got, version=5, session_id=None))  # the session stays
        again = await nominations.get("HS-1")
        assert again is not None and (again.version, again.session_id) == (5, "PH-1")
        await nominations.save(replace(HS1, nomination_id="HS-9"))  # no such file: nothing
        assert await nominations.get("HS-9") is None

    async def test_a_proposed_file_is_added_and_found_open_for_its_nominee(self, nominations):
        kind, award = NomineeKind.INDIVIDUAL, AwardKind.LAO_DONG_TIEN_TIEN
        draft = NominationFile(
            id="HS-2", nominee_kind=kind, nominee_ref="cb-001", award=award, achievement_year=2025
        )
        hs2 = replace(HS1, nomination_id="HS-2", file=draft, version=0, documents=())
        assert await nominations.open_for(kind, "cb-001", award, 2025, "yearly") is None
        await nominations.add(hs2, "can-bo-snv")
        assert await nominations.get("HS-2") == hs2
        assert await nominations.open_for(kind, "cb-001", award, 2025, "yearly") == hs2
        assert await nominations.open_for(kind, "cb-001", award, 2025, "campaign") is None
        assert await nominations.open_for(kind, "cb-001", award, 2024, "yearly") is None
        done = draft.model_copy(update={"status": Status.REJECTED})
        await nominations.save(replace(hs2, file=done, version=1, documents=("to-trinh",)))
        assert await nominations.open_for(kind, "cb-001", award, 2025, "yearly") is None
        got = await nominations.get("HS-2")
        assert got is not None and (got.documents, got.version) == (("to-trinh",), 1)
        assert (
            await nominations.open_for(  # another award's file is not this one
                kind, "cb-001", AwardKind.CHIEN_SI_THI_DUA_CO_SO, 2025, "yearly"
            )
            == HS1
        )

    async def test_approved_files_awaiting_a_decision_are_found_by_nominee_year_and_unit(
        self, nominations
    ):
        kind, award = NomineeKind.INDIVIDUAL, AwardKind.LAO_DONG_TIEN_TIEN
        draft = NominationFile(
            id="HS-2", nominee_kind=kind, nominee_ref="cb-001", award=award, achievement_year=2025
        )
        approved = draft.model_copy(update={"status": Status.APPROVED})
        hs2 = replace(HS1, nomination_id="HS-2", file=approved, version=5)
        await nominations.add(hs2, "can-bo-snv")
        assert await nominations.approved_awaiting(kind, ["cb-001"], 2025, "38.SNV") == [hs2]
        assert await nominations.approved_awaiting(kind, ["cb-002"], 2025, "38.SNV") == []
        assert await nominations.approved_awaiting(kind, ["cb-001"], 2024, "38.SNV") == []
        assert await nominations.approved_awaiting(kind, ["cb-001"], 2025, "38") == []
        collective = NomineeKind.COLLECTIVE
        assert await nominations.approved_awaiting(collective, ["cb-001"], 2025, "38.SNV") == []
        decided = approved.model_copy(update={"status": Status.DECIDED})
        await nominations.save(replace(hs2, file=decided, version=6))
        assert await nominations.approved_awaiting(kind, ["cb-001"], 2025, "38.SNV") == []


class TestFakeNominations(NominationsContract):
    @pytest.fixture
    def nominations(self):
        return FakeNominations({"HS-1": HS1})


@pytest.mark.integration
class TestPgNominations(NominationsContract):
    @pytest.fixture
    async def nominations(self, conn):
        await PgNominations(conn).add(HS1, "can-bo-snv")
        await PgCouncils(conn).put(COUNCIL)
        await PgCouncils(conn).add_session(
            Session("PH-1", "HD-1", date(2026, 1, 20), 2, ("tv01",), False, "can-bo-snv")
        )
        return PgNominations(conn)


# Thursday 2026-01-22 declared off by the province; Saturday 2026-01-24 worked instead
DAY_OFF = date(2026, 1, 22)
MAKE_UP = date(2026, 1, 24)
DECLARED = [
    CalendarException(DAY_OFF, ExceptionKind.DAY_OFF, "QĐ 12/QĐ-UBND", "admin-snv"),
    CalendarException(MAKE_UP, ExceptionKind.WORKING_DAY, "QĐ 12/QĐ-UBND", "admin-snv"),
]


class CalendarContract:
    """``calendar`` comes with the province's exceptions DECLARED."""

    async def test_the_provinces_calendar_has_the_declared_days(self, calendar):
        province = await calendar.province()
        assert not province.is_working_day(DAY_OFF)
        assert province.is_working_day(MAKE_UP)
        assert province.is_working_day(date(2026, 1, 21))
        assert not province.is_working_day(date(2026, 1, 25))  # a Sunday stays off


class TestFakeCalendar(CalendarContract):
    @pytest.fixture
    def calendar(self):
        return FakeCalendar(list(DECLARED))


@pytest.mark.integration
class TestPgCalendar(CalendarContract):
    @pytest.fixture
    async def calendar(self, conn):
        await apply_calendar_events(
            conn,
            [
                CalendarExceptionUpserted(
                    day=e.day,
                    kind=CalendarExceptionKind(e.kind.value),
                    note=e.note,
                    entered_by=e.entered_by,
                    entered_at=AT,
                )
                for e in DECLARED
            ],
        )
        return PgCalendar(conn)


MOVEMENT = Movement(
    "PT-2026",
    "Phong trào thi đua năm 2026",
    "38.SNV",
    2026,
    date(2026, 1, 10),
    None,
    (AwardKind.LAO_DONG_TIEN_TIEN, AwardKind.CHIEN_SI_THI_DUA_CO_SO),
    "admin-snv",
    AT,
)


def registration(rid: str, **kw: Any) -> Registration:
    base = Registration(
        rid,
        "PT-2026",
        2026,
        NomineeKind.INDIVIDUAL,
        "cb-001",
        "38.01.01",
        AwardKind.LAO_DONG_TIEN_TIEN,
        "xa",
        AT,
    )
    return replace(base, **kw)


class MovementsContract:
    async def test_a_movement_is_kept_once(self, movements):
        assert await movements.get("PT-2026") is None
        assert await movements.add(MOVEMENT) is True
        assert await movements.add(replace(MOVEMENT, title="Khác")) is False
        assert await movements.get("PT-2026") == MOVEMENT

    async def test_a_registration_is_kept_once_per_nominee_award_and_year(self, movements):
        await movements.add(MOVEMENT)
        first = registration("DK-1")
        assert await movements.register(first) == first
        assert await movements.register(registration("DK-2", movement_id=None)) == first
        other_year = registration("DK-3", year=2027, movement_id=None)
        assert await movements.register(other_year) == other_year
        other_award = registration("DK-4", award=AwardKind.CHIEN_SI_THI_DUA_CO_SO)
        assert await movements.register(other_award) == other_award


class TestFakeMovements(MovementsContract):
    @pytest.fixture
    def movements(self):
        return FakeMovements()


@pytest.mark.integration
class TestPgMovements(MovementsContract):
    @pytest.fixture
    def movements(self, conn):
        return PgMovements(conn)


PERSON = Person(id="cb-001", name="Nguyễn Văn A", unit_id="38.01.01", female=True)


class PeopleContract:
    """``register`` comes with PERSON kept."""

    async def test_a_person_of_the_register_is_read_as_the_domain_value(self, register):
        assert await register.get("cb-001") == PERSON
        assert await register.get("ai-do") is None

    async def test_a_person_is_kept_and_changed_keeping_the_sex_when_not_given(self, register):
        assert await register.put(Person(id="cb-002", name="B", unit_id="38.01.01")) is True
        moved = PERSON.model_copy(
            update={"name": "Nguyễn Văn An", "unit_id": "38.SNV", "female": None}
        )
        assert await register.put(moved) is False
        assert await register.get("cb-001") == moved.model_copy(update={"female": True})

    async def test_a_years_rating_is_kept_and_replaced(self, register):
        assert await register.rating("cb-001", 2025) is None
        work = WorkYear(
            year=2025,
            months_on_duty=Decimal(10),
            leave=(Leave(kind=LeaveKind.MATERNITY, months=Decimal("1.5")),),
        )
        rated = RatedYear("cb-001", "38.01.01", TaskRating.HOAN_THANH_TOT, work)
        assert await register.rate(rated) is True
        assert await register.rating("cb-001", 2025) == rated
        changed = replace(rated, rating=TaskRating.HOAN_THANH, source="import")
        assert await register.rate(changed) is False
        assert await register.rating("cb-001", 2025) == changed


class TestFakePeople(PeopleContract):
    @pytest.fixture
    def register(self):
        return FakePeople({"cb-001": PERSON})


@pytest.mark.integration
class TestPgPeople(PeopleContract):
    @pytest.fixture
    async def register(self, conn):
        await people.upsert_person(conn, "cb-001", PERSON.name, "38.01.01", True)
        return PgPeople(conn)


RATE = OnTimeEvidence(
    "38.01.01",
    "2025",
    2025,
    date(2025, 1, 1),
    date(2025, 12, 31),
    100,
    90,
    Decimal("90.00"),
    2,
    "e-1",
)
TARGET = TargetEvidence(
    "VL_GQVL",
    "38.01.01",
    "2025",
    2025,
    Decimal(100),
    Decimal(120),
    Decimal("120.00"),
    "achieved",
    True,
    AT,
    "e-2",
)


class EvidenceContract:
    async def test_a_rate_keeps_its_highest_revision(self, evidence):
        assert await evidence.on_time("38.01.01", "2025") is None
        await evidence.keep_on_time(RATE)
        await evidence.keep_on_time(
            replace(RATE, revision=1, on_time_rate=Decimal(50), event_id="e-0")
        )
        assert await evidence.on_time("38.01.01", "2025") == RATE
        newer = replace(
            RATE, revision=3, on_time_rate=None, resolved=0, early_on_time=0, event_id="e-3"
        )
        await evidence.keep_on_time(newer)
        assert await evidence.on_time("38.01.01", "2025") == newer

    async def test_a_target_keeps_its_latest_evaluation(self, evidence):
        await evidence.keep_target(TARGET)
        older = replace(TARGET, actual=Decimal(1), evaluated_at=datetime(2026, 1, 2, tzinfo=VN_TZ))
        await evidence.keep_target(older)
        assert await evidence.target("VL_GQVL", "38.01.01", "2025") == TARGET
        later = replace(
            TARGET,
            actual=Decimal(80),
            status="missed",
            achievement_pct=None,
            evaluated_at=datetime(2026, 2, 1, tzinfo=VN_TZ),
        )
        await evidence.keep_target(later)
        assert await evidence.target("VL_GQVL", "38.01.01", "2025") == later
        assert await evidence.target("VL_GQVL", "38.01.01", "2024") is None


class TestFakeEvidence(EvidenceContract):
    @pytest.fixture
    def evidence(self):
        return FakeEvidence()


@pytest.mark.integration
class TestPgEvidence(EvidenceContract):
    @pytest.fixture
    def evidence(self, conn):
        return PgEvidence(conn)


CUM = EmulationCluster(
    id="CUM-1", name="Cụm thi đua số 1", year=2025, unit_code="38.SNV", members=("38.SNV", "38.01")
)


class ClustersContract:
    async def test_a_clusters_year_keeps_its_members_and_then_its_leaders(self, clusters):
        assert await clusters.get("CUM-1", 2025) is None
        assert await clusters.keep_composition(CUM, "can-bo") is True
        kept = await clusters.get("CUM-1", 2025, lock=True)
        assert kept is not None and kept.recorded_by == "can-bo"
        assert kept.cluster == CUM.model_copy(update={"members": ("38.01", "38.SNV")})
        led = kept.cluster.model_copy(
            update={
                "leaders": ("38.01",),
                "meeting_reference": "BB",
                "meeting_on": date(2025, 12, 20),
            }
        )
        await clusters.keep_leaders(led, "thu-ky")
        got = await clusters.get("CUM-1", 2025)
        assert got is not None and got.cluster == led and got.recorded_by == "can-bo"
        # a new composition: a member leaves, the name changes, the leaders stay
        moved = CUM.model_copy(update={"name": "Cụm 1", "members": ("38.01", "38.01.01")})
        assert await clusters.keep_composition(moved, "khac") is False
        again = await clusters.get("CUM-1", 2025)
        assert again is not None
        assert (again.cluster.name, again.cluster.members, again.cluster.leaders) == (
            "Cụm 1",
            ("38.01", "38.01.01"),
            ("38.01",),
        )
        assert again.recorded_by == "khac"
        assert await clusters.get("CUM-1", 2024) is None


class TestFakeClusters(ClustersContract):
    @pytest.fixture
    def clusters(self):
        return FakeClusters()


@pytest.mark.integration
class TestPgClusters(ClustersContract):
    @pytest.fixture
    def clusters(self, conn):
        return PgClusters(conn)


RECORDED = IndividualRecord(
    person=PERSON,
    ratings=(YearRating(year=2025, rating=TaskRating.HOAN_THANH_TOT),),
    work_years=(WorkYear(year=2025, months_on_duty=Decimal(12)),),
)


class RecordsContract:
    """``records`` comes with PERSON rated for 2025 (RECORDED)."""

    async def test_a_persons_record_is_read_and_a_conferred_award_joins_it(self, records):
        assert await records.individual("ai-do") is None
        assert await records.individual("cb-001") == RECORDED
        award = ConferredAward(
            NomineeKind.INDIVIDUAL,
            "cb-001",
            "38.01.01",
            AwardKind.LAO_DONG_TIEN_TIEN,
            2025,
            "01/QĐ-UBND",
            "commune",
            date(2026, 1, 21),
            "HS-1",
        )
        await records.confer(award)
        await records.confer(award)  # the same award of the same decision once
        got = await records.individual("cb-001")
        assert got is not None and got.awards == (
            AwardRecord(
                award=AwardKind.LAO_DONG_TIEN_TIEN,
                year=2025,
                decision_number="01/QĐ-UBND",
                level="commune",
                decided_on=date(2026, 1, 21),
            ),
        )
        assert got.ratings == RECORDED.ratings

    async def test_disciplines_initiatives_and_pending_matters_join_the_persons_record(
        self, records
    ):
        first = DisciplineRecord(year=2024, level=DisciplineLevel.KHIEN_TRACH, decision_number="7")
        await records.keep_discipline("cb-001", first)
        again = first.model_copy(update={"year": 2025, "level": DisciplineLevel.CANH_CAO})
        await records.keep_discipline("cb-001", again)  # one per decision number
        initiative = Initiative(
            id="SK-1", title="Một cửa số", year=2025, recognised_by="Sở KH&CN", scope=Scope.PROVINCE
        )
        await records.keep_initiative("cb-001", initiative)
        await records.keep_initiative("cb-001", initiative.model_copy(update={"title": "Mới"}))
        opened = PendingMatter(
            kind=PendingKind.INSPECTION, opened_on=date(2026, 1, 5), reference="TB-1"
        )
        await records.keep_pending("VV-1", NomineeKind.INDIVIDUAL, "cb-001", opened)
        # a kept matter takes only the new reference and resolution
        later = PendingMatter(
            kind=PendingKind.DISCIPLINE, opened_on=date(2026, 2, 1), reference="KL-1", resolved=True
        )
        await records.keep_pending("VV-1", NomineeKind.INDIVIDUAL, "cb-001", later)
        got = await records.individual("cb-001")
        assert got is not None
        assert got.disciplines == (again,)
        assert got.initiatives == (initiative.model_copy(update={"title": "Mới"}),)
        assert got.pending == (opened.model_copy(update={"reference": "KL-1", "resolved": True}),)
        assert got.ratings == RECORDED.ratings

    async def test_a_collectives_rating_and_pending_matter_join_its_record(self, records):
        await records.rate_unit("38.01.01", YearRating(year=2024, rating=TaskRating.HOAN_THANH))
        await records.rate_unit(
            "38.01.01", YearRating(year=2024, rating=TaskRating.HOAN_THANH_TOT)
        )  # replaced
        await records.rate_unit("38.01", YearRating(year=2024, rating=TaskRating.HOAN_THANH))
        matter = PendingMatter(
            kind=PendingKind.COMPLAINT, opened_on=date(2026, 1, 5), reference="ĐT-1"
        )
        await records.keep_pending("VV-2", NomineeKind.COLLECTIVE, "38.01.01", matter)
        record, _ = await records.collective("38.01.01", "Xã Một", 2025)
        assert record.ratings == (YearRating(year=2024, rating=TaskRating.HOAN_THANH_TOT),)
        assert record.pending == (matter,)
        assert (await records.individual("cb-001")).pending == ()

    async def test_an_imported_award_joins_the_nominees_record_once(self, records):
        earlier = AwardRecord(
            award=AwardKind.LAO_DONG_TIEN_TIEN, year=2023, decision_number="9/QĐ-UBND"
        )
        assert await records.record_award(NomineeKind.INDIVIDUAL, "cb-001", "38.01.01", earlier)
        dated = earlier.model_copy(update={"level": "commune", "decided_on": date(2023, 12, 20)})
        assert not await records.record_award(
            NomineeKind.INDIVIDUAL, "cb-001", "38.01.01", dated
        )  # the same award of the same decision: its level and date replaced
        flag = AwardRecord(award=AwardKind.GIAY_KHEN, year=2024, decision_number="3/QĐ")
        assert await records.record_award(NomineeKind.COLLECTIVE, "38.01.01", "38.01.01", flag)
        got = await records.individual("cb-001")
        assert got is not None and got.awards == (dated,)
        record, _ = await records.collective("38.01.01", "Xã Một", 2025)
        assert record.awards == (flag,)


class TestFakeRecords(RecordsContract):
    @pytest.fixture
    def records(self):
        return FakeRecords({"cb-001": RECORDED})


@pytest.mark.integration
class TestPgRecords(RecordsContract):
    @pytest.fixture
    async def records(self, conn):
        await people.upsert_person(conn, "cb-001", PERSON.name, "38.01.01", True)
        work = RECORDED.work_years[0]
        await PgPeople(conn).rate(RatedYear("cb-001", "38.01.01", TaskRating.HOAN_THANH_TOT, work))
        return PgRecords(conn)


DECISION = RecordedDecision(
    "QD-1", "38.SNV", "05/QĐ-SNV", date(2026, 1, 16), "Giám đốc Sở", ("HS-1", "HS-2"), "giam-doc"
)


class DecisionsContract:
    async def test_a_decision_is_kept_once_per_unit_and_number(self, decisions):
        await decisions.lock("38.SNV", "05/QĐ-SNV")
        assert await decisions.get("38.SNV", "05/QĐ-SNV") is None
        await decisions.add(DECISION)
        got = await decisions.get("38.SNV", "05/QĐ-SNV")
        assert got is not None and got.recorded_at is not None
        assert replace(got, recorded_at=None) == DECISION
        assert await decisions.get("38", "05/QĐ-SNV") is None
        with pytest.raises(Exception):  # noqa: B017 - the number is unique in its unit
            await decisions.add(replace(DECISION, decision_id="QD-2"))


class TestFakeDecisions(DecisionsContract):
    @pytest.fixture
    def decisions(self):
        return FakeDecisions()


@pytest.mark.integration
class TestPgDecisions(DecisionsContract):
    @pytest.fixture
    def decisions(self, conn):
        return PgDecisions(conn)
