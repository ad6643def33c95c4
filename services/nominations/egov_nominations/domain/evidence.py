"""Evidence from the other services, as nominations keeps it by unit and year: a unit's on-time
processing rate over a period (admin-procedures) and a target's evaluation (indicators). The
latest word wins: a higher revision of a rate, a later evaluation of a target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class OnTimeEvidence:
    unit_code: str
    period: str
    year: int  # the year the period ends in
    period_from: date
    period_to: date
    resolved: int
    early_on_time: int
    on_time_rate: Decimal | None
    revision: int
    event_id: str


@dataclass(frozen=True)
class TargetEvidence:
    indicator_code: str
    unit_code: str
    period: str
    year: int
    target: Decimal
    actual: Decimal
    achievement_pct: Decimal | None
    status: str
    period_closed: bool
    evaluated_at: datetime
    event_id: str
