"""A partition's batch that finishes after the partition was taken away (a rebalance while it
was in hand): its offsets are still offered for commit (the broker refuses them if the
partition has moved, and the inbox drops what the next owner reads again), and nothing asks
the Kafka client about a partition it no longer has, which it answers with an error."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from egov_runtime.consumer import NOT_TRIED, IdempotentConsumer, Subscription, _Busy

TP = TopicPartition("t", 0)


class _Client:
    """The Kafka consumer's calls :meth:`IdempotentConsumer._stored` may make."""

    def __init__(self, assigned: set[TopicPartition]) -> None:
        self.assigned = assigned
        self.sought: list[tuple[TopicPartition, int]] = []

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def seek(self, tp: TopicPartition, offset: int) -> None:
        assert tp in self.assigned, "IllegalStateError: partition is not currently assigned"
        self.sought.append((tp, offset))

    def highwater(self, tp: TopicPartition) -> int:
        assert tp in self.assigned, "Partition is not assigned"
        return 10


def _records(*offsets: int) -> list[ConsumerRecord[Any, Any]]:
    return [ConsumerRecord("t", 0, o, 0, 0, b"k", b"v", None, 1, 1, ()) for o in offsets]


async def _done(stored: int, *offsets: int) -> _Busy:
    async def batch() -> int:
        return stored

    task = asyncio.ensure_future(batch())
    await task
    return _Busy(task, _records(*(offsets or (4, 5, 6))), since=0.0)


def _consumer(client: _Client) -> IdempotentConsumer:
    async def handler(tx: Any, items: Any) -> None:
        return None

    c = IdempotentConsumer(
        service="sample",
        subscription=Subscription("s", ("t",), handler),
        pool=None,  # type: ignore[arg-type]
        producer=None,  # type: ignore[arg-type]
        bootstrap_servers="unused",
    )
    c.consumer = client  # type: ignore[assignment]
    return c


async def test_a_batch_finished_after_its_partition_moved_is_committed_without_asking_for_it():
    client = _Client(assigned=set())
    busy = {TP: deque([await _done(stored=2)])}  # stopping with the store away: 2 of 3 stored
    assert _consumer(client)._stored(busy) == {TP: 6}
    assert busy == {} and client.sought == []


async def test_a_batch_cut_short_on_a_partition_still_held_is_read_again_from_the_first_left():
    client = _Client(assigned={TP})
    busy = {TP: deque([await _done(stored=1)])}
    assert _consumer(client)._stored(busy) == {TP: 5}
    assert client.sought == [(TP, 5)]


async def test_the_batch_read_ahead_of_one_cut_short_is_left_to_the_rewind():
    """A partition's next batch, read while the one before was stored, is not tried when that
    one was cut short: the rewind to the first record left covers it, and it moves nothing."""
    client = _Client(assigned={TP})
    busy = {TP: deque([await _done(1, 4, 5, 6), await _done(NOT_TRIED, 7, 8)])}
    assert _consumer(client)._stored(busy) == {TP: 5}
    assert client.sought == [(TP, 5)] and busy == {}


async def test_a_partition_s_batches_done_in_turn_commit_the_last_one_s_offset():
    client = _Client(assigned={TP})
    busy = {TP: deque([await _done(3, 4, 5, 6), await _done(2, 7, 8)])}
    assert _consumer(client)._stored(busy) == {TP: 9}
    assert client.sought == [] and busy == {}


async def test_a_batch_in_hand_keeps_the_one_read_after_it_waiting():
    client = _Client(assigned={TP})
    first: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    pending = _Busy(asyncio.ensure_future(first), _records(4), since=0.0)
    done_after = await _done(1, 5)
    busy = {TP: deque([pending, done_after])}
    assert _consumer(client)._stored(busy) == {}
    assert list(busy[TP]) == [pending, done_after]
    first.set_result(1)
    await pending.task
    assert _consumer(client)._stored(busy) == {TP: 6} and busy == {}


TP1 = TopicPartition("t", 1)


def _on(tp: TopicPartition, *offsets: int) -> list[ConsumerRecord[Any, Any]]:
    return [ConsumerRecord("t", tp.partition, o, 0, 0, b"k", b"v", None, 1, 1, ()) for o in offsets]


async def test_a_few_records_of_several_partitions_share_one_transaction_after_their_batches():
    client = _Client(assigned={TP, TP1})
    consumer = _consumer(client)
    calls: list[tuple[list[int], list[_Busy]]] = []

    async def process(records: Any, stop: Any, after: Any = ()) -> int:
        calls.append(([r.offset for r in records], list(after)))
        return len(records)

    consumer._process_records = process  # type: ignore[method-assign]
    earlier = await _done(1, 3)
    busy = {TP: deque([earlier])}
    consumer._start({TP: _on(TP, 4, 5), TP1: _on(TP1, 7)}, busy, asyncio.Event())
    shared = busy[TP][-1]
    assert busy[TP1][-1].task is shared.task and shared.handles == 3
    await shared.task
    assert calls == [([4, 5, 7], [earlier])]
    assert consumer._stored(busy) == {TP: 6, TP1: 8} and busy == {}


async def test_records_beyond_a_batch_together_go_partition_by_partition():
    client = _Client(assigned={TP, TP1})
    consumer = _consumer(client)
    consumer.batch_size = 2

    async def process(records: Any, stop: Any, after: Any = ()) -> int:
        return len(records)

    consumer._process_records = process  # type: ignore[method-assign]
    busy: dict[TopicPartition, deque[_Busy]] = {}
    consumer._start({TP: _on(TP, 4, 5), TP1: _on(TP1, 7)}, busy, asyncio.Event())
    assert busy[TP][0].task is not busy[TP1][0].task and busy[TP][0].handles == 0


async def test_a_shared_transaction_stores_each_partition_s_records_all_or_none():
    async def cut(stored: int) -> int:
        return stored

    for stored, expected in ((3, (2, 1)), (0, (0, 0)), (NOT_TRIED, (NOT_TRIED, NOT_TRIED))):
        task = asyncio.ensure_future(cut(stored))
        await task
        mine, theirs = _Busy(task, _on(TP, 4, 5), 0.0, 3), _Busy(task, _on(TP1, 7), 0.0, 3)
        assert (mine.stored(), theirs.stored()) == expected
