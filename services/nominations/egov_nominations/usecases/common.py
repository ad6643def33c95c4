"""What every use case shares: its context (the rule book, the deciding roles, the clock), the
Work of repositories it runs in, unit scope, the deciding level of a unit and the working-day
deadline function on the province's calendar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from egov_runtime import scope
from egov_runtime.auth import Principal
from egov_runtime.consumer import Tx
from egov_workdays import VN_TZ, WorkCalendar

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
    PgUnitTree,
)
from egov_nominations.domain.repositories import (
    Calendar,
    Clusters,
    Councils,
    Decisions,
    Evidence,
    Movements,
    Nominations,
    People,
    Records,
    UnitTree,
)
from egov_nominations.domain.rules import DecidingLevel, RuleBook, bundled_rule_book
from egov_nominations.domain.workflow import AddWorkingDays


@dataclass
class Context:
    """What the use cases need besides the transaction."""

    source: str
    rule_book: RuleBook = field(default_factory=bundled_rule_book)
    decider_roles: tuple[str, ...] = ("head",)
    # the time now: the runtime's injected clock in the service (tests may set it)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(VN_TZ))

    def now(self) -> datetime:
        """Now, in Vietnam time."""
        return self.clock().astimezone(VN_TZ)


def working_days_on(calendar: WorkCalendar) -> AddWorkingDays:
    """The N-th working day after a day on this calendar (a non-working day counts from the
    next working day)."""

    def add_working_days(day: date, n: int) -> date:
        start = datetime.combine(day, time(8), VN_TZ)
        return calendar.end_of_nth_working_day(start, n).date()

    return add_working_days


@dataclass
class Work:
    """What a write use case runs in: the transaction (``publish``) and the repositories on it.
    :meth:`on` builds it on PostgreSQL; tests build it of fakes. The councils', the movements',
    the evidence's, the clusters', the register's (people, records and imports) and the file
    workflow's use cases run in it."""

    tx: Tx
    councils: Councils
    nominations: Nominations
    units: UnitTree
    movements: Movements
    people: People
    evidence: Evidence
    clusters: Clusters
    calendar: Calendar
    records: Records
    decisions: Decisions

    @classmethod
    def on(cls, tx: Tx) -> Work:
        return cls(
            tx,
            PgCouncils(tx.conn),
            PgNominations(tx.conn),
            PgUnitTree(tx.conn),
            PgMovements(tx.conn),
            PgPeople(tx.conn),
            PgEvidence(tx.conn),
            PgClusters(tx.conn),
            PgCalendar(tx.conn),
            PgRecords(tx.conn),
            PgDecisions(tx.conn),
        )


async def check_scope_in(
    w: Work, ctx: Context, principal: Principal, unit_code: str, *, hidden: Exception | None = None
) -> None:
    """:func:`check_scope` on the Work's hierarchy (today in Vietnam)."""
    ancestry = (await w.units.hierarchy()).ancestry(unit_code, ctx.now().date())
    scope.check_within(principal, unit_code, ancestry, hidden=hidden)


async def check_scope(
    tx: Tx, principal: Principal, unit_code: str, *, hidden: Exception | None = None
) -> None:
    """403 unless `unit_code` lies in the caller's subtree; ``hidden`` (the route's 404 for a
    missing resource) instead for a resource the caller may not see."""
    await scope.check_scope(tx.conn, principal, unit_code, hidden=hidden)


async def in_scope(tx: Tx, principal: Principal, unit_code: str) -> bool:
    return await scope.in_scope(tx.conn, principal, unit_code)


def level_named(level: str | None) -> DecidingLevel:
    """The deciding level of a unit of this level (``commune``, ``district``, ``province``;
    any other: a department)."""
    match level:
        case "commune":
            return DecidingLevel.COMMUNE
        case "province":
            return DecidingLevel.PROVINCE
        case "district":
            return DecidingLevel.DISTRICT
        case _:
            return DecidingLevel.DEPARTMENT
