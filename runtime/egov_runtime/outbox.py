"""Transactional outbox and its relay.

A use case calls :func:`append` inside the transaction that changes its state, so the events
exist if and only if the state change committed. :class:`OutboxRelay` publishes pending rows
(``published_at IS NULL``, never a high-water mark: a transaction that commits late is still
picked up) in ``seq`` order, keyed by subject, waits for the broker's acknowledgements and only
then deletes the rows: the topic keeps what was published, and nothing reads a published row
(marking it instead, an ``UPDATE`` that writes a new version of the row and of its index
entries, cost the database seven times the ``DELETE``). Rows an earlier release marked
published (``published_at`` set) are pruned after the retention. One relay per service is
active: the leader holds a session advisory lock on its own connection; the others stand by
and take over when that connection dies. The leader is woken by LISTEN/NOTIFY and also polls,
in case a notification is lost.

Per-key order: producers of the same aggregate serialise on the aggregate's row lock, so their
outbox ``seq`` follows commit order; the relay sends in ``seq`` order and aiokafka keeps one
request in flight per partition. A crash between publish and mark publishes the batch again:
delivery is at-least-once and consumers drop duplicates by event id (the inbox).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from egov_contracts.envelope import CloudEvent, to_json
from egov_contracts.envelope import record_headers as envelope_headers

from egov_runtime import faults, metrics, tracing
from egov_runtime.db import bigint_array_text, connect, text_array_args, text_array_sql
from egov_runtime.errors import is_transient
from egov_runtime.logging import get_logger

log = get_logger("egov.outbox")


def notify_channel(service: str) -> str:
    return "outbox_" + service.replace("-", "_")


def relay_lock_id(service: str) -> int:
    """A stable advisory-lock id per service (PostgreSQL bigint)."""
    return 7_310_100 + sum(ord(c) * (i + 1) for i, c in enumerate(service)) % 100_000


async def append(
    conn: asyncpg.Connection,
    service: str,
    topic: str,
    events: Sequence[CloudEvent],
    extra_headers: Sequence[tuple[str, bytes]] = (),
) -> None:
    """Insert events into the outbox in the caller's transaction (key = subject);
    ``extra_headers`` (text values, e.g. a record credential) go on every record."""
    if not events:
        return
    # One statement and one round trip for the whole batch, the relay's wake-up included: a
    # notification is delivered at commit, so the relay wakes for committed rows. Text columns
    # go as one joined text each (see egov_runtime.db.text_array_args). The standard headers
    # are not stored: the relay writes them from the event's type and id.
    await conn.execute(
        _APPEND,
        topic,
        notify_channel(service),
        [to_json(ev) for ev in events],
        orjson.dumps([[k, v.decode()] for k, v in extra_headers]).decode(),
        *text_array_args([ev.id for ev in events]),
        *text_array_args([ev.subject for ev in events]),
        *text_array_args([ev.type for ev in events]),
        *text_array_args([ev.traceparent for ev in events]),  # the relay sends in its trace
        *text_array_args([ev.tracestate for ev in events]),
    )


_APPEND = (
    "WITH added AS (INSERT INTO outbox"
    " (event_id, topic, key, value, headers, event_type, traceparent, tracestate)"
    " SELECT e, $1, k, v, $4::text::jsonb, ty, tp, ts FROM unnest("
    f"{text_array_sql(5)}, {text_array_sql(7)}, $3::bytea[], {text_array_sql(9)},"
    f" {text_array_sql(11)}, {text_array_sql(13)}) AS t(e, k, v, ty, tp, ts))"
    " SELECT pg_notify($2, '')"
)


# headers as text, parsed with orjson: the connection's jsonb codec (json.loads) on every row
# showed in the relay's profile
_PENDING = (
    "SELECT seq, topic, key, value, event_id, event_type, headers::text AS headers{}"
    " FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1"
)
_PENDING_TRACED = _PENDING.format(", traceparent, tracestate")
_PENDING = _PENDING.format("")


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        dsn: str,
        producer: AIOKafkaProducer,
        batch_size: int = 1000,
        poll_interval_s: float = 1.0,
        standby_interval_s: float = 2.0,
        retention: timedelta = timedelta(hours=72),
    ) -> None:
        self.service = service
        self.dsn = dsn
        self.producer = producer
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.standby_interval_s = standby_interval_s
        self.retention = retention
        self.is_leader = False
        self.published = 0
        self._last_prune = 0.0
        self._last_gauges = -1.0e9

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                await self._lead(stop)
                backoff = 0.5
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("outbox relay failed", error=str(exc))
                else:
                    log.warning("outbox relay interrupted", error=repr(exc))
                await _wait(stop, backoff)
                backoff = min(backoff * 2, 30.0)

    async def _lead(self, stop: asyncio.Event) -> None:
        conn = await connect(self.dsn)
        wake = asyncio.Event()
        stopping = asyncio.ensure_future(stop.wait())
        try:
            if not await conn.fetchval(
                "SELECT pg_try_advisory_lock($1)", relay_lock_id(self.service)
            ):
                await _wait(stop, self.standby_interval_s)
                return
            self.is_leader = True
            metrics.RELAY_LEADER.labels(self.service).set(1)
            log.info("outbox relay is the leader")
            await conn.add_listener(notify_channel(self.service), lambda *_: wake.set())
            # stopping wakes the relay too: the wait between batches is on ``wake`` alone (no
            # waiter task made for each wait, a cost at every commit's notification)
            stopping.add_done_callback(lambda _: wake.set())
            while not stop.is_set():
                wake.clear()
                sent = await self.publish_batch(conn)
                if sent >= self.batch_size:
                    continue
                await self._housekeeping(conn)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval_s):
                        await wake.wait()
        finally:
            stopping.cancel()
            self.is_leader = False
            metrics.RELAY_LEADER.labels(self.service).set(0)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=5)
            if not conn.is_closed():
                conn.terminate()

    async def publish_batch(self, conn: asyncpg.Connection) -> int:
        traced = tracing.any_active()  # the rows' trace contexts are read only to send in them
        rows = await conn.fetch(_PENDING_TRACED if traced else _PENDING, self.batch_size)
        if not rows:
            return 0
        if traced:
            futures = await self._send_each(rows)
        else:
            futures = await self._send_batched(rows)
        await asyncio.gather(*futures)  # the broker acknowledged every record (acks=all)
        faults.point("relay.after-publish")
        await conn.execute(
            "DELETE FROM outbox WHERE seq = ANY(string_to_array($1, ',')::bigint[])",
            bigint_array_text([r["seq"] for r in rows]),
        )
        self.published += len(rows)
        for topic, count in Counter(r["topic"] for r in rows).items():
            metrics.EVENTS_PRODUCED.labels(self.service, topic).inc(count)
        return len(rows)

    async def _send_batched(self, rows: Sequence[asyncpg.Record]) -> list[asyncio.Future[Any]]:
        """The rows as one record batch per partition (aiokafka's ``create_batch`` and
        ``send_batch``): the records are appended by aiokafka's compiled batch builder, where
        ``send`` costs a future, a partitioner call and an accumulator lookup per record (the
        relay's largest cost in the profile). Partitions are chosen as ``send`` chooses them
        (the default partitioner, murmur2 of the key), so a key keeps its partition and its
        records keep ``seq`` order; a full batch is sent and a new one started."""
        futures: list[asyncio.Future[Any]] = []
        builders: dict[tuple[str, int], Any] = {}
        partitions: dict[str, tuple[int, ...]] = {}
        for r in rows:
            topic = r["topic"]
            if topic not in partitions:
                partitions[topic] = tuple(sorted(await self.producer.partitions_for(topic)))
            key = r["key"].encode()
            tp = (topic, partition_of(key, partitions[topic]))
            headers = record_headers(r)
            builder = builders.get(tp)
            if builder is None:
                builder = builders[tp] = self.producer.create_batch()
            if builder.append(key=key, value=r["value"], timestamp=None, headers=headers) is None:
                futures.append(await self._send(builder, tp))
                builder = builders[tp] = self.producer.create_batch()
                # an empty batch takes any record (one beyond the request size is refused by
                # the broker, as it would be from send)
                builder.append(key=key, value=r["value"], timestamp=None, headers=headers)
        for tp, builder in builders.items():
            futures.append(await self._send(builder, tp))
        return futures

    async def _send(self, builder: Any, tp: tuple[str, int]) -> asyncio.Future[Any]:
        # closed: complete as it is, so the producer sends it at once (an open batch waits the
        # producer's linger for more records, which only ``send`` would add)
        builder.close()
        return await self.producer.send_batch(builder, tp[0], partition=tp[1])

    async def _send_each(self, rows: Sequence[asyncpg.Record]) -> list[asyncio.Future[Any]]:
        """The rows one ``send`` each, inside each event's trace (tracing on: the send span and
        the record's ``traceparent`` header are the event's children)."""
        futures = []
        for r in rows:
            headers = record_headers(r)
            with tracing.continued(r["traceparent"], r["tracestate"]):
                futures.append(
                    await self.producer.send(
                        r["topic"], value=r["value"], key=r["key"].encode(), headers=headers
                    )
                )
        return futures

    async def _housekeeping(self, conn: asyncpg.Connection) -> None:
        """The backlog gauges and the pruning of old rows, at most once a second: not a query
        between every batch and the next, where it would delay the events waiting."""
        now = time.monotonic()
        if now - self._last_gauges < 1.0:
            return
        self._last_gauges = now
        row = await conn.fetchrow(
            "SELECT count(*) AS n, extract(epoch FROM now() - min(created_at)) AS age"
            " FROM outbox WHERE published_at IS NULL"
        )
        metrics.OUTBOX_BACKLOG.labels(self.service).set(row["n"])
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(float(row["age"] or 0))
        if now - self._last_prune > 60:  # rows an earlier release marked published
            self._last_prune = now
            await conn.execute(
                "DELETE FROM outbox WHERE published_at < now() - $1::interval", self.retention
            )


def record_headers(row: asyncpg.Record) -> list[tuple[str, bytes]]:
    """An outbox row's headers as a Kafka record carries them: the event's standard headers
    (:func:`egov_contracts.envelope.record_headers`) and those its producer added (stored as
    text pairs); a row an earlier release wrote (no ``event_type``) stored them all."""
    event_type = row["event_type"]
    if event_type is None:
        return [(k, v.encode()) for k, v in orjson.loads(row["headers"])]
    headers = envelope_headers(event_type, row["event_id"])
    added = row["headers"]
    if added != "[]":
        headers.extend(_added_headers(added))
    return headers


@functools.lru_cache(maxsize=256)
def _added_headers(text: str) -> tuple[tuple[str, bytes], ...]:
    """The headers a producer added to every record of a batch (a credential): one stored text
    for all of them, parsed once."""
    return tuple((k, v.encode()) for k, v in orjson.loads(text))


@functools.lru_cache(maxsize=65_536)
def partition_of(key: bytes, partitions: tuple[int, ...]) -> int:
    """The partition aiokafka's ``send`` (and the Java client) gives ``key``: murmur2 of the
    key over the sorted partitions. Remembered per key: aiokafka's murmur2 is pure Python and
    an aggregate's events share their key."""
    return int(_PARTITIONER(key, partitions, partitions))


_PARTITIONER = DefaultPartitioner()


async def backlog(conn: asyncpg.Connection) -> int:
    n: int = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    return n


async def _wait(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
