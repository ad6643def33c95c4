"""A sample service used by the crash drills and the benchmark.

Each input event is recorded in ``sample_effects`` (deliberately without a unique key, so a
duplicate effect would be seen, not hidden by a constraint) and copied to an output topic
through the outbox; a second consumer reads the output topic and records
``sample_downstream``. ``python -m egov_devkit.sample worker ...`` runs both in one process.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

import asyncpg
from aiokafka import AIOKafkaProducer
from egov_contracts.envelope import EventData, new_event, register
from egov_runtime.collector import tune_collector
from egov_runtime.consumer import BatchHandler, IdempotentConsumer, Incoming, Subscription, Tx
from egov_runtime.db import Migration, all_migrations, create_pool, migrate
from egov_runtime.kafka import make_producer
from egov_runtime.logging import configure_logging
from egov_runtime.outbox import OutboxRelay
from egov_runtime.settings import ServiceSettings

SERVICE = "sample"
# The services' consumer batch (``consumer_batch_size``): the drills and the benchmark measure
# what a service runs (the benchmark's pipeline used 1,000, which handled ~5 % fewer events a
# second than 500 on its 2-core machine)
BATCH_SIZE: int = ServiceSettings.model_fields["consumer_batch_size"].default


@register
class SampleRecorded(EventData):
    """The sample service's event: shaped like a dossier status report (~350 bytes on the wire)."""

    event_type = "vn.egov.sample.item.recorded.v1"
    topic = "egov.sample.items"

    item_code: str
    unit_code: str
    status: str
    occurred_at: str
    note: str = ""


def sample_data(i: int) -> SampleRecorded:
    return SampleRecorded(
        item_code=f"000.00.38.H12-261123-{i:07d}",
        unit_code="38.T01",
        status="received",
        occurred_at="2026-11-23T09:00:00+07:00",
        note="Hồ sơ mẫu",
    )


SCHEMA = Migration(
    "sample",
    "0001",
    "effects",
    """
    CREATE TABLE sample_effects (event_id text NOT NULL, subject text NOT NULL,
                                 at timestamptz NOT NULL DEFAULT clock_timestamp());
    CREATE TABLE sample_downstream (event_id text NOT NULL, causation_id text,
                                    at timestamptz NOT NULL DEFAULT clock_timestamp());
    """,
)


async def prepare_database(dsn: str) -> None:
    await migrate(dsn, [*all_migrations(None), SCHEMA])


def copy_handler(out_topic: str) -> BatchHandler:
    async def handle(tx: Tx, items: list[Incoming]) -> None:
        await tx.conn.execute(
            "INSERT INTO sample_effects (event_id, subject) SELECT * FROM unnest($1::text[],"
            " $2::text[])",
            [i.event.id for i in items],
            [i.event.subject for i in items],
        )
        await tx.emit(
            out_topic,
            [
                new_event(
                    i.data, source=f"/vn/00/{SERVICE}", subject=i.event.subject, cause=i.event
                )
                for i in items
            ],
        )

    return handle


async def downstream_handler(tx: Tx, items: list[Incoming]) -> None:
    await tx.conn.executemany(
        "INSERT INTO sample_downstream (event_id, causation_id) VALUES ($1, $2)",
        [(i.event.id, i.event.causationid) for i in items],
    )


async def effect_counts(conn: asyncpg.Connection) -> dict[str, int]:
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM sample_effects) AS effects,"
        " (SELECT count(DISTINCT event_id) FROM sample_effects) AS distinct_effects,"
        " (SELECT count(*) FROM sample_downstream) AS downstream,"
        " (SELECT count(DISTINCT causation_id) FROM sample_downstream) AS distinct_downstream,"
        " (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS backlog,"
        " (SELECT count(*) FROM dead_letters) AS dead_letters"
    )
    return dict(row)


def service_producer(bootstrap: str) -> AIOKafkaProducer:
    """The producer the services use (:func:`egov_runtime.kafka.make_producer`: acks=all,
    1 MiB batches, the linger and idempotence of the settings), so the drills and the
    benchmark measure what runs in production, not a producer of their own."""
    settings = ServiceSettings(profile="local", kafka_bootstrap_servers=bootstrap)
    return make_producer(settings, client_id=SERVICE)


async def run_relay(dsn: str, bootstrap: str, stop: asyncio.Event) -> None:
    """Only the outbox relay (a process of its own: it elects a leader by advisory lock)."""
    producer = service_producer(bootstrap)
    await producer.start()
    try:
        relay = OutboxRelay(
            service=SERVICE, dsn=dsn, producer=producer, poll_interval_s=0.2, standby_interval_s=0.5
        )
        await relay.run(stop)
    finally:
        await producer.stop()


async def run_worker(
    dsn: str,
    bootstrap: str,
    in_topic: str,
    out_topic: str,
    *,
    batch_size: int = BATCH_SIZE,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    downstream: bool = True,
    relay: bool = True,
    fetch_max_wait_ms: int = 100,
) -> None:
    """The sample's consumers (and, with ``relay``, its outbox relay) in this process."""
    stop = stop or asyncio.Event()
    pool = await create_pool(dsn, min_size=2, max_size=6)
    producer = service_producer(bootstrap)
    await producer.start()
    consumers = [
        IdempotentConsumer(
            service=SERVICE,
            pool=pool,
            producer=producer,
            bootstrap_servers=bootstrap,
            subscription=Subscription("copy", (in_topic,), copy_handler(out_topic)),
            batch_size=batch_size,
            fetch_max_wait_ms=fetch_max_wait_ms,
            backoff_initial_s=0.05,
            backoff_max_s=1.0,
        ),
        IdempotentConsumer(
            service=SERVICE,
            pool=pool,
            producer=producer,
            bootstrap_servers=bootstrap,
            subscription=Subscription("downstream", (out_topic,), downstream_handler),
            batch_size=batch_size,
            fetch_max_wait_ms=fetch_max_wait_ms,
            backoff_initial_s=0.05,
            backoff_max_s=1.0,
        ),
    ][: 2 if downstream else 1]
    relays = [
        OutboxRelay(
            service=SERVICE, dsn=dsn, producer=producer, poll_interval_s=0.2, standby_interval_s=0.5
        )
    ][: 1 if relay else 0]
    try:
        await asyncio.gather(*(c.start() for c in consumers))
        if ready is not None:
            ready.set()
        await asyncio.gather(*(r.run(stop) for r in relays), *(c.run(stop) for c in consumers))
    finally:
        for c in consumers:
            await c.stop()
        await producer.stop()
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["worker", "relay"])
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--in-topic")
    parser.add_argument("--out-topic")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--fetch-wait-ms", type=int, default=100, help="the consumers' fetch wait")
    parser.add_argument(
        "--no-downstream", action="store_true", help="only the copy stage (for the benchmark)"
    )
    args = parser.parse_args()
    configure_logging(SERVICE, "WARNING")
    tune_collector()  # as `serve` does for a service: its code is loaded

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if args.command == "relay":
            await run_relay(args.dsn, args.bootstrap, stop)
            return
        if not (args.in_topic and args.out_topic):
            parser.error("worker needs --in-topic and --out-topic")
        await run_worker(
            args.dsn,
            args.bootstrap,
            args.in_topic,
            args.out_topic,
            stop=stop,
            batch_size=args.batch_size,
            downstream=not args.no_downstream,
            fetch_max_wait_ms=args.fetch_wait_ms,
        )

    asyncio.run(_main())


if __name__ == "__main__":
    main()
