"""An emulation movement launched by a unit for a year, and a registration for a title at the
start of the year (one per nominee, award and year): what the movements' use cases load and
save."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from egov_nominations.domain.register import AwardKind, NomineeKind


@dataclass(frozen=True)
class Movement:
    movement_id: str
    title: str
    unit_code: str
    year: int
    starts_on: date
    ends_on: date | None
    awards: tuple[AwardKind, ...]
    launched_by: str
    launched_at: datetime


@dataclass(frozen=True)
class Registration:
    registration_id: str
    movement_id: str | None
    year: int
    nominee_kind: NomineeKind
    nominee_ref: str
    unit_code: str
    award: AwardKind
    submitted_by: str
    submitted_at: datetime
