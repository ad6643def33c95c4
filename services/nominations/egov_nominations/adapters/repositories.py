"""The repositories of nominations on PostgreSQL (:mod:`egov_nominations.domain.repositories`):
domain objects in and out, the statements in :mod:`egov_nominations.adapters.files`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from egov_runtime import units
from egov_runtime.calendar_exceptions import province_calendar
from egov_units import Hierarchy
from egov_workdays import WorkCalendar

from egov_nominations.adapters import clusters as cluster_store
from egov_nominations.adapters import files
from egov_nominations.adapters import register as people
from egov_nominations.domain.clusters import RecordedCluster
from egov_nominations.domain.councils import Council, Member, Nomination, Session, Tally
from egov_nominations.domain.decisions import ConferredAward, RecordedDecision
from egov_nominations.domain.evidence import OnTimeEvidence, TargetEvidence
from egov_nominations.domain.movements import Movement, Registration
from egov_nominations.domain.people import RatedYear
from egov_nominations.domain.register import (
    AwardKind,
    AwardRecord,
    DisciplineRecord,
    EmulationCluster,
    IndividualRecord,
    Initiative,
    Leave,
    NomineeKind,
    PendingMatter,
    Person,
    TaskRating,
    UnitRecord,
    WorkYear,
    YearRating,
)


def council_of(r: Any) -> Council:
    return Council(
        r["council_id"],
        r["unit_code"],
        r["name"],
        r["level"],
        tuple(Member(m["member_id"], m["name"], m.get("role")) for m in r["members"]),
        r["created_by"],
        r["created_at"],
    )


def _tally(r: Any) -> Tally:
    return Tally(
        r["session_id"],
        r["nomination_id"],
        r["members_total"],
        r["present"],
        r["votes_for"],
        r["threshold_pct"],
        r["share_pct"],
        r["quorum_met"],
        r["passed"],
        r["recorded_by"],
        r["recorded_at"],
    )


@dataclass
class PgCouncils:
    conn: asyncpg.Connection

    async def get(self, council_id: str) -> Council | None:
        row = await files.get_council(self.conn, council_id)
        return council_of(row) if row else None

    async def put(self, council: Council) -> None:
        await files.upsert_council(
            self.conn,
            {
                "council_id": council.council_id,
                "unit_code": council.unit_code,
                "name": council.name,
                "level": council.level,
                "members": [
                    {"member_id": m.member_id, "name": m.name, "role": m.role}
                    for m in council.members
                ],
                "created_by": council.created_by,
            },
        )

    async def session(self, session_id: str) -> Session | None:
        r = await files.get_session(self.conn, session_id)
        if r is None:
            return None
        return Session(
            r["session_id"],
            r["council_id"],
            r["held_on"],
            r["members_total"],
            tuple(r["present"]),
            r["quorum_met"],
            r["recorded_by"],
        )

    async def add_session(self, session: Session) -> None:
        await files.insert_session(
            self.conn,
            {
                "session_id": session.session_id,
                "council_id": session.council_id,
                "held_on": session.held_on,
                "members_total": session.members_total,
                "present": list(session.present),
                "quorum_met": session.quorum_met,
                "recorded_by": session.recorded_by,
            },
        )

    async def tally(self, session_id: str, nomination_id: str) -> Tally | None:
        row = await files.get_tally(self.conn, session_id, nomination_id)
        return _tally(row) if row else None

    async def latest_tally(self, nomination_id: str) -> Tally | None:
        row = await files.latest_tally(self.conn, nomination_id)
        return None if row is None else _tally(row)

    async def tallies(self, session_id: str) -> list[Tally]:
        return [_tally(r) for r in await files.session_tallies(self.conn, session_id)]

    async def add_tally(self, tally: Tally) -> None:
        t = tally
        await files.insert_tally(
            self.conn,
            {
                "session_id": t.session_id,
                "nomination_id": t.nomination_id,
                "members_total": t.members_total,
                "present": t.present,
                "votes_for": t.votes_for,
                "threshold_pct": t.threshold_pct,
                "share_pct": t.share_pct,
                "quorum_met": t.quorum_met,
                "passed": t.passed,
                "recorded_by": t.recorded_by,
                "recorded_at": t.recorded_at,
            },
        )


@dataclass
class PgNominations:
    conn: asyncpg.Connection

    async def get(self, nomination_id: str, *, lock: bool = False) -> Nomination | None:
        row = await files.get_nomination(self.conn, nomination_id, lock=lock)
        return None if row is None else nomination_of(row)

    async def add(self, nomination: Nomination, by: str) -> None:
        n = nomination
        await files.insert_nomination(
            self.conn,
            {
                "nomination_id": n.nomination_id,
                "movement_id": n.movement_id,
                "nominee_kind": n.nominee_kind.value,
                "nominee_ref": n.file.nominee_ref,
                "nominee_name": n.nominee_name,
                "unit_code": n.unit_code,
                "award": n.award.value,
                "achievement_year": n.file.achievement_year,
                "occasion": n.occasion,
                "deciding_level": n.deciding_level,
                "deciding_unit_code": n.deciding_unit_code,
                "status": n.status.value,
                "documents": list(n.documents),
                "summary": n.summary,
                "file": n.file.model_dump(mode="json"),
                "version": n.version,
                "created_by": by,
            },
        )

    async def open_for(
        self, kind: NomineeKind, ref: str, award: AwardKind, year: int, occasion: str
    ) -> Nomination | None:
        row = await files.open_nomination_for(
            self.conn, kind.value, ref, award.value, year, occasion
        )
        return None if row is None else nomination_of(row)

    async def save(self, nomination: Nomination) -> None:
        await files.save_file(
            self.conn,
            nomination.nomination_id,
            nomination.file,
            nomination.version,
            documents=nomination.documents,
            session_id=nomination.session_id,
        )

    async def approved_awaiting(
        self, kind: NomineeKind, refs: Sequence[str], year: int, deciding_unit_code: str
    ) -> list[Nomination]:
        rows = await files.approved_awaiting_decision(
            self.conn, kind.value, refs, year, deciding_unit_code
        )
        return [nomination_of(r) for r in rows]


def nomination_of(row: Any) -> Nomination:
    return Nomination(
        row["nomination_id"],
        row["unit_code"],
        row["deciding_unit_code"],
        files.file_of(row),
        row["version"],
        row["session_id"],
        nominee_name=row["nominee_name"],
        occasion=row["occasion"],
        movement_id=row["movement_id"],
        deciding_level=row["deciding_level"],
        documents=tuple(row["documents"]),
        summary=row["summary"],
    )


@dataclass
class PgRecords:
    conn: asyncpg.Connection

    async def individual(self, person_id: str) -> IndividualRecord | None:
        return (await people.individual_records(self.conn, [person_id])).get(person_id)

    async def collective(
        self, unit_code: str, name: str, year: int
    ) -> tuple[UnitRecord, dict[str, Any]]:
        return await people.unit_record(self.conn, unit_code, name, year)

    async def confer(self, award: ConferredAward) -> None:
        a = award
        await people.add_award(
            self.conn,
            {
                "nominee_kind": a.nominee_kind.value,
                "nominee_ref": a.nominee_ref,
                "unit_code": a.unit_code,
                "award": a.award.value,
                "year": a.year,
                "decision_number": a.decision_number,
                "level": a.level,
                "decided_on": a.decided_on,
                "nomination_id": a.nomination_id,
                "source": "decision",
            },
        )

    async def keep_discipline(self, person_id: str, discipline: DisciplineRecord) -> None:
        d = discipline
        await people.add_discipline(self.conn, person_id, d.year, d.level.value, d.decision_number)

    async def keep_initiative(self, person_id: str, initiative: Initiative) -> None:
        i = initiative
        await people.upsert_initiative(
            self.conn,
            {
                "initiative_id": i.id,
                "person_id": person_id,
                "title": i.title,
                "year": i.year,
                "kind": i.kind.value,
                "recognised_by": i.recognised_by,
                "scope": i.scope.value,
                "accepted_and_applied": i.accepted_and_applied,
                "decision_number": i.decision_number,
            },
        )

    async def keep_pending(
        self, matter_id: str, kind: NomineeKind, ref: str, matter: PendingMatter
    ) -> None:
        m = matter
        await people.upsert_pending(
            self.conn,
            {
                "matter_id": matter_id,
                "nominee_kind": kind.value,
                "nominee_ref": ref,
                "kind": m.kind.value,
                "opened_on": m.opened_on,
                "reference": m.reference,
                "resolved": m.resolved,
            },
        )

    async def rate_unit(self, unit_code: str, rating: YearRating) -> None:
        await people.upsert_unit_rating(self.conn, unit_code, rating.year, rating.rating.value)

    async def record_award(
        self, kind: NomineeKind, ref: str, unit_code: str, award: AwardRecord
    ) -> bool:
        a = award
        return await people.add_award(
            self.conn,
            {
                "nominee_kind": kind.value,
                "nominee_ref": ref,
                "unit_code": unit_code,
                "award": a.award.value,
                "year": a.year,
                "decision_number": a.decision_number,
                "level": a.level,
                "decided_on": a.decided_on,
                "source": "import",
            },
        )


def decision_of(r: Any) -> RecordedDecision:
    return RecordedDecision(
        r["decision_id"],
        r["deciding_unit_code"],
        r["number"],
        r["decided_on"],
        r["signer"],
        tuple(r["nomination_ids"]),
        r["recorded_by"],
        r["recorded_at"],
    )


@dataclass
class PgDecisions:
    conn: asyncpg.Connection

    async def lock(self, deciding_unit_code: str, number: str) -> None:
        await files.lock_decision_number(self.conn, deciding_unit_code, number)

    async def get(self, deciding_unit_code: str, number: str) -> RecordedDecision | None:
        row = await files.get_decision(self.conn, deciding_unit_code, number)
        return None if row is None else decision_of(row)

    async def add(self, decision: RecordedDecision) -> None:
        d = decision
        await files.insert_decision(
            self.conn,
            {
                "decision_id": d.decision_id,
                "deciding_unit_code": d.deciding_unit_code,
                "number": d.number,
                "decided_on": d.decided_on,
                "signer": d.signer,
                "nomination_ids": list(d.nomination_ids),
                "recorded_by": d.recorded_by,
            },
        )


@dataclass
class PgCalendar:
    conn: asyncpg.Connection

    async def province(self) -> WorkCalendar:
        return await province_calendar(self.conn)


def movement_of(r: Any) -> Movement:
    return Movement(
        r["movement_id"],
        r["title"],
        r["unit_code"],
        r["year"],
        r["starts_on"],
        r["ends_on"],
        tuple(AwardKind(a) for a in r["awards"]),
        r["launched_by"],
        r["launched_at"],
    )


def registration_of(r: Any) -> Registration:
    return Registration(
        r["registration_id"],
        r["movement_id"],
        r["year"],
        NomineeKind(r["nominee_kind"]),
        r["nominee_ref"],
        r["unit_code"],
        AwardKind(r["award"]),
        r["submitted_by"],
        r["submitted_at"],
    )


@dataclass
class PgMovements:
    conn: asyncpg.Connection

    async def get(self, movement_id: str) -> Movement | None:
        row = await files.get_movement(self.conn, movement_id)
        return movement_of(row) if row else None

    async def add(self, movement: Movement) -> bool:
        m = movement
        return await files.insert_movement(
            self.conn,
            {
                "movement_id": m.movement_id,
                "title": m.title,
                "unit_code": m.unit_code,
                "year": m.year,
                "starts_on": m.starts_on,
                "ends_on": m.ends_on,
                "awards": [a.value for a in m.awards],
                "launched_by": m.launched_by,
                "launched_at": m.launched_at,
            },
        )

    async def register(self, registration: Registration) -> Registration:
        r = registration
        row = await files.insert_registration(
            self.conn,
            {
                "registration_id": r.registration_id,
                "movement_id": r.movement_id,
                "year": r.year,
                "nominee_kind": r.nominee_kind.value,
                "nominee_ref": r.nominee_ref,
                "unit_code": r.unit_code,
                "award": r.award.value,
                "submitted_by": r.submitted_by,
                "submitted_at": r.submitted_at,
            },
        )
        return registration_of(row)


@dataclass
class PgPeople:
    conn: asyncpg.Connection

    async def get(self, person_id: str) -> Person | None:
        row = await people.get_person(self.conn, person_id)
        if row is None:
            return None
        return Person(
            id=row["person_id"], name=row["name"], unit_id=row["unit_code"], female=row["female"]
        )

    async def put(self, person: Person) -> bool:
        return await people.upsert_person(
            self.conn, person.id, person.name, person.unit_id, person.female
        )

    async def rating(self, person_id: str, year: int) -> RatedYear | None:
        row = await people.get_rating(self.conn, person_id, year)
        if row is None:
            return None
        work = WorkYear(
            year=year,
            months_on_duty=row["months_on_duty"],
            leave=tuple(Leave.model_validate(lv) for lv in row["leave"]),
        )
        return RatedYear(
            person_id, row["unit_code"], TaskRating(row["rating"]), work, row["source"]
        )

    async def rate(self, rated: RatedYear) -> bool:
        return await people.upsert_rating(
            self.conn,
            rated.person_id,
            rated.year,
            rated.unit_code,
            rated.rating.value,
            rated.work.months_on_duty,
            [lv.model_dump(mode="json") for lv in rated.work.leave],
            rated.source,
        )


_ON_TIME = [
    "unit_code",
    "period",
    "year",
    "period_from",
    "period_to",
    "resolved",
    "early_on_time",
    "on_time_rate",
    "revision",
    "event_id",
]
_TARGET = [
    "indicator_code",
    "unit_code",
    "period",
    "year",
    "target",
    "actual",
    "achievement_pct",
    "status",
    "period_closed",
    "evaluated_at",
    "event_id",
]


@dataclass
class PgEvidence:
    conn: asyncpg.Connection

    async def keep_on_time(self, rate: OnTimeEvidence) -> None:
        await people.record_on_time_rate(self.conn, {k: getattr(rate, k) for k in _ON_TIME})

    async def on_time(self, unit_code: str, period: str) -> OnTimeEvidence | None:
        row = await people.on_time_rate(self.conn, unit_code, period)
        return OnTimeEvidence(**{k: row[k] for k in _ON_TIME}) if row else None

    async def keep_target(self, evaluation: TargetEvidence) -> None:
        await people.record_target(self.conn, {k: getattr(evaluation, k) for k in _TARGET})

    async def target(self, indicator: str, unit_code: str, period: str) -> TargetEvidence | None:
        row = await people.target_evaluation(self.conn, indicator, unit_code, period)
        return TargetEvidence(**{k: row[k] for k in _TARGET}) if row else None


def recorded_cluster(r: Any) -> RecordedCluster:
    return RecordedCluster(cluster_store.as_cluster(r), r["recorded_by"], r["recorded_at"])


@dataclass
class PgClusters:
    conn: asyncpg.Connection

    async def get(
        self, cluster_id: str, year: int, *, lock: bool = False
    ) -> RecordedCluster | None:
        row = await cluster_store.get_cluster_year(self.conn, cluster_id, year, lock=lock)
        return recorded_cluster(row) if row else None

    async def keep_composition(self, cluster: EmulationCluster, by: str) -> bool:
        c = cluster
        return await cluster_store.upsert_cluster_year(
            self.conn, c.id, c.year, c.name, c.unit_code, c.members, by
        )

    async def keep_leaders(self, cluster: EmulationCluster, by: str) -> None:
        c = cluster
        assert c.meeting_reference is not None and c.meeting_on is not None
        await cluster_store.replace_leaders(
            self.conn, c.id, c.year, c.leaders, c.meeting_reference, c.meeting_on, by
        )


@dataclass
class PgUnitTree:
    conn: asyncpg.Connection

    async def hierarchy(self) -> Hierarchy:
        return await units.load_hierarchy(self.conn)
