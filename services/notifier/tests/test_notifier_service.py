"""The notifier on a real broker, PostgreSQL, SMTP server and webhook receiver."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from egov_contracts import procedures as p
from egov_contracts.envelope import encode, new_event
from egov_contracts.topics import DOSSIERS, NOTIFICATION_DELIVERIES
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.receivers import http_receiver
from egov_devkit.testing.service import TopicReader
from standardwebhooks import Webhook

pytestmark = pytest.mark.integration


def overdue(code: str, unit: str = "38.XA.SAMSON") -> p.DossierOverdue:
    due = datetime.now(UTC) - timedelta(minutes=5)
    return p.DossierOverdue(
        dossier_code=code,
        procedure_code="1.001865",
        unit_code=unit,
        occurred_at=due,
        due_at=due,
        minutes_late=5,
    )


async def test_overdue_gives_email_in_app_and_a_signed_webhook_after_retries(
    notifier, producer, smtp, kafka_bootstrap, sms_gateway
):
    op = notifier.token("operator")
    code = f"HS-{uuid.uuid4().hex[:6]}"
    seen: list[int] = []

    def fail_thrice(_n: int, body: bytes) -> int:  # counted for this dossier only
        if code.encode() not in body:
            return 200
        seen.append(1)
        return 503 if len(seen) <= 3 else 200

    async with http_receiver(respond=fail_thrice) as receiver:
        r = await notifier.client.post(
            "/v1/subscriptions",
            headers=op,
            json={
                "system": "Cổng dịch vụ công tỉnh",
                "url": receiver.url,
                "event_types": ["vn.egov.procedures.dossier.*"],
            },
        )
        assert r.status_code == 201, r.text
        secret = r.json()["secret"]
        event = new_event(overdue(code), source="/vn/38/admin-procedures", subject=code)
        value, headers = encode(event)
        for _ in range(2):  # redelivered: still one notification per rule and recipient
            await producer.send_and_wait(
                DOSSIERS.name, value=value, key=code.encode(), headers=headers
            )

        await wait_for(lambda: any(code in str(m["Subject"]) for m in smtp[1]), timeout=20)

        # other tests' dossier events share this broker: look at this dossier's requests only
        def mine():
            return [
                (req, code_)
                for req, code_ in zip(receiver.requests, receiver.responses, strict=False)
                if code.encode() in req.body
            ]

        await wait_for(lambda: 200 in [c for _r, c in mine()], timeout=20)
        assert [c for _r, c in mine()][:4] == [503, 503, 503, 200]
        ids = {req.headers["webhook-id"] for req, _c in mine()}
        assert len(ids) == 1  # the same id on every attempt: receivers can drop duplicates
        last = mine()[-1][0]
        verified = Webhook(secret).verify(last.body, last.headers)
        assert verified["id"] == event.id and verified["data"]["dossier_code"] == code

    mails = [m for m in smtp[1] if code in str(m["Subject"])]
    # the commune's head, and the province's operators (the rule's ancestor role)
    assert sorted(m["To"] for m in mails) == [
        "lanhdao.38-xa-samson@demo.egov.vn",
        "theodoi.38@demo.egov.vn",
    ]
    text = mails[0].get_payload(decode=True).decode()
    # past the deadline no apology letter can be issued: the message asks for what can be done
    assert "phiếu xin lỗi" not in text and "khẩn trương giải quyết" in text
    assert "Phường Sầm Sơn (38.XA.SAMSON)" in text

    head = notifier.token("head", unit="38.XA.SAMSON")
    feed = (await notifier.client.get("/v1/inbox", headers=head)).json()["items"]
    assert [i["title"] for i in feed if code in i["title"]] == [f"[Quá hạn] Hồ sơ {code}"]
    province = await notifier.client.get("/v1/inbox", headers=op, params={"role": "operator"})
    assert any(code in i["title"] for i in province.json()["items"])

    deliveries = (
        await notifier.client.get("/v1/deliveries", headers=op, params={"event_id": event.id})
    ).json()["items"]
    hook = [d for d in deliveries if d["channel"] == "webhook" and d["event_id"] == event.id]
    assert len(hook) == 1 and hook[0]["status"] == "delivered" and hook[0]["attempts"] == 4
    assert [a["status_code"] for a in hook[0]["attempt_log"]] == [503, 503, 503, 200]
    mine = [d for d in deliveries if d["event_id"] == event.id]
    assert sorted(d["channel"] for d in mine) == [
        "email",
        "email",
        "in-app",
        "in-app",
        "sms",
        "webhook",
    ]

    reader = TopicReader(kafka_bootstrap, [NOTIFICATION_DELIVERIES.name])
    await reader.start()
    try:
        await reader.until(
            lambda: len([e for e in reader.events if e.data["source_event_id"] == event.id]) >= 4,
            20,
        )
    finally:
        await reader.stop()
    results = {
        (e.data["channel"], e.type.split(".")[-2])
        for e in reader.events
        if e.data["source_event_id"] == event.id
    }
    assert results >= {
        ("email", "delivered"),
        ("in-app", "delivered"),
        ("webhook", "delivered"),
        ("sms", "delivered"),
    }
    sms = [json.loads(r.body) for r in sms_gateway.requests if code.encode() in r.body]
    assert len(sms) == 1 and sms[0]["to"] == "0912000000"
    assert sms_gateway.requests[0].headers["x-api-key"] == "test-key"


async def test_4xx_is_final_410_disables_and_replay_resends_with_the_same_id(notifier, producer):
    op = notifier.token("operator")
    async with http_receiver(respond=lambda n, _body: {1: 400, 2: 410}.get(n, 200)) as receiver:
        r = await notifier.client.post(
            "/v1/subscriptions",
            headers=op,
            json={
                "system": "Hệ thống thống kê",
                "url": receiver.url,
                "event_types": ["vn.egov.procedures.dossier.overdue.v1"],
            },
        )
        sid = r.json()["id"]
        codes = []
        for _ in range(2):
            code = f"HS-{uuid.uuid4().hex[:6]}"
            codes.append(code)
            ev = new_event(overdue(code), source="/x", subject=code)
            value, headers = encode(ev)
            await producer.send_and_wait(
                DOSSIERS.name, value=value, key=code.encode(), headers=headers
            )
            await wait_for(lambda: len(receiver.requests) == len(codes), timeout=20)

        async def hooks():
            rows = (
                await notifier.client.get(
                    "/v1/deliveries", headers=op, params={"channel": "webhook", "limit": 500}
                )
            ).json()["items"]
            return {d["id"]: d for d in rows if d["rule_id"] == f"subscription:{sid}"}

        await wait_for(lambda: _all_final(hooks), timeout=20)
        got = await hooks()
        assert [d["attempts"] for d in got.values()] == [1, 1]  # no retry on 400 and 410
        by_code = {d["attempt_log"][0]["status_code"]: d["status"] for d in got.values()}
        assert by_code == {400: "failed", 410: "endpoint-disabled"}
        subs = (await notifier.client.get("/v1/subscriptions", headers=op)).json()["items"]
        assert next(s for s in subs if s["id"] == sid)["enabled"] is False

        enabled = await notifier.client.post(f"/v1/subscriptions/{sid}/enable", headers=op)
        assert enabled.status_code == 200
        first = next(iter(got.values()))
        again = await notifier.client.post(f"/v1/deliveries/{first['id']}/replay", headers=op)
        assert again.status_code == 200
        await wait_for(lambda: len(receiver.requests) == 3, timeout=20)
        assert receiver.requests[2].headers["webhook-id"] == str(first["id"])


async def _all_final(hooks) -> bool:
    got = await hooks()
    return len(got) == 2 and all(
        d["status"] in ("failed", "endpoint-disabled") for d in got.values()
    )


async def test_bad_templates_and_subscriptions_are_refused(notifier):
    op = notifier.token("operator")
    bad = await notifier.client.put(
        "/v1/templates/t1",
        headers=op,
        json={
            "subject": "{{ data.dossier_code }",
            "body": "x",
            "sample_types": ["vn.egov.procedures.dossier.overdue.v1"],
        },
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "subject"
    undefined = await notifier.client.put(
        "/v1/templates/t1",
        headers=op,
        json={
            "subject": "{{ data.nope }}",
            "body": "x",
            "sample_types": ["vn.egov.procedures.dossier.overdue.v1"],
        },
    )
    assert undefined.status_code == 422 and "nope" in undefined.text
    ok = await notifier.client.put(
        "/v1/templates/t1",
        headers=op,
        json={
            "subject": "Hồ sơ {{ data.dossier_code }}",
            "body": "Hạn {{ data.due_at }}",
            "sample_types": ["vn.egov.procedures.dossier.overdue.v1"],
        },
    )
    assert ok.status_code == 200
    preview = await notifier.client.post(
        "/v1/templates/t1/preview",
        headers=op,
        params={"event_type": "vn.egov.procedures.dossier.overdue.v1"},
    )
    assert preview.json()["subject"].startswith("Hồ sơ 000.00.38")
    # a template a saved rule uses is checked against that rule's event type too
    used = await notifier.client.put(
        "/v1/templates/dossier-overdue",
        headers=op,
        json={"subject": "{{ data.minutes_late }}", "body": "{{ data.resolved_at }}"},
    )
    assert used.status_code == 422 and "resolved_at" in used.text

    def rule(**changes):
        body = {
            "event_type": "vn.egov.procedures.dossier.overdue.v1",
            "channels": ["email"],
            "roles": ["head"],
            "template_id": "t1",
            **changes,
        }
        return notifier.client.put("/v1/rules/r1", headers=op, json=body)

    assert (await rule(channels=["webhook"])).status_code == 422  # not for people
    assert (await rule(roles=[])).status_code == 422  # reaches no one
    assert (await rule(audience="applicant")).status_code == 422  # applicants: SMS only
    assert (await rule(template_id="nope")).status_code == 422
    wrong_type = await rule(event_type="vn.egov.indicators.submission.rejected.v1")
    assert wrong_type.status_code == 422 and "dossier_code" in wrong_type.text
    saved = await rule(priority="low", nearest_only=True)
    assert saved.status_code == 200, saved.text
    listed = (await notifier.client.get("/v1/rules", headers=op)).json()["items"]
    rules = {r["id"]: r for r in listed}
    assert rules["r1"]["priority"] == "low" and rules["r1"]["nearest_only"] is True
    await rule(enabled=False)
    unknown = await notifier.client.post(
        "/v1/subscriptions",
        headers=op,
        json={"system": "X", "url": "https://example.org/h", "event_types": ["vn.egov.nope.v1"]},
    )
    assert unknown.status_code == 422
    officer = notifier.token("officer")
    assert (await notifier.client.get("/v1/deliveries", headers=officer)).status_code == 403


async def test_a_send_interrupted_by_a_crash_is_sent_again_with_the_same_id(notifier):
    """The dispatcher leases a notification before sending; if the process dies before it
    records the result, the lease runs out and the next dispatcher sends it again (same id)."""
    from egov_notifier.adapters import store

    op = notifier.token("operator")
    async with http_receiver() as receiver:
        sub = await notifier.client.post(
            "/v1/subscriptions",
            headers=op,
            json={
                "system": "Hệ thống tiếp nhận",
                "url": receiver.url,
                "event_types": ["vn.egov.procedures.dossier.withdrawn.v1"],
            },
        )
        nid = uuid.uuid4()
        async with notifier.runtime.transaction() as tx:
            await store.insert_notification(
                tx.conn,
                {
                    "id": nid,
                    "rule_id": f"subscription:{sub.json()['id']}",
                    "event_id": str(uuid.uuid4()),
                    "event_type": "x",
                    "channel": "webhook",
                    "recipient": sub.json()["id"],
                    "recipient_label": "x",
                    "subject": "x",
                    "body": "",
                    "payload": b'{"crash": "drill"}',
                    "status": "sending",
                    "next_attempt_at": datetime.now(UTC),
                },
            )
            # a dispatcher leased it, then died before recording any result
            await tx.conn.execute(
                "UPDATE notifications SET lease_until = now() - interval '1 second' WHERE id = $1",
                nid,
            )
        await wait_for(lambda: len(receiver.requests) == 1, timeout=20)
        assert receiver.requests[0].headers["webhook-id"] == str(nid)

        async def delivered() -> bool:
            async with notifier.runtime.pool.acquire() as conn:
                return (
                    await conn.fetchval("SELECT status FROM notifications WHERE id = $1", nid)
                    == "delivered"
                )

        await wait_for(delivered, timeout=20)


async def test_a_delivery_that_fails_says_why(notifier, producer):
    """A template that passed its check but cannot render a real event (an item the sample
    had and this event lacks): the delivery is failed, with the reason recorded."""
    from egov_notifier.adapters import store
    from egov_notifier.domain.rules import Channel, Rule
    from egov_notifier.domain.templates import Template

    kind = "vn.egov.procedures.dossier.returned.v1"
    async with notifier.runtime.transaction() as tx:
        await store.upsert_template(
            tx.conn, Template("broken-returned", "Trả lại {{ data.nope.x }}", "x")
        )
        await store.upsert_rule(
            tx.conn,
            Rule(
                "broken-returned",
                kind,
                (Channel.IN_APP,),
                roles=("officer",),
                template_id="broken-returned",
            ),
        )
    try:
        code = f"HS-{uuid.uuid4().hex[:6]}"
        returned = p.DossierReturned(
            dossier_code=code,
            procedure_code="1.001865",
            unit_code="38.XA.SAMSON",
            occurred_at=datetime.now(UTC),
            returned_at=datetime.now(UTC),
        )
        event = new_event(returned, source="/x", subject=code)
        value, headers = encode(event)
        await producer.send_and_wait(DOSSIERS.name, value=value, key=code.encode(), headers=headers)
        op = notifier.token("operator")

        async def failed() -> list[dict]:
            r = await notifier.client.get(
                "/v1/deliveries", headers=op, params={"event_id": event.id, "status": "failed"}
            )
            return r.json()["items"]

        found = await wait_for(failed, timeout=20, message="the failed delivery")
        assert all(d["last_error"] and "broken-returned" in d["last_error"] for d in found)
        assert all("nope" in d["last_error"] for d in found)
    finally:
        async with notifier.runtime.transaction() as tx:
            await tx.conn.execute("DELETE FROM rules WHERE id = 'broken-returned'")
