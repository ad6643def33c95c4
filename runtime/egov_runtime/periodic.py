"""Periodic jobs of a service (deadline timers, rates, re-evaluation, dispatch, digests…): one
loop for all, as a background task of the service's wiring.

A round that raises is logged, counted (``egov_periodic_job_failures_total{service,job}``) and
retried at the next tick; the loop ends when the service stops. Hand-written rather than a
scheduler library: the jobs are "every N seconds until stopped" inside the service's own event
loop, which a dozen lines of asyncio say exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from egov_runtime.metrics import PERIODIC_FAILURES
from egov_runtime.service import BackgroundTask


def every(
    seconds: float,
    work: Callable[[], Awaitable[Any]],
    job: str,
    *,
    service: str,
    log: Any,
    again_at_once: Callable[[Any], bool] = lambda result: False,
) -> BackgroundTask:
    """A background task running ``work`` every ``seconds`` until stopped; ``again_at_once``
    (given the round's result) skips the wait, e.g. while a queue still has work."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                result = await work()
            except Exception as exc:  # a failed round is retried at the next tick
                PERIODIC_FAILURES.labels(service, job).inc()
                log.warning(f"{job} failed", error=repr(exc))
                result = None
            else:
                if again_at_once(result):
                    continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=seconds)

    return run
