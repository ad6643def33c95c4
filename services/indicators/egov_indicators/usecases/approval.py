"""The level above approves and locks a unit's period."""

from __future__ import annotations

from datetime import datetime

from egov_runtime.consumer import Tx

from egov_indicators.adapters import store
from egov_indicators.domain import (
    Lock,
    Period,
    lock_period,
)
from egov_indicators.usecases.common import load_hierarchy, period_state


async def approve_period(
    tx: Tx, unit: str, period_text: str, approved_by: str, approver_unit: str, at: datetime
) -> Lock:
    """The level above approves and locks a unit's period (``LockRefused`` otherwise)."""
    period = Period.parse(period_text)
    await store.lock_periods(tx.conn, [str(period)])
    state = await period_state(tx, unit, period)
    hierarchy = await load_hierarchy(tx)
    locked = lock_period(
        state, approved_by=approved_by, approver_unit=approver_unit, at=at, hierarchy=hierarchy
    )
    assert locked.lock is not None
    await store.insert_lock(tx.conn, unit, str(period), approved_by, approver_unit, at)
    return locked.lock
