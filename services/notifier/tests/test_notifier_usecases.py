"""The notifier's use cases against in-memory fakes of their repositories and of the
transaction (no broker, no database, no SMTP or HTTP): deciding (unit staff over each channel,
a merged unit's successor, the in-app inbox, a template that does not render, the digest,
webhook subscriptions by unit subtree, a redelivered event), sending (delivered, retried,
failed, an endpoint gone, throttled), the digest, replay, and the webhook subscriptions'
self-service (scope, register, change, disable, enable, remove, rotate and retire secrets)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from egov_contracts import procedures as p
from egov_contracts.envelope import VN_TZ, CloudEvent, EventData, new_event
from egov_contracts.notifications import NotificationDelivered, NotificationFailed
from egov_devkit.testing.fakes import RecordingTx
from egov_notifier.domain.delivery import Outcome, Result, RetryPolicy
from egov_notifier.domain.subscriptions import Endpoint
from egov_notifier.domain.templates import Template
from egov_notifier.domain.throttle import DigestSchedule, Throttle
from egov_notifier.usecases import (
    Context,
    Work,
    decide,
    dispatch_due,
    gather_digests,
    replay,
)
from egov_notifier.usecases.subscriptions import (
    ChangeSubscription,
    RegisterSubscription,
    change_subscription,
    register_subscription,
    remove_subscription,
    retire_subscription_secrets,
    rotate_subscription_secret,
    set_subscription_enabled,
    visible,
)
from egov_runtime.auth import Principal
from egov_runtime.refusals import Forbidden, NotFound

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)  # after the 2025 reform of the units
OVERDUE = p.DossierOverdue.event_type


class Sender:
    """A channel that answers each message with the next scripted result (then delivered)."""

    def __init__(self, *results: Result) -> None:
        self.results = list(results)
        self.sent: list[tuple[str, str]] = []  # (id, recipient)

    async def send(self, message) -> Result:
        self.sent.append((message.id, message.recipient))
        return self.results.pop(0) if self.results else Result(Outcome.DELIVERED, 200)


def context(**senders: Sender) -> Context:
    return Context(
        source="/vn/38/notifier",
        policy=RetryPolicy((0, 60, 300), disable_after=timedelta(days=5)),
        clock=lambda: NOW,
        senders=dict(senders),  # type: ignore[arg-type]
    )


def overdue(unit: str = "38.XA.SAMSON") -> CloudEvent:
    data = p.DossierOverdue(
        dossier_code=f"HS-{uuid.uuid4().hex[:6]}",
        procedure_code="1.001865",
        unit_code=unit,
        occurred_at=NOW,
        due_at=NOW - timedelta(days=1),
        minutes_late=24 * 60,
    )
    return event_of(data)


def event_of(data: EventData) -> CloudEvent:
    return new_event(data, source="/vn/38/admin-procedures", subject=uuid.uuid4().hex[:8])


def rows(work: Work):
    return list(work.deliveries.rows.values())  # type: ignore[attr-defined]


def tx_of(work: Work) -> RecordingTx:
    assert isinstance(work.tx, RecordingTx)
    return work.tx


async def test_an_overdue_dossier_reaches_its_head_and_the_operators_above(fake_work):
    event = overdue()
    made = await decide(fake_work, context(), [event], now=NOW)
    got = {(n.channel, n.recipient_label, n.unit_code, n.status) for n in rows(fake_work)}
    assert made == len(got) == 5
    assert {(c, u, s) for c, _, u, s in got} == {
        ("email", "38.XA.SAMSON", "pending"),
        ("sms", "38.XA.SAMSON", "pending"),
        ("in-app", "38.XA.SAMSON", "delivered"),
        ("email", "38", "pending"),
        ("in-app", "38", "delivered"),
    }
    code = event.data["dossier_code"]
    assert all(code in n.subject + n.body for n in rows(fake_work))
    inbox = fake_work.inbox.items  # type: ignore[attr-defined]
    assert {(i["unit_code"], i["role"], i["recipient"]) for i in inbox} == {
        ("38.XA.SAMSON", "head", "38-xa-samson-head"),
        ("38", "operator", "38-operator"),
    }
    delivered = tx_of(fake_work).published(NotificationDelivered)
    assert sorted(d.recipient for d in delivered) == ["38-operator", "38-xa-samson-head"]
    assert {e.source for e in tx_of(fake_work).events} == {"/vn/38/notifier"}


async def test_an_event_decided_again_adds_nothing(fake_work):
    event = overdue()
    first = await decide(fake_work, context(), [event], now=NOW)
    published = len(tx_of(fake_work).events)
    assert first > 0
    assert await decide(fake_work, context(), [event], now=NOW + timedelta(minutes=1)) == 0
    assert len(tx_of(fake_work).events) == published


async def test_an_event_naming_a_merged_unit_reaches_its_successors_staff(fake_work):
    # Thành phố Thanh Hóa (38.380) was merged into Phường Hạc Thành on 2025-07-01
    await decide(fake_work, context(), [overdue("38.380")], now=NOW)
    in_app = {(n.unit_code, n.recipient_label) for n in rows(fake_work) if n.channel == "in-app"}
    assert in_app == {("38.XA.HACTHANH", "38-xa-hacthanh-head"), ("38", "38-operator")}


async def test_a_template_that_does_not_render_fails_the_notification_with_the_reason(fake_work):
    fake_work.directory.templates["dossier-overdue"] = Template(  # type: ignore[attr-defined]
        "dossier-overdue", "{{ missing.field }}", "x"
    )
    await decide(fake_work, context(), [overdue()], now=NOW)
    assert {n.status for n in rows(fake_work)} == {"failed"}
    assert all((n.last_error or "").startswith("template dossier-overdue") for n in rows(fake_work))
    assert len(tx_of(fake_work).published(NotificationFailed)) == len(rows(fake_work))
    assert fake_work.inbox.items == []  # type: ignore[attr-defined]


async def test_a_low_priority_event_waits_for_the_digest_then_goes_in_one_message(
    fake_work, fake_begin
):
    rate = p.OnTimeRateComputed.model_validate(
        {
            "unit_code": "38.SNV",
            "period": "2026-02",
            "period_from": "2026-02-01",
            "period_to": "2026-02-28",
            **dict.fromkeys(
                (
                    "carried_over",
                    "received_online",
                    "received_counter_postal",
                    "resolved_early",
                    "resolved_on_time",
                    "resolved_late",
                    "in_progress_within_deadline",
                    "in_progress_overdue",
                    "withdrawn",
                    "returned",
                ),
                1,
            ),
            "on_time_rate": "0.5",
            "returned_withdrawn": "excluded",
            "revision": 1,
        }
    )
    ctx = context(email=Sender())
    january = rate.model_copy(update={"period": "2026-01"})
    await decide(fake_work, ctx, [event_of(rate), event_of(january)], now=NOW)
    waiting = rows(fake_work)
    slot = DigestSchedule().slot(NOW)
    assert waiting and {(n.status, n.next_attempt_at) for n in waiting} == {("digest", slot)}
    assert await gather_digests(fake_work, ctx, slot - timedelta(minutes=1)) == 0
    assert await gather_digests(fake_work, ctx, slot) == 1
    [digest] = [n for n in rows(fake_work) if n.rule_id == "digest"]
    assert "2026-02" in digest.body and "2026-01" in digest.body
    ctx.clock = lambda: slot
    assert await dispatch_due(fake_begin, ctx, slot) == 1
    items = [n for n in rows(fake_work) if n.digest_id == digest.id]
    assert len(items) == 2 and {n.status for n in items} == {"delivered"}
    delivered = tx_of(fake_work).published(NotificationDelivered)
    assert sorted(d.notification_id for d in delivered) == sorted(str(n.id) for n in items)


async def test_webhooks_go_to_subscriptions_whose_subtree_the_event_concerns(fake_work):
    endpoints = fake_work.endpoints
    for sid, unit, types in (
        ("sub_samson", "38.XA.SAMSON", [OVERDUE]),
        ("sub_province", "38", ["vn.egov.procedures.*"]),
        ("sub_legacy", None, [OVERDUE]),
        ("sub_other", "38.SNV", [OVERDUE]),
        ("sub_other_type", "38.XA.SAMSON", ["vn.egov.indicators.*"]),
    ):
        endpoint = Endpoint(sid, sid, f"https://{sid}.example", unit)
        endpoints.register(endpoint, types, "whsec", NOW)  # type: ignore[attr-defined]
    await decide(fake_work, context(), [overdue()], now=NOW)
    webhooks = {n.recipient for n in rows(fake_work) if n.channel == "webhook"}
    assert webhooks == {"sub_samson", "sub_province", "sub_legacy"}
    [hook] = [n for n in rows(fake_work) if n.recipient == "sub_samson"]
    assert hook.payload is not None and OVERDUE.encode() in hook.payload


async def test_a_delivery_is_retried_by_the_policy_then_ends_delivered(fake_work, fake_begin):
    email = Sender(Result(Outcome.RETRY, 503, "busy"))
    ctx = context(email=email, sms=Sender())
    await decide(fake_work, ctx, [overdue()], now=NOW)
    assert await dispatch_due(fake_begin, ctx, NOW) == 3  # two e-mails, one SMS
    retried = [n for n in rows(fake_work) if n.status == "retrying"]
    assert len(retried) == 1 and retried[0].last_error == "busy"
    retry_at = retried[0].next_attempt_at
    assert retry_at is not None and NOW < retry_at < NOW + timedelta(minutes=2)  # ~60 s
    assert await dispatch_due(fake_begin, ctx, retry_at - timedelta(seconds=1)) == 0
    ctx.clock = lambda: retry_at
    assert await dispatch_due(fake_begin, ctx, retry_at) == 1
    [again] = [n for n in rows(fake_work) if n.id == retried[0].id]
    assert (again.status, again.attempts) == ("delivered", 2)
    log = fake_work.deliveries.attempt_log[again.id]  # type: ignore[attr-defined]
    assert [(a.n, a.outcome, a.status_code) for a in log] == [
        (1, Outcome.RETRY, 503),
        (2, Outcome.DELIVERED, 200),
    ]
    assert len(email.sent) == 3 and str(again.id) == email.sent[2][0]  # the same id again
    assert await dispatch_due(fake_begin, ctx, NOW + timedelta(hours=1)) == 0


async def test_a_delivery_that_keeps_failing_ends_failed_and_says_so(fake_work, fake_begin):
    ctx = context(sms=Sender(*[Result(Outcome.RETRY, 500, "down")] * 10), email=Sender())
    await decide(fake_work, ctx, [overdue()], now=NOW)
    at = NOW
    for _ in range(6):
        ctx.clock = lambda at=at: at
        await dispatch_due(fake_begin, ctx, at)
        at += timedelta(minutes=10)
    [sms] = [n for n in rows(fake_work) if n.channel == "sms"]
    assert (sms.status, sms.attempts, sms.last_error) == ("failed", 3, "down")
    [failed] = tx_of(fake_work).published(NotificationFailed)
    assert (failed.notification_id, failed.attempts) == (str(sms.id), 3)


async def test_an_endpoint_gone_is_disabled_and_its_delivery_parked(fake_work, fake_begin):
    fake_work.endpoints.register(  # type: ignore[attr-defined]
        Endpoint("sub_x", "x", "https://x.example", "38"), [OVERDUE], "whsec_x", NOW
    )
    webhook = Sender(Result(Outcome.GONE, 410, "gone"))
    ctx = context(webhook=webhook, email=Sender(), sms=Sender())
    await decide(fake_work, ctx, [overdue()], now=NOW)
    await dispatch_due(fake_begin, ctx, NOW)
    assert webhook.sent[0][1] == "https://x.example"
    [hook] = [n for n in rows(fake_work) if n.channel == "webhook"]
    assert hook.status == "endpoint-disabled"
    endpoint = await fake_work.endpoints.get("sub_x")
    assert endpoint is not None and not endpoint.enabled
    assert fake_work.endpoints.audited == [("sub_x", "disabled", "notifier")]  # type: ignore[attr-defined]
    failed = tx_of(fake_work).published(NotificationFailed)
    assert [f.notification_id for f in failed] == [str(hook.id)]


async def test_a_person_above_the_limit_waits_for_a_slot(fake_work, fake_begin):
    ctx = context(email=Sender(), sms=Sender())
    ctx.throttle = Throttle(limit=1, window=timedelta(hours=1))
    await decide(fake_work, ctx, [overdue(), overdue()], now=NOW)
    await dispatch_due(fake_begin, ctx, NOW)
    head = [n for n in rows(fake_work) if n.channel == "email" and n.unit_code == "38.XA.SAMSON"]
    assert sorted(n.status for n in head) == ["delivered", "pending"]
    [waiting] = [n for n in head if n.status == "pending"]
    assert waiting.next_attempt_at == NOW + timedelta(hours=1)


async def test_replay_sends_a_failed_delivery_again_with_its_id(fake_work, fake_begin):
    ctx = context(email=Sender(*[Result(Outcome.FAILED, 400, "bad")] * 2), sms=Sender())
    await decide(fake_work, ctx, [overdue()], now=NOW)
    await dispatch_due(fake_begin, ctx, NOW)
    failed = [n.id for n in rows(fake_work) if n.status == "failed"]
    assert len(failed) == 2
    assert await replay(fake_work, ids=failed[:1]) == 1
    assert await replay(fake_work, failed_since=NOW - timedelta(hours=1)) == 1  # the other
    in_app = [n.id for n in rows(fake_work) if n.channel == "in-app"]
    assert await replay(fake_work, ids=in_app) == 0  # in-app items are not resent
    assert {n.status for n in rows(fake_work) if n.id in failed} == {"pending"}


# -- webhook subscriptions, self-service ---------------------------------------------------

SNV, SAMSON = "38.SNV", "38.XA.SAMSON"


def caller(unit: str, *roles: str, subject: str = "he-thong-a") -> Principal:
    return Principal(subject, frozenset(roles or ("integration",)), unit)


def register(url: str = "https://a.example/hook", **kw) -> RegisterSubscription:
    return RegisterSubscription(url, (OVERDUE,), **kw)


async def test_a_system_registers_for_its_unit_or_below_and_sees_only_its_own(fake_work):
    system = caller(SNV)
    sub = await register_subscription(fake_work, system, register(), "whsec_1", NOW)
    assert (sub.owner, sub.system, sub.unit_code, sub.enabled) == (
        system.subject,
        "he-thong-a",
        SNV,
        True,
    )
    assert await fake_work.subscriptions.secrets(sub.id) != []
    with pytest.raises(Forbidden) as wider:
        await register_subscription(fake_work, system, register(unit_code="38"), "whsec_2", NOW)
    with pytest.raises(Forbidden) as for_another:
        await register_subscription(fake_work, system, register(owner="other"), "whsec_3", NOW)
    assert (wider.value.title, for_another.value.title) == (
        "Outside your unit",
        "Only operators register for another system",
    )
    other = caller(SNV, subject="he-thong-b")
    with pytest.raises(NotFound) as missing:
        await visible(fake_work, other, sub.id, NOW)
    assert missing.value.title == "No such subscription"
    operator = caller("38", "operator", subject="van-hanh")
    seen, scope = await visible(fake_work, operator, sub.id, NOW)
    assert seen == sub and scope.province
    audit = await fake_work.subscriptions.audit_entries(sub.id)  # type: ignore[attr-defined]
    assert [(a, actor) for a, actor, _ in audit] == [("created", "he-thong-a")]


async def test_an_operator_registers_for_a_system_and_changes_within_its_unit(fake_work):
    operator = caller(SNV, "operator", subject="van-hanh")
    sub = await register_subscription(
        fake_work, operator, register(owner="he-thong-a", unit_code=SNV), "whsec", NOW
    )
    assert sub.owner == "he-thong-a"
    changed = await change_subscription(
        fake_work, operator, sub.id, ChangeSubscription(url="https://b.example/hook"), NOW
    )
    assert changed.url == "https://b.example/hook" and changed.created_at == sub.created_at
    assert (
        await change_subscription(fake_work, operator, sub.id, ChangeSubscription(), NOW) == changed
    )
    with pytest.raises(Forbidden):
        await change_subscription(
            fake_work, operator, sub.id, ChangeSubscription(unit_code="38"), NOW
        )
    [_, (action, _, what)] = await fake_work.subscriptions.audit_entries(sub.id)  # type: ignore[attr-defined]
    assert action == "updated" and what == {
        "url": {"from": "https://a.example/hook", "to": "https://b.example/hook"}
    }


async def test_disable_enable_and_remove_are_audited(fake_work):
    system = caller(SNV)
    sub = await register_subscription(fake_work, system, register(), "whsec", NOW)
    off = await set_subscription_enabled(fake_work, system, sub.id, False, "bảo trì", NOW)
    assert (off.enabled, off.disabled_reason) == (False, "disabled by he-thong-a: bảo trì")
    assert await fake_work.endpoints.matching(OVERDUE) == []  # nothing decided for it
    on = await set_subscription_enabled(fake_work, system, sub.id, True, None, NOW)
    assert (on.enabled, on.disabled_reason, on.failing_since) == (True, None, None)
    await remove_subscription(fake_work, system, sub.id, NOW)
    assert await fake_work.subscriptions.get(sub.id) is None
    audit = await fake_work.subscriptions.audit_entries(sub.id)  # type: ignore[attr-defined]
    assert [a for a, _, _ in audit] == ["created", "disabled", "enabled", "deleted"]


async def test_a_rotation_signs_with_both_secrets_until_the_previous_is_retired(fake_work):
    system = caller(SNV)
    sub = await register_subscription(fake_work, system, register(), "whsec_old", NOW)
    retire_at = NOW + timedelta(hours=24)
    await rotate_subscription_secret(fake_work, system, sub.id, "whsec_new", retire_at, NOW)
    assert await fake_work.endpoints.secrets_in_force(sub.id, NOW) == ["whsec_new", "whsec_old"]
    await retire_subscription_secrets(fake_work, system, sub.id, NOW + timedelta(hours=1), NOW)
    later = NOW + timedelta(hours=2)
    assert await fake_work.endpoints.secrets_in_force(sub.id, later) == ["whsec_new"]
    assert await retire_subscription_secrets(fake_work, system, sub.id, later, later) == sub
    audit = await fake_work.subscriptions.audit_entries(sub.id)  # type: ignore[attr-defined]
    assert [a for a, _, _ in audit] == ["created", "secret-rotated", "secret-retired"]
    assert audit[2][2]["secrets"] == 1
