"""The dossier lifecycle as a pure fold of its status reports.

The state is a function of the SET of reports: they are sorted by (occurred_at, lifecycle
order, report id) and applied in that order, so a partition replayed in any order or several
times gives the same state. A report that does not fit (``resolved`` before ``received``,
anything after the end) is kept as refused with its reason and not applied; it is judged again
at every fold, so a report that arrived before its predecessor is applied once that one comes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import NamedTuple

from egov_workdays import WorkCalendar

from egov_procedures.domain.model import (
    TERMINAL,
    Apology,
    DeadlineMode,
    DossierState,
    Fact,
    Pause,
    Phase,
    Procedure,
    Result,
    Status,
    StatusReport,
    SupplementRule,
    Timeliness,
    TimeUnit,
)

MINUTES_PER_HOUR = 60


class ApologyRefused(ValueError):
    pass


class DeadlineWarning(NamedTuple):
    """A warning falling due at ``at`` (``deadline-approaching`` or ``overdue``); a tuple."""

    kind: str
    threshold: str  # used-75, days-left-1, due
    at: datetime


def total_time(procedure: Procedure, calendar: WorkCalendar) -> int:
    """The processing time in the unit ``used`` counts: office minutes, or calendar days."""
    if procedure.processing_unit == TimeUnit.WORKING_DAYS:
        return procedure.processing_value * calendar.office_hours.minutes_per_day
    if procedure.processing_unit == TimeUnit.WORKING_HOURS:
        return procedure.processing_value * MINUTES_PER_HOUR
    return procedure.processing_value


def _due(
    procedure: Procedure, calendar: WorkCalendar, start: datetime, used: int, first: bool
) -> datetime:
    """The deadline when the clock runs from ``start`` with ``used`` already spent."""
    remaining = max(total_time(procedure, calendar) - used, 0)
    if procedure.processing_unit == TimeUnit.CALENDAR_DAYS:
        return calendar.calendar_days_deadline(start, remaining)
    if procedure.deadline_mode == DeadlineMode.END_OF_DAY and first:
        days = procedure.processing_value
        if procedure.processing_unit == TimeUnit.WORKING_HOURS:
            days = -(
                -procedure.processing_value
                * MINUTES_PER_HOUR
                // calendar.office_hours.minutes_per_day
            )
        return calendar.end_of_nth_working_day(start, days, cutoff=procedure.intake_cutoff)
    due = calendar.add_working_minutes(start, remaining)
    if procedure.deadline_mode == DeadlineMode.END_OF_DAY:
        return calendar.end_of_day(calendar.local(due).date())
    return due


def _used_in_segment(
    procedure: Procedure, calendar: WorkCalendar, start: datetime, end: datetime
) -> int:
    if procedure.processing_unit == TimeUnit.CALENDAR_DAYS:
        return max((calendar.local(end).date() - calendar.local(start).date()).days, 0)
    return calendar.working_minutes_between(start, end)


def timeliness(resolved_at: datetime, due_at: datetime, calendar: WorkCalendar) -> Timeliness:
    """late after ``due_at``; early on a calendar day before the due day; else on time."""
    if resolved_at > due_at:
        return Timeliness.LATE
    if calendar.local(resolved_at).date() < calendar.local(due_at).date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def _refuse(state: DossierState, report: StatusReport, reason: str) -> DossierState:
    from egov_procedures.domain.model import RefusedReport

    refused = RefusedReport(report.report_id, report.status, report.occurred_at, reason)
    return replace(state, refused=(*state.refused, refused))


def apply(
    state: DossierState, report: StatusReport, procedure: Procedure, calendar: WorkCalendar
) -> DossierState:
    """One transition; an impossible one is recorded as refused and changes nothing else."""
    s, at = report.status, report.occurred_at
    if state.finished:
        return _refuse(state, report, f"the dossier already ended ({state.phase})")
    if state.phase is None:
        if s != Status.RECEIVED:
            return _refuse(state, report, "no `received` report for this dossier (yet)")
        due = _due(procedure, calendar, at, 0, first=True)
        return replace(
            state,
            phase=Phase.PROCESSING,
            channel=report.channel,
            received_at=at,
            initial_due_at=due,
            due_at=due,
            clock_started_at=at,
            used=0,
            applied=(*state.applied, report.report_id),
        )
    if s == Status.RECEIVED:
        return _refuse(state, report, "the dossier was already received")
    applied = (*state.applied, report.report_id)

    if s in (Status.SUPPLEMENT_REQUESTED, Status.SUSPENDED):
        if not state.running:
            return _refuse(state, report, f"the clock is already stopped ({state.phase})")
        assert state.clock_started_at is not None
        used = state.used + _used_in_segment(procedure, calendar, state.clock_started_at, at)
        phase = Phase.AWAITING_SUPPLEMENT if s == Status.SUPPLEMENT_REQUESTED else Phase.SUSPENDED
        pause = Pause(kind=s, started_at=at, used_minutes_before=used)
        return replace(
            state,
            phase=phase,
            used=used,
            due_at=None,
            clock_started_at=None,
            pauses=(*state.pauses, pause),
            applied=applied,
        )

    if s in (Status.SUPPLEMENT_RECEIVED, Status.RESUMED):
        expected = Phase.AWAITING_SUPPLEMENT if s == Status.SUPPLEMENT_RECEIVED else Phase.SUSPENDED
        if state.phase != expected:
            wanted = "a supplement request" if s == Status.SUPPLEMENT_RECEIVED else "a suspension"
            return _refuse(
                state, report, f"there is no open {wanted} (the dossier is {state.phase})"
            )
        used = 0 if procedure.supplement_rule == SupplementRule.RESTART else state.used
        due = _due(procedure, calendar, at, used, first=False)
        last = replace(state.pauses[-1], ended_at=at, due_after=due)
        return replace(
            state,
            phase=Phase.PROCESSING,
            used=used,
            due_at=due,
            clock_started_at=at,
            pauses=(*state.pauses[:-1], last),
            applied=applied,
        )

    # terminal statuses
    if s == Status.RESOLVED and report.result is None:
        return _refuse(state, report, "a `resolved` report needs a result (granted or refused)")
    if s in (Status.RESOLVED, Status.REJECTED):
        if not state.running:
            return _refuse(
                state, report, f"the clock is stopped ({state.phase}); resume it before resolving"
            )
        assert state.due_at is not None
        phase = Phase.RESOLVED if s == Status.RESOLVED else Phase.REJECTED
        result = report.result if s == Status.RESOLVED else Result.REFUSED
        return replace(
            state,
            phase=phase,
            finished_at=at,
            result=result,
            timeliness=timeliness(at, state.due_at, calendar),
            applied=applied,
        )
    phase = Phase.RETURNED if s == Status.RETURNED else Phase.WITHDRAWN
    return replace(state, phase=phase, finished_at=at, applied=applied)


def fold(
    dossier_code: str, procedure: Procedure, calendar: WorkCalendar, reports: Iterable[StatusReport]
) -> DossierState:
    """The dossier's state from all its reports, whatever order they came in."""
    unique: dict[tuple[object, ...], StatusReport] = {}
    for r in sorted(reports, key=lambda r: r.sort_key):
        if r.dossier_code != dossier_code:
            raise ValueError(f"report {r.report_id} is for {r.dossier_code}, not {dossier_code}")
        # A report resent (under any id) with the same content changes nothing; one that
        # says something else at the same instant is judged (and refused if it conflicts).
        unique.setdefault(r.content_key, r)
    state = DossierState(dossier_code)
    for r in unique.values():
        state = apply(state, r, procedure, calendar)
    return state


