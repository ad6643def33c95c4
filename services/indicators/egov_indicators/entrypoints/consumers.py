"""Kafka consumer of indicator submissions (``submission.received.v1``) from districts,
communes and statistics systems."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from egov_contracts import indicators as c
from egov_contracts.topics import INDICATOR_SUBMISSIONS
from egov_runtime.auth import RecordCredentials
from egov_runtime.consumer import Incoming, Subscription, Tx
from egov_runtime.edge import TimeWindow
from egov_runtime.scope import in_scope

from egov_indicators.usecases.common import Context, Work
from egov_indicators.usecases.submissions import Incoming as Submission
from egov_indicators.usecases.submissions import handle_submissions

# who may submit, on Kafka as over HTTP (POST /v1/submissions)
SUBMITTER_ROLES = frozenset({"admin", "operator", "officer", "integration"})


def submissions_subscription(
    ctx: Context,
    window: TimeWindow,
    now: Callable[[], datetime],
    credentials: RecordCredentials,
) -> Subscription:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        batch = []
        for i in items:
            if not isinstance(i.data, c.SubmissionReceived):
                continue
            # the producer's credential decides which units it may report for
            submitter, refusal = credentials.producer(i.record.headers, SUBMITTER_ROLES)
            if refusal is not None:
                tx.refuse(i.event.id, *refusal)
                continue
            if submitter is not None and not await in_scope(tx.conn, submitter, i.data.unit_code):
                tx.refuse(
                    i.event.id,
                    "out-of-scope",
                    f"the credential of {submitter.subject} covers unit {submitter.unit_code},"
                    f" not {i.data.unit_code}",
                )
                continue
            # a submission dated beyond the window is dead-lettered with the reason
            implausible = window.refusal(i.data.submitted_at, now())
            if implausible:
                tx.refuse(i.event.id, "implausible", f"submitted_at: {implausible}")
                continue
            batch.append(Submission(i.data, i.event, "kafka", i.data.reason))
        if batch:
            await handle_submissions(Work.on(tx), ctx, batch)

    return Subscription(
        "submissions",
        (INDICATOR_SUBMISSIONS.name,),
        handle,
        frozenset({c.SubmissionReceived.event_type}),
    )
