"""Kafka consumer of indicator submissions (``submission.received.v1``) from districts,
communes and statistics systems."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from egov_contracts import indicators as c
from egov_contracts.topics import INDICATOR_SUBMISSIONS
from egov_runtime.consumer import Incoming, Subscription, Tx
from egov_runtime.edge import TimeWindow

from egov_indicators import usecases


def submissions_subscription(
    ctx: usecases.Context, window: TimeWindow, now: Callable[[], datetime]
) -> Subscription:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        batch = []
        for i in items:
            if not isinstance(i.data, c.SubmissionReceived):
                continue
            # a submission dated beyond the window is dead-lettered with the reason
            implausible = window.refusal(i.data.submitted_at, now())
            if implausible:
                tx.refuse(i.event.id, "implausible", f"submitted_at: {implausible}")
                continue
            batch.append(usecases.Incoming(i.data, i.event, "kafka", i.data.reason))
        if batch:
            await usecases.handle_submissions(tx, ctx, batch)

    return Subscription(
        "submissions",
        (INDICATOR_SUBMISSIONS.name,),
        handle,
        frozenset({c.SubmissionReceived.event_type}),
    )
