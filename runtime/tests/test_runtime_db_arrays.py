"""Text arrays passed as one joined text (egov_runtime.db): PostgreSQL gets back exactly the
list given, whatever it holds (a text holding the separator or the NULL mark goes as an array,
through the same statement), and the inbox insert built on it still tells new events from
redelivered ones in a batch of both."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from egov_contracts.envelope import new_event
from egov_devkit.sample import SERVICE, copy_handler, prepare_database
from egov_runtime.consumer import IdempotentConsumer, Incoming, Subscription
from egov_runtime.db import (
    bigint_array_text,
    create_pool,
    text_array_args,
    text_array_sql,
)
from hypothesis import given
from hypothesis import strategies as st

CASES = [
    [],
    ["a"],
    [""],
    ["", ""],
    ["a", "", "b"],
    [None],
    [None, None],
    ["a", None, ""],
    ["Hồ sơ", "vn.egov.sample.item.recorded.v1", "000.00.38.H12-261123-0000001"],
    ["a\x1fb", "c"],  # holds the separator
    ["a\x1eb"],  # holds the NULL mark
    ["\x1e", None],
    ["x" * 10_000, "😀", "a,b", "{1,2}", '"q"', "back\\slash"],
]


def _split(joined: str) -> list[str | None]:
    """What ``string_to_array(joined, E'\\x1f', E'\\x1e')`` gives (an empty text: no element)."""
    return [] if joined == "" else [None if p == "\x1e" else p for p in joined.split("\x1f")]


@given(st.lists(st.one_of(st.none(), st.text())))
def test_a_joined_text_splits_back_into_the_same_list(texts):
    array, joined = text_array_args(texts)
    if joined is None:
        assert array == texts  # the array goes instead
    else:
        assert array is None and _split(joined) == texts


def test_what_cannot_be_joined_goes_as_an_array():
    for texts in (["a\x1fb"], ["a\x1eb"], [""], [1, 2]):
        assert text_array_args(texts) == (texts, None)  # type: ignore[arg-type]
    assert text_array_args(["a", None]) == (None, "a\x1f\x1e")


@pytest.mark.integration
@pytest.mark.parametrize("texts", CASES, ids=range(len(CASES)))
async def test_postgresql_reads_back_the_list_given(database_dsn, texts):
    conn = await asyncpg.connect(database_dsn)
    try:
        got = await conn.fetchval(f"SELECT {text_array_sql(1)}", *text_array_args(texts))
        numbers = await conn.fetchval(
            "SELECT string_to_array($1, ',')::bigint[]", bigint_array_text([0, -1, 2**62])
        )
    finally:
        await conn.close()
    assert got == texts
    assert numbers == [0, -1, 2**62]


@pytest.mark.integration
async def test_the_inbox_tells_new_events_from_redelivered_ones_in_one_batch(
    database_dsn, sample_data
):
    await prepare_database(database_dsn)
    pool = await create_pool(database_dsn)
    consumer = IdempotentConsumer(
        service=SERVICE,
        subscription=Subscription("copy", ("in",), copy_handler("out")),
        pool=pool,
        producer=None,  # type: ignore[arg-type]
        bootstrap_servers="unused",
    )
    events = [new_event(sample_data(i), source="/vn/00/test", subject=f"S-{i}") for i in range(4)]

    def batch(*numbers: int) -> list[Incoming]:
        return [
            Incoming(
                events[n],
                sample_data(n),
                ConsumerRecord("in", 0, n, 0, 0, b"k", b"v", None, 1, 1, ()),
            )
            for n in numbers
        ]

    async def effects() -> list[Any]:
        async with pool.acquire() as conn:
            rows = await conn.fetch("SELECT event_id FROM sample_effects ORDER BY event_id")
        return sorted(r["event_id"] for r in rows)

    try:
        await consumer._transaction(batch(0, 1))  # all new
        await consumer._transaction(batch(1, 2, 3))  # one seen, two new
        await consumer._transaction(batch(0, 3))  # all seen
        assert await effects() == sorted(e.id for e in events)
        assert consumer.stats.handled == 4 and consumer.stats.duplicates == 3
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM outbox") == 4
    finally:
        await pool.close()
