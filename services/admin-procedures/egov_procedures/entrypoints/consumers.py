"""Kafka consumers: status reports from one-door systems, and the admin-unit hierarchy."""

from __future__ import annotations

from egov_contracts import procedures as c
from egov_contracts.topics import STATUS_REPORTS
from egov_runtime.consumer import Incoming, Subscription, Tx

from egov_procedures.usecases import Context, record_status_reports


def status_reports_subscription(ctx: Context) -> Subscription:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        batch = [(i.data, i.event) for i in items if isinstance(i.data, c.StatusReported)]
        await record_status_reports(tx, ctx, batch)

    return Subscription(
        "status-reports",
        (STATUS_REPORTS.name,),
        handle,
        frozenset({c.StatusReported.event_type}),
    )
