"""In-memory fakes of admin-procedures' repositories (``domain/repositories.py``) and the
fixtures that build a :class:`~egov_procedures.usecases.Work` of them, for use-case tests with
no broker or database. ``test_procedures_repositories.py`` runs one test body against each fake
and its PostgreSQL adapter, so the fakes behave as the adapters do."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import pytest
from egov_contracts import procedures as c
from egov_devkit.testing.fakes import FakeUnitTree, RecordingTx
from egov_procedures.domain.dossier import DeadlineWarning
from egov_procedures.domain.model import Dossier, DossierState, Procedure, StatusReport
from egov_procedures.domain.report import Published, PublishedFigures
from egov_procedures.usecases import Work
from egov_units import AdminUnit, Hierarchy
from egov_workdays import CalendarException


@dataclass
class _Timer:
    fire_at: datetime
    fired_at: datetime | None = None


@dataclass
class FakeDossiers:
    rows: dict[str, Dossier] = field(default_factory=dict)  # as saved, without reports
    reports: dict[str, StatusReport] = field(default_factory=dict)  # by report id
    said: dict[str, c.StatusReported] = field(default_factory=dict)  # by report id
    applicants: dict[str, tuple[str, c.Applicant]] = field(default_factory=dict)
    states: dict[str, DossierState] = field(default_factory=dict)
    daily_rows: Counter[tuple[str, str, date, str, str]] = field(default_factory=Counter)
    timers: dict[tuple[str, str, str], _Timer] = field(default_factory=dict)

    async def get(self, code: str, *, lock: bool = False) -> Dossier | None:
        row = self.rows.get(code)
        if row is None:
            return None
        reports = tuple(r for r in self.reports.values() if r.dossier_code == code)
        return replace(row, reports=reports)

    async def add_reports(
        self, code: str, reports: Sequence[tuple[StatusReport, c.StatusReported]]
    ) -> None:
        for r, d in reports:
            if r.report_id not in self.reports:
                self.reports[r.report_id] = r
                self.said[r.report_id] = d

    async def save(self, dossier: Dossier, state: DossierState | None = None) -> None:
        current = self.rows.get(dossier.code)
        if state is None and current is None:
            return  # an UPDATE of no row
        base = current if state is None else dossier
        assert base is not None
        self.rows[dossier.code] = replace(
            base,
            version=dossier.version,
            applicant_ref=dossier.applicant_ref or (current.applicant_ref if current else None),
            due_at=state.due_at if state is not None else base.due_at,
            reports=(),
            apology=(current.apology if current and current.apology else dossier.apology),
        )
        if state is not None:
            self.states[dossier.code] = state

    async def save_applicant(self, code: str, ref: str, applicant: c.Applicant) -> None:
        self.applicants.setdefault(code, (ref, applicant))

    async def add_to_daily(
        self, unit_code: str, procedure_code: str, delta: Mapping[tuple[date, str, str], int]
    ) -> None:
        for (day, channel, column), n in delta.items():
            self.daily_rows[(unit_code, procedure_code, day, channel, column)] += n

    async def daily(self, unit_code: str, procedure_code: str) -> dict[tuple[date, str, str], int]:
        return {
            (day, channel, column): n
            for (u, p, day, channel, column), n in self.daily_rows.items()
            if (u, p) == (unit_code, procedure_code) and n
        }

    async def schedule(self, code: str, warnings: Iterable[tuple[str, str, datetime]]) -> None:
        for key in [k for k, t in self.timers.items() if k[0] == code and t.fired_at is None]:
            del self.timers[key]
        for kind, threshold, at in warnings:
            self.timers.setdefault((code, kind, threshold), _Timer(at))

    async def due(self, now: datetime, limit: int) -> list[str]:
        due = sorted(
            (t.fire_at, k[0]) for k, t in self.timers.items() if not t.fired_at and t.fire_at <= now
        )
        return list(dict.fromkeys(code for _, code in due[:limit]))

    async def claim_due(self, code: str, now: datetime) -> list[DeadlineWarning]:
        out = []
        for (c_, kind, threshold), t in self.timers.items():
            if c_ == code and t.fired_at is None and t.fire_at <= now:
                t.fired_at = now
                out.append(DeadlineWarning(kind, threshold, t.fire_at))
        return out


@dataclass
class FakeCatalogue:
    procedures: dict[str, Procedure] = field(default_factory=dict)

    async def procedure(self, code: str) -> Procedure | None:
        return self.procedures.get(code)

    async def put(self, procedure: Procedure) -> None:
        self.procedures[procedure.code] = procedure


@dataclass
class FakeCalendarExceptions:
    clock: datetime  # what the database's now() would say
    days: dict[date, tuple[CalendarException, datetime, bool]] = field(default_factory=dict)

    def legacy(self, exception: CalendarException, entered_at: datetime) -> None:
        """An exception recorded before publishing existed (never published)."""
        self.days[exception.day] = (exception, entered_at, False)

    async def all(self) -> list[CalendarException]:
        return [e for _, (e, _, _) in sorted(self.days.items())]

    async def put(self, exception: CalendarException) -> None:
        self.days[exception.day] = (exception, self.clock, True)

    async def withdraw(self, day: date) -> bool:
        return self.days.pop(day, None) is not None

    async def unpublished(self) -> list[tuple[CalendarException, datetime]]:
        return [(e, at) for _, (e, at, published) in sorted(self.days.items()) if not published]

    async def mark_published(self, days: Sequence[date]) -> None:
        for day in days:
            if day in self.days:
                e, at, _ = self.days[day]
                self.days[day] = (e, at, True)


@dataclass
class FakePublished:
    kept: dict[tuple[str, str, Published], PublishedFigures] = field(default_factory=dict)

    async def last(self, unit_code: str, period: str, kind: Published) -> PublishedFigures | None:
        return self.kept.get((unit_code, period, kind))

    async def save(self, published: PublishedFigures) -> None:
        p = published
        self.kept[(p.unit_code, p.period, p.kind)] = p


# the province, two departments, a district and a commune of it
UNITS = Hierarchy(
    [
        AdminUnit("38", None, "Tỉnh Thanh Hóa", "province"),
        AdminUnit("38.SNV", "38", "Sở Nội vụ", "department"),
        AdminUnit("38.SNV.VL", "38.SNV", "Phòng Việc làm", "division"),
        AdminUnit("38.STP", "38", "Sở Tư pháp", "department"),
    ]
)


@pytest.fixture
def fake_work() -> Work:
    """A Work of fakes: the transaction records what is published (``work.tx``)."""
    return Work(
        RecordingTx(service="admin-procedures", source="/vn/38/admin-procedures"),
        FakeDossiers(),
        FakeCatalogue(),
        FakeCalendarExceptions(datetime.fromisoformat("2026-03-02T09:00:00+07:00")),
        FakeUnitTree(UNITS),
        FakePublished(),
    )
