"""In-memory fakes of nominations' repositories (``domain/repositories.py``) and the fixture
that builds a :class:`~egov_nominations.usecases.common.Work` of them, for use-case tests with
no broker or database. ``test_nominations_repositories.py`` runs one test body against each fake
and its PostgreSQL adapter, so the fakes behave as the adapters do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pytest
from egov_devkit.testing.fakes import FakeUnitTree, RecordingTx
from egov_nominations.domain.clusters import RecordedCluster
from egov_nominations.domain.councils import Council, Nomination, Session, Tally
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
    NomineeKind,
    PendingMatter,
    Person,
    UnitRecord,
    YearRating,
)
from egov_nominations.domain.workflow import Status
from egov_nominations.usecases.common import Work
from egov_units import AdminUnit, Hierarchy
from egov_workdays import VN_TZ, CalendarException, WorkCalendar

# when the fakes keep what the database stamps with now()
KEPT_AT = datetime(2026, 1, 20, 8, 0, tzinfo=VN_TZ)


@dataclass
class FakeCouncils:
    councils: dict[str, Council] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    kept_tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)

    async def get(self, council_id: str) -> Council | None:
        return self.councils.get(council_id)

    async def put(self, council: Council) -> None:
        kept = self.councils.get(council.council_id)
        if kept is None:
            self.councils[council.council_id] = replace(council, created_at=KEPT_AT)
        else:
            self.councils[council.council_id] = replace(
                kept, name=council.name, members=council.members
            )

    async def session(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    async def add_session(self, session: Session) -> None:
        if session.session_id in self.sessions or session.council_id not in self.councils:
            raise ValueError(f"session {session.session_id} cannot be added")
        self.sessions[session.session_id] = session

    async def tally(self, session_id: str, nomination_id: str) -> Tally | None:
        return self.kept_tallies.get((session_id, nomination_id))

    async def latest_tally(self, nomination_id: str) -> Tally | None:
        kept = [t for (_, n), t in self.kept_tallies.items() if n == nomination_id]
        return max(kept, key=lambda t: t.recorded_at or KEPT_AT, default=None)

    async def tallies(self, session_id: str) -> list[Tally]:
        return [t for (s, _), t in sorted(self.kept_tallies.items()) if s == session_id]

    async def add_tally(self, tally: Tally) -> None:
        key = (tally.session_id, tally.nomination_id)
        if key in self.kept_tallies or tally.session_id not in self.sessions:
            raise ValueError(f"tally {key} cannot be added")
        self.kept_tallies[key] = replace(tally, recorded_at=tally.recorded_at or KEPT_AT)


@dataclass
class FakeNominations:
    files: dict[str, Nomination] = field(default_factory=dict)

    proposed_by: dict[str, str] = field(default_factory=dict)

    async def get(self, nomination_id: str, *, lock: bool = False) -> Nomination | None:
        return self.files.get(nomination_id)

    async def add(self, nomination: Nomination, by: str) -> None:
        if nomination.nomination_id in self.files:
            raise ValueError(f"file {nomination.nomination_id} exists")  # the primary key
        self.files[nomination.nomination_id] = nomination
        self.proposed_by[nomination.nomination_id] = by

    async def open_for(
        self, kind: NomineeKind, ref: str, award: AwardKind, year: int, occasion: str
    ) -> Nomination | None:
        for n in self.files.values():
            f = n.file
            if (f.nominee_kind, f.nominee_ref, f.award, f.achievement_year, n.occasion) == (
                kind,
                ref,
                award,
                year,
                occasion,
            ) and n.status != Status.REJECTED:
                return n
        return None

    async def save(self, nomination: Nomination) -> None:
        kept = self.files.get(nomination.nomination_id)
        if kept is None:
            return  # an UPDATE of no row
        self.files[nomination.nomination_id] = replace(
            kept,
            file=nomination.file,
            version=nomination.version,
            documents=nomination.documents,
            session_id=nomination.session_id or kept.session_id,
        )

    async def approved_awaiting(
        self, kind: NomineeKind, refs: Sequence[str], year: int, deciding_unit_code: str
    ) -> list[Nomination]:
        return [
            n
            for _, n in sorted(self.files.items())
            if n.status == Status.APPROVED
            and n.nominee_kind == kind
            and n.file.nominee_ref in refs
            and n.file.achievement_year == year
            and n.deciding_unit_code == deciding_unit_code
        ]


@dataclass
class FakeRecords:
    """The register's records as the engine reads them: the people's (``individuals``), the
    collectives' by unit and year with their evidence details; a conferred award joins the
    nominee's record."""

    individuals: dict[str, IndividualRecord] = field(default_factory=dict)
    collectives: dict[tuple[str, int], tuple[UnitRecord, dict[str, Any]]] = field(
        default_factory=dict
    )
    conferred: list[ConferredAward] = field(default_factory=list)
    # what the register's routes keep: disciplines by person and decision number, initiatives
    # and pending matters by id (joined to the records they belong to when read)
    disciplines: dict[tuple[str, str], DisciplineRecord] = field(default_factory=dict)
    initiatives: dict[str, tuple[str, Initiative]] = field(default_factory=dict)
    pending: dict[str, tuple[NomineeKind, str, PendingMatter]] = field(default_factory=dict)
    unit_ratings: dict[tuple[str, int], YearRating] = field(default_factory=dict)
    # imported earlier awards by nominee, award, year and decision number, with their unit
    history: dict[tuple[NomineeKind, str, AwardKind, int, str | None], tuple[str, AwardRecord]] = (
        field(default_factory=dict)
    )

    def _history_of(self, kind: NomineeKind, ref: str) -> tuple[AwardRecord, ...]:
        return tuple(a for (k, r, *_), (_, a) in self.history.items() if (k, r) == (kind, ref))

    def _pending_of(self, kind: NomineeKind, ref: str) -> tuple[PendingMatter, ...]:
        return tuple(m for k, r, m in self.pending.values() if (k, r) == (kind, ref))

    async def individual(self, person_id: str) -> IndividualRecord | None:
        record = self.individuals.get(person_id)
        if record is None:
            return None
        return record.model_copy(
            update={
                "disciplines": record.disciplines
                + tuple(d for (p, _), d in self.disciplines.items() if p == person_id),
                "initiatives": record.initiatives
                + tuple(i for p, i in self.initiatives.values() if p == person_id),
                "pending": record.pending + self._pending_of(NomineeKind.INDIVIDUAL, person_id),
                "awards": tuple(
                    sorted(
                        record.awards + self._history_of(NomineeKind.INDIVIDUAL, person_id),
                        key=lambda r: r.year,
                    )
                ),
            }
        )

    async def collective(
        self, unit_code: str, name: str, year: int
    ) -> tuple[UnitRecord, dict[str, Any]]:
        record, details = self.collectives.get((unit_code, year)) or (
            UnitRecord(id=unit_code, name=name),
            {},
        )
        pending = record.pending + self._pending_of(NomineeKind.COLLECTIVE, unit_code)
        rated = {r.year for (u, _), r in self.unit_ratings.items() if u == unit_code}
        ratings = tuple(r for r in record.ratings if r.year not in rated) + tuple(
            r for (u, _), r in sorted(self.unit_ratings.items()) if u == unit_code
        )
        awards = record.awards + self._history_of(NomineeKind.COLLECTIVE, unit_code)
        update = {"pending": pending, "ratings": ratings, "awards": awards}
        return record.model_copy(update=update), details

    async def keep_discipline(self, person_id: str, discipline: DisciplineRecord) -> None:
        self.disciplines[(person_id, discipline.decision_number)] = discipline

    async def keep_initiative(self, person_id: str, initiative: Initiative) -> None:
        self.initiatives[initiative.id] = (person_id, initiative)

    async def keep_pending(
        self, matter_id: str, kind: NomineeKind, ref: str, matter: PendingMatter
    ) -> None:
        kept = self.pending.get(matter_id)
        if kept is not None:  # a kept matter takes only the new reference and resolution
            k, r, m = kept
            changed = {"reference": matter.reference, "resolved": matter.resolved}
            self.pending[matter_id] = (k, r, m.model_copy(update=changed))
            return
        self.pending[matter_id] = (kind, ref, matter)

    async def rate_unit(self, unit_code: str, rating: YearRating) -> None:
        self.unit_ratings[(unit_code, rating.year)] = rating

    async def record_award(
        self, kind: NomineeKind, ref: str, unit_code: str, award: AwardRecord
    ) -> bool:
        key = (kind, ref, award.award, award.year, award.decision_number)
        new = key not in self.history
        self.history[key] = (unit_code, award)
        return new

    async def confer(self, award: ConferredAward) -> None:
        a = award
        kept = AwardRecord(
            award=a.award,
            year=a.year,
            decision_number=a.decision_number,
            level=a.level,
            decided_on=a.decided_on,
        )
        same = [
            c
            for c in self.conferred
            if (c.nominee_kind, c.nominee_ref, c.award, c.year, c.decision_number)
            == (a.nominee_kind, a.nominee_ref, a.award, a.year, a.decision_number)
        ]
        if same:
            return  # the same award of the same decision once
        self.conferred.append(a)
        record = self.individuals.get(a.nominee_ref)
        if a.nominee_kind == NomineeKind.INDIVIDUAL and record is not None:
            awards = tuple(sorted((*record.awards, kept), key=lambda r: r.year))
            self.individuals[a.nominee_ref] = record.model_copy(update={"awards": awards})


