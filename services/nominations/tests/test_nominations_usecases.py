"""nominations' council, movement and file workflow use cases against in-memory fakes of their
repositories and of the transaction (no broker, no database): a council set up and changed, a
session with or without quorum, a secret-ballot tally that moves the file's version and
publishes ``nomination.voted.v1`` once; a movement launched once, and a registration for a title
once per nominee, award and year; the evidence from the other services kept, the latest word
winning; an emulation cluster's members and the leaders its meeting proposed; a person of the
register, a year's rating, a discipline, an initiative, a pending matter and a unit's rating;
spreadsheets of ratings and earlier awards imported whole or in part; a file proposed once per
nominee, award and year, submitted with the deadline on the province's calendar, returned or
accepted and assessed on the register's record, approved when eligible, rejected or forwarded by
its deciding head, each step a new version published once; a decision conferring its awards
recorded once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from egov_contracts import indicators as ind
from egov_contracts import nominations as c
from egov_contracts import procedures as proc
from egov_contracts.envelope import new_event
from egov_devkit.testing.fakes import RecordingTx
from egov_nominations.domain.councils import Member, Nomination
from egov_nominations.domain.register import (
    AwardKind,
    DisciplineLevel,
    DisciplineRecord,
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
from egov_nominations.domain.rules import DecidingLevel
from egov_nominations.domain.workflow import NominationFile, Status
from egov_nominations.usecases.assessment import eligibility
from egov_nominations.usecases.clusters import (
    RecordCluster,
    RecordLeaders,
    put_cluster,
    put_leaders,
)
from egov_nominations.usecases.common import Context, Work
from egov_nominations.usecases.councils import (
    CreateCouncil,
    RecordSession,
    RecordTally,
    create_council,
    record_session,
    record_tally,
    session_view,
)
from egov_nominations.usecases.decisions import Decide, Forward, approve, decide, forward, reject
from egov_nominations.usecases.evidence import record_on_time_rates, record_targets
from egov_nominations.usecases.movements import (
    LaunchMovement,
    RegisterForTitle,
    launch_movement,
    register_for_title,
)
from egov_nominations.usecases.proposals import (
    Propose,
    accept,
    check_completeness,
    propose,
    return_for_completion,
    submit,
)
from egov_nominations.usecases.register import (
    ImportRows,
    PutPerson,
    RateUnit,
    RateYear,
    RecordDiscipline,
    RecordInitiative,
    RecordPending,
    import_rows,
    put_person,
    put_rating,
    rate_unit,
    record_discipline,
    record_initiative,
    record_pending,
)
from egov_runtime.auth import Principal
from egov_runtime.refusals import Conflict, Forbidden, Invalid, NotFound
from egov_workdays import VN_TZ, CalendarException, ExceptionKind

from .conftest import FakeRecords

NOW = datetime(2026, 1, 20, 9, 0, tzinfo=VN_TZ)
DEPT = "38.SNV"
MEMBERS = tuple(Member(f"tv{i:02d}", f"Thành viên {i:02d}") for i in range(1, 12))
OFFICER = Principal("can-bo-snv", frozenset({"officer"}), DEPT)


def ctx() -> Context:
    return Context(source="/vn/38/nominations", clock=lambda: NOW)


def tx_of(w: Work) -> RecordingTx:
    assert isinstance(w.tx, RecordingTx)
    return w.tx


def member(i: int) -> Principal:
    return Principal(f"tv{i:02d}", frozenset({"council"}), DEPT)


def under_review(nomination_id: str = "HS-1", deciding: str = DEPT) -> Nomination:
    file = NominationFile(
        id=nomination_id,
        nominee_kind=NomineeKind.INDIVIDUAL,
        nominee_ref="cb-001",
        award=AwardKind.CHIEN_SI_THI_DUA_CO_SO,
        achievement_year=2025,
        status=Status.UNDER_REVIEW,
    )
    return Nomination(nomination_id, DEPT, deciding, file, version=3)


async def council(w: Work) -> str:
    out = await create_council(
        w, ctx(), OFFICER, CreateCouncil(DEPT, "Hội đồng TĐKT Sở Nội vụ", MEMBERS, "HD-1")
    )
    return str(out["council_id"])


async def session(w: Work, present: int = 10, session_id: str = "PH-1") -> str:
    present_ids = tuple(f"tv{i:02d}" for i in range(1, present + 1))
    command = RecordSession(await council(w), date(2026, 1, 20), present_ids, session_id)
    out = await record_session(w, ctx(), OFFICER, command)
    return str(out["session_id"])


# -- councils ---------------------------------------------------------------------------------


async def test_a_council_is_set_up_at_its_units_level_and_changed_by_name_and_members(fake_work):
    out = await create_council(
        fake_work, ctx(), OFFICER, CreateCouncil(DEPT, "Hội đồng", MEMBERS, "HD-1")
    )
    assert (out["level"], out["members_total"], out["created_by"]) == (
        "department",
        11,
        "can-bo-snv",
    )
    other = Principal("khac", frozenset({"officer"}), DEPT)
    changed = await create_council(
        fake_work, ctx(), other, CreateCouncil(DEPT, "Hội đồng mới", MEMBERS[:5], "HD-1")
    )
    assert (changed["name"], changed["members_total"], changed["created_by"]) == (
        "Hội đồng mới",
        5,
        "can-bo-snv",
    )
    assert tx_of(fake_work).events == []


async def test_a_council_needs_a_known_unit_in_scope_and_each_member_once(fake_work):
    with pytest.raises(Invalid):
        await create_council(fake_work, ctx(), OFFICER, CreateCouncil("38.99", "HĐ", MEMBERS))
    with pytest.raises(Forbidden):  # the department's officer, not the district's
        await create_council(fake_work, ctx(), OFFICER, CreateCouncil("38.01", "HĐ", MEMBERS))
    with pytest.raises(Invalid):
        twice = (*MEMBERS[:2], MEMBERS[0])
        await create_council(fake_work, ctx(), OFFICER, CreateCouncil(DEPT, "HĐ", twice))
    assert fake_work.councils.councils == {}  # type: ignore[attr-defined]


# -- sessions ---------------------------------------------------------------------------------


async def test_a_session_is_recorded_with_its_quorum_or_without(fake_work):
    sid = await session(fake_work, present=10)
    view = await session_view(fake_work, sid)
    assert (view["present"], view["members_total"], view["quorum_met"]) == (10, 11, True)
    assert view["quorum_message"] == "Đủ túc số: 10/11 thành viên có mặt"
    command = RecordSession("HD-1", date(2026, 1, 21), ("tv01", "tv02", "tv01"), "PH-2")
    short = await record_session(fake_work, ctx(), OFFICER, command)
    assert (short["present"], short["quorum_met"]) == (2, False)
    assert short["present_members"] == ["tv01", "tv02"]


async def test_a_session_refuses_strangers_a_second_record_and_callers_outside(fake_work):
    await session(fake_work)
    with pytest.raises(Invalid):
        await record_session(
            fake_work, ctx(), OFFICER, RecordSession("HD-1", date(2026, 1, 21), ("ai-do",))
        )
    with pytest.raises(Conflict):
        await record_session(
            fake_work, ctx(), OFFICER, RecordSession("HD-1", date(2026, 1, 21), (), "PH-1")
        )
    district = Principal("huyen", frozenset({"officer"}), "38.01")
    with pytest.raises(NotFound):  # another unit's council is as if missing
        await record_session(
            fake_work, ctx(), district, RecordSession("HD-1", date(2026, 1, 21), ())
        )
    with pytest.raises(NotFound):
        await record_session(
            fake_work, ctx(), OFFICER, RecordSession("HD-9", date(2026, 1, 21), ())
        )


# -- tallies ----------------------------------------------------------------------------------


async def test_a_tally_is_recorded_moves_the_files_version_and_is_published_once(fake_work):
    sid = await session(fake_work, present=10)
    fake_work.nominations.files["HS-1"] = under_review()  # type: ignore[attr-defined]
    out = await record_tally(fake_work, ctx(), member(1), RecordTally(sid, "HS-1", 9))
    assert (out["votes_for"], out["share_of_all_members_pct"], out["passed"]) == (9, "81.82", True)
    assert out["recorded_at"] == NOW.isoformat()
    [voted] = tx_of(fake_work).published(c.NominationVoted)
    assert (voted.nomination_id, voted.members_total, voted.members_present) == ("HS-1", 11, 10)
    assert (voted.approval_pct, voted.passed, voted.occurred_at) == (Decimal("81.82"), True, NOW)
    assert voted.threshold_pct == Decimal(out["threshold_pct"])
    [event] = tx_of(fake_work).events
    assert (event.subject, int(event.sequence or 0)) == ("HS-1", 4)
    kept = fake_work.nominations.files["HS-1"]  # type: ignore[attr-defined]
    assert (kept.version, kept.session_id, kept.status) == (4, sid, Status.UNDER_REVIEW)
    assert [t["nomination_id"] for t in (await session_view(fake_work, sid))["tallies"]] == ["HS-1"]
    with pytest.raises(Conflict):  # the same session tallies a file once
        await record_tally(fake_work, ctx(), member(2), RecordTally(sid, "HS-1", 9))
    assert len(tx_of(fake_work).events) == 1


async def test_too_few_votes_are_recorded_as_not_passed(fake_work):
    sid = await session(fake_work, present=10)
    fake_work.nominations.files["HS-1"] = under_review()  # type: ignore[attr-defined]
    out = await record_tally(fake_work, ctx(), member(1), RecordTally(sid, "HS-1", 3))
    assert (out["share_of_all_members_pct"], out["passed"]) == ("27.27", False)
    [voted] = tx_of(fake_work).published(c.NominationVoted)
    assert voted.passed is False


async def test_a_tally_is_refused_without_quorum_membership_or_a_file_under_review(fake_work):
    sid = await session(fake_work, present=10)
    files = fake_work.nominations.files  # type: ignore[attr-defined]
    files["HS-1"] = under_review()
    with pytest.raises(NotFound):
        await record_tally(fake_work, ctx(), member(1), RecordTally("PH-9", "HS-1", 9))
    with pytest.raises(Forbidden):  # not a member of this council
        await record_tally(fake_work, ctx(), OFFICER, RecordTally(sid, "HS-1", 9))
    with pytest.raises(NotFound):
        await record_tally(fake_work, ctx(), member(1), RecordTally(sid, "HS-9", 9))
    files["HS-2"] = under_review("HS-2", deciding="38.01")
    with pytest.raises(Conflict):  # another deciding unit's file
        await record_tally(fake_work, ctx(), member(1), RecordTally(sid, "HS-2", 9))
    files["HS-3"] = replace(
        under_review("HS-3"),
        file=under_review("HS-3").file.model_copy(update={"status": Status.SUBMITTED}),
    )
    with pytest.raises(Conflict):
        await record_tally(fake_work, ctx(), member(1), RecordTally(sid, "HS-3", 9))
    with pytest.raises(Invalid):  # more ballots than members present
        await record_tally(fake_work, ctx(), member(1), RecordTally(sid, "HS-1", 11))
    short = await record_session(
        fake_work, ctx(), OFFICER, RecordSession("HD-1", date(2026, 1, 21), ("tv01",), "PH-2")
    )
    with pytest.raises(Conflict):  # no quorum, no valid vote
        await record_tally(
            fake_work, ctx(), member(1), RecordTally(str(short["session_id"]), "HS-1", 1)
        )
    assert tx_of(fake_work).events == []
    assert files["HS-1"].version == 3


# -- movements and registrations --------------------------------------------------------------

MOVEMENT = LaunchMovement(
    "Phong trào thi đua năm 2026",
    DEPT,
    2026,
    date(2026, 1, 10),
    date(2026, 12, 31),
    (AwardKind.LAO_DONG_TIEN_TIEN, AwardKind.CHIEN_SI_THI_DUA_CO_SO),
    "PT-2026",
)
ADMIN = Principal("admin-snv", frozenset({"admin"}), DEPT)


async def test_a_movement_is_launched_once_and_published(fake_work):
    out = await launch_movement(fake_work, ctx(), ADMIN, MOVEMENT)
    assert (out["movement_id"], out["launched_by"], out["launched_at"]) == (
        "PT-2026",
        "admin-snv",
        NOW.isoformat(),
    )
    assert out["awards"] == ["lao-dong-tien-tien", "chien-si-thi-dua-co-so"]
    [launched] = tx_of(fake_work).published(c.MovementLaunched)
    assert (launched.movement_id, launched.year, launched.ends_on) == (
        "PT-2026",
        2026,
        date(2026, 12, 31),
    )
    with pytest.raises(Conflict):
        await launch_movement(fake_work, ctx(), ADMIN, MOVEMENT)
    assert len(tx_of(fake_work).events) == 1


async def test_a_movement_needs_a_known_unit_in_scope(fake_work):
    with pytest.raises(Invalid):
        await launch_movement(fake_work, ctx(), ADMIN, replace(MOVEMENT, unit_code="38.99"))
    district = Principal("huyen", frozenset({"admin"}), "38.01")
    with pytest.raises(Forbidden):
        await launch_movement(fake_work, ctx(), district, MOVEMENT)
    assert tx_of(fake_work).events == []


async def test_a_registration_is_kept_once_per_nominee_award_and_year(fake_work):
    await launch_movement(fake_work, ctx(), ADMIN, MOVEMENT)
    commune = Principal("xa", frozenset({"officer"}), "38.01.01")
    person = RegisterForTitle(
        2026, NomineeKind.INDIVIDUAL, "cb-001", AwardKind.LAO_DONG_TIEN_TIEN, "PT-2026"
    )
    status, out = await register_for_title(fake_work, ctx(), commune, person)
    assert (status, out["unit_code"], out["submitted_by"]) == (201, "38.01.01", "xa")
    [submitted] = tx_of(fake_work).published(c.RegistrationSubmitted)
    assert (submitted.registration_id, submitted.nominee.unit_code) == (
        out["registration_id"],
        "38.01.01",
    )
    again, same = await register_for_title(
        fake_work, ctx(), commune, replace(person, movement_id=None)
    )
    assert (again, same) == (200, out)
    unit = RegisterForTitle(
        2026, NomineeKind.COLLECTIVE, "38.01.01", AwardKind.TAP_THE_LAO_DONG_TIEN_TIEN
    )
    status, out = await register_for_title(fake_work, ctx(), commune, unit)
    assert (status, out["nominee_ref"], out["movement_id"]) == (201, "38.01.01", None)
    assert len(tx_of(fake_work).published(c.RegistrationSubmitted)) == 2


async def test_a_registration_is_refused_for_an_unknown_nominee_movement_or_award(fake_work):
    commune = Principal("xa", frozenset({"officer"}), "38.01.01")
    person = RegisterForTitle(2026, NomineeKind.INDIVIDUAL, "cb-001", AwardKind.LAO_DONG_TIEN_TIEN)
    with pytest.raises(Invalid):
        await register_for_title(fake_work, ctx(), commune, replace(person, nominee_ref="ai-do"))
    with pytest.raises(Invalid):
        await register_for_title(
            fake_work,
            ctx(),
            commune,
            replace(person, nominee_kind=NomineeKind.COLLECTIVE, nominee_ref="38.99"),
        )
    with pytest.raises(Invalid):
        await register_for_title(fake_work, ctx(), commune, replace(person, movement_id="PT-9"))
    with pytest.raises(Invalid):  # a collective title for a person
        await register_for_title(
            fake_work, ctx(), commune, replace(person, award=AwardKind.TAP_THE_LAO_DONG_TIEN_TIEN)
        )
    district = Principal("huyen-khac", frozenset({"officer"}), "38.SNV")
    with pytest.raises(Forbidden):  # the person's unit is outside the caller's
        await register_for_title(fake_work, ctx(), district, person)
    assert tx_of(fake_work).events == []
    assert fake_work.movements.registrations == {}  # type: ignore[attr-defined]


# -- evidence from the other services ---------------------------------------------------------


def rate(revision: int, on_time: str, procedure: str | None = None) -> proc.OnTimeRateComputed:
    return proc.OnTimeRateComputed(
        unit_code="38.01.01",
        procedure_code=procedure,
        period="2025",
        period_from=date(2025, 1, 1),
        period_to=date(2025, 12, 31),
        carried_over=0,
        received_online=60,
        received_counter_postal=40,
        resolved_early=10,
        resolved_on_time=80,
        resolved_late=10,
        in_progress_within_deadline=0,
        in_progress_overdue=0,
        withdrawn=0,
        returned=0,
        on_time_rate=Decimal(on_time),
        revision=revision,
    )


async def test_a_units_rate_is_kept_by_its_latest_revision_and_per_procedure_rates_are_not(
    fake_work,
):
    items = [
        (r, new_event(r, source="/vn/38/admin-procedures", subject="38.01.01"))
        for r in (rate(2, "90.00"), rate(1, "50.00"), rate(3, "10.00", procedure="T5"))
    ]
    assert await record_on_time_rates(fake_work, items) == 2
    kept = await fake_work.evidence.on_time("38.01.01", "2025")
    assert kept is not None
    assert (kept.revision, kept.on_time_rate, kept.resolved, kept.early_on_time, kept.year) == (
        2,
        Decimal("90.00"),
        100,
        90,
        2025,
    )
    assert kept.event_id == items[0][1].id
    assert tx_of(fake_work).events == []


def evaluated(at: datetime, actual: str) -> ind.TargetEvaluated:
    return ind.TargetEvaluated(
        indicator_code="VL_GQVL",
        unit_code="38.01.01",
        period="2025",
        target=Decimal(100),
        actual=Decimal(actual),
        measure_unit="người",
        direction=ind.Direction("higher-is-better"),
        achievement_pct=Decimal(actual),
        status=ind.TargetStatus("achieved"),
        period_closed=True,
        evaluated_at=at,
    )


async def test_a_targets_latest_evaluation_is_kept(fake_work):
    later, earlier = evaluated(NOW, "120"), evaluated(datetime(2026, 1, 2, tzinfo=VN_TZ), "90")
    items = [
        (e, new_event(e, source="/vn/38/indicators", subject="VL_GQVL")) for e in (later, earlier)
    ]
    assert await record_targets(fake_work, items) == 2
    kept = await fake_work.evidence.target("VL_GQVL", "38.01.01", "2025")
    assert kept is not None
    assert (kept.actual, kept.year, kept.status, kept.evaluated_at) == (
        Decimal(120),
        2025,
        "achieved",
        NOW,
    )


# -- emulation clusters -----------------------------------------------------------------------

PROVINCE_OFFICER = Principal("can-bo-tinh", frozenset({"officer"}), "38")
CLUSTER = RecordCluster("CUM-1", 2025, "Cụm thi đua số 1", "38.SNV", ("38.01", "38.SNV"))


async def test_a_clusters_members_and_leaders_are_recorded(fake_work):
    out = await put_cluster(fake_work, ctx(), PROVINCE_OFFICER, CLUSTER)
    assert (out["created"], out["members"], out["leaders"]) == (True, ["38.01", "38.SNV"], [])
    led = await put_leaders(
        fake_work,
        ctx(),
        PROVINCE_OFFICER,
        RecordLeaders("CUM-1", 2025, ("38.01",), "Biên bản 12/BB", date(2025, 12, 20)),
    )
    assert (led["leaders"], led["meeting_reference"], led["meeting_on"]) == (
        ["38.01"],
        "Biên bản 12/BB",
        "2025-12-20",
    )
    renamed = replace(CLUSTER, name="Cụm 1 (sửa)", members=("38.01", "38.SNV", "38.01.01"))
    again = await put_cluster(fake_work, ctx(), PROVINCE_OFFICER, renamed)
    assert (again["created"], again["name"], again["leaders"]) == (False, "Cụm 1 (sửa)", ["38.01"])
    assert tx_of(fake_work).events == []


async def test_a_leader_cannot_leave_and_leaders_must_be_members_met_in_time(fake_work):
    await put_cluster(fake_work, ctx(), PROVINCE_OFFICER, CLUSTER)
    leaders = RecordLeaders("CUM-1", 2025, ("38.01",), "BB", date(2025, 12, 20))
    await put_leaders(fake_work, ctx(), PROVINCE_OFFICER, leaders)
    with pytest.raises(Conflict):
        await put_cluster(fake_work, ctx(), PROVINCE_OFFICER, replace(CLUSTER, members=("38.SNV",)))
    with pytest.raises(Invalid):  # not a member that year
        await put_leaders(
            fake_work, ctx(), PROVINCE_OFFICER, replace(leaders, leaders=("38.01.01",))
        )
    with pytest.raises(Invalid):  # a meeting two years on cannot review the year
        await put_leaders(
            fake_work, ctx(), PROVINCE_OFFICER, replace(leaders, meeting_on=date(2027, 1, 5))
        )
    with pytest.raises(NotFound):
        await put_leaders(fake_work, ctx(), PROVINCE_OFFICER, replace(leaders, year=2024))
    kept = await fake_work.clusters.get("CUM-1", 2025)
    assert kept is not None and kept.cluster.members == ("38.01", "38.SNV")


async def test_a_cluster_needs_known_units_listed_once_within_the_callers_scope(fake_work):
    with pytest.raises(Invalid):
        await put_cluster(fake_work, ctx(), PROVINCE_OFFICER, replace(CLUSTER, unit_code="38.99"))
    with pytest.raises(Invalid):
        await put_cluster(fake_work, ctx(), PROVINCE_OFFICER, replace(CLUSTER, members=("38.99",)))
    with pytest.raises(Invalid):
        await put_cluster(
            fake_work, ctx(), PROVINCE_OFFICER, replace(CLUSTER, members=("38.01", "38.01"))
        )
    with pytest.raises(Forbidden):  # the department's officer: the district is not its unit
        await put_cluster(fake_work, ctx(), OFFICER, CLUSTER)
    assert fake_work.clusters.years == {}  # type: ignore[attr-defined]


# -- the register's people and ratings --------------------------------------------------------

COMMUNE_OFFICER = Principal("xa", frozenset({"officer"}), "38.01.01")


async def test_a_person_is_added_then_changed_keeping_what_is_not_given(fake_work):
    people = fake_work.people
    out = await put_person(
        fake_work, ctx(), COMMUNE_OFFICER, PutPerson("cb-002", "Trần Thị B", "38.01.01", True)
    )
    assert out == {"person_id": "cb-002", "created": True}
    again = await put_person(
        fake_work, ctx(), COMMUNE_OFFICER, PutPerson("cb-002", "Trần Thị Bình", "38.01.01")
    )
    assert again["created"] is False
    kept = await people.get("cb-002")
    assert kept is not None and (kept.name, kept.female) == ("Trần Thị Bình", True)


async def test_a_person_needs_a_known_unit_and_stays_where_the_caller_may_act(fake_work):
    with pytest.raises(Invalid):
        await put_person(fake_work, ctx(), COMMUNE_OFFICER, PutPerson("cb-9", "A", "38.99"))
    with pytest.raises(Forbidden):  # a unit outside the caller's
        await put_person(fake_work, ctx(), COMMUNE_OFFICER, PutPerson("cb-9", "A", "38.SNV"))
    # cb-001 belongs to the commune: the department's officer cannot take them over
    with pytest.raises(Forbidden):
        await put_person(fake_work, ctx(), OFFICER, PutPerson("cb-001", "A", DEPT))
    assert await fake_work.people.get("cb-9") is None


async def test_a_years_rating_is_kept_with_the_time_worked(fake_work):
    command = RateYear(
        "cb-001",
        2025,
        TaskRating.HOAN_THANH_XUAT_SAC,
        Decimal(10),
        (Leave(kind=LeaveKind.MATERNITY, months=Decimal(2)),),
    )
    out = await put_rating(fake_work, ctx(), COMMUNE_OFFICER, command)
    assert out == {"person_id": "cb-001", "year": 2025, "created": True}
    kept = await fake_work.people.rating("cb-001", 2025)
    assert kept is not None
    assert (kept.unit_code, kept.rating, kept.work.months_counted, kept.source) == (
        "38.01.01",
        TaskRating.HOAN_THANH_XUAT_SAC,
        Decimal(12),
        "api",
    )
    again = await put_rating(
        fake_work, ctx(), COMMUNE_OFFICER, replace(command, months_on_duty=Decimal(12), leave=())
    )
    assert again["created"] is False


async def test_a_rating_needs_a_person_the_caller_may_see(fake_work):
    command = RateYear("cb-001", 2025, TaskRating.HOAN_THANH, Decimal(12))
    with pytest.raises(NotFound):
        await put_rating(fake_work, ctx(), COMMUNE_OFFICER, replace(command, person_id="ai-do"))
    with pytest.raises(NotFound):  # another unit's person is as if missing
        await put_rating(fake_work, ctx(), OFFICER, command)
    with pytest.raises(Forbidden):  # rated in a unit outside the caller's
        await put_rating(fake_work, ctx(), COMMUNE_OFFICER, replace(command, unit_code="38.SNV"))
    assert await fake_work.people.rating("cb-001", 2025) is None


async def test_a_persons_discipline_initiative_and_pending_matter_are_kept(fake_work):
    discipline = DisciplineRecord(year=2025, level=DisciplineLevel.KHIEN_TRACH, decision_number="7")
    await record_discipline(
        fake_work, ctx(), COMMUNE_OFFICER, RecordDiscipline("cb-001", discipline)
    )
    initiative = Initiative(
        id="SK-1", title="Một cửa số", year=2025, recognised_by="Sở KH&CN", scope=Scope.PROVINCE
    )
    await record_initiative(
        fake_work, ctx(), COMMUNE_OFFICER, RecordInitiative("cb-001", initiative)
    )
    matter = PendingMatter(kind=PendingKind.INSPECTION, opened_on=date(2026, 1, 5), reference="1")
    command = RecordPending("VV-1", NomineeKind.INDIVIDUAL, "cb-001", matter)
    await record_pending(fake_work, ctx(), COMMUNE_OFFICER, command)
    records = fake_work.records
    assert isinstance(records, FakeRecords)
    assert records.disciplines == {("cb-001", "7"): discipline}
    assert records.initiatives == {"SK-1": ("cb-001", initiative)}
    assert records.pending == {"VV-1": (NomineeKind.INDIVIDUAL, "cb-001", matter)}


async def test_a_persons_record_needs_a_person_the_caller_may_see(fake_work):
    discipline = DisciplineRecord(year=2025, level=DisciplineLevel.KHIEN_TRACH, decision_number="7")
    initiative = Initiative(
        id="SK-1", title="Một cửa số", year=2025, recognised_by="Sở KH&CN", scope=Scope.UNIT
    )
    matter = PendingMatter(kind=PendingKind.INSPECTION, opened_on=date(2026, 1, 5), reference="1")
    for caller, person in ((COMMUNE_OFFICER, "ai-do"), (OFFICER, "cb-001")):  # another unit's
        with pytest.raises(NotFound):  # person is as if missing
            await record_discipline(fake_work, ctx(), caller, RecordDiscipline(person, discipline))
        with pytest.raises(NotFound):
            await record_initiative(fake_work, ctx(), caller, RecordInitiative(person, initiative))
        pending = RecordPending("VV-1", NomineeKind.INDIVIDUAL, person, matter)
        with pytest.raises(NotFound):
            await record_pending(fake_work, ctx(), caller, pending)
    records = fake_work.records
    assert isinstance(records, FakeRecords)
    assert (records.disciplines, records.initiatives, records.pending) == ({}, {}, {})


async def test_a_collectives_rating_and_pending_matter_need_its_unit_in_scope(fake_work):
    matter = PendingMatter(kind=PendingKind.COMPLAINT, opened_on=date(2026, 1, 5), reference="1")
    pending = RecordPending("VV-2", NomineeKind.COLLECTIVE, "38.01.01", matter)
    rating = RateUnit("38.01.01", YearRating(year=2025, rating=TaskRating.HOAN_THANH_TOT))
    with pytest.raises(Forbidden):
        await record_pending(fake_work, ctx(), OFFICER, pending)
    with pytest.raises(Forbidden):
        await rate_unit(fake_work, ctx(), OFFICER, rating)
    await record_pending(fake_work, ctx(), COMMUNE_OFFICER, pending)
    await rate_unit(fake_work, ctx(), COMMUNE_OFFICER, rating)
    record, _ = await fake_work.records.collective("38.01.01", "Xã Một", 2025)
    assert (record.pending, record.ratings) == ((matter,), (rating.rating,))


def rating_rows(*rows: dict[str, str]) -> tuple[tuple[int, dict[str, str]], ...]:
    return tuple((line, row) for line, row in enumerate(rows, start=2))


async def test_a_ratings_file_adds_people_and_rates_them_then_updates_them(fake_work):
    rows = rating_rows(
        {"person_id": "cb-001", "year": "2025", "rating": "HTXSNV"},
        {
            "person_id": "cb-002",
            "name": "Trần Thị B",
            "unit_code": "38.01.01",
            "year": "2025",
            "rating": "Hoàn thành tốt nhiệm vụ",
            "months_on_duty": "8",
            "leave_kind": LeaveKind.MATERNITY.value,
            "leave_months": "4",
            "female": "nữ",
        },
    )
    summary = await import_rows(fake_work, ctx(), COMMUNE_OFFICER, ImportRows("ratings", rows))
    assert (summary.imported, summary.updated, summary.rejected, summary.stored) == (
        2,
        0,
        [],
        True,
    )
    assert await fake_work.people.get("cb-002") == Person(
        id="cb-002", name="Trần Thị B", unit_id="38.01.01", female=True
    )
    kept = await fake_work.people.rating("cb-002", 2025)
    assert kept is not None
    assert (kept.rating, kept.work.months_counted, kept.source) == (
        TaskRating.HOAN_THANH_TOT,
        Decimal(12),
        "import",
    )
    rated = await fake_work.people.rating("cb-001", 2025)
    assert rated is not None and rated.rating == TaskRating.HOAN_THANH_XUAT_SAC
    again = await import_rows(fake_work, ctx(), COMMUNE_OFFICER, ImportRows("ratings", rows))
    assert (again.imported, again.updated) == (0, 2)


async def test_a_file_with_a_rejected_row_is_refused_whole_unless_partial(fake_work):
    rows = rating_rows(
        {"person_id": "cb-001", "year": "2025", "rating": "htnv"},
        {"person_id": "cb-001", "year": "2025", "rating": "htnv"},  # twice
        {"person_id": "cb-003", "year": "2025", "rating": "htnv"},  # unknown, no name
        {
            "person_id": "cb-004",
            "name": "C",
            "unit_code": "38.SNV",
            "year": "2025",
            "rating": "htnv",
        },
        {"person_id": "cb-001", "year": "1900", "rating": "htnv"},
        {"person_id": "cb-001", "year": "2024", "rating": "gioi"},
    )
    with pytest.raises(Invalid) as refused:
        await import_rows(fake_work, ctx(), COMMUNE_OFFICER, ImportRows("ratings", rows))
    assert refused.value.title == "Rows rejected"
    assert [e["field"] for e in refused.value.errors] == [f"line {n}" for n in (3, 4, 5, 6, 7)]
    assert "outside your unit" in refused.value.errors[2]["message"]
    assert await fake_work.people.rating("cb-001", 2025) is None
    checked = await import_rows(
        fake_work, ctx(), COMMUNE_OFFICER, ImportRows("ratings", rows, partial=True, dry_run=True)
    )
    assert (checked.imported, len(checked.rejected), checked.stored) == (0, 5, False)
    assert await fake_work.people.rating("cb-001", 2025) is None
    stored = await import_rows(
        fake_work, ctx(), COMMUNE_OFFICER, ImportRows("ratings", rows, partial=True)
    )
    assert (stored.imported, len(stored.rejected), stored.stored) == (1, 5, True)
    assert await fake_work.people.get("cb-004") is None


async def test_an_awards_file_keeps_earlier_awards_of_people_and_units_in_scope(fake_work):
    rows = rating_rows(
        {
            "person_id": "cb-001",
            "award": "lao-dong-tien-tien",
            "year": "2023",
            "decision_number": "9/QĐ-UBND",
            "level": "commune",
            "decided_on": "2023-12-20",
        },
        {
            "nominee_kind": "collective",
            "nominee_ref": "38.01.01",
            "award": "giay-khen",
            "year": "2024",
            "decision_number": "3/QĐ",
        },
        {"nominee_ref": "ai-do", "award": "giay-khen", "year": "2024", "decision_number": "4"},
        {
            "nominee_kind": "collective",
            "nominee_ref": "38.SNV",
            "award": "giay-khen",
            "year": "2024",
            "decision_number": "5",
        },
    )
    command = ImportRows("awards", rows, partial=True)
    summary = await import_rows(fake_work, ctx(), COMMUNE_OFFICER, command)
    assert (summary.imported, [r["line"] for r in summary.rejected]) == (2, [4, 5])
    records = fake_work.records
    assert isinstance(records, FakeRecords)
    assert sorted((k, r, u, a.award.value) for (k, r, *_), (u, a) in records.history.items()) == [
        (NomineeKind.COLLECTIVE, "38.01.01", "38.01.01", "giay-khen"),
        (NomineeKind.INDIVIDUAL, "cb-001", "38.01.01", "lao-dong-tien-tien"),
    ]
    with pytest.raises(Invalid) as refused:  # a file without the columns of its kind
        await import_rows(
            fake_work, ctx(), COMMUNE_OFFICER, ImportRows("awards", rating_rows({"year": "2024"}))
        )
    assert [e["field"] for e in refused.value.errors] == ["award", "decision_number", "nominee_ref"]


# -- the file workflow: reject, forward -------------------------------------------------------

HEAD = Principal("giam-doc-snv", frozenset({"head"}), DEPT)


def approved(nomination_id: str = "HS-1") -> Nomination:
    n = under_review(nomination_id)
    return replace(n, file=n.file.model_copy(update={"status": Status.APPROVED}))


async def test_a_file_is_rejected_by_its_deciding_head_with_the_reason(fake_work):
    fake_work.nominations.files["HS-1"] = under_review()  # type: ignore[attr-defined]
    out = await reject(fake_work, ctx(), HEAD, "HS-1", "Chưa đủ thành tích")
    assert (out.status, out.version) == (Status.REJECTED, 4)
    assert out.file.history[-1].actor == HEAD.subject
    assert fake_work.nominations.files["HS-1"] == out  # type: ignore[attr-defined]
    [rejected] = tx_of(fake_work).published(c.NominationRejected)
    assert (rejected.nomination_id, rejected.reason, rejected.occurred_at) == (
        "HS-1",
        "Chưa đủ thành tích",
        NOW,
    )
    assert (rejected.nominee.ref, rejected.nominee.unit_code) == ("cb-001", DEPT)
    [event] = tx_of(fake_work).events
    assert (event.subject, int(event.sequence or 0)) == ("HS-1", 4)
    with pytest.raises(Conflict):  # rejected once
        await reject(fake_work, ctx(), HEAD, "HS-1", "lần nữa")
    assert len(tx_of(fake_work).events) == 1


async def test_a_rejection_needs_the_deciding_head_of_a_file_in_scope(fake_work):
    files = fake_work.nominations.files  # type: ignore[attr-defined]
    files["HS-1"] = under_review()
    with pytest.raises(Forbidden):  # an officer is not the head
        await reject(fake_work, ctx(), OFFICER, "HS-1", "lý do")
    elsewhere = Principal("chu-tich-huyen", frozenset({"head"}), "38.01")
    with pytest.raises(NotFound):  # a file outside the caller's subtree looks missing
        await reject(fake_work, ctx(), elsewhere, "HS-1", "lý do")
    with pytest.raises(NotFound):
        await reject(fake_work, ctx(), HEAD, "HS-9", "lý do")
    files["HS-2"] = under_review("HS-2", deciding="38")
    with pytest.raises(Forbidden):  # the nominee's unit sees the file, the province decides
        await reject(fake_work, ctx(), HEAD, "HS-2", "lý do")
    with pytest.raises(Conflict):  # a reason is needed
        await reject(fake_work, ctx(), HEAD, "HS-1", "  ")
    assert tx_of(fake_work).events == []
    assert files["HS-1"].version == 3
    province = Principal("chu-tich-tinh", frozenset({"head"}), "38")
    out = await reject(fake_work, ctx(), province, "HS-1", "lý do")  # from above: allowed
    assert out.status == Status.REJECTED


async def test_an_approved_file_is_forwarded_to_the_level_that_grants_it(fake_work):
    files = fake_work.nominations.files  # type: ignore[attr-defined]
    files["HS-1"] = under_review()
    command = Forward(DecidingLevel.PROVINCE, "38", "Trình Chủ tịch UBND tỉnh")
    with pytest.raises(Conflict):  # only an approved file goes up
        await forward(fake_work, ctx(), HEAD, "HS-1", command)
    with pytest.raises(Forbidden):
        await forward(fake_work, ctx(), OFFICER, "HS-1", command)
    assert tx_of(fake_work).events == []
    files["HS-1"] = approved()
    out = await forward(fake_work, ctx(), HEAD, "HS-1", command)
    assert (out.status, out.file.forwarded_to, out.version) == (Status.FORWARDED, "province", 4)
    [sent] = tx_of(fake_work).published(c.NominationForwarded)
    assert (sent.to_level, sent.to_unit_code) == (c.DecidingLevel.PROVINCE, "38")
    assert int(tx_of(fake_work).events[0].sequence or 0) == 4


# -- the file workflow: propose, submit -------------------------------------------------------

COMMUNE = "38.01.01"
COMMUNE_OFFICER = Principal("can-bo-xa", frozenset({"officer"}), COMMUNE)
LDTT = AwardKind.LAO_DONG_TIEN_TIEN


def proposal(**kw) -> Propose:
    base = {
        "kind": NomineeKind.INDIVIDUAL,
        "ref": "cb-001",
        "award": LDTT,
        "achievement_year": 2025,
        "documents": ("to-trinh", "bao-cao-thanh-tich"),
        "nomination_id": "HS-A",
    }
    return Propose(**{**base, **kw})


async def test_a_nominee_is_proposed_once_to_the_level_that_reviews_the_unit(fake_work):
    n = await propose(fake_work, ctx(), COMMUNE_OFFICER, proposal())
    assert (n.status, n.version, n.nominee_name) == (Status.DRAFT, 0, "Nguyễn Văn A")
    # the commune reviews its own people's files
    assert (n.unit_code, n.deciding_unit_code, n.deciding_level) == (COMMUNE, COMMUNE, "commune")
    assert n.documents == ("to-trinh", "bao-cao-thanh-tich")
    assert fake_work.nominations.files["HS-A"] == n  # type: ignore[attr-defined]
    assert fake_work.nominations.proposed_by["HS-A"] == "can-bo-xa"  # type: ignore[attr-defined]
    assert tx_of(fake_work).events == []  # a draft is not announced
    with pytest.raises(Conflict):  # one open file per nominee, award, year and occasion
        await propose(fake_work, ctx(), COMMUNE_OFFICER, proposal(nomination_id="HS-B"))
    other = await propose(
        fake_work, ctx(), COMMUNE_OFFICER, proposal(occasion="campaign", nomination_id=None)
    )
    assert other.nomination_id.startswith("HS-2025-")


async def test_a_proposal_submitted_at_once_is_announced_with_its_deciding_level(fake_work):
    n = await propose(fake_work, ctx(), COMMUNE_OFFICER, proposal(submit=True))
    assert (n.status, n.version, n.file.received_on) == (Status.SUBMITTED, 1, NOW.date())
    [sent] = tx_of(fake_work).published(c.NominationSubmitted)
    assert (sent.nomination_id, sent.deciding_level) == ("HS-A", c.DecidingLevel.COMMUNE)
    assert (sent.occasion, sent.nominee.unit_code) == (c.AwardOccasion.YEARLY, COMMUNE)
    [event] = tx_of(fake_work).events
    assert (event.subject, int(event.sequence or 0)) == ("HS-A", 1)


async def test_a_proposal_needs_a_known_nominee_in_scope_a_rule_and_a_unit_above(fake_work):
    with pytest.raises(Invalid):  # not in the register
        await propose(fake_work, ctx(), COMMUNE_OFFICER, proposal(ref="cb-999"))
    with pytest.raises(Forbidden):  # the department does not propose the commune's people
        await propose(fake_work, ctx(), OFFICER, proposal())
    with pytest.raises(Invalid):  # no rule set in force that year
        await propose(fake_work, ctx(), COMMUNE_OFFICER, proposal(achievement_year=1990))
    with pytest.raises(Invalid):
        await propose(fake_work, ctx(), COMMUNE_OFFICER, proposal(movement_id="PT-9"))
    with pytest.raises(Invalid):  # the department is not above the commune
        await propose(fake_work, ctx(), COMMUNE_OFFICER, proposal(deciding_unit_code=DEPT))
    with pytest.raises(Invalid):
        await propose(fake_work, ctx(), COMMUNE_OFFICER, proposal(deciding_unit_code="99"))
    assert fake_work.nominations.files == {}  # type: ignore[attr-defined]
    province = await propose(fake_work, ctx(), COMMUNE_OFFICER, proposal(deciding_unit_code="38"))
    assert (province.deciding_unit_code, province.deciding_level) == ("38", "province")


async def test_a_submission_counts_its_deadline_on_the_provinces_calendar(fake_work):
    await propose(fake_work, ctx(), COMMUNE_OFFICER, proposal())
    # received on Tuesday 2026-01-20: five working days end on Tuesday the 27th nationally;
    # with Thursday the 22nd declared off by the province, on Wednesday the 28th
    fake_work.calendar.exceptions.append(  # type: ignore[attr-defined]
        CalendarException(date(2026, 1, 22), ExceptionKind.DAY_OFF, "QĐ 12/QĐ-UBND", "admin")
    )
    n = await submit(fake_work, ctx(), COMMUNE_OFFICER, "HS-A", ("to-trinh",))
    assert (n.status, n.file.return_by, n.documents) == (
        Status.SUBMITTED,
        date(2026, 1, 28),
        ("to-trinh",),
    )
    assert fake_work.nominations.files["HS-A"].documents == ("to-trinh",)  # type: ignore[attr-defined]
    with pytest.raises(Conflict):  # submitted already
        await submit(fake_work, ctx(), COMMUNE_OFFICER, "HS-A", None)
    with pytest.raises(NotFound):  # a file of another subtree looks missing
        await submit(fake_work, ctx(), OFFICER, "HS-A", None)
    assert len(tx_of(fake_work).published(c.NominationSubmitted)) == 1


async def test_a_submission_keeps_the_documents_when_none_are_given(fake_work):
    await propose(fake_work, ctx(), COMMUNE_OFFICER, proposal())
    n = await submit(fake_work, ctx(), COMMUNE_OFFICER, "HS-A", None)
    assert n.documents == ("to-trinh", "bao-cao-thanh-tich")
    assert n.file.return_by == date(2026, 1, 27)  # the national calendar alone


# -- the file workflow: completeness, assessment, approval, decision -------------------------

COMMUNE_HEAD = Principal("chu-tich-xa", frozenset({"head"}), COMMUNE)
ALL_DOCS = ("to-trinh", "bao-cao-thanh-tich", "bien-ban-hoi-dong", "xac-nhan-sang-kien")


def on_record(w: Work, rating: TaskRating = TaskRating.HOAN_THANH_TOT) -> None:
    """cb-001's record in the register: rated for 2025, a full year worked."""
    w.records.individuals["cb-001"] = IndividualRecord(  # type: ignore[attr-defined]
        person=Person(id="cb-001", name="Nguyễn Văn A", unit_id=COMMUNE),
        ratings=(YearRating(year=2025, rating=rating),),
        work_years=(WorkYear(year=2025, months_on_duty=Decimal(12)),),
    )


