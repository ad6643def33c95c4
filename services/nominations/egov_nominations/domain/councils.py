"""An emulation council with its members, its sessions (attendance, quorum) and the
secret-ballot tallies they record (counts only), and the nomination file as kept with the
columns it is found by: what the council's use cases load and save."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from egov_nominations.domain.register import AwardKind, NomineeKind
from egov_nominations.domain.workflow import NominationFile, Status


@dataclass(frozen=True)
class Member:
    member_id: str  # the member's login subject
    name: str
    role: str | None = None


@dataclass(frozen=True)
class Council:
    """A deciding unit's emulation council. ``created_at`` is when it was first kept (None
    before)."""

    council_id: str
    unit_code: str
    name: str
    level: str
    members: tuple[Member, ...]
    created_by: str
    created_at: datetime | None = None

    @property
    def member_ids(self) -> set[str]:
        return {m.member_id for m in self.members}


@dataclass(frozen=True)
class Session:
    """A council meeting with its attendance; ``members_total`` as the council had then."""

    session_id: str
    council_id: str
    held_on: date
    members_total: int
    present: tuple[str, ...]
    quorum_met: bool
    recorded_by: str


@dataclass(frozen=True)
class Tally:
    """A secret-ballot tally for one nominee at a session. ``recorded_at`` is when it was kept
    (None before)."""

    session_id: str
    nomination_id: str
    members_total: int
    present: int
    votes_for: int
    threshold_pct: Decimal
    share_pct: Decimal
    quorum_met: bool
    passed: bool
    recorded_by: str
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class Nomination:
    """A nomination file as kept: the workflow's state (``file``) with its version and the
    columns it is found by (the nominee's unit, the deciding unit, the session that voted), and
    what its proposal said (the nominee's name, the occasion, the movement, the deciding level,
    the documents attached and the summary of achievements)."""

    nomination_id: str
    unit_code: str
    deciding_unit_code: str
    file: NominationFile
    version: int = 0
    session_id: str | None = None
    nominee_name: str = ""
    occasion: str = "yearly"
    movement_id: str | None = None
    deciding_level: str = ""
    documents: tuple[str, ...] = ()
    summary: str = ""

    @property
    def status(self) -> Status:
        return self.file.status

    @property
    def award(self) -> AwardKind:
        return self.file.award

    @property
    def nominee_kind(self) -> NomineeKind:
        return self.file.nominee_kind
