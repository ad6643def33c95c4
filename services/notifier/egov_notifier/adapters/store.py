"""PostgreSQL store of the notifier."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg
from egov_runtime.units import load_hierarchy
from egov_units import Hierarchy

from egov_notifier.domain.delivery import Attempt, Delivery, Outcome, Status
from egov_notifier.domain.notification import Notification
from egov_notifier.domain.rules import Audience, Channel, Person, Rule
from egov_notifier.domain.templates import Template


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
            Audience(r["audience"]),
            r["unit_path"],
            r["contact_path"],
            r["nearest_only"],
            tuple(r["requires"]),
        )
        for r in rows
    ]


async def upsert_rule(conn: asyncpg.Connection, rule: Rule) -> None:
    await conn.execute(
        "INSERT INTO rules (id, event_type, channels, roles, ancestor_roles, template_id,"
        " priority, enabled, audience, unit_path, contact_path, nearest_only, requires)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        " ON CONFLICT (id) DO UPDATE SET event_type = excluded.event_type,"
        " channels = excluded.channels, roles = excluded.roles,"
        " ancestor_roles = excluded.ancestor_roles, template_id = excluded.template_id,"
        " priority = excluded.priority, enabled = excluded.enabled,"
        " audience = excluded.audience, unit_path = excluded.unit_path,"
        " contact_path = excluded.contact_path, nearest_only = excluded.nearest_only,"
        " requires = excluded.requires",
        rule.id,
        rule.event_type,
        [str(c) for c in rule.channels],
        list(rule.roles),
        list(rule.ancestor_roles),
        rule.template_id,
        str(rule.priority),
        rule.enabled,
        str(rule.audience),
        rule.unit_path,
        rule.contact_path,
        rule.nearest_only,
        list(rule.requires),
    )


def _template(row: asyncpg.Record) -> Template:
    return Template(row["id"], row["subject"], row["body"], row["html"])


async def template(conn: asyncpg.Connection, tid: str) -> Template | None:
    row = await conn.fetchrow("SELECT * FROM templates WHERE id = $1", tid)
    return _template(row) if row is not None else None


async def templates(conn: asyncpg.Connection) -> list[Template]:
    return [_template(r) for r in await conn.fetch("SELECT * FROM templates ORDER BY id")]


async def upsert_template(conn: asyncpg.Connection, t: Template) -> None:
    await conn.execute(
        "INSERT INTO templates (id, subject, body, html) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, body = excluded.body,"
        " html = excluded.html, updated_at = now()",
        t.id,
        t.subject,
        t.body,
        t.html,
    )


async def people(conn: asyncpg.Connection, units: list[str]) -> list[Person]:
    rows = await conn.fetch("SELECT * FROM recipients WHERE unit_code = ANY($1::text[])", units)
    return [
        Person(r["id"], r["unit_code"], r["role"], r["name"], r["email"], r["phone"]) for r in rows
    ]


async def person(conn: asyncpg.Connection, pid: str) -> Person | None:
    r = await conn.fetchrow("SELECT * FROM recipients WHERE id = $1", pid)
    if r is None:
        return None
    return Person(r["id"], r["unit_code"], r["role"], r["name"], r["email"], r["phone"])


async def delivery_unit(conn: asyncpg.Connection, nid: Any) -> tuple[bool, str | None]:
    """Whether a (non in-app) delivery exists, and the unit it is about."""
    row = await conn.fetchrow(
        "SELECT unit_code FROM notifications WHERE id = $1 AND channel <> 'in-app'", nid
    )
    return (row is not None, row["unit_code"] if row else None)


async def upsert_people(conn: asyncpg.Connection, persons: list[Person]) -> None:
    await conn.executemany(
        "INSERT INTO recipients (id, unit_code, role, name, email, phone)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET"
        " unit_code = excluded.unit_code, role = excluded.role, name = excluded.name,"
        " email = excluded.email, phone = excluded.phone",
        [(p.id, p.unit_code, p.role, p.name, p.email, p.phone) for p in persons],
    )


async def unit_names(conn: asyncpg.Connection, codes: Iterable[str]) -> dict[str, str]:
    """The names of these admin units in the hierarchy read model (texts show them)."""
    rows = await conn.fetch(
        "SELECT unit_code, name FROM units WHERE unit_code = ANY($1::text[])", list(codes)
    )
    return {r["unit_code"]: r["name"] for r in rows}


async def insert_notification(conn: asyncpg.Connection, n: dict[str, Any]) -> bool:
    status = await conn.execute(
        "INSERT INTO notifications (id, rule_id, event_id, event_type, channel, recipient,"
        " recipient_label, unit_code, subject, body, payload, status, next_attempt_at,"
        " priority, html, event_subject, last_error, attempts, delivered_at, traceparent,"
        " tracestate) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
        " $16, $17, $18, $19, $20, $21)"
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
        n.get("priority", "normal"),
        n.get("html"),
        n.get("event_subject"),
        n.get("last_error"),
        n.get("attempts", 0),
        n.get("delivered_at"),
        n.get("traceparent"),
        n.get("tracestate"),
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


async def queue_ages(conn: asyncpg.Connection, now: datetime) -> dict[str, float]:
    """Seconds the oldest due notification has waited, per channel (0 when none waits)."""
    rows = await conn.fetch(
        "SELECT channel, extract(epoch FROM $1 - min(next_attempt_at))::float8 AS age"
        " FROM notifications WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $1"
        " GROUP BY channel",
        now,
    )
    ages = dict.fromkeys(("email", "sms", "webhook"), 0.0)
    ages.update({r["channel"]: max(r["age"], 0.0) for r in rows})
    return ages


async def sent_since(
    conn: asyncpg.Connection, keys: list[tuple[str, str]], since: datetime
) -> dict[tuple[str, str], list[datetime]]:
    """When each (channel, recipient) was last sent to, since a time."""
    rows = await conn.fetch(
        "SELECT n.channel, n.recipient, n.delivered_at FROM notifications n"
        " JOIN unnest($1::text[], $2::text[]) AS k(channel, recipient)"
        " ON n.channel = k.channel AND n.recipient = k.recipient"
        " WHERE n.delivered_at > $3 AND n.digest_id IS NULL ORDER BY n.delivered_at",
        [k[0] for k in keys],
        [k[1] for k in keys],
        since,
    )
    out: dict[tuple[str, str], list[datetime]] = {}
    for r in rows:
        out.setdefault((r["channel"], r["recipient"]), []).append(r["delivered_at"])
    return out


async def defer(conn: asyncpg.Connection, nid: Any, until: datetime) -> None:
    """Put a claimed notification back, due at ``until`` (no attempt was made)."""
    await conn.execute(
        "UPDATE notifications SET status = CASE WHEN attempts = 0 THEN 'pending'"
        " ELSE 'retrying' END, next_attempt_at = $2, lease_until = NULL WHERE id = $1",
        nid,
        until,
    )


async def digest_items_due(conn: asyncpg.Connection, now: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM notifications WHERE status = 'digest' AND next_attempt_at <= $1"
        " ORDER BY created_at FOR UPDATE SKIP LOCKED",
        now,
    )


async def mark_digested(conn: asyncpg.Connection, ids: list[str], digest_id: Any) -> None:
    await conn.execute(
        "UPDATE notifications SET status = 'digested', digest_id = $2, next_attempt_at = NULL"
        " WHERE id = ANY($1::uuid[])",
        ids,
        digest_id,
    )


async def finish_digested(
    conn: asyncpg.Connection,
    digest_id: Any,
    status: str,
    now: datetime,
    error: str | None = None,
) -> list[asyncpg.Record]:
    """The items a digest carried end as the digest did (delivered, or failed with the
    digest's reason)."""
    return await conn.fetch(
        "UPDATE notifications SET status = $2, attempts = 1,"
        " delivered_at = CASE WHEN $2 = 'delivered' THEN $3::timestamptz END,"
        " last_error = CASE WHEN $2 = 'delivered' THEN NULL ELSE $4 END"
        " WHERE digest_id = $1 RETURNING *",
        digest_id,
        status,
        now,
        error,
    )


async def attempts_of(conn: asyncpg.Connection, nid: Any) -> tuple[Attempt, ...]:
    rows = await conn.fetch("SELECT * FROM attempts WHERE notification_id = $1 ORDER BY n", nid)
    return tuple(
        Attempt(
            r["n"], r["at"], Outcome(r["outcome"]), r["status_code"], r["error"], r["duration_ms"]
        )
        for r in rows
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
    offset: int = 0,
    event_id: str | None = None,
    about: str | None = None,
    units: list[str] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of deliveries with their attempts, newest first, and how many match;
    ``units``: only those about these units (None: all)."""
    where = (
        " WHERE ($1::text IS NULL OR n.status = $1) AND ($2::text IS NULL OR n.channel = $2)"
        " AND ($3::timestamptz IS NULL OR n.created_at >= $3)"
        " AND ($4::text IS NULL OR n.event_id = $4)"
        " AND ($5::text IS NULL OR n.event_subject = $5)"
        " AND ($6::text[] IS NULL OR n.unit_code = ANY($6::text[]))"
    )
    args = (status, channel, since, event_id, about, units)
    rows = await conn.fetch(
        "SELECT n.id, n.rule_id, n.event_id, n.event_type, n.event_subject, n.channel,"
        " n.recipient_label,"
        " n.unit_code, n.subject, n.priority, n.digest_id, n.status, n.attempts,"
        " n.next_attempt_at, n.last_error,"
        " n.created_at, n.delivered_at, coalesce(json_agg(json_build_object('n', a.n, 'at',"
        " a.at, 'outcome', a.outcome, 'status_code', a.status_code, 'error', a.error,"
        " 'duration_ms', a.duration_ms) ORDER BY a.n) FILTER (WHERE a.n IS NOT NULL), '[]')"
        " AS attempt_log FROM notifications n LEFT JOIN attempts a ON a.notification_id = n.id"
        f"{where} GROUP BY n.id ORDER BY n.created_at DESC, n.id LIMIT $7 OFFSET $8",
        *args,
        limit,
        offset,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM notifications n{where}", *args)
    return [dict(r) for r in rows], int(total)


async def requeue(
    conn: asyncpg.Connection, *, ids: list[Any] | None, failed_since: datetime | None
) -> int:
    """Pending again, due now (not in-app): the deliveries ``ids``, or every failed one created
    since ``failed_since``; how many."""
    status = await conn.execute(
        "UPDATE notifications SET status = 'pending', next_attempt_at = now(), lease_until = NULL"
        " WHERE channel <> 'in-app' AND (($1::uuid[] IS NOT NULL AND id = ANY($1::uuid[]))"
        " OR ($2::timestamptz IS NOT NULL AND status IN ('failed', 'endpoint-disabled')"
        " AND created_at >= $2))",
        ids,
        failed_since,
    )
    return int(status.split()[-1])


# -- the repositories (domain objects in and out) ------------------------------------------

_FIELDS = (
    "id",
    "rule_id",
    "event_id",
    "event_type",
    "channel",
    "recipient",
    "recipient_label",
    "unit_code",
    "subject",
    "body",
    "status",
    "next_attempt_at",
    "event_subject",
    "html",
    "payload",
    "priority",
    "last_error",
    "attempts",
    "created_at",
    "delivered_at",
    "digest_id",
    "traceparent",
    "tracestate",
)


def notification(row: asyncpg.Record) -> Notification:
    values = {f: row[f] for f in _FIELDS}
    if values["payload"] is not None:
        values["payload"] = bytes(values["payload"])
    return Notification(**values)


class PgDeliveries:
    """:class:`~egov_notifier.domain.repositories.Deliveries` on a connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def add(self, n: Notification) -> bool:
        return await insert_notification(self.conn, {f: getattr(n, f) for f in _FIELDS})

    async def get(self, nid: uuid.UUID) -> Notification | None:
        row = await self.conn.fetchrow("SELECT * FROM notifications WHERE id = $1", nid)
        return notification(row) if row is not None else None

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[Notification]:
        rows = await claim_due(self.conn, now, lease_until, limit)
        return sorted((notification(r) for r in rows), key=_due_order)

    async def queue_ages(self, now: datetime) -> dict[str, float]:
        return await queue_ages(self.conn, now)

    async def sent_since(
        self, keys: Sequence[tuple[str, str]], since: datetime
    ) -> dict[tuple[str, str], list[datetime]]:
        return await sent_since(self.conn, list(keys), since)

    async def defer(self, nid: uuid.UUID, until: datetime) -> None:
        await defer(self.conn, nid, until)

    async def digest_items_due(self, now: datetime) -> list[Notification]:
        return [notification(r) for r in await digest_items_due(self.conn, now)]

    async def mark_digested(self, ids: Sequence[uuid.UUID], digest_id: uuid.UUID) -> None:
        await mark_digested(self.conn, [str(i) for i in ids], digest_id)

    async def finish_digested(
        self, digest_id: uuid.UUID, status: str, now: datetime, error: str | None
    ) -> list[Notification]:
        rows = await finish_digested(self.conn, digest_id, status, now, error)
        return sorted((notification(r) for r in rows), key=lambda n: (n.created_at, str(n.id)))

    async def delivery(self, nid: uuid.UUID) -> Delivery:
        row = await self.conn.fetchrow("SELECT * FROM notifications WHERE id = $1", nid)
        return Delivery(
            str(nid),
            row["channel"],
            row["recipient"],
            Status(row["status"]),
            attempts=await attempts_of(self.conn, nid),
            next_attempt_at=row["next_attempt_at"],
            lease_until=row["lease_until"],
            last_error=row["last_error"],
            delivered_at=row["delivered_at"],
        )

    async def save_delivery(self, d: Delivery) -> None:
        nid = uuid.UUID(d.id)
        for a in d.attempts:  # those kept already stay as they are
            await record_attempt(
                self.conn, nid, a.n, a.at, str(a.outcome), a.status_code, a.error, a.duration_ms
            )
        await finish(
            self.conn,
            nid,
            status=str(d.status),
            attempts=len(d.attempts),
            next_attempt_at=d.next_attempt_at,
            error=d.last_error,
            delivered_at=d.delivered_at,
        )

    async def requeue(self, ids: Sequence[uuid.UUID] | None, failed_since: datetime | None) -> int:
        return await requeue(
            self.conn, ids=list(ids) if ids is not None else None, failed_since=failed_since
        )


def _due_order(n: Notification) -> tuple[Any, str]:
    return (n.next_attempt_at, str(n.id))


class PgDirectory:
    """:class:`~egov_notifier.domain.repositories.Directory` on a connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def rules(self) -> list[Rule]:
        return await rules(self.conn)

    async def save_rule(self, rule: Rule) -> None:
        await upsert_rule(self.conn, rule)

    async def template(self, tid: str) -> Template | None:
        return await template(self.conn, tid)

    async def save_template(self, t: Template) -> None:
        await upsert_template(self.conn, t)

    async def people(self, units: Sequence[str]) -> list[Person]:
        return await people(self.conn, list(units))

    async def person(self, pid: str) -> Person | None:
        return await person(self.conn, pid)

    async def save_person(self, p: Person) -> None:
        await upsert_people(self.conn, [p])

    async def unit_names(self, codes: Sequence[str]) -> dict[str, str]:
        return await unit_names(self.conn, codes)

    async def hierarchy(self) -> Hierarchy:
        return await load_hierarchy(self.conn)
