"""Operator commands on dead letters: list them and replay them to their original topic."""

from __future__ import annotations

import base64
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer


async def list_dead_letters(
    conn: asyncpg.Connection, *, include_replayed: bool = False, limit: int = 100
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        'SELECT id, consumer, topic, partition, "offset", reason, error, event_id, event_type,'
        " failed_at, replayed_at FROM dead_letters"
        " WHERE $1 OR replayed_at IS NULL ORDER BY id LIMIT $2",
        include_replayed,
        limit,
    )
    return [dict(r) for r in rows]


async def replay(
    conn: asyncpg.Connection, producer: AIOKafkaProducer, ids: list[int] | None
) -> list[int]:
    """Publish the original records again (all not yet replayed when ``ids`` is None).

    The inbox never recorded a dead-lettered event, so its consumer handles it afresh.
    """
    rows = await conn.fetch(
        "SELECT id, topic, key, value, headers FROM dead_letters"
        " WHERE replayed_at IS NULL AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))"
        " ORDER BY id",
        ids,
    )
    futures = []
    for r in rows:
        headers = [_header(*h) for h in r["headers"] if not h[0].startswith("dlq_")]
        headers.append(("dlq_replayed_from", str(r["id"]).encode()))
        futures.append(
            await producer.send(r["topic"], value=r["value"], key=r["key"], headers=headers)
        )
    for f in futures:
        await f
    done = [r["id"] for r in rows]
    await conn.execute(
        "UPDATE dead_letters SET replayed_at = now() WHERE id = ANY($1::bigint[])", done
    )
    return done


def _header(key: str, value: str, encoding: str = "text") -> tuple[str, bytes | None]:
    """A stored header back as bytes (see ``consumer._header_row``)."""
    if encoding == "base64":
        return key, base64.b64decode(value)
    if encoding == "null":
        return key, None
    return key, value.encode()
