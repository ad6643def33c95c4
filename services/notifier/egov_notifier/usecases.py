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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from egov_contracts.envelope import VN_TZ, CloudEvent, to_json
from egov_contracts.notifications import (
    NotificationChannel,
    NotificationDelivered,
    NotificationFailed,
)
from egov_runtime.consumer import Incoming, Tx
from egov_runtime.service import Runtime, utc_now
from egov_runtime.units import load_hierarchy
from egov_units import Hierarchy

from egov_notifier.adapters import feed, inbox, store
from egov_notifier.adapters import subscriptions as subs
from egov_notifier.adapters.channels import CONTACT_REF, Message, Sender, timed
from egov_notifier.domain.delivery import (
    Delivery,
    EndpointHealth,
    Outcome,
    Result,
    RetryPolicy,
    Status,
)
from egov_notifier.domain.rules import (
    Audience,
    Channel,
    Priority,
    Rule,
    mask_address,
    match,
    recipients,
)
from egov_notifier.domain.subscriptions import event_units, reaches
from egov_notifier.domain.templates import (
    TemplateInvalid,
    context_for,
    render_context,
    unit_codes,
)
from egov_notifier.domain.throttle import DigestItem, DigestSchedule, Throttle, due_digests
from egov_notifier.metrics import NOTIFICATIONS, QUEUE_AGE, SEND_SECONDS, SERVICE


@dataclass
class Context:
    source: str
    policy: RetryPolicy
    clock: Callable[[], datetime] = utc_now  # the runtime's (``rt.now``; tests set it)
    senders: dict[str, Sender] = field(default_factory=dict)
    lease: timedelta = timedelta(seconds=60)
    throttle: Throttle = field(default_factory=Throttle)
    digest: DigestSchedule = field(default_factory=DigestSchedule)


@dataclass(frozen=True)
class _Target:
    """One addressee of a rule over one channel."""

    channel: Channel
    address: str
    label: str
    unit_code: str
    role: str | None = None  # in-app: the feed of this role at ``unit_code``


async def _targets(
    tx: Tx, rule: Rule, data: dict[str, Any], units: Hierarchy, day: date
) -> list[_Target]:
    if rule.audience == Audience.APPLICANT:
        # only the contact reference the event carries; the SMS gateway (run by the one-door
        # system that holds the applicant's number) resolves it
        ref = rule.contact(data)
        unit = str(data.get("unit_code") or "")
        if not ref:
            return []
        return [_Target(Channel.SMS, f"{CONTACT_REF}{ref}", f"applicant {ref[:6]}…", unit)]
    if rule.audience == Audience.SUBSCRIBERS:
        return []  # webhook subscriptions are matched on their own event types below
    out: list[_Target] = []
    for unit in rule.units(data):
        chain = units.ancestry(unit, day)  # a unit merged away: its successor's, on the day
        people = await store.people(tx.conn, chain) if chain else []
        for person in recipients(rule, chain, people):
            for channel in rule.channels:
                address = {
                    Channel.EMAIL: person.email,
                    Channel.SMS: person.phone,
                    Channel.IN_APP: person.id,
                }.get(channel)
                if not address:
                    continue
                label = person.id if channel == Channel.IN_APP else mask_address(address)
                out.append(_Target(channel, address, label, person.unit_code, person.role))
    return out


