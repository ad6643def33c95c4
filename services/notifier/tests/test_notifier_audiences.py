"""The default rules' audiences end to end: the applicant by contact reference, the units an
award names, the district whose submission was rejected; per-person throttling and the daily
digest of low-priority notifications."""

from __future__ import annotations

import json
import random
import string
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from egov_contracts import indicators as ind
from egov_contracts import nominations as nom
from egov_contracts import procedures as p
from egov_contracts.envelope import EventData, encode, new_event
from egov_contracts.examples import example_for
from egov_devkit.testing.fixtures import wait_for
from egov_notifier.usecases import Work, gather_digests

pytestmark = pytest.mark.integration

# two e-mails an hour per person, so that the third waits
NOTIFIER_SETTINGS = {"throttle_limit": 2, "throttle_window_s": 3600}


async def publish(producer, data: EventData, subject: str) -> str:
    event = new_event(data, source="/vn/38/test", subject=subject)
    value, headers = encode(event)
    await producer.send_and_wait(
        type(data).topic, value=value, key=subject.encode(), headers=headers
    )
    return event.id


async def deliveries(notifier, event_id: str) -> list[dict]:
    r = await notifier.client.get(
        "/v1/deliveries", headers=notifier.token("operator"), params={"event_id": event_id}
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def settled(notifier, event_id: str, count: int) -> list[dict]:
    """The event's deliveries once ``count`` of them exist and none is still being sent."""
    found: list[dict] = []

    async def ready() -> bool:
        found[:] = await deliveries(notifier, event_id)
        soon = datetime.now(UTC) + timedelta(minutes=1)
        return len(found) >= count and all(
            d["status"] not in ("pending", "sending")
            or datetime.fromisoformat(d["next_attempt_at"]) > soon
            for d in found
        )

    await wait_for(ready, timeout=20)
    return found


async def test_resolved_dossier_reaches_the_applicant_by_reference_only(
    notifier, producer, sms_gateway
):
    code = f"HS-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    base = {"dossier_code": code, "procedure_code": "1.001865", "unit_code": "38.XA.SAMSON"}
    resolved = p.DossierResolved(
        **base,
        occurred_at=now,
        resolved_at=now,
        due_at=now + timedelta(days=1),
        timeliness=p.Timeliness("early"),
        result=p.ResolutionResult("granted"),
        applicant_ref="a1b2c3d4e5f6",
    )
    without_ref = resolved.model_copy(update={"dossier_code": f"{code}-X", "applicant_ref": None})
    event_id = await publish(producer, resolved, code)
    other_id = await publish(producer, without_ref, f"{code}-X")

    [sms] = [d for d in await settled(notifier, event_id, 1) if d["channel"] == "sms"]
    assert sms["status"] == "delivered" and sms["rule_id"] == "dossier-resolved-applicant"
    assert "a1b2c3d4e5f6" not in sms["recipient_label"]  # lists show a masked reference
    sent = [json.loads(r.body) for r in sms_gateway.requests if code.encode() in r.body]
    assert len(sent) == 1
    assert sent[0]["to_ref"] == "a1b2c3d4e5f6" and "to" not in sent[0]
    assert f"Ho so {code} da co ket qua (chap thuan)" in sent[0]["text"]
    # an event without a contact reference reaches no applicant (its unit rules did run)
    await settled(notifier, other_id, 0)
    assert [d for d in await deliveries(notifier, other_id) if d["channel"] == "sms"] == []


async def test_award_reaches_the_units_it_names_in_app(notifier, producer):
    number = f"{uuid.uuid4().hex[:4]}/QĐ-UBND"
    award = example_for(nom.AwardConferred.event_type).model_copy(
        update={
            "decision_number": number,
            "recipients": [
                nom.Nominee(
                    kind=nom.NomineeKind.COLLECTIVE, ref="38.XA.SAMSON", unit_code="38.XA.SAMSON"
                ),
                nom.Nominee(kind=nom.NomineeKind.INDIVIDUAL, ref="CB-0001", unit_code="38.SNV"),
            ],
        }
    )
    event_id = await publish(producer, award, number)
    found = await settled(notifier, event_id, 4)
    assert sorted((d["channel"], d["unit_code"]) for d in found) == [
        ("email", "38.SNV"),
        ("email", "38.XA.SAMSON"),
        ("in-app", "38.SNV"),
        ("in-app", "38.XA.SAMSON"),
    ]
    feed = await notifier.client.get(
        "/v1/inbox", headers=notifier.token("head", unit="38.XA.SAMSON")
    )
    assert [i["title"] for i in feed.json()["items"] if number in i["title"]] == [
        f"[Khen thưởng] Quyết định {number}"
    ]


async def test_rejected_submission_tells_the_reporting_unit_every_violation(notifier, producer):
    rejected = example_for(ind.SubmissionRejected.event_type)
    sid = f"SUB-{uuid.uuid4().hex[:6]}"
    rejected = rejected.model_copy(update={"submission_id": sid, "unit_code": "38.XA.SAMSON"})
    event_id = await publish(producer, rejected, sid)
    found = await settled(notifier, event_id, 4)
    assert {(d["channel"], d["recipient_label"].split("-")[-1]) for d in found} >= {
        ("in-app", "officer"),
        ("in-app", "head"),
    }
    feed = await notifier.client.get(
        "/v1/inbox",
        headers=notifier.token("officer", unit="38.XA.SAMSON"),
        params={"role": "officer"},
    )
    [item] = [i for i in feed.json()["items"] if sid in i["body"]]
    for v in rejected.violations:
        assert v.message in item["body"]


async def test_a_person_gets_at_most_the_limit_and_the_rest_waits(notifier, producer, smtp):
    op = notifier.token("operator")
    role = "tester-" + "".join(random.choices(string.ascii_lowercase, k=8))
    address = f"{role}@demo.egov.vn"
    r = await notifier.client.put(
        f"/v1/recipients/{role}",
        headers=op,
        json={"unit_code": "38.XA.SAMSON", "role": role, "name": "Người thử", "email": address},
    )
    assert r.status_code == 200, r.text
    r = await notifier.client.put(
        f"/v1/rules/{role}",
        headers=op,
        json={
            "event_type": p.DossierOverdue.event_type,
            "channels": ["email"],
            "roles": [role],
            "template_id": "dossier-overdue",
        },
    )
    assert r.status_code == 200, r.text
    due = datetime.now(UTC) - timedelta(minutes=5)
    ids = []
    for i in range(4):
        code = f"HS-{role}-{i}"
        ids.append(
            await publish(
                producer,
                p.DossierOverdue(
                    dossier_code=code,
                    procedure_code="1.001865",
                    unit_code="38.XA.SAMSON",
                    occurred_at=due,
                    due_at=due,
                    minutes_late=5,
                ),
                code,
            )
        )
    rows = []
    for event_id in ids:
        rows += [d for d in await settled(notifier, event_id, 1) if d["rule_id"] == role]
    assert sorted(d["status"] for d in rows) == ["delivered", "delivered", "pending", "pending"]
    later = [datetime.fromisoformat(d["next_attempt_at"]) for d in rows if d["status"] == "pending"]
    assert all(t > datetime.now(UTC) + timedelta(minutes=50) for t in later)
    assert len([m for m in smtp[1] if m["To"] == address]) == 2


async def test_low_priority_notifications_go_out_as_one_daily_digest(notifier, producer, smtp):
    unit = "38.XA.HOANGHOA"
    events = []
    for period in ("2026-09", "2026-10"):
        rate = example_for(p.OnTimeRateComputed.event_type).model_copy(
            update={
                "unit_code": unit,
                "period": f"{period}-{uuid.uuid4().hex[:4]}",
                "period_from": date(2026, 9, 1),
                "period_to": date(2026, 9, 30),
            }
        )
        events.append((await publish(producer, rate, f"{unit}/{rate.period}"), rate.period))
    waiting = []
    for event_id, _ in events:
        waiting += [d for d in await settled(notifier, event_id, 1) if d["channel"] == "email"]
    assert [d["status"] for d in waiting] == ["digest", "digest"]
    head = "lanhdao.38-xa-hoanghoa@demo.egov.vn"
    assert not [m for m in smtp[1] if m["To"] == head and "Tổng hợp" in str(m["Subject"])]

    # the digest hour comes: the items are made a day older instead of waiting for 16:30
    ctx = notifier.app.state.wiring.state["context"]
    async with notifier.runtime.transaction() as tx:
        await tx.conn.execute(
            "UPDATE notifications SET created_at = created_at - interval '1 day',"
            " next_attempt_at = next_attempt_at - interval '1 day' WHERE event_id = ANY($1)",
            [e for e, _ in events],
        )
        assert await gather_digests(Work.on(tx), ctx, datetime.now(UTC)) >= 1

    def digest_mail():
        return [m for m in smtp[1] if m["To"] == head and "Tổng hợp" in str(m["Subject"])]

    await wait_for(lambda: digest_mail(), timeout=20)
    [mail] = digest_mail()
    text = mail.get_payload(decode=True).decode()
    for _, period in events:
        assert period in text
    for event_id, _ in events:  # each item ends delivered, carried by the digest

        async def carried(eid: str = event_id) -> bool:
            rows = [d for d in await deliveries(notifier, eid) if d["channel"] == "email"]
            return bool(rows) and all(d["status"] == "delivered" and d["digest_id"] for d in rows)

        await wait_for(carried, timeout=20)


async def test_metrics_per_channel(notifier):
    text = (await notifier.client.get("/metrics")).text
    for line in (
        'egov_notifications_total{channel="email",outcome="delivered",service="notifier"}',
        'egov_notifications_total{channel="email",outcome="throttled",service="notifier"}',
        'egov_notifications_total{channel="sms",outcome="delivered",service="notifier"}',
        'egov_notification_send_seconds_count{channel="email",service="notifier"}',
        'egov_notification_queue_age_seconds{channel="webhook",service="notifier"}',
    ):
        assert line in text, line
