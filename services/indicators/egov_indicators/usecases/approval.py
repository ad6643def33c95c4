"""The level above approves and locks a unit's period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from egov_indicators.domain import (
    Lock,
    Period,
    lock_period,
)
from egov_indicators.usecases.common import Work, load_hierarchy


@dataclass(frozen=True)
class ApprovePeriod:
    """An officer of the level above approves a unit's period."""

    unit: str
    period: str
    approved_by: str
    approver_unit: str
    at: datetime


async def approve_period(w: Work, command: ApprovePeriod) -> Lock:
    """The level above approves and locks a unit's period (``LockRefused`` otherwise)."""
    period = Period.parse(command.period)
    await w.periods.serialise([str(period)])
    state = await w.periods.state(command.unit, period)
    hierarchy = await load_hierarchy(w)
    locked = lock_period(
        state,
        approved_by=command.approved_by,
        approver_unit=command.approver_unit,
        at=command.at,
        hierarchy=hierarchy,
    )
    assert locked.lock is not None
    await w.periods.lock(command.unit, period, locked.lock)
    return locked.lock