def facts(state: DossierState) -> list[Fact]:
    """The outbound facts the state stands for; :func:`diff` publishes new or changed ones."""
    out: list[Fact] = []
    if state.received_at is None:
        return out
    out.append(Fact("received", "", state.received_at, {"due_at": state.initial_due_at}))
    for p in state.pauses:
        key = p.started_at.isoformat()
        out.append(Fact(str(p.kind), key, p.started_at, {"used": p.used_minutes_before}))
        if p.ended_at is not None:
            kind = "supplement-received" if p.kind == Status.SUPPLEMENT_REQUESTED else "resumed"
            out.append(Fact(kind, key, p.ended_at, {"due_at": p.due_after}))
    if state.finished and state.finished_at is not None:
        attrs: dict[str, object] = {"phase": str(state.phase)}
        if state.counts_as_resolved:
            attrs |= {
                "due_at": state.due_at,
                "timeliness": state.timeliness,
                "result": state.result,
            }
        out.append(Fact(str(state.phase), "", state.finished_at, attrs))
    return out


def diff(before: DossierState | None, after: DossierState) -> list[Fact]:
    """Facts of ``after`` that ``before`` did not have, or had with other attributes."""
    known = {(f.kind, f.key): f for f in (facts(before) if before is not None else [])}
    return [f for f in facts(after) if known.get((f.kind, f.key)) != f]