async def submitted(w: Work, documents: tuple[str, ...] = ALL_DOCS) -> Nomination:
    return await propose(w, ctx(), COMMUNE_OFFICER, proposal(documents=documents, submit=True))


async def test_an_incomplete_file_is_returned_with_what_is_missing(fake_work):
    on_record(fake_work)
    await submitted(fake_work, documents=("to-trinh",))
    with pytest.raises(Conflict):  # accepting an incomplete file is refused
        await accept(fake_work, ctx(), COMMUNE_OFFICER, "HS-A")
    n = await check_completeness(fake_work, ctx(), COMMUNE_OFFICER, "HS-A")
    assert (n.status, n.version) == (Status.RETURNED, 2)
    assert n.file.return_reasons and all(r for r in n.file.return_reasons)
    [returned] = tx_of(fake_work).published(c.NominationReturned)
    assert returned.reason == "; ".join(n.file.return_reasons)
    with pytest.raises(Conflict):  # a return needs a reason
        await return_for_completion(fake_work, ctx(), COMMUNE_OFFICER, "HS-A", [" "])
    n = await submit(fake_work, ctx(), COMMUNE_OFFICER, "HS-A", ALL_DOCS)
    assert (n.status, n.version) == (Status.SUBMITTED, 3)


async def test_a_complete_file_is_accepted_and_its_assessment_announced(fake_work):
    on_record(fake_work)
    await submitted(fake_work)
    with pytest.raises(NotFound):  # the department does not see the commune's file
        await check_completeness(fake_work, ctx(), OFFICER, "HS-A")
    n = await check_completeness(fake_work, ctx(), COMMUNE_OFFICER, "HS-A")
    assert (n.status, n.version) == (Status.UNDER_REVIEW, 2)
    assert n.file.decide_by is not None and n.file.decide_by > NOW.date()
    [assessed] = tx_of(fake_work).published(c.NominationAssessed)
    assert (assessed.nomination_id, assessed.eligible, assessed.on_hold) == ("HS-A", True, False)
    assert assessed.criteria and all(cr.passed for cr in assessed.criteria)
    assert int(tx_of(fake_work).events[-1].sequence or 0) == 2
    out = await eligibility(fake_work, ctx(), COMMUNE_OFFICER, "HS-A")
    assert (out["nomination_id"], out["eligible"]) == ("HS-A", True)


