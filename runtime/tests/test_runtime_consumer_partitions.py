"""A partition's batch that finishes after the partition was taken away (a rebalance while it
was in hand): its offsets are still offered for commit (the broker refuses them if the
partition has moved, and the inbox drops what the next owner reads again), and nothing asks
the Kafka client about a partition it no longer has, which it answers with an error."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from egov_runtime.consumer import IdempotentConsumer, Subscription, _Busy

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


async def _done(stored: int) -> _Busy:
    async def batch() -> int:
        return stored

    task = asyncio.ensure_future(batch())
    await task
    return _Busy(task, _records(4, 5, 6), since=0.0)


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
    busy = {TP: await _done(stored=2)}  # stopping with the store away: 2 of 3 stored
    assert _consumer(client)._stored(busy) == {TP: 6}
    assert busy == {} and client.sought == []


async def test_a_batch_cut_short_on_a_partition_still_held_is_read_again_from_the_first_left():
    client = _Client(assigned={TP})
    busy = {TP: await _done(stored=1)}
    assert _consumer(client)._stored(busy) == {TP: 5}
    assert client.sought == [(TP, 5)]
