"""The runtime kit's delivery guarantees against a real Kafka-protocol broker and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from egov_contracts.envelope import decode, encode, new_event
from egov_devkit.sample import SERVICE, copy_handler, effect_counts, prepare_database
from egov_devkit.testing.fixtures import wait_for
from egov_runtime.consumer import IdempotentConsumer, Incoming, Subscription, Tx
from egov_runtime.db import create_pool
from egov_runtime.deadletters import list_dead_letters, replay
from egov_runtime.outbox import OutboxRelay, append

pytestmark = pytest.mark.integration


async def read_all(bootstrap: str, topic: str, expected: int, timeout: float = 20) -> list:
    """Records of ``topic`` from the beginning until ``expected`` have arrived."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"reader-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list = []
    try:
        async with asyncio.timeout(timeout):
            while len(records) < expected:
                batch = await consumer.getmany(timeout_ms=200)
                for recs in batch.values():
                    records.extend(recs)
    finally:
        await consumer.stop()
    return records


@pytest.fixture
async def db(database_dsn: str):
    await prepare_database(database_dsn)
    pool = await create_pool(database_dsn, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def producer(kafka_bootstrap: str):
    p = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await p.start()
    yield p
    await p.stop()


async def test_relay_publishes_committed_rows_only_in_order_per_key(
    db, producer, kafka_bootstrap, database_dsn, make_topic, sample_data
):
    topic = await make_topic("relay", partitions=3)
    events = [
        new_event(sample_data(i), source="/vn/00/sample", subject=f"K{i % 4}", sequence=i)
        for i in range(40)
    ]
    async with db.acquire() as conn:
        async with conn.transaction():
            await append(conn, SERVICE, topic, events[:20])
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await append(
                    conn,
                    SERVICE,
                    topic,
                    [new_event(sample_data(99), source="/x", subject="ROLLED-BACK")],
                )
                raise RuntimeError("rollback")
        async with conn.transaction():
            await append(conn, SERVICE, topic, events[20:])
    stop = asyncio.Event()
    relay = OutboxRelay(service=SERVICE, dsn=database_dsn, producer=producer, poll_interval_s=0.1)
    task = asyncio.create_task(relay.run(stop))
    records = await read_all(kafka_bootstrap, topic, 40)
    stop.set()
    await task
    got = [decode(r.value, r.headers) for r in records]
    assert {e.id for e in got} == {e.id for e in events}
    assert all(e.subject != "ROLLED-BACK" for e in got)
    for key in ("K0", "K1", "K2", "K3"):
        seqs = [int(e.sequence or 0) for e in got if e.subject == key]
        assert seqs == sorted(seqs), key
    assert all(r.key.decode() == decode(r.value, r.headers).subject for r in records)
    async with db.acquire() as conn:  # the relay deleted what the broker acknowledged
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE topic = $1", topic) == 0


async def test_relay_batches_keep_each_keys_partition_order_and_headers(
    db, kafka_bootstrap, database_dsn, make_topic, sample_data
):
    """The relay sends a record batch per partition: a key lands where ``send`` puts it (the
    default partitioner), in ``seq`` order, with its headers, also when the rows fill several
    batches of a partition (a producer of small batches)."""
    topic, by_send = await make_topic("batched", partitions=3), await make_topic("sent", 3)
    events = [
        new_event(sample_data(i), source="/vn/00/sample", subject=f"K{i % 24}", sequence=i)
        for i in range(300)
    ]
    async with db.acquire() as conn, conn.transaction():
        await append(conn, SERVICE, topic, events, [("x-credential", b"c-1")])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", max_batch_size=4096)
    await producer.start()
    try:
        for key in {e.subject for e in events}:  # where send puts each key
            await producer.send_and_wait(by_send, value=b"{}", key=key.encode())
        stop = asyncio.Event()
        relay = OutboxRelay(service=SERVICE, dsn=database_dsn, producer=producer)
        task = asyncio.create_task(relay.run(stop))
        records = await read_all(kafka_bootstrap, topic, 300)
        stop.set()
        await task
    finally:
        await producer.stop()
    sent_to = {r.key: r.partition for r in await read_all(kafka_bootstrap, by_send, 24)}
    assert {r.key: r.partition for r in records} == sent_to
    assert len(set(sent_to.values())) > 1
    for key in sent_to:
        got = [decode(r.value, r.headers).sequence for r in records if r.key == key]
        assert got == [e.sequence for e in events if e.subject == key.decode()]
    by_id = {e.id: e for e in events}
    for r in records:  # the event's own headers, then the one its producer added
        event = by_id[decode(r.value, r.headers).id]
        assert list(r.headers) == [*encode(event)[1], ("x-credential", b"c-1")]


async def test_a_row_an_earlier_release_wrote_is_sent_with_the_headers_it_stored(
    db, producer, kafka_bootstrap, database_dsn, make_topic, sample_data
):
    """Before ``event_type`` (migration 0006) a row stored every header of its record; such a
    row, still pending after an upgrade, goes out with exactly those."""
    topic = await make_topic("earlier", partitions=1)
    event = new_event(sample_data(1), source="/vn/00/sample", subject="K-OLD")
    value, headers = encode(event)
    stored = [[k, v.decode()] for k, v in [*headers, ("x-credential", b"c-9")]]
    async with db.acquire() as conn:
        await conn.execute(
            "INSERT INTO outbox (event_id, topic, key, value, headers)"
            " VALUES ($1, $2, $3, $4, $5::text::jsonb)",
            event.id,
            topic,
            event.subject,
            value,
            json.dumps(stored),
        )
    stop = asyncio.Event()
    relay = OutboxRelay(service=SERVICE, dsn=database_dsn, producer=producer, poll_interval_s=0.1)
    task = asyncio.create_task(relay.run(stop))
    [record] = await read_all(kafka_bootstrap, topic, 1)
    stop.set()
    await task
    assert record.value == value
    assert list(record.headers) == [*headers, ("x-credential", b"c-9")]


async def test_only_one_relay_leads_and_a_standby_takes_over(
    db, producer, database_dsn, kafka_bootstrap, make_topic, sample_data
):
    topic = await make_topic("leader", partitions=1)
    stop_a, stop_b = asyncio.Event(), asyncio.Event()
    a = OutboxRelay(
        service=SERVICE,
        dsn=database_dsn,
        producer=producer,
        poll_interval_s=0.1,
        standby_interval_s=0.1,
    )
    b = OutboxRelay(
        service=SERVICE,
        dsn=database_dsn,
        producer=producer,
        poll_interval_s=0.1,
        standby_interval_s=0.1,
    )
    ta = asyncio.create_task(a.run(stop_a))
    await wait_for(lambda: a.is_leader, timeout=10)
    tb = asyncio.create_task(b.run(stop_b))
    async with db.acquire() as conn:
        await append(conn, SERVICE, topic, [new_event(sample_data(1), source="/x", subject="A")])
    await wait_for(lambda: a.published == 1, timeout=10)
    assert not b.is_leader and b.published == 0
    stop_a.set()
    await ta
    await wait_for(lambda: b.is_leader, timeout=10)
    async with db.acquire() as conn:
        await append(conn, SERVICE, topic, [new_event(sample_data(2), source="/x", subject="A")])
    await wait_for(lambda: b.published == 1, timeout=10)
    stop_b.set()
    await tb
    assert len(await read_all(kafka_bootstrap, topic, 2)) == 2


@pytest.fixture
async def pipeline(db, producer, kafka_bootstrap, database_dsn, make_topic):
    """The sample copy consumer and a relay, running; yields (in_topic, out_topic, consumer)."""
    in_topic = await make_topic("in", partitions=2)
    out_topic = await make_topic("out", partitions=2)
    consumer = IdempotentConsumer(
        service=SERVICE,
        subscription=Subscription("copy", (in_topic,), copy_handler(out_topic)),
        pool=db,
        producer=producer,
        bootstrap_servers=kafka_bootstrap,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
    )
    relay = OutboxRelay(service=SERVICE, dsn=database_dsn, producer=producer, poll_interval_s=0.1)
    stop = asyncio.Event()
    await consumer.start()
    tasks = [asyncio.create_task(consumer.run(stop)), asyncio.create_task(relay.run(stop))]
    yield in_topic, out_topic, consumer
    stop.set()
    await asyncio.gather(*tasks)
    await consumer.stop()


async def test_structured_binary_and_duplicate_give_one_effect_and_garbage_is_dead_lettered(
    pipeline, db, producer, kafka_bootstrap, sample_data
):
    in_topic, out_topic, _consumer = pipeline
    structured = new_event(sample_data(1), source="/vn/00/test", subject="D-1")
    value, headers = encode(structured)
    await producer.send_and_wait(in_topic, value=value, key=b"D-1", headers=headers)
    await producer.send_and_wait(in_topic, value=value, key=b"D-1", headers=headers)  # again

    binary = new_event(sample_data(2), source="/vn/00/test", subject="D-2")
    attrs = binary.model_dump(mode="json", exclude_none=True)
    data = attrs.pop("data")
    bin_headers = [(f"ce_{k}", str(v).encode()) for k, v in attrs.items()]
    bin_headers.append(("content-type", b"application/json"))
    await producer.send_and_wait(
        in_topic, value=json.dumps(data).encode(), key=b"D-2", headers=bin_headers
    )
    credential = ("Authorization", b"Bearer a.producers.token")
    await producer.send_and_wait(in_topic, value=b"{not json", key=b"D-2", headers=[credential])
    after = new_event(sample_data(3), source="/vn/00/test", subject="D-2")
    v3, h3 = encode(after)
    await producer.send_and_wait(in_topic, value=v3, key=b"D-2", headers=h3)

    async def settled() -> bool:
        async with db.acquire() as conn:
            c = await effect_counts(conn)
        return c["distinct_effects"] == 3 and c["dead_letters"] == 1 and c["backlog"] == 0

    await wait_for(settled, timeout=20)
    async with db.acquire() as conn:
        counts = await effect_counts(conn)
        letters = await list_dead_letters(conn)
    assert counts["effects"] == 3  # the duplicate made no second effect
    assert letters[0]["reason"] == "not-a-cloudevent"
    outbound = await read_all(kafka_bootstrap, out_topic, 3)
    causes = sorted(decode(r.value, r.headers).causationid or "" for r in outbound)
    assert causes == sorted([structured.id, binary.id, after.id])
    dlq = await read_all(kafka_bootstrap, "egov.sample.dead-letters", 1)
    mine = [r for r in dlq if dict(r.headers).get("dlq_original_topic") == in_topic.encode()]
    assert len(mine) == 1
    h = dict(mine[0].headers)
    assert h["dlq_reason"] == b"not-a-cloudevent"
    assert mine[0].value == b"{not json" and h["dlq_original_key"] == b"D-2"
    # the producer's token is not on the topic others read; the table keeps it for a replay
    assert "Authorization" not in h and h["dlq_credential_withheld"] == b"authorization"
    async with db.acquire() as conn:
        kept = await conn.fetchval(
            "SELECT headers FROM dead_letters WHERE id = $1", letters[0]["id"]
        )
    assert ["Authorization", "Bearer a.producers.token"] in kept


async def test_failing_handler_neither_loses_nor_skips(
    db, producer, kafka_bootstrap, database_dsn, make_topic, sample_data
):
    """Transient failures are retried until they pass; a persistent failure dead-letters only
    the failing event; the rest of the batch and later offsets are processed; replay works."""
    in_topic = await make_topic("flaky", partitions=1)
    transient_left = {"n": 3}
    poisoned: set[str] = set()

    async def handler(tx: Tx, items: list[Incoming]) -> None:
        if transient_left["n"] > 0:
            transient_left["n"] -= 1
            raise ConnectionResetError("database went away")
        for i in items:
            if i.event.id in poisoned:
                raise ValueError("handler bug on this event")
        await tx.conn.executemany(
            "INSERT INTO sample_effects (event_id, subject) VALUES ($1, $2)",
            [(i.event.id, i.event.subject) for i in items],
        )

    events = [new_event(sample_data(i), source="/x", subject=f"S{i}") for i in range(10)]
    poisoned.add(events[4].id)
    for ev in events:
        v, h = encode(ev)
        await producer.send(in_topic, value=v, key=ev.subject.encode(), headers=h)
    await producer.flush()
    consumer = IdempotentConsumer(
        service=SERVICE,
        subscription=Subscription("flaky", (in_topic,), handler),
        pool=db,
        producer=producer,
        bootstrap_servers=kafka_bootstrap,
        max_attempts=2,
        backoff_initial_s=0.01,
        backoff_max_s=0.02,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    await wait_for(lambda: consumer.stats.committed.get((in_topic, 0)) == 10, timeout=30)
    async with db.acquire() as conn:
        ids = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM sample_effects")}
        letters = await list_dead_letters(conn)
    assert ids == {e.id for e in events} - {events[4].id}
    assert [(dl["event_id"], dl["reason"]) for dl in letters] == [(events[4].id, "handler-failed")]

    poisoned.clear()  # the bug is fixed: the operator replays the dead letter
    async with db.acquire() as conn:
        assert await replay(conn, producer, None) == [letters[0]["id"]]
    await wait_for(lambda: consumer.stats.committed.get((in_topic, 0)) == 11, timeout=30)
    stop.set()
    await task
    await consumer.stop()
    async with db.acquire() as conn:
        ids = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM sample_effects")}
    assert ids == {e.id for e in events}


async def test_connections_killed_mid_stream_lose_nothing(
    pipeline, db, producer, database_dsn, sample_data
):
    in_topic, _out, _consumer = pipeline
    dbname = database_dsn.rsplit("/", 1)[1].split("?")[0]
    admin = await asyncpg.connect(database_dsn)
    try:
        for i in range(200):
            ev = new_event(sample_data(i), source="/x", subject=f"P{i % 7}")
            v, h = encode(ev)
            await producer.send(in_topic, value=v, key=ev.subject.encode(), headers=h)
            if i % 50 == 25:
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = $1 AND pid <> pg_backend_pid()",
                    dbname,
                )
        await producer.flush()

        async def done() -> bool:
            c = await effect_counts(admin)
            return c["distinct_effects"] == 200 and c["backlog"] == 0

        await wait_for(done, timeout=60)
        counts = await effect_counts(admin)
    finally:
        await admin.close()
    assert counts["effects"] == 200


async def test_a_refused_event_is_dead_lettered_at_once_and_judged_again_on_replay(
    db, producer, kafka_bootstrap, make_topic, sample_data
):
    """A handler refuses an event (``tx.refuse``): it changes nothing, is dead-lettered with
    the handler's reason without retries, the rest of the batch commits, and it is not kept in
    the inbox, so a replay is judged again."""
    in_topic = await make_topic("refuse", partitions=1)
    refused_ids: set[str] = set()

    async def handler(tx: Tx, items: list[Incoming]) -> None:
        kept = []
        for i in items:
            if i.event.id in refused_ids:
                tx.refuse(i.event.id, "out-of-scope", f"{i.event.subject} is not yours")
            else:
                kept.append(i)
        await tx.conn.executemany(
            "INSERT INTO sample_effects (event_id, subject) VALUES ($1, $2)",
            [(i.event.id, i.event.subject) for i in kept],
        )

    events = [new_event(sample_data(i), source="/x", subject=f"R{i}") for i in range(6)]
    refused_ids.add(events[2].id)
    for ev in events:
        v, h = encode(ev)
        await producer.send(in_topic, value=v, key=ev.subject.encode(), headers=h)
    await producer.flush()
    consumer = IdempotentConsumer(
        service=SERVICE,
        subscription=Subscription("refuse", (in_topic,), handler),
        pool=db,
        producer=producer,
        bootstrap_servers=kafka_bootstrap,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await wait_for(lambda: consumer.stats.committed.get((in_topic, 0)) == 6, timeout=30)
        async with db.acquire() as conn:
            ids = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM sample_effects")}
            letters = await list_dead_letters(conn)
            kept = await conn.fetchval(
                "SELECT count(*) FROM inbox WHERE event_id = $1", events[2].id
            )
        assert ids == {e.id for e in events} - {events[2].id}
        assert [(d["event_id"], d["reason"], d["error"]) for d in letters] == [
            (events[2].id, "out-of-scope", "R2 is not yours")
        ]
        assert kept == 0
        assert consumer.stats.dead_lettered == 1

        refused_ids.clear()  # judged again on replay: now accepted
        async with db.acquire() as conn:
            assert await replay(conn, producer, None) == [letters[0]["id"]]
        await wait_for(lambda: consumer.stats.committed.get((in_topic, 0)) == 7, timeout=30)
        async with db.acquire() as conn:
            ids = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM sample_effects")}
        assert ids == {e.id for e in events}
    finally:
        stop.set()
        await task
        await consumer.stop()
