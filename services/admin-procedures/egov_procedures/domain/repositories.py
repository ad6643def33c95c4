"""What the write use cases need from storage, in domain terms (cosmicpython's repositories).

The PostgreSQL adapters (``egov_procedures.adapters``) implement these; the use-case tests use
in-memory fakes of them (``tests/conftest.py``), and one test body per repository runs against
both, so the fakes are held to the adapters' behaviour (``tests/test_procedures_repositories.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from egov_contracts import procedures as c
from egov_units import Hierarchy
from egov_workdays import CalendarException

from egov_procedures.domain.dossier import DeadlineWarning
from egov_procedures.domain.model import Dossier, DossierState, Procedure, StatusReport
from egov_procedures.domain.report import Published, PublishedFigures

# (local day, channel, column of the daily aggregates) → how many
DailyDelta = Mapping[tuple[date, str, str], int]


class DossierRepository(Protocol):
    async def get(self, code: str, *, lock: bool = False) -> Dossier | None:
        """The dossier with its reports and apology (``lock``: for this transaction's change;
        concurrent writers of the same dossier wait)."""
        ...

    async def add_reports(
        self, code: str, reports: Sequence[tuple[StatusReport, c.StatusReported]]
    ) -> None:
        """Append reports to the timeline with what they said (a report id already there is
        left as it is)."""
        ...

    async def save(self, dossier: Dossier, state: DossierState | None = None) -> None:
        """Keep the dossier: its version, applicant reference (a kept one is not erased) and
        apology (issued once); with ``state``, the state derived from its reports too (the
        only way a new dossier is first kept)."""
        ...

    async def save_applicant(self, code: str, ref: str, applicant: c.Applicant) -> None:
        """The applicant's personal data, kept apart (the first one stays)."""
        ...

    async def add_to_daily(self, unit_code: str, procedure_code: str, delta: DailyDelta) -> None:
        """Add to the daily aggregates of the report form."""
        ...

    async def daily(self, unit_code: str, procedure_code: str) -> dict[tuple[date, str, str], int]:
        """The daily aggregates of a unit and procedure (non-zero cells)."""
        ...

    async def schedule(self, code: str, warnings: Iterable[tuple[str, str, datetime]]) -> None:
        """The warnings still to fire follow ``warnings`` (kind, threshold, when); a warning
        that fired never fires again."""
        ...

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Dossiers with a warning due at ``now`` (the earliest first, at most ``limit``)."""
        ...

    async def claim_due(self, code: str, now: datetime) -> list[DeadlineWarning]:
        """Mark the dossier's due warnings fired and return them (each once)."""
        ...


class Catalogue(Protocol):
    async def procedure(self, code: str) -> Procedure | None: ...

    async def put(self, procedure: Procedure) -> None:
        """Create the procedure or replace the one of its code."""
        ...


class CalendarExceptions(Protocol):
    async def all(self) -> list[CalendarException]: ...

    async def put(self, exception: CalendarException) -> None:
        """Record (or replace) the day's exception, as published."""
        ...

    async def withdraw(self, day: date) -> bool:
        """Remove the day's exception (False: there was none)."""
        ...

    async def unpublished(self) -> list[tuple[CalendarException, datetime]]:
        """The exceptions never published, with when each was entered (locked; another
        transaction doing the same skips them)."""
        ...

    async def mark_published(self, days: Sequence[date]) -> None: ...


class PublishedValues(Protocol):
    async def last(self, unit_code: str, period: str, kind: Published) -> PublishedFigures | None:
        """What was last published for the unit's period (locked for this transaction's
        change); None before the first."""
        ...

    async def save(self, published: PublishedFigures) -> None:
        """Keep the figures as the unit's period last published (replacing the previous)."""
        ...


class UnitTree(Protocol):
    async def hierarchy(self) -> Hierarchy:
        """The admin-unit hierarchy as the reference data has it now."""
        ...
