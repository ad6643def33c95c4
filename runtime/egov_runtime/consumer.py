"""Idempotent, batch Kafka consumers with dead-lettering.

For each polled batch of a partition:

1. every record is decoded (CloudEvents structured or binary mode) and its data validated
   against the contract; a record that is not a CloudEvent, has an unknown type or violates
   its schema is a *poison* record and goes to the dead letters at once;
2. the remaining events run in ONE PostgreSQL transaction: their ids are inserted into the
   ``inbox`` (duplicates are dropped there) and the handler applies the new ones, writing its
   state and its outbound events (outbox) in the same transaction;
3. only after that commit is the partition's offset committed (auto-commit is off).

A transient failure (database or broker away) is retried with capped backoff for as long as it
lasts: the partition waits, nothing is skipped. Any other failure is retried
``max_attempts`` times; then the batch is split and each event is tried alone, so only the
events that keep failing are dead-lettered and the partition moves on. Dead letters are
published to ``egov.<service>.dead-letters`` (with the reason and the original
topic/partition/offset/key in headers) and kept in the ``dead_letters`` table for the
operator's list and replay commands.

FastStream's Kafka subscriber is not used here: its ack policies commit before or regardless
of the handler's transaction and it has no Kafka dead-lettering, which are exactly the
guarantees this loop exists for.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from egov_contracts.envelope import (
    CloudEvent,
    EnvelopeError,
    EnvelopeLimitExceeded,
    EventData,
    SchemaViolation,
    UnknownEventType,
    decode,
    model_for,
    new_event,
    parse_data,
)
from egov_contracts.topics import dead_letter_topic

from egov_runtime import faults, metrics, outbox, tracing
from egov_runtime.db import bigint_array_text, text_array_args, text_array_sql
from egov_runtime.deadletters import (
    DeadLetter,
    protected_value,
    publish_dead_letters,
    record_size,
)
from egov_runtime.errors import is_transient
from egov_runtime.logging import get_logger

log = get_logger("egov.consumer")


# The batch's events into the inbox, those already there (a redelivery) left out: NULL when
# every one was new (the common case, one value back instead of a row per event), else the ids
# that were.
_INBOX_INSERT = (
    "WITH added AS (INSERT INTO inbox"
    ' (consumer, event_id, event_type, topic, partition, "offset")'
    f" SELECT $1, e, t, tp, p, o FROM unnest({text_array_sql(6)}, {text_array_sql(8)},"
    f" {text_array_sql(2)}, string_to_array($4, ',')::integer[],"
    " string_to_array($5, ',')::bigint[]) AS u(e, t, tp, p, o) ON CONFLICT DO NOTHING"
    " RETURNING event_id)"
    " SELECT CASE WHEN count(*) = $10 THEN NULL"
    " ELSE coalesce(array_agg(event_id), '{}') END FROM added"
)


class Incoming(NamedTuple):
    """One decoded event with where it came from (a named tuple: one is made for every event
    read, at half the cost of a frozen dataclass)."""

    event: CloudEvent
    data: EventData
    record: ConsumerRecord

    @property
    def topic(self) -> str:
        return str(self.record.topic)

    @property
    def partition(self) -> int:
        return int(self.record.partition)

    @property
    def offset(self) -> int:
        return int(self.record.offset)


@dataclass
class Tx:
    """What a handler gets: the open transaction's connection and the outbox.

    A handler that refuses an event (its producer may not say it, e.g. a report for a unit its
    credential does not cover) calls :meth:`refuse`: the event changes nothing, it is dead-
    lettered with the reason once the transaction commits, and it is not remembered in the
    inbox, so a replay is judged again.
    """

    conn: asyncpg.Connection
    service: str
    source: str = ""  # the CloudEvents ``source`` of what it publishes: the service's
    refused: dict[str, tuple[str, str]] = field(default_factory=dict)

    async def emit(
        self,
        topic: str,
        events: Sequence[CloudEvent],
        headers: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        """Append ``events`` to the outbox; ``headers`` are added to each record."""
        await outbox.append(self.conn, self.service, topic, events, headers)

    def event(
        self, data: EventData, *, subject: str, source: str | None = None, **event: Any
    ) -> CloudEvent:
        """``data`` wrapped as an event (:func:`egov_contracts.envelope.new_event`; ``event``:
        its other arguments, e.g. ``sequence``, ``cause``) whose ``source`` is the transaction's
        (the service's), unless one is given."""
        source = source or self.source
        if not source:
            raise ValueError(f"no CloudEvents source for {data.event_type}: Tx.source is unset")
        return new_event(data, source=source, subject=subject, **event)

    async def publish(
        self,
        data: EventData,
        *,
        subject: str,
        headers: Sequence[tuple[str, bytes]] = (),
        **event: Any,
    ) -> CloudEvent:
        """Wrap ``data`` (:meth:`event`) and append it to the outbox on the topic its type is
        published on (``data.topic``, declared once with the contract model)."""
        wrapped = self.event(data, subject=subject, **event)
        await self.emit(data.topic, [wrapped], headers)
        return wrapped

    async def publish_all(self, events: Sequence[CloudEvent]) -> None:
        """Append events built with :meth:`event`, each on the topic its type is published on
        (one outbox write per topic, in their order)."""
        by_topic: dict[str, list[CloudEvent]] = {}
        for e in events:
            by_topic.setdefault(model_for(e.type).topic, []).append(e)
        for topic, batch in by_topic.items():
            await self.emit(topic, batch)

    def refuse(self, event_id: str, reason: str, error: str) -> None:
        self.refused[event_id] = (reason, error)


BatchHandler = Callable[[Tx, list[Incoming]], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A named consumer: its topics, the event types it handles, and its handler.

    Events of other (known) types on these topics are skipped; unknown types are poison.
    ``protect`` turns a record's value into what its dead-letter copy (topic and table) may
    carry, for topics with personal data (e.g. sealing the applicant of a status report).
    """

    name: str
    topics: tuple[str, ...]
    handler: BatchHandler
    types: frozenset[str] | None = None  # None: every known type
    protect: Callable[[bytes | None], bytes | None] | None = None


@dataclass
class _Busy:
    """A partition's batch in hand: its task (how many records it stored; ``NOT_TRIED`` when
    a batch before it was cut short), since when, and how many records the task handles (more
    than the partition's when the records of several partitions share its transaction)."""

    task: asyncio.Task[int]
    records: Sequence[ConsumerRecord]
    since: float
    handles: int = 0  # 0: its records only

    def stored(self) -> int:
        """How many of this partition's records the task stored (``NOT_TRIED``: none tried)."""
        stored = self.task.result()
        if not self.handles or stored == NOT_TRIED:
            return stored
        return len(self.records) if stored == self.handles else 0  # one transaction: all or none


NOT_TRIED = -1
# Batches of a partition in hand at once: the one being stored and the next, read and decoded
# meanwhile, whose transaction starts as soon as the first commits (instead of after a poll
# and its decoding: the wait of the events behind a batch, and the processor's idle time
# while every partition waits for the database).
_IN_HAND = 2


@dataclass
class ConsumerStats:
    batches: int = 0
    handled: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    committed: dict[tuple[str, int], int] = field(default_factory=dict)


class IdempotentConsumer:
    def __init__(
        self,
        *,
        service: str,
        subscription: Subscription,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        bootstrap_servers: str,
        batch_size: int = 500,
        poll_timeout_ms: int = 500,
        max_attempts: int = 3,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 30.0,
        fetch_max_wait_ms: int = 100,
        commit_interval_s: float = 0.1,
        max_record_bytes: int = 1_048_576,
        dead_letter_max_bytes: int = 512 * 1024,
        clock: Callable[[], float] = time.monotonic,
        client_options: Mapping[str, Any] | None = None,
        source: str = "",
    ) -> None:
        self.source = source  # of the events its handler publishes (Tx.source)
        self.clock = clock
        self.client_options = dict(client_options or {})  # the broker's TLS/SASL
        self.busy_since: float | None = None  # a batch in hand since (clock)
        self.busy_with: list[str] = []  # its partitions and first offsets
        self.restarts: deque[float] = deque(maxlen=100)  # when run() crashed (clock)
        self.last_error: str | None = None
        self.max_record_bytes = max_record_bytes
        self.dead_letter_max_bytes = dead_letter_max_bytes
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.commit_interval_s = commit_interval_s
        self.service = service
        self.sub = subscription
        self.pool = pool
        self.producer = producer
        self.bootstrap_servers = bootstrap_servers
        self.batch_size = batch_size
        self.poll_timeout_ms = poll_timeout_ms
        self.max_attempts = max_attempts
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.group_id = f"{service}.{subscription.name}"
        self.dlq_topic = dead_letter_topic(service).name
        self.stats = ConsumerStats()
        self.consumer: AIOKafkaConsumer | None = None
        self.started = asyncio.Event()

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            *self.sub.topics,
            **self.client_options,
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group_id,
            client_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.batch_size,
            fetch_max_wait_ms=self.fetch_max_wait_ms,
        )
        await self.consumer.start()
        self.started.set()

    async def stop(self) -> None:
        if self.consumer is not None:
            with contextlib.suppress(Exception):
                await self.consumer.stop()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll, process and commit until ``stop`` is set; the batches in hand are finished.

        Partitions are independent (order holds within each): a partition's batch is handled
        while the others' are polled, decoded, stored and committed, and its next batch is read
        and decoded while it is stored. No partition waits for the slowest of a round.

        The offsets of stored batches are committed while the next are processed, one commit in
        flight and at most one each ``commit_interval_s``: what is stored meanwhile goes in the
        next one (the loop never waits for the broker's answer). A commit per batch was a round
        trip to the broker for every few events at low rates, where it slowed the broker's other
        answers too; a crash re-reads at most the interval's events, which the inbox drops."""
        if self.consumer is None:
            await self.start()
        assert self.consumer is not None
        committing: asyncio.Task[None] | None = None
        uncommitted: dict[TopicPartition, int] = {}
        last_commit = -1.0e9
        busy: dict[TopicPartition, deque[_Busy]] = {}  # per partition, in offset order
        poll: asyncio.Task[dict[TopicPartition, list[ConsumerRecord]]] | None = None
        stopping = asyncio.ensure_future(stop.wait())  # one waiter for the whole run
        try:
            while not stop.is_set() or busy:
                if poll is None and not stop.is_set():
                    poll = self._poll(busy)
                # a partition's later batch ends after its first: waiting for the first suffices
                waiting: set[asyncio.Future[Any]] = {b[0].task for b in busy.values()}
                if poll is not None:
                    waiting.add(poll)
                if not stopping.done():
                    waiting.add(stopping)
                commit_in: float | None = None
                if uncommitted:
                    if committing is not None and not committing.done():
                        waiting.add(committing)  # then the offsets stored meanwhile go
                    else:
                        due = last_commit + self.commit_interval_s
                        commit_in = max(0.0, due - time.monotonic())
                await asyncio.wait(waiting, timeout=commit_in, return_when=asyncio.FIRST_COMPLETED)
                if poll is not None and poll.done():
                    self._start(poll.result(), busy, stop)
                    poll = None
                offsets = self._stored(busy)
                if poll is not None and (offsets or stop.is_set()):
                    # a partition has room again: poll it too (a poll waiting for the others'
                    # records would hold it back until the broker answers); or stopping. A
                    # poll cancelled while it waits has taken no record.
                    poll.cancel()
                    poll = None
                self._note_busy(busy)
                uncommitted.update(offsets)
                if (
                    uncommitted
                    and (committing is None or committing.done())
                    and time.monotonic() - last_commit >= self.commit_interval_s
                ):
                    committing = asyncio.create_task(self._commit(uncommitted))
                    uncommitted, last_commit = {}, time.monotonic()
        except BaseException:
            # the next owner re-reads what was not committed; the inbox drops repeats
            for pending in [poll, committing, *(b.task for c in busy.values() for b in c)]:
                if pending is not None:
                    pending.cancel()
            raise
        finally:
            stopping.cancel()
            self.busy_since = None
        if poll is not None:
            poll.cancel()
        if committing is not None:
            await committing
        if uncommitted:
            await self._commit(uncommitted)

    def _poll(
        self, busy: Mapping[TopicPartition, Sequence[_Busy]]
    ) -> asyncio.Task[dict[TopicPartition, list[ConsumerRecord]]] | None:
        """Poll the partitions that have room for a batch more (``_IN_HAND``), up to a batch
        of each (aiokafka drains its buffer one partition after another: a poll of
        ``batch_size`` records would mostly hold one); None when none has. With nothing
        assigned yet (joining the group, a rebalance) only an idle consumer polls: aiokafka's
        poll of every partition then waits for the assignment."""
        assert self.consumer is not None
        assigned = self.consumer.assignment()
        free = [tp for tp in assigned if len(busy.get(tp, ())) < _IN_HAND]
        if not free and (assigned or busy):
            return None
        return asyncio.create_task(
            self.consumer.getmany(
                *free,
                timeout_ms=self.poll_timeout_ms,
                max_records=self.batch_size * max(1, len(free)),
            )
        )

    def _start(
        self,
        batches: Mapping[TopicPartition, list[ConsumerRecord]],
        busy: dict[TopicPartition, deque[_Busy]],
        stop: asyncio.Event,
    ) -> None:
        """Start handling each polled partition's records, after its batch in hand if any.

        The records of several partitions that make one batch together (a low rate: a few
        records each) share one transaction, after the batches in hand of all of them, instead
        of a transaction (and its round trips to the database, what such a batch costs most)
        each. A batch cut short (stopping) leaves every later one untried (``NOT_TRIED``):
        nothing after it is committed."""
        assert self.consumer is not None
        ready: dict[TopicPartition, list[ConsumerRecord]] = {}
        for tp, records in batches.items():
            if not records:
                continue
            if len(busy.get(tp, ())) >= _IN_HAND:  # never polled when full; else read again
                self.consumer.seek(tp, records[0].offset)
                continue
            ready[tp] = records
        together = len(ready) > 1 and sum(map(len, ready.values())) <= self.batch_size
        groups = [ready] if together else [{tp: records} for tp, records in ready.items()]
        for group in groups:
            chains = [busy.setdefault(tp, deque()) for tp in group]
            after = [chain[-1] for chain in chains if chain]
            records = [r for part in group.values() for r in part]
            task = asyncio.create_task(self._process_records(records, stop, after))
            handles = len(records) if len(group) > 1 else 0
            now = self.clock()
            for chain, part in zip(chains, group.values(), strict=True):
                chain.append(_Busy(task, part, now, handles))

    def _stored(self, busy: dict[TopicPartition, deque[_Busy]]) -> dict[TopicPartition, int]:
        """The offsets to commit of the partitions whose first batches are done (removed from
        ``busy``); a batch that failed unexpectedly raises here (``run`` then crashes)."""
        assert self.consumer is not None
        offsets: dict[TopicPartition, int] = {}
        assigned = self.consumer.assignment()
        for tp, chain in list(busy.items()):
            while chain and chain[0].task.done():
                b = chain.popleft()
                stored = b.stored()
                if stored == NOT_TRIED:  # the batch before it was cut short and rewound
                    continue
                if stored < len(b.records) and tp in assigned:
                    # Stopping while the store is away: rewind so nothing of this batch is
                    # skipped by a later commit in this process; the next owner re-reads it.
                    self.consumer.seek(tp, b.records[stored].offset)
                if stored:
                    offsets[tp] = b.records[stored - 1].offset + 1
                    if tp in assigned:  # a partition taken away meanwhile has no lag here
                        self._lag(tp, offsets[tp])
            if not chain:
                del busy[tp]
        return offsets

    def _note_busy(self, busy: Mapping[TopicPartition, Sequence[_Busy]]) -> None:
        """What :meth:`health` reads: since when the oldest batch in hand is, and where."""
        self.busy_since = min((b.since for c in busy.values() for b in c), default=None)
        self.busy_with = [
            f"{tp.topic}[{tp.partition}]@{c[0].records[0].offset}" for tp, c in busy.items()
        ]

    def crashed(self, error: str) -> None:
        """Note that ``run`` ended with an error (it is restarted by its supervisor)."""
        self.restarts.append(self.clock())
        self.last_error = error
        self.busy_since = None

    def health(self, *, stuck_after_s: float, max_restarts: int, window_s: float) -> str | None:
        """Why this consumer does not move (None when it does): a batch in hand for longer
        than ``stuck_after_s`` (records pending on a partition, none committed), or more than
        ``max_restarts`` crashes within ``window_s``."""
        now = self.clock()
        recent = [t for t in self.restarts if now - t <= window_s]
        if len(recent) > max_restarts:
            return (
                f"looping: restarted {len(recent)} times in {window_s:.0f} s"
                f" (last error: {self.last_error})"
            )
        since = self.busy_since
        if since is not None and now - since > stuck_after_s:
            return f"stuck: no progress on {', '.join(self.busy_with)} for {now - since:.0f} s"
        return None

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        assert self.consumer is not None
        try:
            await self.consumer.commit(offsets)
        except Exception as exc:  # rebalance: the new owner re-reads; the inbox drops repeats
            log.warning("offset commit failed", error=repr(exc))
            return
        for tp, off in offsets.items():
            self.stats.committed[(tp.topic, tp.partition)] = off

    def _lag(self, tp: TopicPartition, next_offset: int) -> None:
        assert self.consumer is not None
        high = self.consumer.highwater(tp)
        if high is not None:
            metrics.CONSUMER_LAG.labels(self.service, self.sub.name, tp.topic, tp.partition).set(
                max(0, high - next_offset)
            )

    # -- one partition batch -------------------------------------------------------------

    async def _process_records(
        self,
        records: Sequence[ConsumerRecord],
        stop: asyncio.Event,
        after: Sequence[_Busy] = (),
    ) -> int:
        """Handle records (of one partition, or a batch of several's) in batches of
        ``batch_size``, in order, once their partitions' batches ``after`` are done (they are
        decoded meanwhile); returns how many were stored (all of them unless stopping while the
        store is away), ``NOT_TRIED`` if one of ``after`` was not stored whole. The first
        batch is decoded before the wait, each later one when its turn comes (decoding a whole
        poll of thousands ahead kept them all alive at once, which cost the collector more
        than the decoding)."""
        chunks = [records[i : i + self.batch_size] for i in range(0, len(records), self.batch_size)]
        decoded = self._decoded(chunks[0])
        for earlier in after:
            if not await _stored_whole(earlier):
                return NOT_TRIED
        stored = 0
        for k, chunk in enumerate(chunks):
            good, dead, count = decoded if k == 0 else self._decoded(chunk)
            if not await self._process(good, dead, stop):
                break
            stored += count
        return stored

    def _decoded(
        self, records: Sequence[ConsumerRecord]
    ) -> tuple[list[Incoming], list[DeadLetter], int]:
        """A batch's records as the events to handle and the dead letters, and their count."""
        good: list[Incoming] = []
        dead: list[DeadLetter] = []
        for rec in records:
            item = self._decode(rec, dead)
            if item is not None and (self.sub.types is None or item.event.type in self.sub.types):
                good.append(item)
        return good, dead, len(records)

    async def _process(
        self, good: list[Incoming], dead: list[DeadLetter], stop: asyncio.Event
    ) -> bool:
        """Handle a decoded batch; False if stopping before it could be stored."""
        self.stats.batches += 1
        if good:
            failed = await self._run_handler(good, stop)
            if failed is None:
                return False
            dead.extend(failed)
        if dead:
            return await self._dead_letter(dead, stop)
        return True

    def _decode(self, rec: ConsumerRecord, dead: list[DeadLetter]) -> Incoming | None:
        """The record as an event, or None with its dead letter: the one place where any byte
        sequence is sorted into handled or dead-lettered (nothing escapes to restart the loop).
        """
        size = record_size(rec)
        if size > self.max_record_bytes:
            dead.append(
                DeadLetter(rec, "too-large", f"{size} bytes > {self.max_record_bytes} bytes")
            )
            return None
        event: CloudEvent | None = None
        try:
            event = decode(rec.value, rec.headers or ())
            data = parse_data(event)
        except EnvelopeLimitExceeded as exc:
            dead.append(DeadLetter(rec, "limit-exceeded", str(exc)))
            return None
        except EnvelopeError as exc:
            dead.append(DeadLetter(rec, "not-a-cloudevent", str(exc)))
            return None
        except UnknownEventType as exc:
            dead.append(DeadLetter(rec, "unknown-type", str(exc), event))
            return None
        except SchemaViolation as exc:
            dead.append(DeadLetter(rec, "schema-violation", str(exc), event))
            return None
        except Exception as exc:  # RecursionError, ValueError, ...: whatever a parser raises
            dead.append(DeadLetter(rec, "undecodable", f"{type(exc).__name__}: {exc}", event))
            return None
        return Incoming(event, data, rec)

    async def _run_handler(
        self, items: list[Incoming], stop: asyncio.Event
    ) -> list[DeadLetter] | None:
        """Apply ``items`` in one transaction; returns the dead letters, None if stopping."""
        attempt = 0
        delay = self.backoff_initial_s
        while True:
            try:
                # tracing on: one span per attempt, in the first event's trace (nothing when off)
                with tracing.consuming(self.service, self.sub.name, _trace_contexts(items)):
                    return await self._transaction(items)
            except Exception as exc:
                transient = is_transient(exc)
                metrics.EVENTS_FAILED.labels(
                    self.service, self.sub.name, "transient" if transient else "handler"
                ).inc()
                if transient:
                    log.warning("store unavailable, retrying batch", error=repr(exc))
                else:
                    attempt += 1
                    log.warning(
                        "handler failed",
                        attempt=attempt,
                        size=len(items),
                        error=repr(exc),
                        event_id=items[0].event.id if len(items) == 1 else None,
                    )
                    if attempt >= self.max_attempts:
                        if len(items) == 1:
                            it = items[0]
                            return [DeadLetter(it.record, "handler-failed", repr(exc), it.event)]
                        return await self._one_by_one(items, stop)
            if stop.is_set():
                return None
            await _sleep(stop, delay)
            delay = min(delay * 2, self.backoff_max_s)

    async def _one_by_one(
        self, items: list[Incoming], stop: asyncio.Event
    ) -> list[DeadLetter] | None:
        dead: list[DeadLetter] = []
        for item in items:
            result = await self._run_handler([item], stop)
            if result is None:
                return None
            dead.extend(result)
        return dead

    async def _transaction(self, items: list[Incoming]) -> list[DeadLetter]:
        """Apply ``items`` in one transaction; returns the events the handler refused."""
        started = time.perf_counter()
        tx: Tx | None = None
        unique: dict[str, Incoming] = {}  # a record read twice in one batch counts once
        ids, types, topics, partitions, offsets = [], [], [], [], []
        for it in items:
            event, record = it.event, it.record
            if event.id not in unique:
                unique[event.id] = it
                ids.append(event.id)
                types.append(event.type)
                topics.append(record.topic)
                partitions.append(record.partition)
                offsets.append(record.offset)
        async with self.pool.acquire() as conn, conn.transaction():
            fresh_ids = await conn.fetchval(
                _INBOX_INSERT,
                self.sub.name,
                *text_array_args(topics),
                bigint_array_text(partitions),
                bigint_array_text(offsets),
                *text_array_args(ids),
                *text_array_args(types),
                len(ids),
            )
            if fresh_ids is None:  # the common case: every event is new
                fresh = list(unique.values())
            else:
                fresh_set = set(fresh_ids)
                fresh = [i for i in unique.values() if i.event.id in fresh_set]
            if fresh:
                token = structlog.contextvars.bind_contextvars(
                    consumer=self.sub.name,
                    topic=fresh[0].topic,
                    partition=fresh[0].partition,
                    offset=fresh[0].offset,
                    event_id=fresh[0].event.id,
                    correlation_id=fresh[0].event.correlationid,
                )
                tx = Tx(conn, self.service, self.source)
                try:
                    await self.sub.handler(tx, fresh)
                finally:
                    structlog.contextvars.reset_contextvars(**token)
                if tx.refused:
                    await conn.execute(
                        "DELETE FROM inbox WHERE consumer = $1 AND event_id = ANY($2::text[])",
                        self.sub.name,
                        list(tx.refused),
                    )
            faults.point("consumer.before-db-commit")
        faults.point("consumer.after-db-commit")
        duplicates = len(items) - len(fresh)
        self.stats.handled += len(fresh)
        self.stats.duplicates += duplicates
        if duplicates:
            metrics.EVENTS_DUPLICATE.labels(self.service, self.sub.name).inc(duplicates)
        consumed = Counter(types) if fresh_ids is None else Counter(i.event.type for i in fresh)
        for event_type, count in consumed.items():
            metrics.EVENTS_CONSUMED.labels(self.service, self.sub.name, event_type).inc(count)
        metrics.HANDLER_SECONDS.labels(self.service, self.sub.name).observe(
            time.perf_counter() - started
        )
        if tx is None or not tx.refused:
            return []
        return [
            DeadLetter(it.record, *tx.refused[it.event.id], it.event)
            for it in fresh
            if it.event.id in tx.refused
        ]

    async def _dead_letter(self, dead: list[DeadLetter], stop: asyncio.Event) -> bool:
        delay = self.backoff_initial_s
        if self.sub.protect is not None:
            protect = self.sub.protect
            dead = [
                dataclasses.replace(
                    d, record=dataclasses.replace(d.record, value=protected_value(protect, d))
                )
                for d in dead
            ]
        while True:
            try:
                await publish_dead_letters(
                    self.producer,
                    self.pool,
                    self.service,
                    self.sub.name,
                    self.dlq_topic,
                    dead,
                    max_bytes=self.dead_letter_max_bytes,
                )
                break
            except Exception as exc:  # broker or database away: the partition waits for them
                log.warning("dead-lettering failed, retrying", error=repr(exc))
                if stop.is_set():
                    return False
                await _sleep(stop, delay)
                delay = min(delay * 2, self.backoff_max_s)
        self.stats.dead_lettered += len(dead)
        for d in dead:
            metrics.DEAD_LETTERS.labels(self.service, self.sub.name, d.reason).inc()
            log.error(
                "record dead-lettered",
                reason=d.reason,
                error=d.error[:500],
                topic=d.record.topic,
                partition=d.record.partition,
                offset=d.record.offset,
                event_id=d.event.id if d.event else None,
            )
        return True


async def _stored_whole(batch: _Busy) -> bool:
    """Wait for a partition's earlier batch; whether it stored all its records (not when it
    was cut short, not tried, failed or cancelled: its own task reports that)."""
    await asyncio.wait([batch.task])
    task = batch.task
    return (
        not task.cancelled()
        and task.exception() is None
        and task.result() == (batch.handles or len(batch.records))
    )


def _trace_contexts(
    items: Sequence[Incoming],
) -> Iterator[tuple[str | None, str | None, Sequence[tuple[str, bytes | None]]]]:
    """The events' trace contexts, read only when tracing is on (a generator)."""
    return ((i.event.traceparent, i.event.tracestate, i.record.headers or ()) for i in items)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
