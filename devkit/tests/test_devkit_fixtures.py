"""The shared test fixtures work against the real broker and the real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from egov_devkit.devstack.broker import start_broker, wait_for_kafka
from egov_devkit.devstack.postgres import create_database, drop_database, dsn_for
from egov_devkit.testing.fixtures import wait_for


def test_dsn_for_swaps_only_the_database() -> None:
    assert (
        dsn_for("postgresql://postgres:pw@10.0.0.5:5433/postgres?sslmode=disable", "egov_x")
        == "postgresql://postgres:pw@10.0.0.5:5433/egov_x?sslmode=disable"
    )
    assert dsn_for("postgresql://postgres@127.0.0.1:5432/postgres", "a") == (
        "postgresql://postgres@127.0.0.1:5432/a"
    )


async def test_create_database_refuses_names_needing_quotes(postgres_admin_dsn: str) -> None:
    with pytest.raises(ValueError):
        await create_database(postgres_admin_dsn, 'x"; DROP DATABASE postgres; --')


async def test_wait_for_returns_the_truthy_value_and_fails_on_deadline() -> None:
    calls: list[int] = []

    def third_time() -> int | None:
        calls.append(1)
        return len(calls) if len(calls) >= 3 else None

    async def never() -> bool:
        return False

    assert await wait_for(third_time, timeout=5, interval=0) == 3
    with pytest.raises(AssertionError, match="never ready not met"):
        await wait_for(never, timeout=0.2, interval=0.01, message="never ready")


@pytest.mark.integration
async def test_keyed_records_keep_key_order_and_headers(kafka_bootstrap: str, make_topic) -> None:
    topic = await make_topic("keyed", partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(30):
            key = f"unit-{i % 5}".encode()
            headers = [("ce_id", f"id-{i}".encode()), ("ce_type", b"vn.test.v1")]
            await producer.send_and_wait(topic, str(i).encode(), key=key, headers=headers)
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(3)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        seen = []

        async def all_read() -> bool:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                seen.extend(records)
            return len(seen) >= 30

        await wait_for(all_read, timeout=20, interval=0, message="30 records read")
    finally:
        await consumer.stop()

    assert len(seen) == 30
    by_key: dict[bytes, list[int]] = defaultdict(list)
    partitions_of: dict[bytes, set[int]] = defaultdict(set)
    for r in seen:
        assert r.key is not None and r.value is not None
        by_key[r.key].append(int(r.value))
        partitions_of[r.key].add(r.partition)
        assert dict(r.headers) == {"ce_id": f"id-{int(r.value)}".encode(), "ce_type": b"vn.test.v1"}
    assert all(len(p) == 1 for p in partitions_of.values()), "a key spread over partitions"
    for key, values in by_key.items():
        k = int(key.decode().split("-")[1])
        assert values == [i for i in range(30) if i % 5 == k], f"order broken for {key!r}"


@pytest.mark.integration
async def test_consumer_group_resumes_after_its_manual_commit(
    kafka_bootstrap: str, make_topic
) -> None:
    topic = await make_topic("group")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(10):
            await producer.send_and_wait(topic, str(i).encode(), key=b"k")
    finally:
        await producer.stop()
    group = f"tests-{topic}"
    tp = TopicPartition(topic, 0)

    def consumer() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka_bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )

    first = consumer()
    await first.start()
    try:
        records = []

        async def six_read() -> bool:
            batch = await first.getmany(tp, timeout_ms=200)
            records.extend(batch.get(tp, []))
            return len(records) >= 6

        await wait_for(six_read, timeout=20, interval=0, message="six records")
        assert [int(r.value) for r in records] == list(range(len(records)))
        done = records[:6]  # what this consumer "processed"; the rest it read is not committed
        await first.commit({tp: done[-1].offset + 1})
        assert await first.committed(tp) == done[-1].offset + 1
    finally:
        await first.stop()

    second = consumer()
    await second.start()
    try:
        rest = []

        async def rest_read() -> bool:
            batch = await second.getmany(tp, timeout_ms=200)
            rest.extend(batch.get(tp, []))
            return len(rest) >= 10 - len(done)

        await wait_for(rest_read, timeout=20, interval=0, message="the uncommitted records")
    finally:
        await second.stop()
    assert [int(r.value) for r in rest] == list(range(len(done), 10))


@pytest.mark.integration
async def test_database_dsn_is_a_fresh_database_of_its_own(
    database_dsn: str, postgres_admin_dsn: str
) -> None:
    conn = await asyncpg.connect(database_dsn)
    try:
        name = await conn.fetchval("SELECT current_database()")
        assert name.startswith("test_")
        tables = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        assert tables == 0
        await conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
        await conn.execute("INSERT INTO t VALUES (1)")
        assert await conn.fetchval("SELECT count(*) FROM t") == 1
    finally:
        await conn.close()


@pytest.mark.integration
async def test_create_is_idempotent_and_drop_ends_open_connections(
    postgres_admin_dsn: str,
) -> None:
    name = "test_fixture_create_drop"
    await drop_database(postgres_admin_dsn, name)
    dsn = await create_database(postgres_admin_dsn, name)
    assert await create_database(postgres_admin_dsn, name) == dsn
    held = await asyncpg.connect(dsn)
    await held.execute("CREATE TABLE kept (x int)")
    assert await create_database(postgres_admin_dsn, name) == dsn
    assert await held.fetchval("SELECT count(*) FROM kept") == 0, "re-create must keep data"

    await drop_database(postgres_admin_dsn, name)
    with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError)):
        await held.fetchval("SELECT 1")
    await held.close()
    admin = await asyncpg.connect(postgres_admin_dsn)
    try:
        assert await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name) is None
    finally:
        await admin.close()
    await drop_database(postgres_admin_dsn, name)  # dropping what is gone is fine


@pytest.mark.integration
async def test_fresh_create_replaces_the_database(postgres_admin_dsn: str) -> None:
    name = "test_fixture_fresh"
    dsn = await create_database(postgres_admin_dsn, name, fresh=True)
    conn = await asyncpg.connect(dsn)
    await conn.execute("CREATE TABLE old (x int)")
    await conn.close()
    try:
        await create_database(postgres_admin_dsn, name, fresh=True)
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("SELECT to_regclass('old')") is None
        finally:
            await conn.close()
    finally:
        await drop_database(postgres_admin_dsn, name)


@pytest.mark.integration
async def test_paused_broker_stops_answering_and_resumes_with_its_data(
    local_broker, make_topic
) -> None:
    topic = await make_topic("pause")
    local_broker.pause()
    try:
        with pytest.raises(TimeoutError):
            await wait_for_kafka(local_broker.bootstrap, timeout=1.5)
    finally:
        local_broker.resume()
    await wait_for_kafka(local_broker.bootstrap, timeout=20)
    consumer = AIOKafkaConsumer(bootstrap_servers=local_broker.bootstrap)
    await consumer.start()
    try:
        assert topic in await asyncio.wait_for(consumer.topics(), timeout=20)
    finally:
        await consumer.stop()


@pytest.mark.integration
def test_pausing_a_broker_that_has_exited_is_an_error_not_a_no_op() -> None:
    """``Popen.send_signal`` skips a finished process: pause must not pretend it worked."""
    broker = start_broker()
    broker.stop()
    with pytest.raises(RuntimeError, match="has exited"):
        broker.pause()
