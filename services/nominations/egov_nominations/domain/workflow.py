"""The life of a nomination file, as agency software shows it.

draft → submitted (chờ duyệt) ⇄ returned (bị trả lại) → under-review (đang xét) →
approved (đã duyệt) → decided (đã khen thưởng), or forwarded to the level that grants the
award, or rejected. Every step keeps who, when and why. Deadlines are in working days from
an injected calendar function, so the domain stays free of any calendar data.

A transition table is hand-written rather than taken from a state-machine library: it is a
dozen lines, and keeping it as data lets the API list the allowed actions per status.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from egov_nominations.domain.register import AwardKind, NomineeKind

AddWorkingDays = Callable[[date, int], date]

RETURN_WITHIN_WORKING_DAYS = 5
DECIDE_WITHIN_WORKING_DAYS = 20


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    UNDER_REVIEW = "under-review"
    APPROVED = "approved"
    FORWARDED = "forwarded"
    DECIDED = "decided"
    REJECTED = "rejected"

    @property
    def label_vi(self) -> str:
        return _STATUS_VI[self]


_STATUS_VI = {
    Status.DRAFT: "dự thảo",
    Status.SUBMITTED: "chờ duyệt",
    Status.RETURNED: "bị trả lại",
    Status.UNDER_REVIEW: "đang xét",
    Status.APPROVED: "đã duyệt",
    Status.FORWARDED: "đã trình cấp trên",
    Status.DECIDED: "đã khen thưởng",
    Status.REJECTED: "không khen thưởng",
}


class Action(StrEnum):
    SUBMIT = "submit"  # trình / trình lại
    RETURN = "return"  # trả lại để bổ sung
    ACCEPT = "accept"  # hồ sơ đầy đủ, đưa ra xét
    APPROVE = "approve"
    REJECT = "reject"
    FORWARD = "forward"  # trình cấp có thẩm quyền
    DECIDE = "decide"  # quyết định khen thưởng


TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.DRAFT, Action.SUBMIT): Status.SUBMITTED,
    (Status.RETURNED, Action.SUBMIT): Status.SUBMITTED,
    (Status.SUBMITTED, Action.RETURN): Status.RETURNED,
    (Status.SUBMITTED, Action.ACCEPT): Status.UNDER_REVIEW,
    (Status.UNDER_REVIEW, Action.APPROVE): Status.APPROVED,
    (Status.UNDER_REVIEW, Action.REJECT): Status.REJECTED,
    (Status.APPROVED, Action.DECIDE): Status.DECIDED,
    (Status.APPROVED, Action.FORWARD): Status.FORWARDED,
    (Status.FORWARDED, Action.DECIDE): Status.DECIDED,
    (Status.FORWARDED, Action.REJECT): Status.REJECTED,
}

FINAL = frozenset({Status.DECIDED, Status.REJECTED})


def allowed_actions(status: Status) -> list[Action]:
    return [a for (s, a) in TRANSITIONS if s == status]


class InvalidTransition(ValueError):
    """The action is not possible from the file's current status, or lacks what it needs."""

    def __init__(self, status: Status, action: Action, detail: str | None = None) -> None:
        allowed = ", ".join(a.value for a in allowed_actions(status)) or "none (final)"
        msg = detail or (
            f"cannot {action.value} a nomination that is {status.value} ({status.label_vi}); "
            f"allowed: {allowed}"
        )
        super().__init__(msg)
        self.status = status
        self.action = action


class Transition(BaseModel):
    """One step of the file: who, when, why."""

    model_config = ConfigDict(frozen=True)

    action: Action
    from_status: Status
    to_status: Status
    actor: str = Field(min_length=1)
    at: AwareDatetime
    reason: str | None = None
    overdue: bool = False


