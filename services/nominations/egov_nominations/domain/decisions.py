"""A decision conferring awards as kept (the files it decides), and one award it confers as the
register keeps it (the nominee's award history)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from egov_nominations.domain.register import AwardKind, NomineeKind


@dataclass(frozen=True)
class RecordedDecision:
    """A decision of a deciding unit (unique by its number there) and the files it decides.
    ``recorded_at`` is when it was kept (None before)."""

    decision_id: str
    deciding_unit_code: str
    number: str
    decided_on: date
    signer: str
    nomination_ids: tuple[str, ...]
    recorded_by: str
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class ConferredAward:
    """An award a decision conferred on a nominee, at the level that granted it."""

    nominee_kind: NomineeKind
    nominee_ref: str
    unit_code: str
    award: AwardKind
    year: int
    decision_number: str
    level: str
    decided_on: date
    nomination_id: str
