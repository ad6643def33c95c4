"""PostgreSQL store of the HTTP event feed: the public events, exactly as received, in order.

Each event gets a ``position`` (bigserial) when the feed consumer stores its partition batch.
The batches of different partitions run in concurrent transactions, so a plain sequence could
commit position 8 before position 7 and a reader past 8 would never see 7. A transaction-level
advisory lock taken before the insert makes the feed's transactions take their positions and
commit one after another: a position, once visible, has every lower one visible too, so a
cursor never skips an event; within one partition (one subject), positions follow the topic's
offsets.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

FEED_LOCK = 7_310_104  # advisory lock id serialising the feed's inserts
CHANNEL = "egov_feed"  # NOTIFY channel: new events were stored (long polling wakes up)


@dataclass(frozen=True)
class Stored:
    event_id: str
    type: str
    subject: str
    units: list[str]
    topic: str
    partition: int
    offset: int
    published_at: datetime
    event: str  # the structured CloudEvent JSON


async def append(conn: asyncpg.Connection, events: Sequence[Stored]) -> None:
    """Store a partition batch in order (in the consumer's transaction); repeats are dropped."""
    if not events:
        return
    await conn.execute("SELECT pg_advisory_xact_lock($1)", FEED_LOCK)
    # one statement per event, in order, so positions follow the batch's order
    await conn.executemany(
        'INSERT INTO feed_events (event_id, type, subject, units, topic, partition, "offset",'
        " published_at, event) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (event_id) DO NOTHING",
        [
            (
                e.event_id,
                e.type,
                e.subject,
                e.units,
                e.topic,
                e.partition,
                e.offset,
                e.published_at,
                e.event,
            )
            for e in events
        ],
    )
    await conn.execute("SELECT pg_notify($1, '')", CHANNEL)


def _like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class Query:
    after: int
    limit: int
    types: Sequence[str] = ()  # exact types or prefixes ending in '*'; empty: all
    units: Sequence[str] | None = None  # events naming one of these; None: every event


async def page(conn: asyncpg.Connection, q: Query) -> list[asyncpg.Record]:
    """Events after position ``q.after``, in position order."""
    exact = [t for t in q.types if not t.endswith("*")]
    prefixes = [_like(t[:-1]) for t in q.types if t.endswith("*")]
    return await conn.fetch(
        "SELECT position, event FROM feed_events WHERE position > $1"
        " AND ($2::bool OR type = ANY($3::text[]) OR type LIKE ANY($4::text[]))"
        " AND ($5::text[] IS NULL OR units && $5::text[]) ORDER BY position LIMIT $6",
        q.after,
        not q.types,
        exact,
        prefixes,
        list(q.units) if q.units is not None else None,
        q.limit,
    )


async def position_at(conn: asyncpg.Connection, since: datetime) -> int:
    """The cursor that starts at the first event published at or after ``since``."""
    first = await conn.fetchval(
        "SELECT min(position) FROM feed_events WHERE published_at >= $1", since
    )
    if first is None:
        return int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM feed_events"))
    return int(first) - 1


async def pruned_through(conn: asyncpg.Connection) -> int:
    """The highest position removed by retention (a cursor below it has missed events)."""
    return int(await conn.fetchval("SELECT pruned_through FROM feed_state"))


async def prune(conn: asyncpg.Connection, before: datetime, batch: int = 10_000) -> int:
    """Remove events published before ``before``; returns how many."""
    removed = 0
    while True:
        async with conn.transaction():  # the horizon moves with the deletion, never after it
            row = await conn.fetchrow(
                "WITH gone AS (DELETE FROM feed_events WHERE position IN (SELECT position"
                " FROM feed_events WHERE published_at < $1 ORDER BY position LIMIT $2)"
                " RETURNING position) SELECT count(*) AS n, max(position) AS last FROM gone",
                before,
                batch,
            )
            if not row["n"]:
                return removed
            removed += int(row["n"])
            await conn.execute(
                "UPDATE feed_state SET pruned_through = greatest(pruned_through, $1),"
                " pruned_before = greatest(pruned_before, $2)",
                row["last"],
                before,
            )


class Signal:
    """Wakes long-polling readers when new events are stored (PostgreSQL LISTEN/NOTIFY)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def current(self) -> asyncio.Event:
        """Take this before reading; it is set by the next notification after that."""
        return self._event

    def notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()


async def listen(dsn: str, signal: Signal, stop: asyncio.Event, retry_s: float = 1.0) -> None:
    """Hold a LISTEN connection until ``stop``; reconnect when it drops. Readers also re-read
    every few seconds, so a notification lost while reconnecting costs latency, not events."""
    while not stop.is_set():
        conn: asyncpg.Connection | None = None
        try:
            conn = await asyncpg.connect(dsn)
            lost = asyncio.Event()

            def on_notify(*_: Any) -> None:
                signal.notify()

            def on_lost(*_: Any, lost: asyncio.Event = lost) -> None:
                lost.set()

            await conn.add_listener(CHANNEL, on_notify)
            conn.add_termination_listener(on_lost)
            signal.notify()  # anything stored while not listening
            waits = [asyncio.create_task(stop.wait()), asyncio.create_task(lost.wait())]
            _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
        except (OSError, asyncpg.PostgresError):
            pass
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
        if not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=retry_s)