@dataclass
class FakeDecisions:
    decisions: dict[tuple[str, str], RecordedDecision] = field(default_factory=dict)
    locked: list[tuple[str, str]] = field(default_factory=list)

    async def lock(self, deciding_unit_code: str, number: str) -> None:
        self.locked.append((deciding_unit_code, number))

    async def get(self, deciding_unit_code: str, number: str) -> RecordedDecision | None:
        return self.decisions.get((deciding_unit_code, number))

    async def add(self, decision: RecordedDecision) -> None:
        key = (decision.deciding_unit_code, decision.number)
        if key in self.decisions:
            raise ValueError(f"decision {key} exists")  # unique per unit and number
        self.decisions[key] = replace(decision, recorded_at=decision.recorded_at or KEPT_AT)


@dataclass
class FakeCalendar:
    """The province's calendar: the national one with the exceptions it declared."""

    exceptions: list[CalendarException] = field(default_factory=list)

    async def province(self) -> WorkCalendar:
        return WorkCalendar.with_exceptions(self.exceptions)


@dataclass
class FakeMovements:
    movements: dict[str, Movement] = field(default_factory=dict)
    registrations: dict[str, Registration] = field(default_factory=dict)

    async def get(self, movement_id: str) -> Movement | None:
        return self.movements.get(movement_id)

    async def add(self, movement: Movement) -> bool:
        if movement.movement_id in self.movements:
            return False
        self.movements[movement.movement_id] = movement
        return True

    async def register(self, registration: Registration) -> Registration:
        r = registration
        for kept in self.registrations.values():
            if (kept.year, kept.nominee_kind, kept.nominee_ref, kept.award) == (
                r.year,
                r.nominee_kind,
                r.nominee_ref,
                r.award,
            ):
                return kept
        if r.movement_id is not None and r.movement_id not in self.movements:
            raise ValueError(f"no movement {r.movement_id}")
        self.registrations[r.registration_id] = r
        return r