async def test_an_eligible_file_is_approved_and_an_ineligible_one_is_not(fake_work):
    on_record(fake_work, TaskRating.HOAN_THANH)  # "completed" only: no LĐTT
    await submitted(fake_work)
    await check_completeness(fake_work, ctx(), COMMUNE_OFFICER, "HS-A")
    [assessed] = tx_of(fake_work).published(c.NominationAssessed)
    assert assessed.eligible is False
    with pytest.raises(Forbidden):  # an officer is not the deciding head
        await approve(fake_work, ctx(), COMMUNE_OFFICER, "HS-A", None)
    with pytest.raises(Conflict):
        await approve(fake_work, ctx(), COMMUNE_HEAD, "HS-A", None)
    assert tx_of(fake_work).published(c.NominationApproved) == []
    on_record(fake_work)  # the rating corrected in the register
    n = await approve(fake_work, ctx(), COMMUNE_HEAD, "HS-A", "Đủ tiêu chuẩn")
    assert (n.status, n.version) == (Status.APPROVED, 3)
    [approved_] = tx_of(fake_work).published(c.NominationApproved)
    assert approved_.deciding_level == c.DecidingLevel.COMMUNE


async def test_a_decision_confers_the_awards_once_and_records_them(fake_work):
    on_record(fake_work)
    await submitted(fake_work)
    await check_completeness(fake_work, ctx(), COMMUNE_OFFICER, "HS-A")
    command = Decide("01/QĐ-UBND", date(2026, 1, 21), "Chủ tịch UBND xã", COMMUNE, ("HS-A",))
    with pytest.raises(Conflict):  # under review, not approved: nothing to confer yet
        await decide(fake_work, ctx(), COMMUNE_HEAD, command)
    await approve(fake_work, ctx(), COMMUNE_HEAD, "HS-A", None)
    published = len(tx_of(fake_work).events)
    created, d = await decide(fake_work, ctx(), COMMUNE_HEAD, command)
    assert created and (d.number, d.nomination_ids, d.recorded_by) == (
        "01/QĐ-UBND",
        ("HS-A",),
        "chu-tich-xa",
    )
    kept = fake_work.nominations.files["HS-A"]  # type: ignore[attr-defined]
    assert (kept.status, kept.version, kept.file.decision.number) == (
        Status.DECIDED,
        4,
        "01/QĐ-UBND",
    )
    [conferred] = tx_of(fake_work).published(c.AwardConferred)
    assert (conferred.award, conferred.nomination_ids) == (
        c.AwardKind("lao-dong-tien-tien"),
        ["HS-A"],
    )
    assert [r.ref for r in conferred.recipients] == ["cb-001"]
    record = fake_work.records.individuals["cb-001"]  # type: ignore[attr-defined]
    assert [(a.award, a.year, a.level) for a in record.awards] == [(LDTT, 2025, "commune")]
    # the same decision again answers with what was kept and publishes nothing
    again, same = await decide(fake_work, ctx(), COMMUNE_HEAD, command)
    assert (again, same.decision_id) == (False, d.decision_id)
    assert len(tx_of(fake_work).events) == published + 1
    with pytest.raises(Conflict):  # the number with other content
        await decide(fake_work, ctx(), COMMUNE_HEAD, replace(command, signer="Phó Chủ tịch"))
    with pytest.raises(Forbidden):  # a head decides for its own unit only
        await decide(fake_work, ctx(), COMMUNE_HEAD, replace(command, deciding_unit_code="38"))
    with pytest.raises(Invalid):
        await decide(fake_work, ctx(), COMMUNE_HEAD, replace(command, deciding_unit_code="99"))
