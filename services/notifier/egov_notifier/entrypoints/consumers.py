"""The notifier consumes the events it may have rules for, and keeps the public events for the
HTTP feed (its own consumer group: the feed never waits for notifications being decided)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from egov_contracts.topics import (
    DOSSIERS,
    INDICATOR_RESULTS,
    NOMINATION_EVENTS,
    NOTIFICATION_DELIVERIES,
    RATES,
)
from egov_runtime.consumer import Incoming, Subscription, Tx

from egov_notifier.usecases import Context, Work, decide, record_feed

# The topics whose events rules and webhook subscriptions act on.
EVENT_TOPICS = (DOSSIERS.name, RATES.name, INDICATOR_RESULTS.name, NOMINATION_EVENTS.name)


def events_subscription(ctx: Context) -> Subscription:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        await decide(Work.on(tx), ctx, [i.event for i in items], now=ctx.clock())

    return Subscription("events", EVENT_TOPICS, handle)


# The public topics other systems may read, served over HTTP by GET /v1/feed.
FEED_TOPICS = (
    DOSSIERS.name,
    RATES.name,
    INDICATOR_RESULTS.name,
    NOMINATION_EVENTS.name,
    NOTIFICATION_DELIVERIES.name,
)


def feed_subscription(clock: Callable[[], datetime]) -> Subscription:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        await record_feed(tx, items, clock())

    return Subscription("feed", FEED_TOPICS, handle)