async def decide(
    tx: Tx, ctx: Context, events: list[CloudEvent], *, now: datetime | None = None
) -> int:
    """Record the notifications these events call for (as of ``now``, by default the clock's
    time); returns how many were new."""
    all_rules = await store.rules(tx.conn)
    created = 0
    now = now or ctx.clock()
    day = now.astimezone(VN_TZ).date()
    units = await load_hierarchy(tx.conn)
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        unit = str(data.get("unit_code") or "")
        names = await store.unit_names(tx.conn, unit_codes(data))
        ctx_vars = context_for(event.model_dump(mode="json"), names)
        for rule in match(all_rules, event.type, data):
            tpl = await store.template(tx.conn, rule.template_id) if rule.template_id else None
            error: str | None = None
            try:
                text = render_context(tpl, ctx_vars) if tpl else None
            except TemplateInvalid as exc:
                text, error = None, str(exc)
            for target in await _targets(tx, rule, data, units, day):
                digest = rule.priority == Priority.LOW and target.channel != Channel.IN_APP
                row = {
                    "id": uuid.uuid5(
                        uuid.NAMESPACE_URL,
                        f"{event.id}/{rule.id}/{target.channel}/{target.address}",
                    ),
                    "rule_id": rule.id,
                    "event_id": event.id,
                    "event_subject": event.subject,
                    "event_type": event.type,
                    "channel": str(target.channel),
                    "recipient": target.address,
                    "recipient_label": target.label,
                    "unit_code": target.unit_code or unit,
                    "subject": text.subject if text else "",
                    "body": text.body if text else "",
                    "html": text.html if text and target.channel == Channel.EMAIL else None,
                    "priority": str(rule.priority),
                    "status": "failed" if error else ("digest" if digest else "pending"),
                    # a delivery that fails says why (here: the template does not render)
                    "last_error": f"template {rule.template_id}: {error}" if error else None,
                    "next_attempt_at": ctx.digest.slot(now) if digest else now,
                }
                if not await store.insert_notification(tx.conn, row):
                    continue
                created += 1
                if error:
                    await _final(tx, ctx, row, attempts=0, ok=False, error=error, now=now)
                elif target.channel == Channel.IN_APP:
                    await inbox.add(
                        tx.conn,
                        row["id"],
                        unit_code=target.unit_code,
                        role=target.role,
                        title=row["subject"],
                        body=row["body"],
                        recipient=target.address,
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
                    NOTIFICATIONS.labels(SERVICE, "in-app", "delivered").inc()
        created += await _webhooks(
            tx, event, unit, now, [units.ancestry(u, day) for u in event_units(data)]
        )
    return created


async def _webhooks(
    tx: Tx, event: CloudEvent, unit: str, now: datetime, ancestries: list[list[str]]
) -> int:
    """One webhook notification per enabled subscription of the event's type whose unit
    subtree the event concerns (``ancestries``: of the units the event names; an event naming
    no unit: province-wide subscriptions only)."""
    created = 0
    for sub in await subs.matching(tx.conn, event.type):
        scope = sub["unit_code"]
        province = await subs.is_province(tx.conn, scope)
        if not reaches(scope, province, ancestries):
            continue
        row = {
            "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{event.id}/webhook/{sub['id']}"),
            "rule_id": f"subscription:{sub['id']}",
            "event_id": event.id,
            "event_subject": event.subject,
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
    await tx.publish(data, subject=str(row["id"]))


async def dispatch_due(rt: Runtime, ctx: Context, limit: int = 50) -> int:
    """Send what is due; returns how many notifications were claimed (sent or deferred)."""
    now = rt.now()
    async with rt.transaction() as tx:
        due = await store.claim_due(tx.conn, now, now + ctx.lease, limit)
        for channel, age in (await store.queue_ages(tx.conn, now)).items():
            QUEUE_AGE.labels(SERVICE, channel).set(age)
        if due:
            due = await _throttle(tx, ctx, due, now)
    if not due:
        return 0
    results = await asyncio.gather(*(_send(rt, ctx, row) for row in due))
    for row, (result, ms) in zip(due, results, strict=True):
        NOTIFICATIONS.labels(SERVICE, row["channel"], str(result.outcome)).inc()
        SEND_SECONDS.labels(SERVICE, row["channel"]).observe(ms / 1000)
        await _record(rt, ctx, row, result, ms)
    return len(due)


async def _throttle(tx: Tx, ctx: Context, rows: list[Any], now: datetime) -> list[Any]:
    """Keep the rows that may go now; put back, to their slot, those above a person's limit
    (e-mail and SMS: people, not systems, are throttled)."""
    personal = [r for r in rows if r["channel"] in ("email", "sms")]
    if not personal:
        return rows
    sent = await store.sent_since(
        tx.conn,
        sorted({(r["channel"], r["recipient"]) for r in personal}),
        now - ctx.throttle.window,
    )
    groups: dict[tuple[str, str], list[Any]] = {}
    for row in sorted(personal, key=lambda r: (r["created_at"], str(r["id"]))):
        groups.setdefault((row["channel"], row["recipient"]), []).append(row)
    deferred: set[Any] = set()
    for key, group in groups.items():
        for row, slot in zip(
            group, ctx.throttle.schedule(sent.get(key, []), len(group), now), strict=True
        ):
            if slot > now:
                await store.defer(tx.conn, row["id"], slot)
                NOTIFICATIONS.labels(SERVICE, row["channel"], "throttled").inc()
                deferred.add(row["id"])
    return [r for r in rows if r["id"] not in deferred]


async def gather_digests(tx: Tx, ctx: Context, now: datetime) -> int:
    """Turn the low-priority notifications whose digest time has come into one digest
    notification per recipient, channel and day (sent and tracked like any other)."""
    waiting = await store.digest_items_due(tx.conn, now)
    by_id = {str(r["id"]): r for r in waiting}
    items = [
        DigestItem(str(r["id"]), r["recipient"], r["channel"], r["created_at"], r["subject"])
        for r in waiting
    ]
    made = 0
    for digest in due_digests(items, ctx.digest, now):
        subject, body = digest.text()
        first = by_id[digest.items[0].notification_id]
        row = {
            "id": uuid.uuid5(uuid.NAMESPACE_URL, digest.id),
            "rule_id": "digest",
            "event_id": digest.id,
            "event_type": "digest",
            "channel": digest.channel,
            "recipient": digest.recipient,
            "recipient_label": first["recipient_label"],
            "unit_code": first["unit_code"],
            "subject": subject,
            "body": body,
            "priority": "low",
            "status": "pending",
            "next_attempt_at": digest.due_at,
        }
        await store.insert_notification(tx.conn, row)
        await store.mark_digested(tx.conn, [i.notification_id for i in digest.items], row["id"])
        made += 1
    return made


async def _send(rt: Runtime, ctx: Context, row: Any) -> tuple[Result, int]:
    channel = row["channel"]
    sender = ctx.senders.get(channel)
    if sender is None:
        return Result(Outcome.FAILED, None, f"no sender for channel {channel}"), 0
    secrets: tuple[str, ...] = ()
    recipient = row["recipient"]
    if channel == "webhook":
        async with rt.pool.acquire() as conn:
            sub = await subs.get(conn, recipient)
            signing = await subs.secrets_in_force(conn, recipient, rt.now())
        if sub is None or not sub["enabled"]:
            return Result(Outcome.FAILED, None, "the subscription is disabled or gone"), 0
        recipient, secrets = sub["url"], tuple(signing)
    message = Message(
        str(row["id"]),
        channel,
        recipient,
        row["subject"],
        row["body"],
        bytes(row["payload"]) if row["payload"] is not None else None,
        secrets,
        row["html"],
    )
    return await timed(sender, message)


async def _record(rt: Runtime, ctx: Context, row: Any, result: Result, ms: int) -> None:
    """Record an attempt; the delivery's next state comes from the pure state machine."""
    now = rt.now()
    async with rt.transaction() as tx:
        endpoint = None
        if row["channel"] == "webhook":
            endpoint = await _track_endpoint(tx, ctx, row["recipient"], result, now)
        before = Delivery(
            str(row["id"]),
            row["channel"],
            row["recipient"],
            Status.SENDING,
            attempts=await store.attempts_of(tx.conn, row["id"]),
        )
        after = before.record(result, at=now, duration_ms=ms, policy=ctx.policy, endpoint=endpoint)
        attempt = after.attempts[-1]
        await store.record_attempt(
            tx.conn,
            row["id"],
            attempt.n,
            attempt.at,
            str(attempt.outcome),
            attempt.status_code,
            attempt.error,
            attempt.duration_ms,
        )
        await store.finish(
            tx.conn,
            row["id"],
            status=str(after.status),
            attempts=attempt.n,
            next_attempt_at=after.next_attempt_at,
            error=after.last_error,
            delivered_at=after.delivered_at,
        )
        if not after.final:
            return
        ok = after.status == Status.DELIVERED
        if row["rule_id"] == "digest":
            # the digest is not an event's notification: its items are, and they end with it
            finished = await store.finish_digested(
                tx.conn, row["id"], str(after.status), now, after.last_error
            )
            for item in finished:
                await _final(tx, ctx, item, attempts=attempt.n, ok=ok, error=result.error, now=now)
            return
        await _final(tx, ctx, row, attempts=attempt.n, ok=ok, error=result.error, now=now)


async def _track_endpoint(
    tx: Tx, ctx: Context, sub_id: str, result: Result, now: datetime
) -> EndpointHealth:
    """The subscription's failure streak after this result (disabled after a long one)."""
    row = await subs.get(tx.conn, sub_id, lock=True)
    if row is None:
        return EndpointHealth(enabled=False, disabled_reason="the subscription is gone")
    health = EndpointHealth(row["enabled"], row["failing_since"], row["disabled_reason"])
    after = health.after(result, now, ctx.policy)
    if after != health:
        await subs.set_health(
            tx.conn, sub_id, after.enabled, after.failing_since, after.disabled_reason
        )
        if health.enabled and not after.enabled:
            changed = {**row, "enabled": False, "disabled_reason": after.disabled_reason}
            await subs.audit(
                tx.conn, before=row, after=changed, actor=SERVICE, roles=(), action="disabled"
            )
    return after


async def replay(
    tx: Tx, *, ids: list[uuid.UUID] | None = None, failed_since: datetime | None = None
) -> int:
    """Send again (same id): one delivery, or every failed one since a time."""
    return await store.requeue(tx.conn, ids=ids, failed_since=failed_since)


def _structured(item: Incoming) -> str:
    """The event as the structured-mode JSON the feed serves: the record's value as received,
    or, for a binary-mode record (``ce_*`` headers), the same event in structured form."""
    headers = {k.lower(): v for k, v in (item.record.headers or ())}
    content_type = bytes(headers.get("content-type", b"")).decode("latin-1").lower()
    binary = "ce_specversion" in headers and not content_type.startswith("application/cloudevents")
    if binary or item.record.value is None:
        return to_json(item.event).decode()
    return bytes(item.record.value).decode("utf-8")


async def record_feed(tx: Tx, items: list[Incoming], now: datetime) -> None:
    """Keep the public events of one partition batch for the HTTP feed, in the topic's order
    (published when the broker says, else ``now``)."""
    stored = []
    for item in items:
        data = item.event.data if isinstance(item.event.data, dict) else {}
        ts = item.record.timestamp
        stored.append(
            feed.Stored(
                event_id=item.event.id,
                type=item.event.type,
                subject=item.event.subject,
                units=event_units(data),
                topic=item.topic,
                partition=item.partition,
                offset=item.offset,
                published_at=datetime.fromtimestamp(ts / 1000, UTC)
                if ts is not None and ts >= 0
                else now,
                event=_structured(item),
            )
        )
    await feed.append(tx.conn, stored)


async def housekeeping(tx: Tx, now: datetime, retention: timedelta) -> tuple[int, int]:
    """Retention of the feed and of retired webhook secrets: (events, secrets) removed."""
    return await feed.prune(tx.conn, now - retention), await subs.prune_secrets(tx.conn, now)
