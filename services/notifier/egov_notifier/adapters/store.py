"""PostgreSQL store of the notifier."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from egov_notifier.domain.rules import Channel, Person, Rule


async def rules(conn: asyncpg.Connection) -> list[Rule]:
    rows = await conn.fetch("SELECT * FROM rules ORDER BY id")
    return [
        Rule(
            r["id"],
            r["event_type"],
            tuple(Channel(c) for c in r["channels"]),
            tuple(r["roles"]),
            tuple(r["ancestor_roles"]),
            r["template_id"],
            r["priority"],
            r["enabled"],
        )
        for r in rows
    ]


async def upsert_rule(conn: asyncpg.Connection, rule: Rule) -> None:
    await conn.execute(
        "INSERT INTO rules (id, event_type, channels, roles, ancestor_roles, template_id,"
        " priority, enabled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE"
        " SET event_type = excluded.event_type, channels = excluded.channels,"
        " roles = excluded.roles, ancestor_roles = excluded.ancestor_roles,"
        " template_id = excluded.template_id, priority = excluded.priority,"
        " enabled = excluded.enabled",
        rule.id,
        rule.event_type,
        [str(c) for c in rule.channels],
        list(rule.roles),
        list(rule.ancestor_roles),
        rule.template_id,
        rule.priority,
        rule.enabled,
    )


async def template(conn: asyncpg.Connection, tid: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM templates WHERE id = $1", tid)


async def templates(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM templates ORDER BY id")


async def upsert_template(conn: asyncpg.Connection, tid: str, subject: str, body: str) -> None:
    await conn.execute(
        "INSERT INTO templates (id, subject, body) VALUES ($1, $2, $3) ON CONFLICT (id)"
        " DO UPDATE SET subject = excluded.subject, body = excluded.body, updated_at = now()",
        tid,
        subject,
        body,
    )


async def people(conn: asyncpg.Connection, units: list[str]) -> list[Person]:
    rows = await conn.fetch("SELECT * FROM recipients WHERE unit_code = ANY($1::text[])", units)
    return [
        Person(r["id"], r["unit_code"], r["role"], r["name"], r["email"], r["phone"]) for r in rows
    ]


async def upsert_people(conn: asyncpg.Connection, persons: list[Person]) -> None:
    await conn.executemany(
        "INSERT INTO recipients (id, unit_code, role, name, email, phone)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET"
        " unit_code = excluded.unit_code, role = excluded.role, name = excluded.name,"
        " email = excluded.email, phone = excluded.phone",
        [(p.id, p.unit_code, p.role, p.name, p.email, p.phone) for p in persons],
    )


async def subscriptions_for(conn: asyncpg.Connection, event_type: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM subscriptions WHERE enabled AND ($1 = ANY(event_types)"
        " OR EXISTS (SELECT 1 FROM unnest(event_types) t WHERE t LIKE '%*'"
        " AND $1 LIKE replace(t, '*', '%')))",
        event_type,
    )


async def insert_notification(conn: asyncpg.Connection, n: dict[str, Any]) -> bool:
    status = await conn.execute(
        "INSERT INTO notifications (id, rule_id, event_id, event_type, channel, recipient,"
        " recipient_label, unit_code, subject, body, payload, status, next_attempt_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        " ON CONFLICT (event_id, rule_id, channel, recipient) DO NOTHING",
        n["id"],
        n["rule_id"],
        n["event_id"],
        n["event_type"],
        n["channel"],
        n["recipient"],
        n["recipient_label"],
        n.get("unit_code"),
        n["subject"],
        n["body"],
        n.get("payload"),
        n["status"],
        n.get("next_attempt_at"),
    )
    return bool(status.endswith("1"))


async def claim_due(
    conn: asyncpg.Connection, now: datetime, lease_until: datetime, limit: int
) -> list[asyncpg.Record]:
    """Lease due notifications (``sending`` whose lease ran out count again: a crash between
    claiming and recording the result re-sends with the same id)."""
    return await conn.fetch(
        "UPDATE notifications SET status = 'sending', lease_until = $2 WHERE id IN ("
        " SELECT id FROM notifications WHERE (status IN ('pending', 'retrying')"
        " AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until < $1)"
        " ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING *",
        now,
        lease_until,
        limit,
    )


async def record_attempt(
    conn: asyncpg.Connection,
    nid: Any,
    n: int,
    at: datetime,
    outcome: str,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
) -> None:
    await conn.execute(
        "INSERT INTO attempts (notification_id, n, at, outcome, status_code, error, duration_ms)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        nid,
        n,
        at,
        outcome,
        status_code,
        error,
        duration_ms,
    )


async def finish(
    conn: asyncpg.Connection,
    nid: Any,
    *,
    status: str,
    attempts: int,
    next_attempt_at: datetime | None,
    error: str | None,
    delivered_at: datetime | None,
) -> None:
    await conn.execute(
        "UPDATE notifications SET status = $2, attempts = $3, next_attempt_at = $4,"
        " last_error = $5, delivered_at = $6, lease_until = NULL WHERE id = $1",
        nid,
        status,
        attempts,
        next_attempt_at,
        error,
        delivered_at,
    )


async def deliveries(
    conn: asyncpg.Connection,
    *,
    status: str | None,
    channel: str | None,
    since: datetime | None,
    limit: int,
    event_id: str | None = None,
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT n.id, n.rule_id, n.event_id, n.event_type, n.channel, n.recipient_label,"
        " n.unit_code, n.subject, n.status, n.attempts, n.next_attempt_at, n.last_error,"
        " n.created_at, n.delivered_at, coalesce(json_agg(json_build_object('n', a.n, 'at',"
        " a.at, 'outcome', a.outcome, 'status_code', a.status_code, 'error', a.error,"
        " 'duration_ms', a.duration_ms) ORDER BY a.n) FILTER (WHERE a.n IS NOT NULL), '[]')"
        " AS attempt_log FROM notifications n LEFT JOIN attempts a ON a.notification_id = n.id"
        " WHERE ($1::text IS NULL OR n.status = $1) AND ($2::text IS NULL OR n.channel = $2)"
        " AND ($3::timestamptz IS NULL OR n.created_at >= $3)"
        " AND ($5::text IS NULL OR n.event_id = $5)"
        " GROUP BY n.id ORDER BY n.created_at DESC LIMIT $4",
        status,
        channel,
        since,
        limit,
        event_id,
    )
    return [dict(r) for r in rows]