@dataclass
class FakePeople:
    people: dict[str, Person] = field(default_factory=dict)
    ratings: dict[tuple[str, int], RatedYear] = field(default_factory=dict)

    async def get(self, person_id: str) -> Person | None:
        return self.people.get(person_id)

    async def put(self, person: Person) -> bool:
        kept = self.people.get(person.id)
        if kept is not None and person.female is None:
            person = person.model_copy(update={"female": kept.female})
        self.people[person.id] = person
        return kept is None

    async def rating(self, person_id: str, year: int) -> RatedYear | None:
        return self.ratings.get((person_id, year))

    async def rate(self, rated: RatedYear) -> bool:
        if rated.person_id not in self.people:
            raise ValueError(f"no person {rated.person_id}")
        key = (rated.person_id, rated.year)
        new = key not in self.ratings
        self.ratings[key] = rated
        return new


@dataclass
class FakeEvidence:
    rates: dict[tuple[str, str], OnTimeEvidence] = field(default_factory=dict)
    targets: dict[tuple[str, str, str], TargetEvidence] = field(default_factory=dict)

    async def keep_on_time(self, rate: OnTimeEvidence) -> None:
        key = (rate.unit_code, rate.period)
        kept = self.rates.get(key)
        if kept is None or kept.revision <= rate.revision:
            self.rates[key] = rate

    async def on_time(self, unit_code: str, period: str) -> OnTimeEvidence | None:
        return self.rates.get((unit_code, period))

    async def keep_target(self, evaluation: TargetEvidence) -> None:
        e = evaluation
        key = (e.indicator_code, e.unit_code, e.period)
        kept = self.targets.get(key)
        if kept is None or kept.evaluated_at <= e.evaluated_at:
            # as the adapter's UPDATE: the year stays the one first kept
            self.targets[key] = e if kept is None else replace(e, year=kept.year)

    async def target(self, indicator: str, unit_code: str, period: str) -> TargetEvidence | None:
        return self.targets.get((indicator, unit_code, period))


