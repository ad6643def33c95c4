"""Kafka consumer of indicator submissions (``submission.received.v1``) from districts,
communes and statistics systems."""

from __future__ import annotations

from egov_contracts import indicators as c
from egov_contracts.topics import INDICATOR_SUBMISSIONS
from egov_runtime.consumer import Incoming, Subscription, Tx

from egov_indicators import usecases


def submissions_subscription(ctx: usecases.Context) -> Subscription:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        batch = [
            usecases.Incoming(i.data, i.event, "kafka", i.data.reason)
            for i in items
            if isinstance(i.data, c.SubmissionReceived)
        ]
        if batch:
            await usecases.handle_submissions(tx, ctx, batch)

    return Subscription(
        "submissions",
        (INDICATOR_SUBMISSIONS.name,),
        handle,
        frozenset({c.SubmissionReceived.event_type}),
    )
