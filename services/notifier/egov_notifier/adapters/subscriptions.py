"""PostgreSQL store of webhook subscriptions: the endpoints, their secrets, the audit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from egov_notifier.domain.retry import EndpointHealth
from egov_notifier.domain.subscriptions import (
    Endpoint,
    Scope,
    Secret,
    Subscription,
    changes,
    in_force,
)

COLUMNS = (
    "id, system, url, event_types, unit_code, owner, enabled, disabled_reason,"
    " failing_since, created_at, updated_at"
)


async def get(conn: asyncpg.Connection, sid: str, *, lock: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM subscriptions WHERE id = $1{' FOR UPDATE' if lock else ''}", sid
    )
    return dict(row) if row is not None else None


async def listing(conn: asyncpg.Connection, scope: Scope) -> list[dict[str, Any]]:
    """The subscriptions ``scope`` sees (:meth:`Scope.sees`), oldest first."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM subscriptions WHERE {_SEEN} ORDER BY created_at, id",
        *_seen_args(scope),
    )
    return [dict(r) for r in rows]


# what a scope sees, on the owner and unit of a subscription or of an audit entry ($1-$3)
_SEEN = (
    "($1::text IS NULL OR owner = $1)"
    " AND ($2::text[] IS NULL OR unit_code = ANY($2::text[]) OR ($3 AND unit_code IS NULL))"
)


def _seen_args(scope: Scope) -> tuple[str | None, list[str] | None, bool]:
    units = None if scope.owner is not None else list(scope.units)
    return scope.owner, units, scope.province


async def insert(conn: asyncpg.Connection, sub: dict[str, Any], secret: str) -> dict[str, Any]:
    row = await conn.fetchrow(
        "INSERT INTO subscriptions (id, system, url, event_types, unit_code, owner)"
        f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}",
        sub["id"],
        sub["system"],
        sub["url"],
        sub["event_types"],
        sub["unit_code"],
        sub["owner"],
    )
    await conn.execute(
        "INSERT INTO subscription_secrets (subscription_id, secret) VALUES ($1, $2)",
        sub["id"],
        secret,
    )
    return dict(row)


async def delete(conn: asyncpg.Connection, sid: str) -> None:
    await conn.execute("DELETE FROM subscriptions WHERE id = $1", sid)


async def set_health(
    conn: asyncpg.Connection,
    sid: str,
    enabled: bool,
    failing_since: datetime | None,
    disabled_reason: str | None,
) -> None:
    """The endpoint's failure streak: enabled or not, failing since when, and why disabled."""
    await conn.execute(
        "UPDATE subscriptions SET enabled = $2, failing_since = $3, disabled_reason = $4"
        " WHERE id = $1",
        sid,
        enabled,
        failing_since,
        disabled_reason,
    )


async def secrets(conn: asyncpg.Connection, sid: str) -> list[Secret]:
    rows = await conn.fetch(
        "SELECT secret, created_at, expires_at FROM subscription_secrets"
        " WHERE subscription_id = $1",
        sid,
    )
    return [Secret(r["secret"], r["created_at"], r["expires_at"]) for r in rows]


async def secrets_in_force(conn: asyncpg.Connection, sid: str, now: datetime) -> list[str]:
    return in_force(await secrets(conn, sid), now)


async def rotate(conn: asyncpg.Connection, sid: str, new: str, retire_at: datetime) -> None:
    """Add ``new``; every secret still signing stops at ``retire_at`` (or sooner, if an
    earlier rotation already said so)."""
    await conn.execute(
        "UPDATE subscription_secrets SET expires_at = LEAST(coalesce(expires_at, $2), $2)"
        " WHERE subscription_id = $1",
        sid,
        retire_at,
    )
    await conn.execute(
        "INSERT INTO subscription_secrets (subscription_id, secret) VALUES ($1, $2)", sid, new
    )


async def retire_previous(conn: asyncpg.Connection, sid: str, at: datetime) -> int:
    """Every secret but the newest stops signing at ``at`` (or sooner)."""
    status = await conn.execute(
        "UPDATE subscription_secrets SET expires_at = LEAST(coalesce(expires_at, $2), $2)"
        " WHERE subscription_id = $1 AND secret <> (SELECT secret FROM subscription_secrets"
        " WHERE subscription_id = $1 ORDER BY created_at DESC LIMIT 1)"
        " AND (expires_at IS NULL OR expires_at > $2)",
        sid,
        at,
    )
    return int(status.split()[-1])


async def prune_secrets(
    conn: asyncpg.Connection, now: datetime, replay_window: timedelta = timedelta(days=1)
) -> int:
    """Forget secrets that no longer sign anything, and the stored answers of registrations
    and rotations (which show a secret) once a retry with the same ``Idempotency-Key`` is no
    longer expected."""
    status = await conn.execute(
        "DELETE FROM subscription_secrets WHERE expires_at IS NOT NULL AND expires_at <= $1", now
    )
    await conn.execute(
        "DELETE FROM http_idempotency WHERE body ? 'secret' AND created_at < $1",
        now - replay_window,
    )
    return int(status.split()[-1])