@dataclass
class FakeClusters:
    years: dict[tuple[str, int], RecordedCluster] = field(default_factory=dict)
    log: list[tuple[str, int, str, str]] = field(default_factory=list)  # id, year, what, by

    async def get(
        self, cluster_id: str, year: int, *, lock: bool = False
    ) -> RecordedCluster | None:
        return self.years.get((cluster_id, year))

    async def keep_composition(self, cluster: EmulationCluster, by: str) -> bool:
        key = (cluster.id, cluster.year)
        kept = self.years.get(key)
        update = {
            "name": cluster.name,
            "unit_code": cluster.unit_code,
            "members": tuple(sorted(set(cluster.members))),
        }
        base = kept.cluster if kept else cluster.model_copy(update={"leaders": ()})
        self.years[key] = RecordedCluster(base.model_copy(update=update), by, KEPT_AT)
        self.log.append((cluster.id, cluster.year, "composition", by))
        return kept is None

    async def keep_leaders(self, cluster: EmulationCluster, by: str) -> None:
        key = (cluster.id, cluster.year)
        kept = self.years[key]
        led = kept.cluster.model_copy(
            update={
                "leaders": tuple(sorted(cluster.leaders)),
                "meeting_reference": cluster.meeting_reference,
                "meeting_on": cluster.meeting_on,
            }
        )
        self.years[key] = replace(kept, cluster=led)
        self.log.append((cluster.id, cluster.year, "leaders", by))


# the province, its department of home affairs and a district with a commune
UNITS = Hierarchy(
    [
        AdminUnit("38", None, "Tỉnh Thanh Hóa", "province"),
        AdminUnit("38.SNV", "38", "Sở Nội vụ", "department"),
        AdminUnit("38.01", "38", "Huyện Một", "district"),
        AdminUnit("38.01.01", "38.01", "Xã Một", "commune"),
    ]
)


@pytest.fixture
def fake_work() -> Work:
    """A Work of fakes: the transaction records what is published (``work.tx``)."""
    return Work(
        RecordingTx(service="nominations", source="/vn/38/nominations"),
        FakeCouncils(),
        FakeNominations(),
        FakeUnitTree(UNITS),
        FakeMovements(),
        FakePeople({"cb-001": Person(id="cb-001", name="Nguyễn Văn A", unit_id="38.01.01")}),
        FakeEvidence(),
        FakeClusters(),
        FakeCalendar(),
        FakeRecords(),
        FakeDecisions(),
    )
