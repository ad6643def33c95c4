"""Kafka consumers: status reports from one-door systems, and the admin-unit hierarchy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from egov_contracts import procedures as c
from egov_contracts.personal_data import SealError
from egov_contracts.topics import STATUS_REPORTS
from egov_runtime.auth import RecordCredentials
from egov_runtime.consumer import Incoming, Subscription, Tx
from egov_runtime.edge import TimeWindow

from egov_procedures.entrypoints.sealing import dead_letter_protector, opened
from egov_procedures.usecases import Context, Reported, Work, record_status_reports

# who may report a status, on Kafka as over HTTP (POST /v1/status-reports)
REPORTER_ROLES = frozenset({"admin", "operator", "officer", "integration"})


def status_reports_subscription(
    ctx: Context,
    credentials: RecordCredentials,
    window: TimeWindow,
    now: Callable[[], datetime],
) -> Subscription:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        batch: list[Reported] = []
        for i in items:
            if not isinstance(i.data, c.StatusReported):
                continue
            # a report dated beyond the window is dead-lettered with the reason, not applied
            implausible = window.refusal(i.data.occurred_at, now())
            if implausible:
                tx.refuse(i.event.id, "implausible", f"occurred_at: {implausible}")
                continue
            reporter, refusal = credentials.producer(i.record.headers, REPORTER_ROLES)
            if refusal is not None:
                tx.refuse(i.event.id, *refusal)
                continue
            try:
                data = opened(i.data, ctx.personal_data_key)
            except SealError as exc:
                tx.refuse(i.event.id, "unreadable-personal-data", str(exc))
                continue
            batch.append((data, i.event, reporter))
        await record_status_reports(Work.on(tx), ctx, batch)

    return Subscription(
        "status-reports",
        (STATUS_REPORTS.name,),
        handle,
        frozenset({c.StatusReported.event_type}),
        protect=dead_letter_protector(ctx.personal_data_key),
    )
