"""What the notifier's use cases run in: their context (policy, senders, clock…) and a
:class:`Work`, the transaction with the repositories on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from egov_runtime.consumer import Tx
from egov_runtime.service import Runtime, utc_now

from egov_notifier.adapters import inbox, store
from egov_notifier.adapters import subscriptions as subs
from egov_notifier.adapters.channels import Sender
from egov_notifier.domain.delivery import RetryPolicy
from egov_notifier.domain.repositories import (
    Deliveries,
    Directory,
    Endpoints,
    Subscriptions,
)
from egov_notifier.domain.repositories import Inbox as InboxItems
from egov_notifier.domain.throttle import DigestSchedule, Throttle


@dataclass
class Context:
    source: str
    policy: RetryPolicy
    clock: Callable[[], datetime] = utc_now  # the runtime's (``rt.now``; tests set it)
    senders: dict[str, Sender] = field(default_factory=dict)
    lease: timedelta = timedelta(seconds=60)
    throttle: Throttle = field(default_factory=Throttle)
    digest: DigestSchedule = field(default_factory=DigestSchedule)


@dataclass
class Work:
    """What a use case runs in: the transaction (``publish``) and the repositories on it.
    :meth:`on` builds it on PostgreSQL; tests build it of fakes."""

    tx: Tx
    deliveries: Deliveries
    directory: Directory
    endpoints: Endpoints
    inbox: InboxItems
    subscriptions: Subscriptions

    @classmethod
    def on(cls, tx: Tx) -> Work:
        return cls(
            tx,
            store.PgDeliveries(tx.conn),
            store.PgDirectory(tx.conn),
            subs.PgEndpoints(tx.conn),
            inbox.PgInbox(tx.conn),
            subs.PgSubscriptions(tx.conn),
        )


# Opens a transaction and yields the Work on it (``Runtime.transaction`` + ``Work.on``).
Begin = Callable[[], AbstractAsyncContextManager[Work]]


def begin_on(rt: Runtime) -> Begin:
    @asynccontextmanager
    async def begin() -> AsyncIterator[Work]:
        async with rt.transaction() as tx:
            yield Work.on(tx)

    return begin