def announced(fired: Iterable[DeadlineWarning]) -> list[DeadlineWarning]:
    """What people are told when several of a dossier's warnings fall due together (a dossier
    reported late, a catch-up after downtime, a short procedure whose thresholds meet): once.
    The deadline passed: only that; else the latest of the approaching ones (the most urgent)."""
    fired = sorted(fired, key=lambda w: w.at)
    overdue = [w for w in fired if w.kind == "overdue"]
    if overdue:
        return overdue[-1:]
    return fired[-1:]


def latest_apology(due_at: datetime, calendar: WorkCalendar) -> datetime:
    """The last moment an apology letter may be issued: one working day before the deadline."""
    return calendar.subtract_working_minutes(due_at, calendar.office_hours.minutes_per_day)


def apology_deadline(
    due_at: datetime, calendar: WorkCalendar, now: datetime, already_issued: bool
) -> datetime | None:
    """Until when an officer can still issue the apology letter (None: too late, or done);
    a message may ask for it only then."""
    if already_issued:
        return None
    latest = latest_apology(due_at, calendar)
    return latest if latest > now else None


def record_apology(
    state: DossierState, apology: Apology, existing: Apology | None, calendar: WorkCalendar
) -> Apology:
    """Validate an apology letter: once per dossier, no later than one working day before the
    deadline, promising a later date."""
    if existing is not None:
        raise ApologyRefused("an apology was already issued for this dossier (only one allowed)")
    if state.finished:
        raise ApologyRefused("the dossier has ended")
    if state.due_at is None:
        raise ApologyRefused("the clock is stopped; the deadline is not known")
    latest = latest_apology(state.due_at, calendar)
    if apology.issued_at > latest:
        raise ApologyRefused(
            f"an apology must be issued no later than one working day before the deadline"
            f" ({latest.isoformat()})"
        )
    if apology.new_due_at <= state.due_at:
        raise ApologyRefused("the new promised date must be after the current deadline")
    return apology


def elapsed_fraction(
    state: DossierState, procedure: Procedure, calendar: WorkCalendar, now: datetime
) -> float:
    used = state.used
    if state.running and state.clock_started_at is not None:
        used += _used_in_segment(procedure, calendar, state.clock_started_at, now)
    return used / total_time(procedure, calendar)


def warning_schedule(
    state: DossierState, procedure: Procedure, calendar: WorkCalendar
) -> list[DeadlineWarning]:
    """(kind, threshold, instant) of the warnings due for the current running segment.

    ``deadline-approaching`` when ``warn_used_fraction`` of the time is used and when
    ``warn_days_left`` working days are left; ``overdue`` at the deadline. None while the clock
    is stopped or after the end.
    """
    if not state.running or state.due_at is None or state.clock_started_at is None:
        return []
    total = total_time(procedure, calendar)
    out: list[DeadlineWarning] = []
    share = round(procedure.warn_used_fraction * 100)
    threshold_used = int(total * procedure.warn_used_fraction)
    if procedure.processing_unit == TimeUnit.CALENDAR_DAYS:
        span = state.due_at - state.clock_started_at
        left = total - state.used
        if left > 0 and threshold_used > state.used:
            at = state.clock_started_at + span * ((threshold_used - state.used) / left)
            out.append(DeadlineWarning("deadline-approaching", f"used-{share}", at))
    elif threshold_used > state.used:
        at = calendar.add_working_minutes(state.clock_started_at, threshold_used - state.used)
        out.append(DeadlineWarning("deadline-approaching", f"used-{share}", at))
    days_left_at = calendar.subtract_working_minutes(
        state.due_at, procedure.warn_days_left * calendar.office_hours.minutes_per_day
    )
    if days_left_at > state.clock_started_at:
        threshold = f"days-left-{procedure.warn_days_left}"
        out.append(DeadlineWarning("deadline-approaching", threshold, days_left_at))
    out.append(DeadlineWarning("overdue", "due", state.due_at))
    return out


def colour(
    state: DossierState, warnings: Iterable[tuple[str, str, datetime]], now: datetime
) -> str:
    """Dashboard colour: red overdue, yellow approaching, green in time; grey when ended."""
    if state.finished:
        return "grey"
    if state.due_at is not None and now > state.due_at:
        return "red"
    if any(k == "deadline-approaching" and at <= now for k, _t, at in warnings):
        return "yellow"
    return "green"


__all__ = [
    "TERMINAL",
    "ApologyRefused",
    "DeadlineWarning",
    "apply",
    "colour",
    "diff",
    "elapsed_fraction",
    "facts",
    "fold",
    "record_apology",
    "timeliness",
    "total_time",
    "warning_schedule",
]
