"""Kafka consumers: unit performance evidence from admin-procedures and indicators (each
event once, through the runtime kit's inbox)."""

from __future__ import annotations

from egov_contracts import indicators as ind
from egov_contracts import procedures as proc
from egov_contracts.topics import INDICATOR_RESULTS, RATES
from egov_runtime.consumer import Incoming, Subscription, Tx

from egov_nominations.usecases.common import Work
from egov_nominations.usecases.evidence import record_on_time_rates, record_targets


def rates_subscription() -> Subscription:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        batch = [(i.data, i.event) for i in items if isinstance(i.data, proc.OnTimeRateComputed)]
        await record_on_time_rates(Work.on(tx), batch)

    return Subscription(
        "on-time-rates", (RATES.name,), handle, frozenset({proc.OnTimeRateComputed.event_type})
    )


def targets_subscription() -> Subscription:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        batch = [(i.data, i.event) for i in items if isinstance(i.data, ind.TargetEvaluated)]
        await record_targets(Work.on(tx), batch)

    return Subscription(
        "indicator-targets",
        (INDICATOR_RESULTS.name,),
        handle,
        frozenset({ind.TargetEvaluated.event_type}),
    )
