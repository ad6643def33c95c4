"""Use cases of the notifier.

Deciding (in the consumer's transaction): which rules match an event, who receives it, the
rendered text, one ``notifications`` row per (event, rule, channel, recipient) — the unique key
makes a redelivered event decide nothing twice. In-app items are written at once.

Sending (the dispatcher, after that commit): due rows are leased, sent outside any transaction,
and each attempt is recorded with its outcome; retries follow the policy; the final result is
published as ``notification.delivered.v1`` / ``notification.failed.v1``. A crash between send
and record re-sends with the same id (``webhook-id``, e-mail ``Message-ID``), so receivers can
drop the duplicate.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from egov_contracts.envelope import CloudEvent, new_event, to_json
from egov_contracts.notifications import (
    NotificationChannel,
    NotificationDelivered,
    NotificationFailed,
)
from egov_contracts.topics import NOTIFICATION_DELIVERIES
from egov_runtime.consumer import Tx
from egov_runtime.service import Runtime
from egov_runtime.units import ancestry

from egov_notifier.adapters import store
from egov_notifier.adapters.channels import Message, Sender, timed
from egov_notifier.domain.delivery import Outcome, Result, RetryPolicy, should_disable
from egov_notifier.domain.rules import Channel, mask_address, matching, recipients
from egov_notifier.domain.templates import TemplateInvalid, context_for, render


@dataclass
class Context:
    source: str
    policy: RetryPolicy
    senders: dict[str, Sender] = field(default_factory=dict)
    disable_after: timedelta = timedelta(days=5)
    lease: timedelta = timedelta(seconds=60)


async def decide(tx: Tx, ctx: Context, events: list[CloudEvent]) -> int:
    """Record the notifications these events call for; returns how many were new."""
    all_rules = await store.rules(tx.conn)
    created = 0
    now = datetime.now(UTC)
    for event in events:
        unit = str(event.data.get("unit_code") or "")
        chain = await ancestry(tx.conn, unit) if unit else []
        people = await store.people(tx.conn, chain) if chain else []
        ctx_vars = context_for(event.model_dump(mode="json"))
        for rule in matching(all_rules, event.type):
            tpl = await store.template(tx.conn, rule.template_id) if rule.template_id else None
            error: str | None = None
            try:
                text = render(tpl["subject"], tpl["body"], ctx_vars) if tpl else None
            except TemplateInvalid as exc:
                text, error = None, str(exc)
            for person in recipients(rule, chain, people):
                for channel in rule.channels:
                    address = {
                        Channel.EMAIL: person.email,
                        Channel.SMS: person.phone,
                        Channel.IN_APP: person.id,
                    }.get(channel)
                    if not address:
                        continue
                    row = {
                        "id": uuid.uuid5(
                            uuid.NAMESPACE_URL, f"{event.id}/{rule.id}/{channel}/{address}"
                        ),
                        "rule_id": rule.id,
                        "event_id": event.id,
                        "event_type": event.type,
                        "channel": str(channel),
                        "recipient": address,
                        "recipient_label": person.id
                        if channel == Channel.IN_APP
                        else mask_address(address),
                        "unit_code": unit,
                        "subject": text.subject if text else "",
                        "body": text.body if text else "",
                        "status": "failed" if error else "pending",
                        "next_attempt_at": now,
                    }
                    if not await store.insert_notification(tx.conn, row):
                        continue
                    created += 1
                    if error:
                        await _final(tx, ctx, row, attempts=0, ok=False, error=error, now=now)
                    elif channel == Channel.IN_APP:
                        await tx.conn.execute(
                            "INSERT INTO inbox_items (notification_id, unit_code, role, title,"
                            " body) VALUES ($1, $2, $3, $4, $5)",
                            row["id"],
                            person.unit_code,
                            person.role,
                            row["subject"],
                            row["body"],
                        )
                        await store.finish(
                            tx.conn,
                            row["id"],
                            status="delivered",
                            attempts=1,
                            next_attempt_at=None,
                            error=None,
                            delivered_at=now,
                        )
                        await _final(tx, ctx, row, attempts=1, ok=True, error=None, now=now)
        for sub in await store.subscriptions_for(tx.conn, event.type):
            row = {
                "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{event.id}/webhook/{sub['id']}"),
                "rule_id": f"subscription:{sub['id']}",
                "event_id": event.id,
                "event_type": event.type,
                "channel": "webhook",
                "recipient": sub["id"],
                "recipient_label": sub["system"],
                "unit_code": unit,
                "subject": event.type,
                "body": "",
                "payload": to_json(event),
                "status": "pending",
                "next_attempt_at": now,
            }
            created += int(await store.insert_notification(tx.conn, row))
    return created


async def _final(
    tx: Tx, ctx: Context, row: Any, *, attempts: int, ok: bool, error: str | None, now: datetime
) -> None:
    common = {
        "notification_id": str(row["id"]),
        "rule_id": row["rule_id"].replace(":", "."),
        "channel": NotificationChannel(row["channel"]),
        "recipient": row["recipient_label"],
        "source_event_id": row["event_id"],
        "source_event_type": row["event_type"],
        "attempts": max(attempts, 1),
    }
    data = (
        NotificationDelivered(**common, delivered_at=now)
        if ok
        else NotificationFailed(**common, failed_at=now, last_error=(error or "")[:2000])
    )
    await tx.emit(
        NOTIFICATION_DELIVERIES.name, [new_event(data, source=ctx.source, subject=str(row["id"]))]
    )


async def dispatch_due(rt: Runtime, ctx: Context, limit: int = 50) -> int:
    """Send what is due; returns how many attempts were made."""
    now = datetime.now(UTC)
    async with rt.transaction() as tx:
        due = await store.claim_due(tx.conn, now, now + ctx.lease, limit)
    if not due:
        return 0
    results = await asyncio.gather(*(_send(rt, ctx, row) for row in due))
    for row, (result, ms) in zip(due, results, strict=True):
        await _record(rt, ctx, row, result, ms)
    return len(due)


async def _send(rt: Runtime, ctx: Context, row: Any) -> tuple[Result, int]:
    channel = row["channel"]
    sender = ctx.senders.get(channel)
    if sender is None:
        return Result(Outcome.FAILED, None, f"no sender for channel {channel}"), 0
    secrets: tuple[str, ...] = ()
    recipient = row["recipient"]
    if channel == "webhook":
        async with rt.pool.acquire() as conn:
            sub = await conn.fetchrow("SELECT * FROM subscriptions WHERE id = $1", recipient)
        if sub is None or not sub["enabled"]:
            return Result(Outcome.FAILED, None, "the subscription is disabled or gone"), 0
        recipient, secrets = sub["url"], tuple(sub["secrets"])
    message = Message(
        str(row["id"]),
        channel,
        recipient,
        row["subject"],
        row["body"],
        bytes(row["payload"]) if row["payload"] is not None else None,
        secrets,
    )
    return await timed(sender, message)


async def _record(rt: Runtime, ctx: Context, row: Any, result: Result, ms: int) -> None:
    now = datetime.now(UTC)
    attempts = row["attempts"] + 1
    async with rt.transaction() as tx:
        await store.record_attempt(
            tx.conn,
            row["id"],
            attempts,
            now,
            str(result.outcome),
            result.status_code,
            result.error,
            ms,
        )
        if row["channel"] == "webhook":
            await _track_endpoint(tx, ctx, row["recipient"], result, now)
        if result.outcome == Outcome.DELIVERED:
            await store.finish(
                tx.conn,
                row["id"],
                status="delivered",
                attempts=attempts,
                next_attempt_at=None,
                error=None,
                delivered_at=now,
            )
            await _final(tx, ctx, row, attempts=attempts, ok=True, error=None, now=now)
            return
        retry_at = ctx.policy.next_attempt(attempts, now, result)
        if retry_at is not None:
            await store.finish(
                tx.conn,
                row["id"],
                status="retrying",
                attempts=attempts,
                next_attempt_at=retry_at,
                error=result.error,
                delivered_at=None,
            )
        else:
            await store.finish(
                tx.conn,
                row["id"],
                status="failed",
                attempts=attempts,
                next_attempt_at=None,
                error=result.error,
                delivered_at=None,
            )
            await _final(tx, ctx, row, attempts=attempts, ok=False, error=result.error, now=now)


async def _track_endpoint(tx: Tx, ctx: Context, sub_id: str, result: Result, now: datetime) -> None:
    if result.outcome == Outcome.DELIVERED:
        await tx.conn.execute("UPDATE subscriptions SET failing_since = NULL WHERE id = $1", sub_id)
        return
    if result.outcome == Outcome.GONE:
        await tx.conn.execute(
            "UPDATE subscriptions SET enabled = false, disabled_reason = '410 Gone' WHERE id = $1",
            sub_id,
        )
        return
    since = await tx.conn.fetchval(
        "UPDATE subscriptions SET failing_since = coalesce(failing_since, $2) WHERE id = $1"
        " RETURNING failing_since",
        sub_id,
        now,
    )
    if should_disable(since, now, ctx.disable_after):
        await tx.conn.execute(
            "UPDATE subscriptions SET enabled = false, disabled_reason = $2 WHERE id = $1",
            sub_id,
            f"failing since {since.isoformat()}",
        )


async def replay(
    tx: Tx, *, ids: list[uuid.UUID] | None = None, failed_since: datetime | None = None
) -> int:
    """Send again (same id): one delivery, or every failed one since a time."""
    status = await tx.conn.execute(
        "UPDATE notifications SET status = 'pending', next_attempt_at = now(), lease_until = NULL"
        " WHERE channel <> 'in-app' AND (($1::uuid[] IS NOT NULL AND id = ANY($1::uuid[]))"
        " OR ($2::timestamptz IS NOT NULL AND status = 'failed' AND created_at >= $2))",
        ids,
        failed_since,
    )
    return int(status.split()[-1])
