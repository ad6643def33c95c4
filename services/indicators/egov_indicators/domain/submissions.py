"""Deciding a submission against what a unit has already reported for a period.

A submission is accepted whole or rejected whole, with every violation listed. An accepted one
records its values; a later submission for the same unit and period replaces the values it
reports (values it does not mention stay), and the history keeps who changed what, when and
why. Sending the same submission again changes nothing. Once the level above has approved the
period it is locked: only a correction (``replaces`` an accepted submission) with a reason is
accepted then.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from egov_units import Hierarchy

from egov_indicators.domain.periods import Period
from egov_indicators.domain.validation import Severity, ValidationResult, Violation
from egov_indicators.domain.values import DisaggKey, Submission, ValueKey


class ChangeKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"


@dataclass(frozen=True)
class RecordedValue:
    indicator_code: str
    value: Decimal
    submission_id: str
    recorded_by: str
    recorded_at: datetime
    disaggregation: DisaggKey = ()
    revision: int = 1
    warnings: tuple[str, ...] = ()

    @property
    def key(self) -> ValueKey:
        return (self.indicator_code, self.disaggregation)


@dataclass(frozen=True)
class ValueChange:
    indicator_code: str
    disaggregation: DisaggKey
    old: Decimal | None
    new: Decimal
    revision: int

    @property
    def kind(self) -> ChangeKind:
        return ChangeKind.CREATED if self.old is None else ChangeKind.UPDATED


@dataclass(frozen=True)
class ChangeRecord:
    """One accepted submission in the period's history: who, when, why, what changed."""

    submission_id: str
    changed_by: str
    changed_at: datetime
    changes: tuple[ValueChange, ...]
    replaces: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Lock:
    approved_by: str
    approver_unit: str
    locked_at: datetime


@dataclass(frozen=True)
class PeriodState:
    """What one unit has reported for one period."""

    unit_code: str
    period: Period
    values: dict[ValueKey, RecordedValue] = field(default_factory=dict)
    submissions: tuple[str, ...] = ()
    history: tuple[ChangeRecord, ...] = ()
    lock: Lock | None = None

    @property
    def locked(self) -> bool:
        return self.lock is not None

    def current_values(self) -> dict[ValueKey, Decimal]:
        """The recorded values, as ``validate(..., current=...)`` takes them."""
        return {key: v.value for key, v in self.values.items()}


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    state: PeriodState
    violations: tuple[Violation, ...] = ()
    warnings: tuple[Violation, ...] = ()
    changes: tuple[ValueChange, ...] = ()
    unchanged: tuple[ValueKey, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.outcome is not Outcome.REJECTED


def _violation(rule_id: str, vi: str, en: str) -> Violation:
    return Violation(rule_id, vi, en, severity=Severity.ERROR)


def decide_submission(
    state: PeriodState, submission: Submission, validation: ValidationResult | None = None
) -> Decision:
    """Accept (recording every value, with history) or reject the submission as a whole."""
    if (submission.unit_code, submission.period) != (state.unit_code, state.period):
        raise ValueError("the submission is for another unit or period than the state")
    if submission.submission_id in state.submissions:
        return Decision(Outcome.DUPLICATE, state)
    violations = list(validation.errors) if validation else []
    warnings = tuple(validation.warnings) if validation else ()
    if submission.replaces is not None and submission.replaces not in state.submissions:
        violations.append(
            _violation(
                "unknown-replaced-submission",
                f"Báo cáo {submission.replaces} cần điều chỉnh không có trong kỳ {state.period}",
                f"Submission {submission.replaces} to correct is not on record for {state.period}",
            )
        )
    if state.locked:
        if not submission.is_correction:
            violations.append(
                _violation(
                    "period-locked",
                    f"Kỳ {state.period} đã được phê duyệt và khóa; chỉ nhận báo cáo điều chỉnh"
                    " có lý do",
                    f"Period {state.period} is approved and locked; only a correction with a"
                    " reason is accepted",
                )
            )
        elif not (submission.reason or "").strip():
            violations.append(
                _violation(
                    "correction-reason-required",
                    "Báo cáo điều chỉnh sau khi khóa kỳ phải nêu lý do",
                    "A correction of a locked period must give a reason",
                )
            )
    if violations:
        return Decision(Outcome.REJECTED, state, tuple(violations), warnings)

    warned: dict[ValueKey, list[str]] = {}
    for w in warnings:
        if w.indicator_code is not None:
            warned.setdefault((w.indicator_code, w.disaggregation), []).append(w.rule_id)
    values = dict(state.values)
    changes: list[ValueChange] = []
    unchanged: list[ValueKey] = []
    for key, new in submission.by_key().items():
        old = values.get(key)
        if old is not None and old.value == new:
            unchanged.append(key)
            continue
        revision = 1 if old is None else old.revision + 1
        changes.append(
            ValueChange(key[0], key[1], None if old is None else old.value, new, revision)
        )
        values[key] = RecordedValue(
            indicator_code=key[0],
            value=new,
            submission_id=submission.submission_id,
            recorded_by=submission.submitted_by,
            recorded_at=submission.submitted_at,
            disaggregation=key[1],
            revision=revision,
            warnings=tuple(warned.get(key, ())),
        )
    record = ChangeRecord(
        submission_id=submission.submission_id,
        changed_by=submission.submitted_by,
        changed_at=submission.submitted_at,
        changes=tuple(changes),
        replaces=submission.replaces,
        reason=submission.reason,
    )
    new_state = replace(
        state,
        values=values,
        submissions=(*state.submissions, submission.submission_id),
        history=(*state.history, record),
    )
    return Decision(Outcome.ACCEPTED, new_state, (), warnings, tuple(changes), tuple(unchanged))


class LockRefused(ValueError):
    def __init__(self, rule_id: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.rule_id = rule_id
        self.message_vi = message_vi
        self.message_en = message_en


def lock_period(
    state: PeriodState,
    *,
    approved_by: str,
    approver_unit: str,
    at: datetime,
    hierarchy: Hierarchy,
) -> PeriodState:
    """Approve and lock the period; only the unit directly above (as of the period's end, or
    its successor on the approval day) may do so, and only once something has been reported."""
    if state.locked:
        raise LockRefused(
            "already-locked", f"Kỳ {state.period} đã khóa", f"Period {state.period} is locked"
        )
    if not state.submissions:
        raise LockRefused(
            "nothing-to-approve",
            f"Kỳ {state.period} chưa có báo cáo để phê duyệt",
            f"Nothing has been reported for {state.period} to approve",
        )
    parent = hierarchy.parent_at(state.unit_code, state.period.end)
    # The parent as of the period's end, or the unit that has succeeded it by the approval day.
    allowed = {parent, hierarchy.resolve(parent, at.date())} - {None}
    if approver_unit not in allowed:
        raise LockRefused(
            "not-level-above",
            f"Chỉ đơn vị cấp trên trực tiếp ({parent}) được phê duyệt báo cáo của"
            f" {state.unit_code}",
            f"Only the unit directly above ({parent}) may approve {state.unit_code}'s report",
        )
    return replace(state, lock=Lock(approved_by, approver_unit, at))
