"""Poison records on the real broker: every shape ends as a dead letter within seconds, the
partition's next valid record is handled, and the consumer never restarts."""

from __future__ import annotations

import asyncio
import base64

import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts.envelope import encode, new_event
from egov_devkit.sample import SERVICE, copy_handler, effect_counts, prepare_database
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.poison import POISON, TOO_LARGE_LIMIT
from egov_runtime.consumer import IdempotentConsumer, Subscription
from egov_runtime.db import create_pool
from egov_runtime.deadletters import list_dead_letters, replay

from .test_runtime_pipeline import read_all

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(database_dsn: str):
    await prepare_database(database_dsn)
    pool = await create_pool(database_dsn, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def producer(kafka_bootstrap: str):
    p = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", linger_ms=0)
    await p.start()
    yield p
    await p.stop()


async def test_each_poison_record_is_dead_lettered_and_the_next_record_handled(
    db, producer, kafka_bootstrap, make_topic, sample_data
):
    in_topic = await make_topic("poison", partitions=1)
    out_topic = await make_topic("poison-out", partitions=1)
    # poison, valid, poison, valid, ... on one partition: each valid record comes right after
    # a poison one, so it is handled only if that poison record let the partition move.
    valid = []
    poison_at: dict[int, str] = {}
    for i, p in enumerate(POISON):
        md = await producer.send_and_wait(
            in_topic, value=p.value, key=b"K", headers=p.headers, partition=0
        )
        poison_at[md.offset] = p.name
        ev = new_event(sample_data(i), source="/vn/00/test", subject=f"after-{p.name}")
        v, h = encode(ev)
        if i == 0:  # a content type that is not UTF-8 on a good record: tolerated
            h = [("content-type", b"\xff\xfe"), *h[1:]]
        await producer.send_and_wait(in_topic, value=v, key=b"K", headers=h, partition=0)
        valid.append(ev)
    consumer = IdempotentConsumer(
        service=SERVICE,
        subscription=Subscription("poison", (in_topic,), copy_handler(out_topic)),
        pool=db,
        producer=producer,
        bootstrap_servers=kafka_bootstrap,
        max_attempts=2,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
        max_record_bytes=TOO_LARGE_LIMIT,
        dead_letter_max_bytes=64 * 1024,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await wait_for(
            lambda: consumer.stats.committed.get((in_topic, 0)) == 2 * len(POISON),
            timeout=30,
            message="the partition moved past every record",
        )
    finally:
        stop.set()
        await task
        await consumer.stop()
    assert task.exception() is None and not consumer.restarts
    async with db.acquire() as conn:
        counts = await effect_counts(conn)
        letters = await list_dead_letters(conn)
        stored = await conn.fetch('SELECT "offset", headers, value FROM dead_letters')
        handled = {r["subject"] for r in await conn.fetch("SELECT subject FROM sample_effects")}
    assert handled == {e.subject for e in valid}
    assert counts["effects"] == len(POISON)
    by_name = {poison_at[dl["offset"]]: dl for dl in letters if dl["topic"] == in_topic}
    assert set(by_name) == {p.name for p in POISON}
    for p in POISON:
        assert by_name[p.name]["reason"] in p.reasons, (p.name, by_name[p.name])
    # Headers are kept exactly (as base64 when they are not text) and the value whole.
    huge = next(p for p in POISON if p.name == "huge-headers")
    row = next(r for r in stored if poison_at[r["offset"]] == "huge-headers")
    assert [base64.b64decode(h[1]) for h in row["headers"]] == [v for _k, v in huge.headers]
    assert row["value"] == huge.value
    # The dead-letter topic has a copy of each (the oversized one without its value).
    dlq = await read_all(kafka_bootstrap, "egov.sample.dead-letters", len(POISON), timeout=30)
    mine = {
        int(dict(r.headers)["dlq_original_offset"]): r
        for r in dlq
        if dict(r.headers).get("dlq_original_topic") == in_topic.encode()
    }
    assert set(mine) == set(poison_at)
    big = next(r for off, r in mine.items() if poison_at[off] == "huge-headers")
    assert big.value is None and dict(big.headers)["dlq_reason"] == b"too-large"
    deep = next(r for off, r in mine.items() if poison_at[off] == "json-nested-1500")
    deep_poison = next(p for p in POISON if p.name == "json-nested-1500")
    assert deep.value == deep_poison.value
    assert dict(deep.headers)["content-type"] == deep_poison.headers[0][1]


async def test_replay_gives_back_headers_that_are_not_text(
    db, producer, kafka_bootstrap, make_topic
):
    """A dead letter's headers, binary or null, go back to the topic byte for byte."""
    in_topic = await make_topic("poison-replay", partitions=1)
    headers = [("bin", b"\x00\xff\xfe"), ("text", "Hồ sơ".encode()), ("none", b"")]
    await producer.send_and_wait(in_topic, value=b"\xff", key=b"K", headers=headers, partition=0)
    consumer = IdempotentConsumer(
        service=SERVICE,
        subscription=Subscription("poison-replay", (in_topic,), copy_handler(in_topic)),
        pool=db,
        producer=producer,
        bootstrap_servers=kafka_bootstrap,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await wait_for(lambda: consumer.stats.dead_lettered == 1, timeout=30)
        async with db.acquire() as conn:
            await replay(conn, producer, None)
        await wait_for(lambda: consumer.stats.dead_lettered == 2, timeout=30)
    finally:
        stop.set()
        await task
        await consumer.stop()
    records = await read_all(kafka_bootstrap, in_topic, 2)
    again = records[1]
    assert [(k, v) for k, v in again.headers if k != "dlq_replayed_from"] == headers
    assert again.value == b"\xff"
