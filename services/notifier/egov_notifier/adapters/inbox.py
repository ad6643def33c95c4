"""The in-app inbox: items for a person (by id) or for a role at a unit, and their read marks."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from egov_runtime.pagination import Page, PageRequest

from egov_notifier.domain.notification import Notification

_ITEM = (
    "SELECT id, unit_code, role, recipient, title, body, created_at, read_at,"
    " read_at IS NOT NULL AS read FROM inbox_items"
    " WHERE (recipient = $1 OR (unit_code = $2 AND role = ANY($3::text[])))"
)


async def add(
    conn: asyncpg.Connection,
    notification_id: Any,
    *,
    unit_code: str | None,
    role: str | None,
    title: str,
    body: str,
    recipient: str | None,
) -> None:
    await conn.execute(
        "INSERT INTO inbox_items (notification_id, unit_code, role, title,"
        " body, recipient) VALUES ($1, $2, $3, $4, $5, $6)",
        notification_id,
        unit_code,
        role,
        title,
        body,
        recipient,
    )


async def page_for(
    conn: asyncpg.Connection,
    page: PageRequest,
    *,
    subject: str,
    unit_code: str | None,
    roles: list[str],
    role: str | None,
    unread: bool,
) -> Page:
    """A page of the items for ``subject`` or for one of ``roles`` at ``unit_code``, newest
    first; ``role``: only that role's, ``unread``: only those not read yet."""
    return await page.fetch(
        conn,
        f"{_ITEM} AND ($4::text IS NULL OR role = $4) AND (NOT $5::bool OR read_at IS NULL)",
        subject,
        unit_code,
        roles,
        role,
        unread,
        order_by="created_at DESC, id DESC",
    )


async def mark_read(
    conn: asyncpg.Connection,
    item_id: int,
    *,
    subject: str,
    unit_code: str | None,
    roles: list[str],
) -> dict[str, Any] | None:
    """Mark one of these items read (again: no change) and return it; None when it is not
    one of theirs."""
    row = await conn.fetchrow(f"{_ITEM} AND id = $4 FOR UPDATE", subject, unit_code, roles, item_id)
    if row is None:
        return None
    if row["read_at"] is None:
        row = await conn.fetchrow(
            "UPDATE inbox_items SET read_at = now() WHERE id = $1"
            " RETURNING id, unit_code, role, recipient, title, body, created_at, read_at,"
            " true AS read",
            item_id,
        )
    return dict(row)


class PgInbox:
    """:class:`~egov_notifier.domain.repositories.Inbox` on a connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def add(
        self, n: Notification, *, unit_code: str, role: str | None, recipient: str
    ) -> None:
        await add(
            self.conn,
            n.id,
            unit_code=unit_code,
            role=role,
            title=n.subject,
            body=n.body,
            recipient=recipient,
        )

    async def items_of(self, nid: uuid.UUID) -> list[dict[str, Any]]:
        """The items of a notification (tests compare the fake with it)."""
        rows = await self.conn.fetch(
            "SELECT unit_code, role, recipient, title, body FROM inbox_items"
            " WHERE notification_id = $1",
            nid,
        )
        return [dict(r) for r in rows]
