"""Value objects of the administrative-procedure domain (hồ sơ thủ tục hành chính)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum

# The published enums are the domain's own (one set of values, guarded by the contracts'
# compatibility gate): statuses reported by one-door systems (trạng thái hồ sơ), channels,
# processing-time units, timeliness (trước hạn / đúng hạn / quá hạn) and results.
from egov_contracts.procedures import Channel, Timeliness
from egov_contracts.procedures import DossierStatus as Status
from egov_contracts.procedures import ProcessingTimeUnit as TimeUnit
from egov_contracts.procedures import ResolutionResult as Result

TERMINAL = frozenset({Status.RESOLVED, Status.RETURNED, Status.WITHDRAWN, Status.REJECTED})
# Order of reports that share an instant: the lifecycle's own order.
PRECEDENCE = {s: i for i, s in enumerate(Status)}


class Phase(StrEnum):
    """Where a dossier is: its clock runs only in ``processing``."""

    PROCESSING = "processing"
    AWAITING_SUPPLEMENT = "awaiting-supplement"
    SUSPENDED = "suspended"
    RESOLVED = "resolved"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


class SupplementRule(StrEnum):
    PAUSE = "pause"  # the working time already used counts; the remainder continues
    RESTART = "restart"  # the full processing time starts again


class DeadlineMode(StrEnum):
    WORKING_TIME = "working-time"
    END_OF_DAY = "end-of-day"


@dataclass(frozen=True)
class Procedure:
    """A procedure of the catalogue with its legal processing time."""

    code: str
    name: str
    processing_value: int
    processing_unit: TimeUnit = TimeUnit.WORKING_DAYS
    supplement_rule: SupplementRule = SupplementRule.PAUSE
    deadline_mode: DeadlineMode = DeadlineMode.WORKING_TIME
    intake_cutoff: time | None = None  # end-of-day mode: received after it counts as next day
    warn_used_fraction: float = 0.75  # deadline-approaching when this share is used
    warn_days_left: int = 1  # and when this many working days are left
    field: str = ""
    level: str = "province"

    def __post_init__(self) -> None:
        if self.processing_value <= 0:
            raise ValueError("processing time must be positive")
        if not 0 < self.warn_used_fraction < 1:
            raise ValueError("warn_used_fraction must be between 0 and 1")


@dataclass(frozen=True)
class StatusReport:
    """One status report of a dossier as a one-door system sent it."""

    report_id: str
    dossier_code: str
    status: Status
    occurred_at: datetime
    result: Result | None = None
    channel: Channel | None = None
    note: str = ""

    @property
    def sort_key(self) -> tuple[datetime, int, str]:
        return (self.occurred_at, PRECEDENCE[self.status], self.report_id)

    @property
    def content_key(self) -> tuple[object, ...]:
        """What the report says, without its id: equal keys are the same report resent.
        The channel matters only for the receipt."""
        channel = self.channel if self.status == Status.RECEIVED else None
        return (self.status, self.occurred_at, self.result, channel)


@dataclass(frozen=True)
class Pause:
    """A stop of the clock: a supplement request or a suspension."""

    kind: Status  # SUPPLEMENT_REQUESTED or SUSPENDED
    started_at: datetime
    used_minutes_before: int  # working minutes (or calendar days for calendar-days) used
    ended_at: datetime | None = None
    due_after: datetime | None = None  # the deadline recomputed when the clock restarted


@dataclass(frozen=True)
class RefusedReport:
    report_id: str
    status: Status
    occurred_at: datetime
    reason: str


@dataclass(frozen=True)
class DossierState:
    dossier_code: str
    phase: Phase | None = None  # None: no valid `received` report yet
    channel: Channel | None = None
    received_at: datetime | None = None
    initial_due_at: datetime | None = None
    due_at: datetime | None = None  # None while the clock is stopped
    clock_started_at: datetime | None = None  # start of the running segment
    used: int = 0  # time used before the running segment (minutes, or days for calendar-days)
    pauses: tuple[Pause, ...] = ()
    finished_at: datetime | None = None
    result: Result | None = None
    timeliness: Timeliness | None = None
    refused: tuple[RefusedReport, ...] = ()
    applied: tuple[str, ...] = ()  # report ids applied, in order

    @property
    def finished(self) -> bool:
        return self.phase in (Phase.RESOLVED, Phase.RETURNED, Phase.WITHDRAWN, Phase.REJECTED)

    @property
    def running(self) -> bool:
        return self.phase == Phase.PROCESSING

    @property
    def supplement_requests(self) -> tuple[Pause, ...]:
        return tuple(p for p in self.pauses if p.kind == Status.SUPPLEMENT_REQUESTED)

    @property
    def counts_as_resolved(self) -> bool:
        """Resolved (granted or refused) and rejected are results; returned/withdrawn are not."""
        return self.phase in (Phase.RESOLVED, Phase.REJECTED)


@dataclass(frozen=True)
class Apology:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (at most one per dossier)."""

    issued_at: datetime
    new_due_at: datetime
    reason: str
    issued_by: str


@dataclass(frozen=True)
class Fact:
    """An outbound fact about a dossier, derived from its state (see :func:`facts`)."""

    kind: str  # received, supplement-requested, supplement-received, suspended, resumed, ...
    key: str  # identifies the fact within the dossier (e.g. the pause's start instant)
    at: datetime
    attributes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Dossier:
    """A dossier as it is kept: where it belongs, its timeline of status reports, the apology
    issued for it, and its version (the sequence of its last outbound event). Its state is
    derived from the reports (:func:`egov_procedures.domain.dossier.fold`); ``due_at`` is the
    deadline last derived, as stored."""

    code: str
    procedure_code: str
    unit_code: str
    version: int = 0
    applicant_ref: str | None = None
    due_at: datetime | None = None
    reports: tuple[StatusReport, ...] = ()
    apology: Apology | None = None
