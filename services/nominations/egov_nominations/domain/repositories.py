"""What the write use cases of nominations need from storage, in domain terms (cosmicpython's
repositories). So far: the councils (councils, sessions, tallies and the files they vote on),
the movements (movements, registrations), the evidence from the other services, the emulation
clusters, the register's people and ratings, and the file workflow (the files, the province's
calendar, the register's records the engine assesses, with the disciplines, initiatives,
pending matters, units' ratings and earlier awards entered or imported into them, and the
decisions conferring awards).

The PostgreSQL adapters (``egov_nominations.adapters.repositories``) implement these; the
use-case tests use in-memory fakes of them (``tests/conftest.py``), and one test body per
repository runs against both (``tests/test_nominations_repositories.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from egov_units import Hierarchy
from egov_workdays import WorkCalendar

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


class Councils(Protocol):
    async def get(self, council_id: str) -> Council | None: ...

    async def put(self, council: Council) -> None:
        """Keep a new council, or change the name and members of a kept one (its unit, level
        and author stay)."""
        ...

    async def session(self, session_id: str) -> Session | None: ...

    async def add_session(self, session: Session) -> None: ...

    async def tally(self, session_id: str, nomination_id: str) -> Tally | None: ...

    async def tallies(self, session_id: str) -> list[Tally]:
        """The session's tallies, by nomination id."""
        ...

    async def add_tally(self, tally: Tally) -> None: ...

    async def latest_tally(self, nomination_id: str) -> Tally | None:
        """The file's latest tally, of whichever session."""
        ...


class Nominations(Protocol):
    async def get(self, nomination_id: str, *, lock: bool = False) -> Nomination | None:
        """The file (``lock``: for this transaction's change; concurrent writers wait)."""
        ...

    async def add(self, nomination: Nomination, by: str) -> None:
        """Keep a newly proposed file (proposed by ``by``)."""
        ...

    async def open_for(
        self, kind: NomineeKind, ref: str, award: AwardKind, year: int, occasion: str
    ) -> Nomination | None:
        """A file for the same nominee, award, year and occasion that is not rejected."""
        ...

    async def save(self, nomination: Nomination) -> None:
        """Keep the file's new state, version and documents (and the session that voted on
        it, once set)."""
        ...

    async def approved_awaiting(
        self, kind: NomineeKind, refs: Sequence[str], year: int, deciding_unit_code: str
    ) -> list[Nomination]:
        """Files of these nominees approved for ``year`` by the deciding unit and not yet
        decided (titles one year-end decision may confer together), by id."""
        ...


class Records(Protocol):
    """The register's evidence the engine assesses a file on, and the awards decisions
    confer into it."""

    async def individual(self, person_id: str) -> IndividualRecord | None:
        """A person's full record (ratings, years worked, discipline, pending matters,
        initiatives, awards)."""
        ...

    async def collective(
        self, unit_code: str, name: str, year: int
    ) -> tuple[UnitRecord, dict[str, Any]]:
        """A collective's record for ``year`` (its members', its rating, its evidence from the
        other services) and the evidence details shown beside it, by year."""
        ...

    async def confer(self, award: ConferredAward) -> None:
        """Keep an award in the nominee's history (the same award of the same decision once)."""
        ...

    async def keep_discipline(self, person_id: str, discipline: DisciplineRecord) -> None:
        """Keep a discipline in the person's record (one per decision number: a kept one takes
        the new year and level)."""
        ...

    async def keep_initiative(self, person_id: str, initiative: Initiative) -> None:
        """Keep an initiative in the person's record (by its id: a kept one is replaced, and
        moves to this person)."""
        ...

    async def keep_pending(
        self, matter_id: str, kind: NomineeKind, ref: str, matter: PendingMatter
    ) -> None:
        """Keep a pending matter of the nominee (by its id: a kept one takes only the new
        reference and whether it is resolved)."""
        ...

    async def rate_unit(self, unit_code: str, rating: YearRating) -> None:
        """Keep (or replace) a collective's task rating for the year."""
        ...

    async def record_award(
        self, kind: NomineeKind, ref: str, unit_code: str, award: AwardRecord
    ) -> bool:
        """Keep an award of the nominee's earlier history (imported): True when new; a kept
        one (the same award, year and decision number) takes the new unit, level and date."""
        ...


class Decisions(Protocol):
    async def lock(self, deciding_unit_code: str, number: str) -> None:
        """Serialise the recording of one decision number of a unit until the transaction
        ends."""
        ...

    async def get(self, deciding_unit_code: str, number: str) -> RecordedDecision | None: ...

    async def add(self, decision: RecordedDecision) -> None: ...


class Calendar(Protocol):
    async def province(self) -> WorkCalendar:
        """The working-day calendar as the province has it now: the national one with the
        days off and make-up working days the province declared."""
        ...


class Movements(Protocol):
    async def get(self, movement_id: str) -> Movement | None: ...

    async def add(self, movement: Movement) -> bool:
        """Keep a new movement (False: one with its id exists; it is left as it is)."""
        ...

    async def register(self, registration: Registration) -> Registration:
        """Keep a registration, unless the nominee is registered for the award that year
        already: the registration kept (the earlier one, then)."""
        ...


class People(Protocol):
    async def get(self, person_id: str) -> Person | None:
        """A person of the register (by personnel reference)."""
        ...

    async def put(self, person: Person) -> bool:
        """Keep a person (a kept one: name and unit replaced, sex kept when not given); True
        when new."""
        ...

    async def rating(self, person_id: str, year: int) -> RatedYear | None: ...

    async def rate(self, rated: RatedYear) -> bool:
        """Keep (or replace) the person's rating for the year; True when new."""
        ...


class Evidence(Protocol):
    async def keep_on_time(self, rate: OnTimeEvidence) -> None:
        """Keep a unit's rate over a period unless a higher revision is kept."""
        ...

    async def on_time(self, unit_code: str, period: str) -> OnTimeEvidence | None: ...

    async def keep_target(self, evaluation: TargetEvidence) -> None:
        """Keep a target's evaluation unless a later one is kept."""
        ...

    async def target(
        self, indicator: str, unit_code: str, period: str
    ) -> TargetEvidence | None: ...


class Clusters(Protocol):
    async def get(
        self, cluster_id: str, year: int, *, lock: bool = False
    ) -> RecordedCluster | None:
        """A cluster's year (``lock``: for this transaction's change)."""
        ...

    async def keep_composition(self, cluster: EmulationCluster, by: str) -> bool:
        """Keep the cluster's name, running unit and members for its year (a member not listed
        leaves it; its leaders stay), logged; True when the cluster's year is new."""
        ...

    async def keep_leaders(self, cluster: EmulationCluster, by: str) -> None:
        """Keep the leaders the cluster's meeting proposed for its year, with the meeting's
        reference and date (replacing an earlier recording), logged."""
        ...


class UnitTree(Protocol):
    async def hierarchy(self) -> Hierarchy:
        """The admin-unit hierarchy (with validity dates and successors) as the service mirrors
        the reference data now."""
        ...