async def audit(
    conn: asyncpg.Connection,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    actor: str,
    roles: Sequence[str],
    action: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """Record one change (who, when, what): the audited fields that differ, plus ``extra``."""
    current = after if after is not None else before
    assert current is not None
    await conn.execute(
        "INSERT INTO subscription_audit (subscription_id, owner, unit_code, actor, actor_roles,"
        " action, changes) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        current["id"],
        current.get("owner"),
        current.get("unit_code"),
        actor,
        sorted(roles),
        action,
        {**changes(before, after), **(extra or {})},
    )


async def audit_log(
    conn: asyncpg.Connection,
    scope: Scope,
    *,
    subscription_id: str | None,
    since: datetime | None,
    limit: int,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the audit entries, newest first, that ``scope`` sees (the same rule as
    :func:`listing`, on the owner and unit recorded with each entry), and how many there are."""
    where = (
        f" FROM subscription_audit WHERE {_SEEN}"
        " AND ($4::text IS NULL OR subscription_id = $4)"
        " AND ($5::timestamptz IS NULL OR at >= $5)"
    )
    args = (*_seen_args(scope), subscription_id, since)
    rows = await conn.fetch(
        "SELECT id, subscription_id, at, actor, actor_roles, action, changes, owner, unit_code"
        f"{where} ORDER BY id DESC LIMIT $6 OFFSET $7",
        *args,
        limit,
        offset,
    )
    total = await conn.fetchval(f"SELECT count(*){where}", *args)
    return [dict(r) for r in rows], int(total)


async def is_province(conn: asyncpg.Connection, unit_code: str | None) -> bool:
    """True for the root of the hierarchy (the province): a unit with no parent."""
    if unit_code is None:
        return True
    return bool(
        await conn.fetchval("SELECT parent_code IS NULL FROM units WHERE unit_code = $1", unit_code)
    )


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        row["id"],
        row["system"],
        row["url"],
        row["unit_code"],
        row["enabled"],
        row["failing_since"],
        row["disabled_reason"],
    )


class PgEndpoints:
    """:class:`~egov_notifier.domain.repositories.Endpoints` on a connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def matching(self, event_type: str) -> list[Endpoint]:
        rows = await self.conn.fetch(
            f"SELECT {COLUMNS} FROM subscriptions WHERE enabled"
            " AND ($1 = ANY(event_types) OR EXISTS (SELECT 1 FROM unnest(event_types) t"
            " WHERE t LIKE '%*' AND $1 LIKE replace(t, '*', '%'))) ORDER BY created_at, id",
            event_type,
        )
        return [_endpoint(r) for r in rows]

    async def get(self, sid: str, *, lock: bool = False) -> Endpoint | None:
        row = await get(self.conn, sid, lock=lock)
        return _endpoint(row) if row is not None else None

    async def secrets_in_force(self, sid: str, now: datetime) -> list[str]:
        return await secrets_in_force(self.conn, sid, now)

    async def set_health(self, sid: str, health: EndpointHealth, *, actor: str) -> None:
        before = await get(self.conn, sid)
        if before is None:
            return
        await set_health(
            self.conn, sid, health.enabled, health.failing_since, health.disabled_reason
        )
        if before["enabled"] and not health.enabled:
            after = {**before, "enabled": False, "disabled_reason": health.disabled_reason}
            await audit(
                self.conn, before=before, after=after, actor=actor, roles=(), action="disabled"
            )


def subscription(row: Mapping[str, Any]) -> Subscription:
    return Subscription(
        row["id"],
        row["system"],
        row["url"],
        tuple(row["event_types"]),
        row["unit_code"],
        row["owner"],
        row["enabled"],
        row["disabled_reason"],
        row["failing_since"],
        row["created_at"],
        row["updated_at"],
    )


def _row(sub: Subscription | None) -> dict[str, Any] | None:
    if sub is None:
        return None
    row = asdict(sub)
    row["event_types"] = list(sub.event_types)
    return row


class PgSubscriptions:
    """:class:`~egov_notifier.domain.repositories.Subscriptions` on a connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, sid: str, *, lock: bool = False) -> Subscription | None:
        row = await get(self.conn, sid, lock=lock)
        return subscription(row) if row is not None else None

    async def add(self, sub: Subscription, secret: str) -> Subscription:
        row = _row(sub)
        assert row is not None
        return subscription(await insert(self.conn, row, secret))

    async def save(self, sub: Subscription) -> Subscription:
        row = await self.conn.fetchrow(
            "UPDATE subscriptions SET system = $2, url = $3, event_types = $4, unit_code = $5,"
            " enabled = $6, disabled_reason = $7, failing_since = $8, updated_at = now()"
            f" WHERE id = $1 RETURNING {COLUMNS}",
            sub.id,
            sub.system,
            sub.url,
            list(sub.event_types),
            sub.unit_code,
            sub.enabled,
            sub.disabled_reason,
            sub.failing_since,
        )
        return subscription(row)

    async def delete(self, sid: str) -> None:
        await delete(self.conn, sid)

    async def secrets(self, sid: str) -> list[Secret]:
        return await secrets(self.conn, sid)

    async def rotate(self, sid: str, new: str, retire_at: datetime) -> None:
        await rotate(self.conn, sid, new, retire_at)

    async def retire_previous(self, sid: str, at: datetime) -> int:
        return await retire_previous(self.conn, sid, at)

    async def audit(
        self,
        *,
        before: Subscription | None,
        after: Subscription | None,
        actor: str,
        roles: Sequence[str],
        action: str,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        await audit(
            self.conn,
            before=_row(before),
            after=_row(after),
            actor=actor,
            roles=roles,
            action=action,
            extra=dict(extra) if extra else None,
        )

    async def audit_entries(self, sid: str) -> list[tuple[str, str, dict[str, Any]]]:
        """(action, actor, changes) of one subscription, oldest first (tests compare the fake
        with it)."""
        rows = await self.conn.fetch(
            "SELECT action, actor, changes FROM subscription_audit WHERE subscription_id = $1"
            " ORDER BY id",
            sid,
        )
        return [(r["action"], r["actor"], dict(r["changes"])) for r in rows]