class Decision(BaseModel):
    """The decision conferring the award — quyết định khen thưởng."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: str = Field(min_length=1, max_length=64)
    decided_on: date
    signer: str = Field(min_length=1, max_length=200)
    deciding_unit: str = Field(min_length=1, max_length=64)


class NominationFile(BaseModel):
    """A nomination file with its status, deadlines and history. Methods return a new file."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=64)
    nominee_kind: NomineeKind
    nominee_ref: str = Field(min_length=1, max_length=64)
    award: AwardKind
    achievement_year: int
    status: Status = Status.DRAFT
    history: tuple[Transition, ...] = ()
    received_on: date | None = None
    return_by: date | None = None
    return_reasons: tuple[str, ...] = ()
    complete_on: date | None = None
    decide_by: date | None = None
    forwarded_to: str | None = None
    decision: Decision | None = None

    # -- the actions ------------------------------------------------------------------

    def submit(
        self, actor: str, at: datetime, add_working_days: AddWorkingDays, reason: str | None = None
    ) -> NominationFile:
        """Send (or send again) to the deciding level; the return deadline starts now."""
        received = at.date()
        return self._step(
            Action.SUBMIT,
            actor,
            at,
            reason,
            received_on=received,
            return_by=add_working_days(received, RETURN_WITHIN_WORKING_DAYS),
        )

    def return_for_completion(self, actor: str, at: datetime, reasons: list[str]) -> NominationFile:
        """Return an incomplete file with what is missing."""
        cleaned = tuple(r.strip() for r in reasons if r.strip())
        if not cleaned:
            raise InvalidTransition(
                self.status, Action.RETURN, "returning a file needs at least one reason"
            )
        overdue = self.return_by is not None and at.date() > self.return_by
        return self._step(
            Action.RETURN, actor, at, "; ".join(cleaned), overdue, return_reasons=cleaned
        )

    def accept_complete(
        self, actor: str, at: datetime, add_working_days: AddWorkingDays
    ) -> NominationFile:
        """The file is complete: review starts and the decision deadline runs."""
        complete = at.date()
        overdue = self.return_by is not None and complete > self.return_by
        return self._step(
            Action.ACCEPT,
            actor,
            at,
            None,
            overdue,
            complete_on=complete,
            decide_by=add_working_days(complete, DECIDE_WITHIN_WORKING_DAYS),
            return_reasons=(),
        )

    def approve(self, actor: str, at: datetime, reason: str | None = None) -> NominationFile:
        return self._step(Action.APPROVE, actor, at, reason)

    def reject(self, actor: str, at: datetime, reason: str) -> NominationFile:
        if not reason.strip():
            raise InvalidTransition(self.status, Action.REJECT, "rejecting needs a reason")
        return self._step(Action.REJECT, actor, at, reason.strip())

    def forward(
        self, actor: str, at: datetime, to_level: str, reason: str | None = None
    ) -> NominationFile:
        """Send the approved file up to the level that grants the award."""
        if not to_level.strip():
            raise InvalidTransition(self.status, Action.FORWARD, "forwarding needs a level")
        return self._step(Action.FORWARD, actor, at, reason, forwarded_to=to_level.strip())

    def decide(self, actor: str, at: datetime, decision: Decision) -> NominationFile:
        """Record the decision conferring the award."""
        overdue = self.decide_by is not None and decision.decided_on > self.decide_by
        reason = f"Quyết định số {decision.number} ngày {decision.decided_on.isoformat()}"
        return self._step(Action.DECIDE, actor, at, reason, overdue, decision=decision)

    # -- queries ----------------------------------------------------------------------

    def is_overdue(self, today: date) -> bool:
        """Past the working-day deadline that applies to the current status."""
        if self.status == Status.SUBMITTED and self.return_by is not None:
            return today > self.return_by
        if self.status in (Status.UNDER_REVIEW, Status.APPROVED) and self.decide_by is not None:
            return today > self.decide_by
        return False

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    # -- the one place a status changes -----------------------------------------------

    def _step(
        self,
        action: Action,
        actor: str,
        at: datetime,
        reason: str | None,
        overdue: bool = False,
        **changes: object,
    ) -> NominationFile:
        target = TRANSITIONS.get((self.status, action))
        if target is None:
            raise InvalidTransition(self.status, action)
        if not actor.strip():
            raise InvalidTransition(self.status, action, "a transition needs the actor")
        if at.tzinfo is None:
            raise InvalidTransition(self.status, action, "a transition time must be zone-aware")
        if self.history and at < self.history[-1].at:
            raise InvalidTransition(
                self.status, action, "a transition cannot be earlier than the previous one"
            )
        step = Transition(
            action=action,
            from_status=self.status,
            to_status=target,
            actor=actor.strip(),
            at=at,
            reason=reason,
            overdue=overdue,
        )
        return self.model_copy(
            update={"status": target, "history": (*self.history, step), **changes}
        )
