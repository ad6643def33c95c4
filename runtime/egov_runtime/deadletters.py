"""Dead letters: how a consumer sets a record aside (the dead-letter topic and the
``dead_letters`` table), and the operator's commands to list them and replay them to their
original topic."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer, ConsumerRecord
from egov_contracts.envelope import CloudEvent

from egov_runtime.auth import CREDENTIAL_HEADER


@dataclass
class DeadLetter:
    """A record set aside: why, and its event when it could be decoded."""

    record: ConsumerRecord
    reason: str
    error: str
    event: CloudEvent | None = None


def protected_value(protect: Callable[[bytes | None], bytes | None], d: DeadLetter) -> bytes | None:
    """The value a dead letter may keep; none when protecting it fails on this record (a
    poison record must not stop the partition, nor be kept unprotected)."""
    try:
        return protect(d.record.value)
    except Exception as exc:
        d.error = f"{d.error} (value dropped: it could not be protected: {type(exc).__name__})"
        return None


def record_size(rec: ConsumerRecord) -> int:
    """Bytes of a record's key, value and headers (what the broker let through)."""
    size = len(rec.key or b"") + len(rec.value or b"")
    for k, v in rec.headers or ():
        size += len(k or "") + len(v or b"")
    return size


def _text(value: str) -> str:
    """Text PostgreSQL accepts (no NUL, no lone surrogates) from anything a record carried."""
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\\0")


def _header_row(key: str, value: bytes | None) -> list[str]:
    """A header for the ``dead_letters`` table: [key, text], or [key, base64, "base64"] when
    the value is not UTF-8 (so replay gives back the same bytes)."""
    if value is None:
        return [_text(key), "", "null"]
    try:
        text = value.decode("utf-8")
        if "\x00" not in text:
            return [_text(key), text]
    except UnicodeDecodeError:
        pass
    return [_text(key), base64.b64encode(value).decode(), "base64"]


def _dead_letter_record(
    d: DeadLetter, service: str, consumer: str, now: str, max_bytes: int
) -> tuple[bytes | None, list[tuple[str, bytes]]]:
    """Value and headers of the dead-letter copy: the original headers copied as bytes, then
    the ``dlq_*`` ones; a record too big for the dead-letter topic loses its value and original
    headers there (the ``dead_letters`` table keeps them whole, for replay)."""
    r = d.record
    dlq = [
        ("dlq_reason", d.reason.encode()),
        ("dlq_error", _text(d.error[:2000]).encode()),
        ("dlq_service", service.encode()),
        ("dlq_consumer", consumer.encode()),
        ("dlq_original_topic", r.topic.encode()),
        ("dlq_original_partition", str(r.partition).encode()),
        ("dlq_original_offset", str(r.offset).encode()),
        ("dlq_failed_at", now.encode()),
    ]
    if r.key is not None and len(r.key) <= max_bytes // 4:
        dlq.append(("dlq_original_key", r.key))
    # A producer's bearer token is not copied to the topic, which other systems read: it would
    # let them speak for that producer until it expires. The dead_letters table keeps it (the
    # service's own store), so a replay is judged with the producer's credential.
    original: list[tuple[str, bytes]] = []
    withheld = False
    for k, v in r.headers or ():
        if str(k).lower() == CREDENTIAL_HEADER:
            withheld = True
        elif not str(k).startswith("dlq_"):
            original.append((_text(k), v if v is not None else b""))
    if withheld:
        dlq.append(("dlq_credential_withheld", CREDENTIAL_HEADER.encode()))
    size = record_size(r)
    if size > max_bytes:
        dlq.append(("dlq_value_omitted", str(size).encode()))
        return None, dlq
    return r.value, original + dlq


async def publish_dead_letters(
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    service: str,
    consumer: str,
    dlq_topic: str,
    dead: list[DeadLetter],
    *,
    max_bytes: int = 512 * 1024,
) -> None:
    """Publish to the dead-letter topic (acknowledged), then record in ``dead_letters``.

    Nothing a record carries can make this fail for good: text is cleaned for PostgreSQL,
    headers that are not UTF-8 are kept as base64, an oversized record's copy on the topic
    goes without its value; only the broker or the database being away makes it fail.
    """
    now = datetime.now(UTC).isoformat()
    futures = []
    rows = []
    for d in dead:
        r = d.record
        value, headers = _dead_letter_record(d, service, consumer, now, max_bytes)
        key = r.key if r.key is None or len(r.key) <= max_bytes // 4 else None
        futures.append(await producer.send(dlq_topic, value=value, key=key, headers=headers))
        rows.append(
            (
                consumer,
                r.topic,
                r.partition,
                r.offset,
                r.key,
                r.value,
                [_header_row(k, v) for k, v in (r.headers or ())],
                d.reason,
                _text(d.error[:4000]),
                _text(d.event.id) if d.event else None,
                _text(d.event.type) if d.event else None,
            )
        )
    await asyncio.gather(*futures)
    async with pool.acquire() as conn:
        await conn.executemany(
            'INSERT INTO dead_letters (consumer, topic, partition, "offset", key, value, headers,'
            " reason, error, event_id, event_type)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ' ON CONFLICT (consumer, topic, partition, "offset") DO NOTHING',
            rows,
        )


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
    """A stored header back as bytes (see ``_header_row``)."""
    if encoding == "base64":
        return key, base64.b64decode(value)
    if encoding == "null":
        return key, None
    return key, value.encode()
