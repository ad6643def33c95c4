"""The kit's wiring helpers (no broker, no database). The periodic-job helper: a failed round
is logged, counted and retried at the next tick; a round saying there is more work runs again
without waiting; the loop ends when the service stops (the interval is zero, or the stop is
already set, so nothing waits on time). The wiring state is read typed. ``Tx.publish`` puts an
event on the topic its type declares, with the transaction's source."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from egov_contracts.reference import (
    CalendarExceptionKind,
    CalendarExceptionUpserted,
    CalendarExceptionWithdrawn,
)
from egov_contracts.topics import REFERENCE_CALENDAR
from egov_contracts.types import VN_TZ
from egov_devkit.testing.fakes import RecordingTx
from egov_runtime.metrics import PERIODIC_FAILURES
from egov_runtime.periodic import every
from egov_runtime.service import Wiring, context_of, state_of


class Log:
    def __init__(self) -> None:
        self.warnings: list[tuple[str, dict[str, Any]]] = []

    def warning(self, message: str, **fields: Any) -> None:
        self.warnings.append((message, fields))


def failures(job: str) -> float:
    return PERIODIC_FAILURES.labels("periodic-test", job)._value.get()


async def test_a_failed_round_is_counted_logged_and_retried():
    stop, log, rounds = asyncio.Event(), Log(), []

    async def work() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 2:
            raise RuntimeError("database away")
        if len(rounds) == 4:
            stop.set()

    before = failures("tally")
    task = every(0, work, "tally", service="periodic-test", log=log)
    await asyncio.wait_for(task(stop), timeout=30)
    assert rounds == [0, 1, 2, 3]  # the round after the failure ran, then the stop ended it
    assert failures("tally") == before + 1
    assert log.warnings == [("tally failed", {"error": "RuntimeError('database away')"})]


async def test_more_work_runs_again_at_once_and_a_stopped_job_does_not_start():
    stop, waited = asyncio.Event(), []
    queue = [3, 2, 1, 0]

    async def drain() -> int:
        left = queue.pop(0)
        if not left:
            stop.set()
        return left

    original = stop.wait

    async def counted_wait() -> bool:
        waited.append(True)
        return await original()

    stop.wait = counted_wait  # type: ignore[method-assign]
    task = every(3600, drain, "drain", service="periodic-test", log=Log(), again_at_once=bool)
    await asyncio.wait_for(task(stop), timeout=30)
    assert queue == []
    assert waited == [True]  # only after the round that found nothing (and saw the stop)

    async def never() -> None:
        raise AssertionError("a stopped service runs no round")

    await every(0, never, "never", service="periodic-test", log=Log())(stop)


def test_the_wiring_state_is_read_typed():
    class Context:
        pass

    ctx = Context()
    wiring = Wiring(state={"context": ctx, "signal": "not a signal"})
    request: Any = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(wiring=wiring)))
    assert context_of(request, Context) is ctx
    with pytest.raises(TypeError, match="wiring state 'signal' is str, not Context"):
        state_of(request, "signal", Context)


async def test_publish_wraps_the_data_on_the_topic_its_type_declares_from_the_tx_source():
    tx = RecordingTx(service="wiring-test", source="/vn/38/admin-procedures")
    data = CalendarExceptionUpserted(
        day=date(2026, 9, 1),
        kind=CalendarExceptionKind.DAY_OFF,
        note="Nghỉ bù Quốc khánh",
        entered_by="so-noi-vu",
        entered_at=datetime(2026, 8, 20, 9, tzinfo=VN_TZ),
    )
    event = await tx.publish(data, subject="2026-09-01", sequence=3)
    [(topic, emitted, headers)] = tx.emitted
    assert topic == REFERENCE_CALENDAR.name and emitted == event and headers == ()
    assert (event.type, event.source, event.subject) == (
        CalendarExceptionUpserted.event_type,
        "/vn/38/admin-procedures",
        "2026-09-01",
    )
    assert event.sequence is not None and event.time == datetime(2026, 8, 20, 9, tzinfo=VN_TZ)
    assert tx.published(CalendarExceptionUpserted) == [data]


async def test_publish_all_appends_each_event_on_its_types_topic_in_order():
    tx = RecordingTx(source="/vn/38/admin-procedures")
    day = date(2026, 9, 1)
    upserted = CalendarExceptionUpserted(
        day=day,
        kind=CalendarExceptionKind.DAY_OFF,
        note="Nghỉ bù",
        entered_by="so-noi-vu",
        entered_at=datetime(2026, 8, 20, 9, tzinfo=VN_TZ),
    )
    withdrawn = CalendarExceptionWithdrawn(
        day=day, withdrawn_by="so-noi-vu", withdrawn_at=datetime(2026, 8, 21, 9, tzinfo=VN_TZ)
    )
    events = [tx.event(upserted, subject="a"), tx.event(withdrawn, subject="a")]
    await tx.publish_all(events)
    assert [(t, e) for t, e, _ in tx.emitted] == [(REFERENCE_CALENDAR.name, e) for e in events]


async def test_an_event_needs_a_source():
    tx = RecordingTx(source="")
    data = CalendarExceptionWithdrawn(
        day=date(2026, 9, 1),
        withdrawn_by="so-noi-vu",
        withdrawn_at=datetime(2026, 8, 21, 9, tzinfo=VN_TZ),
    )
    with pytest.raises(ValueError, match="no CloudEvents source"):
        await tx.publish(data, subject="2026-09-01")
    assert tx.event(data, subject="x", source="/vn/38/so-noi-vu").source == "/vn/38/so-noi-vu"
