"""The notifier consumes the events it may have rules for."""

from __future__ import annotations

from egov_contracts.topics import DOSSIERS, INDICATOR_RESULTS, NOMINATION_EVENTS, RATES
from egov_runtime.consumer import Incoming, Subscription, Tx

from egov_notifier.usecases import Context, decide


def events_subscription(ctx: Context) -> Subscription:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        await decide(tx, ctx, [i.event for i in items])

    topics = (DOSSIERS.name, RATES.name, INDICATOR_RESULTS.name, NOMINATION_EVENTS.name)
    return Subscription("events", topics, handle)
