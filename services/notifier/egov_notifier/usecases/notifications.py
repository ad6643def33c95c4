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
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from egov_contracts.envelope import VN_TZ, CloudEvent, to_json
from egov_contracts.notifications import (
    NotificationChannel,
    NotificationDelivered,
    NotificationFailed,
)
from egov_runtime import tracing
from egov_runtime.consumer import Incoming, Tx
from egov_units import Hierarchy

from egov_notifier.adapters import feed
from egov_notifier.adapters import subscriptions as subs
from egov_notifier.adapters.channels import CONTACT_REF, Message, timed
from egov_notifier.domain.delivery import (
    EndpointHealth,
    Outcome,
    Result,
    Status,
)
from egov_notifier.domain.notification import DIGEST, Notification
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
from egov_notifier.domain.throttle import DigestItem, due_digests
from egov_notifier.metrics import NOTIFICATIONS, QUEUE_AGE, SEND_SECONDS, SERVICE
from egov_notifier.usecases.common import Begin, Context, Work


@dataclass(frozen=True)
class _Target:
    """One addressee of a rule over one channel."""

    channel: Channel
    address: str
    label: str
    unit_code: str
    role: str | None = None  # in-app: the feed of this role at ``unit_code``


async def _targets(
    w: Work, rule: Rule, data: dict[str, Any], units: Hierarchy, day: date
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
        people = await w.directory.people(chain) if chain else []
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


async def decide(w: Work, ctx: Context, events: list[CloudEvent], *, now: datetime) -> int:
    """Record the notifications these events call for (as of ``now``); returns how many were
    new."""
    all_rules = await w.directory.rules()
    created = 0
    day = now.astimezone(VN_TZ).date()
    units = await w.directory.hierarchy()
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        unit = str(data.get("unit_code") or "")
        # the deliveries continue this transaction's trace (tracing on), else the event's
        traceparent, tracestate = tracing.current_or(event.traceparent, event.tracestate)
        names = await w.directory.unit_names(unit_codes(data))
        ctx_vars = context_for(event.model_dump(mode="json"), names)
        for rule in match(all_rules, event.type, data):
            tpl = await w.directory.template(rule.template_id) if rule.template_id else None
            error: str | None = None
            try:
                text = render_context(tpl, ctx_vars) if tpl else None
            except TemplateInvalid as exc:
                text, error = None, str(exc)
            for target in await _targets(w, rule, data, units, day):
                digest = rule.priority == Priority.LOW and target.channel != Channel.IN_APP
                in_app = target.channel == Channel.IN_APP and not error
                n = Notification(
                    id=uuid.uuid5(
                        uuid.NAMESPACE_URL,
                        f"{event.id}/{rule.id}/{target.channel}/{target.address}",
                    ),
                    rule_id=rule.id,
                    event_id=event.id,
                    event_subject=event.subject,
                    event_type=event.type,
                    channel=str(target.channel),
                    recipient=target.address,
                    recipient_label=target.label,
                    unit_code=target.unit_code or unit,
                    subject=text.subject if text else "",
                    body=text.body if text else "",
                    html=text.html if text and target.channel == Channel.EMAIL else None,
                    priority=str(rule.priority),
                    status=_first_status(error, digest, in_app),
                    # a delivery that fails says why (here: the template does not render)
                    last_error=f"template {rule.template_id}: {error}" if error else None,
                    # in-app: written to the inbox in this transaction, delivered at once
                    next_attempt_at=None if in_app else ctx.digest.slot(now) if digest else now,
                    attempts=1 if in_app else 0,
                    delivered_at=now if in_app else None,
                    traceparent=traceparent,
                    tracestate=tracestate,
                )
                if not await w.deliveries.add(n):
                    continue
                created += 1
                if error:
                    await _final(w, n, attempts=0, ok=False, error=error, now=now)
                elif in_app:
                    await w.inbox.add(
                        n, unit_code=target.unit_code, role=target.role, recipient=target.address
                    )
                    await _final(w, n, attempts=1, ok=True, error=None, now=now)
                    NOTIFICATIONS.labels(SERVICE, "in-app", "delivered").inc()
        ancestries = [units.ancestry(u, day) for u in event_units(data)]
        created += await _webhooks(w, event, unit, now, units, ancestries)
    return created


def _first_status(error: str | None, digest: bool, in_app: bool) -> str:
    if error:
        return str(Status.FAILED)
    if in_app:
        return str(Status.DELIVERED)
    return DIGEST if digest else str(Status.PENDING)


async def _webhooks(
    w: Work,
    event: CloudEvent,
    unit: str,
    now: datetime,
    units: Hierarchy,
    ancestries: list[list[str]],
) -> int:
    """One webhook notification per enabled subscription of the event's type whose unit
    subtree the event concerns (``ancestries``: of the units the event names; an event naming
    no unit: province-wide subscriptions only)."""
    created = 0
    traceparent, tracestate = tracing.current_or(event.traceparent, event.tracestate)
    for sub in await w.endpoints.matching(event.type):
        scope = units.get(sub.unit_code) if sub.unit_code is not None else None
        province = sub.unit_code is None or (scope is not None and scope.parent_code is None)
        if not reaches(sub.unit_code, province, ancestries):
            continue
        n = Notification(
            id=uuid.uuid5(uuid.NAMESPACE_URL, f"{event.id}/webhook/{sub.id}"),
            rule_id=f"subscription:{sub.id}",
            event_id=event.id,
            event_subject=event.subject,
            event_type=event.type,
            channel="webhook",
            recipient=sub.id,
            recipient_label=sub.system,
            unit_code=unit,
            subject=event.type,
            body="",
            payload=to_json(event),
            status="pending",
            next_attempt_at=now,
            traceparent=traceparent,
            tracestate=tracestate,
        )
        created += int(await w.deliveries.add(n))
    return created


async def _final(
    w: Work, n: Notification, *, attempts: int, ok: bool, error: str | None, now: datetime
) -> None:
    common = {
        "notification_id": str(n.id),
        "rule_id": n.rule_id.replace(":", "."),
        "channel": NotificationChannel(n.channel),
        "recipient": n.recipient_label,
        "source_event_id": n.event_id,
        "source_event_type": n.event_type,
        "attempts": max(attempts, 1),
    }
    data = (
        NotificationDelivered(**common, delivered_at=now)
        if ok
        else NotificationFailed(**common, failed_at=now, last_error=(error or "")[:2000])
    )
    await w.tx.publish(data, subject=str(n.id))


async def dispatch_due(begin: Begin, ctx: Context, now: datetime, limit: int = 50) -> int:
    """Send what is due at ``now``; returns how many notifications were claimed (sent or
    deferred). Each claim and each outcome is its own transaction; the sending is outside
    any."""
    async with begin() as w:
        due = await w.deliveries.claim_due(now, now + ctx.lease, limit)
        for channel, age in (await w.deliveries.queue_ages(now)).items():
            QUEUE_AGE.labels(SERVICE, channel).set(age)
        if due:
            due = await _throttle(w, ctx, due, now)
    if not due:
        return 0
    results = await asyncio.gather(*(_send(begin, ctx, n) for n in due))
    for n, (result, ms) in zip(due, results, strict=True):
        NOTIFICATIONS.labels(SERVICE, n.channel, str(result.outcome)).inc()
        SEND_SECONDS.labels(SERVICE, n.channel).observe(ms / 1000)
        await _record(begin, ctx, n, result, ms)
    return len(due)


async def _throttle(
    w: Work, ctx: Context, claimed: list[Notification], now: datetime
) -> list[Notification]:
    """Keep the notifications that may go now; put back, to their slot, those above a
    person's limit (e-mail and SMS: people, not systems, are throttled)."""
    personal = [n for n in claimed if n.channel in ("email", "sms")]
    if not personal:
        return claimed
    sent = await w.deliveries.sent_since(
        sorted({(n.channel, n.recipient) for n in personal}), now - ctx.throttle.window
    )
    groups: dict[tuple[str, str], list[Notification]] = {}
    for n in sorted(personal, key=lambda n: (n.created_at or now, str(n.id))):
        groups.setdefault((n.channel, n.recipient), []).append(n)
    deferred: set[uuid.UUID] = set()
    for key, group in groups.items():
        for n, slot in zip(
            group, ctx.throttle.schedule(sent.get(key, []), len(group), now), strict=True
        ):
            if slot > now:
                await w.deliveries.defer(n.id, slot)
                NOTIFICATIONS.labels(SERVICE, n.channel, "throttled").inc()
                deferred.add(n.id)
    return [n for n in claimed if n.id not in deferred]


async def gather_digests(w: Work, ctx: Context, now: datetime) -> int:
    """Turn the low-priority notifications whose digest time has come into one digest
    notification per recipient, channel and day (sent and tracked like any other)."""
    waiting = await w.deliveries.digest_items_due(now)
    by_id = {str(n.id): n for n in waiting}
    items = [
        DigestItem(str(n.id), n.recipient, n.channel, n.created_at or now, n.subject)
        for n in waiting
    ]
    made = 0
    for digest in due_digests(items, ctx.digest, now):
        subject, body = digest.text()
        first = by_id[digest.items[0].notification_id]
        n = Notification(
            id=uuid.uuid5(uuid.NAMESPACE_URL, digest.id),
            rule_id="digest",
            event_id=digest.id,
            event_type="digest",
            channel=digest.channel,
            recipient=digest.recipient,
            recipient_label=first.recipient_label,
            unit_code=first.unit_code,
            subject=subject,
            body=body,
            priority="low",
            status="pending",
            next_attempt_at=digest.due_at,
        )
        await w.deliveries.add(n)
        await w.deliveries.mark_digested([uuid.UUID(i.notification_id) for i in digest.items], n.id)
        made += 1
    return made


async def _send(begin: Begin, ctx: Context, n: Notification) -> tuple[Result, int]:
    """One delivery attempt; with tracing on, a span in the trace the notification was decided
    in (the webhook's HTTP call, instrumented, is its child)."""
    with tracing.span(
        SERVICE,
        f"deliver {n.channel}",
        parent=n.traceparent,
        parent_state=n.tracestate,
        attributes={"egov.notification.id": str(n.id), "egov.event.id": n.event_id},
    ) as span:
        result, ms = await _attempt(begin, ctx, n)
        if span is not None:
            span.set_attribute("egov.delivery.outcome", str(result.outcome))
        return result, ms


async def _attempt(begin: Begin, ctx: Context, n: Notification) -> tuple[Result, int]:
    sender = ctx.senders.get(n.channel)
    if sender is None:
        return Result(Outcome.FAILED, None, f"no sender for channel {n.channel}"), 0
    secrets: tuple[str, ...] = ()
    recipient = n.recipient
    if n.channel == "webhook":
        async with begin() as w:
            sub = await w.endpoints.get(n.recipient)
            signing = await w.endpoints.secrets_in_force(n.recipient, ctx.clock())
        if sub is None or not sub.enabled:
            return Result(Outcome.FAILED, None, "the subscription is disabled or gone"), 0
        recipient, secrets = sub.url, tuple(signing)
    message = Message(
        str(n.id), n.channel, recipient, n.subject, n.body, n.payload, secrets, n.html
    )
    return await timed(sender, message)


async def _record(begin: Begin, ctx: Context, n: Notification, result: Result, ms: int) -> None:
    """Record an attempt; the delivery's next state comes from the pure state machine."""
    now = ctx.clock()
    async with begin() as w:
        endpoint = None
        if n.channel == "webhook":
            endpoint = await _track_endpoint(w, ctx, n.recipient, result, now)
        # ours: claimed for this attempt (a lease that ran out is claimed again, same id)
        before = replace(await w.deliveries.delivery(n.id), status=Status.SENDING)
        after = before.record(result, at=now, duration_ms=ms, policy=ctx.policy, endpoint=endpoint)
        await w.deliveries.save_delivery(after)
        if not after.final:
            return
        ok = after.status == Status.DELIVERED
        attempts = len(after.attempts)
        if n.rule_id == "digest":
            # the digest is not an event's notification: its items are, and they end with it
            finished = await w.deliveries.finish_digested(
                n.id, str(after.status), now, after.last_error
            )
            for item in finished:
                await _final(w, item, attempts=attempts, ok=ok, error=result.error, now=now)
            return
        await _final(w, n, attempts=attempts, ok=ok, error=result.error, now=now)


async def _track_endpoint(
    w: Work, ctx: Context, sub_id: str, result: Result, now: datetime
) -> EndpointHealth:
    """The subscription's failure streak after this result (disabled after a long one)."""
    sub = await w.endpoints.get(sub_id, lock=True)
    if sub is None:
        return EndpointHealth(enabled=False, disabled_reason="the subscription is gone")
    health = EndpointHealth(sub.enabled, sub.failing_since, sub.disabled_reason)
    after = health.after(result, now, ctx.policy)
    if after != health:
        await w.endpoints.set_health(sub_id, after, actor=SERVICE)
    return after


async def replay(
    w: Work, *, ids: list[uuid.UUID] | None = None, failed_since: datetime | None = None
) -> int:
    """Send again (same id): one delivery, or every failed one since a time."""
    return await w.deliveries.requeue(ids, failed_since)


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
