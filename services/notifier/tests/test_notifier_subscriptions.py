"""Self-service webhook subscriptions on a real broker, PostgreSQL and local webhook receivers:
a unit's integration token registers, rotates, changes, disables and deletes its own
subscription, never sees another system's, and receives only its own units' events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from egov_contracts import procedures as p
from egov_contracts.envelope import encode, new_event
from egov_contracts.topics import DOSSIERS
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.receivers import HttpReceiver, http_receiver
from standardwebhooks import Webhook, WebhookVerificationError

pytestmark = pytest.mark.integration

DOSSIER_TYPES = ["vn.egov.procedures.dossier.*"]
SNV = "38.SNV"  # Sở Nội vụ, with its offices below it (38.SNV.NCC, 38.SNV.VL, ...)


def overdue(code: str, unit: str) -> p.DossierOverdue:
    due = datetime.now(UTC) - timedelta(minutes=5)
    return p.DossierOverdue(
        dossier_code=code,
        procedure_code="1.001865",
        unit_code=unit,
        occurred_at=due,
        due_at=due,
        minutes_late=5,
    )


async def publish(producer, unit: str) -> tuple[str, str]:
    """An overdue dossier of ``unit`` on the topic; returns (dossier code, event id)."""
    code = f"HS-{uuid.uuid4().hex[:8]}"
    event = new_event(overdue(code, unit), source="/vn/38/admin-procedures", subject=code)
    value, headers = encode(event)
    await producer.send_and_wait(DOSSIERS.name, value=value, key=code.encode(), headers=headers)
    return code, event.id


def about(receiver: HttpReceiver, code: str):
    return [r for r in receiver.requests if code.encode() in r.body]


async def test_a_units_system_manages_its_own_subscription_and_gets_its_units_events_only(
    notifier, producer
):
    snv = notifier.token("integration", unit=SNV, subject="he-thong-snv")
    samson = notifier.token("integration", unit="38.XA.SAMSON", subject="he-thong-samson")
    op = notifier.token("operator")  # the province's operator
    client = notifier.client

    async def notified(sid: str, event_id: str) -> int:
        async with notifier.runtime.pool.acquire() as conn:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM notifications WHERE rule_id = $1 AND event_id = $2",
                    f"subscription:{sid}",
                    event_id,
                )
            )

    async with (
        http_receiver() as mine,
        http_receiver() as moved,
        http_receiver() as theirs,
        http_receiver() as province,
    ):
        # never wider than the token's unit
        wider = await client.post(
            "/v1/subscriptions",
            headers=snv,
            json={"url": mine.url, "event_types": DOSSIER_TYPES, "unit_code": "38"},
        )
        assert wider.status_code == 403, wider.text
        assert wider.json()["errors"][0]["field"] == "unit_code"

        created = await client.post(
            "/v1/subscriptions",
            headers={**snv, "Idempotency-Key": "dang-ky-1"},
            json={
                "system": "Phần mềm một cửa Sở Nội vụ",
                "url": mine.url,
                "event_types": DOSSIER_TYPES,
            },
        )
        assert created.status_code == 201, created.text
        sub = created.json()
        sid, first_secret = sub["id"], sub["secret"]
        assert sub["unit_code"] == SNV and sub["owner"] == "he-thong-snv"
        assert sub["created_at"].endswith("+07:00")
        again = await client.post(
            "/v1/subscriptions",
            headers={**snv, "Idempotency-Key": "dang-ky-1"},
            json={
                "system": "Phần mềm một cửa Sở Nội vụ",
                "url": mine.url,
                "event_types": DOSSIER_TYPES,
            },
        )
        assert again.json()["id"] == sid  # a retried registration registers nothing new

        other = await client.post(
            "/v1/subscriptions",
            headers=samson,
            json={"url": theirs.url, "event_types": DOSSIER_TYPES},
        )
        other_id = other.json()["id"]
        everything = await client.post(
            "/v1/subscriptions",
            headers=op,
            json={"system": "Kho dữ liệu tỉnh", "url": province.url, "event_types": DOSSIER_TYPES},
        )
        everything_id = everything.json()["id"]

        # another system's subscription does not exist for it
        assert [
            s["id"] for s in (await client.get("/v1/subscriptions", headers=samson)).json()["items"]
        ] == [other_id]
        for call in (
            client.get(f"/v1/subscriptions/{sid}", headers=samson),
            client.patch(f"/v1/subscriptions/{sid}", headers=samson, json={"url": theirs.url}),
            client.post(f"/v1/subscriptions/{sid}/rotate-secret", headers=samson),
            client.post(f"/v1/subscriptions/{sid}/disable", headers=samson),
            client.delete(f"/v1/subscriptions/{sid}", headers=samson),
        ):
            assert (await call).status_code == 404
        audit_of_other = await client.get(
            "/v1/subscriptions/audit", headers=samson, params={"subscription_id": sid}
        )
        assert audit_of_other.json()["items"] == []
        # the province's operator sees both
        listed = (await client.get("/v1/subscriptions", headers=op)).json()["items"]
        seen = {s["id"] for s in listed}
        assert {sid, other_id, everything_id} <= seen

        # an office below 38.SNV reaches it; a commune's dossier reaches the commune's system
        code_snv, ev_snv = await publish(producer, "38.SNV.NCC")
        code_sam, ev_sam = await publish(producer, "38.XA.SAMSON")
        await wait_for(lambda: about(mine, code_snv) and about(theirs, code_sam), timeout=20)
        await wait_for(lambda: about(province, code_snv) and about(province, code_sam), timeout=20)
        # both events are decided (the province's subscription got them): nothing crossed
        assert await notified(sid, ev_sam) == 0 and await notified(other_id, ev_snv) == 0
        assert about(mine, code_sam) == [] and about(theirs, code_snv) == []
        assert Webhook(first_secret).verify(
            about(mine, code_snv)[0].body, about(mine, code_snv)[0].headers
        )

        # rotation with an overlap: both signatures until the previous secret is retired
        rotated = await client.post(
            f"/v1/subscriptions/{sid}/rotate-secret",
            headers=snv,
            json={"retire_previous_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
        )
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["secret"]
        assert new_secret != first_secret and len(rotated.json()["secrets"]) == 2
        code, _ = await publish(producer, "38.SNV.VL")
        await wait_for(lambda: about(mine, code), timeout=20)
        during = about(mine, code)[0]
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        for secret in (first_secret, new_secret):  # the reference library accepts either
            assert Webhook(secret).verify(during.body, during.headers)["subject"] == code

        retired = await client.post(f"/v1/subscriptions/{sid}/secrets/retire", headers=snv)
        assert retired.status_code == 200 and len(retired.json()["secrets"]) == 1
        # new URL and narrower types, changed by the owner
        patched = await client.patch(
            f"/v1/subscriptions/{sid}",
            headers=snv,
            json={"url": moved.url, "event_types": ["vn.egov.procedures.dossier.overdue.v1"]},
        )
        assert patched.status_code == 200 and patched.json()["url"] == moved.url
        code, _ = await publish(producer, "38.SNV.GDNN")
        await wait_for(lambda: about(moved, code), timeout=20)
        after = about(moved, code)[0]
        assert Webhook(new_secret).verify(after.body, after.headers)["subject"] == code
        with pytest.raises(WebhookVerificationError):
            Webhook(first_secret).verify(after.body, after.headers)

        # disabled: nothing is decided for it; enabled again: it receives again
        off = await client.post(
            f"/v1/subscriptions/{sid}/disable", headers=snv, json={"reason": "bảo trì"}
        )
        assert off.json()["enabled"] is False and "bảo trì" in off.json()["disabled_reason"]
        code, ev = await publish(producer, SNV)
        await wait_for(lambda: about(province, code), timeout=20)
        assert await notified(sid, ev) == 0
        on = await client.post(f"/v1/subscriptions/{sid}/enable", headers=snv)
        assert on.json()["enabled"] is True
        code, _ = await publish(producer, SNV)
        await wait_for(lambda: about(moved, code), timeout=20)

        gone = await client.delete(f"/v1/subscriptions/{sid}", headers=snv)
        assert gone.status_code == 204
        assert (await client.get(f"/v1/subscriptions/{sid}", headers=snv)).status_code == 404

    # every change, with who and what (the history outlives the subscription)
    log = (
        await client.get("/v1/subscriptions/audit", headers=snv, params={"subscription_id": sid})
    ).json()["items"]
    assert [e["action"] for e in reversed(log)] == [
        "created",
        "secret-rotated",
        "secret-retired",
        "updated",
        "disabled",
        "enabled",
        "deleted",
    ]
    assert {e["actor"] for e in log} == {"he-thong-snv"}
    assert all(e["at"].endswith("+07:00") for e in log)
    updated = next(e for e in log if e["action"] == "updated")
    assert updated["changes"]["url"] == {"from": mine.url, "to": moved.url}
    assert not any("whsec_" in str(e) for e in log)
    province_log = (
        await client.get("/v1/subscriptions/audit", headers=op, params={"subscription_id": sid})
    ).json()["items"]
    assert len(province_log) == len(log)


async def test_unsafe_urls_and_unknown_types_are_refused_on_change_too(notifier):
    snv = notifier.token("integration", unit=SNV, subject="he-thong-snv-2")
    async with http_receiver() as receiver:
        sid = (
            await notifier.client.post(
                "/v1/subscriptions",
                headers=snv,
                json={"url": receiver.url, "event_types": DOSSIER_TYPES},
            )
        ).json()["id"]
    bad_url = await notifier.client.patch(
        f"/v1/subscriptions/{sid}", headers=snv, json={"url": "ftp://example.org/x"}
    )
    assert bad_url.status_code == 422 and bad_url.json()["errors"][0]["field"] == "url"
    bad_type = await notifier.client.patch(
        f"/v1/subscriptions/{sid}", headers=snv, json={"event_types": ["vn.egov.nope.*"]}
    )
    assert bad_type.status_code == 422
    wider = await notifier.client.patch(
        f"/v1/subscriptions/{sid}", headers=snv, json={"unit_code": "38"}
    )
    assert wider.status_code == 403
    too_long = await notifier.client.post(
        f"/v1/subscriptions/{sid}/rotate-secret",
        headers=snv,
        json={"retire_previous_at": (datetime.now(UTC) + timedelta(days=90)).isoformat()},
    )
    assert too_long.status_code == 422
    officer = notifier.token("officer", unit=SNV)
    assert (await notifier.client.get("/v1/subscriptions", headers=officer)).status_code == 403


async def test_operators_register_for_a_system_and_retired_secrets_are_forgotten(notifier):
    from egov_notifier.usecases import housekeeping
    from egov_runtime.consumer import Tx

    op = notifier.token("operator", unit=SNV, subject="can-bo-snv")
    system = notifier.token("integration", unit=SNV, subject="he-thong-snv-3")
    async with http_receiver() as receiver:
        body = {"url": receiver.url, "event_types": DOSSIER_TYPES, "owner": "he-thong-snv-3"}
        created = await notifier.client.post(
            "/v1/subscriptions", headers={**op, "Idempotency-Key": "onboard-1"}, json=body
        )
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        # the system it was registered for manages it
        mine = (await notifier.client.get("/v1/subscriptions", headers=system)).json()["items"]
        assert [s["id"] for s in mine] == [sid]
        rotated = await notifier.client.post(
            f"/v1/subscriptions/{sid}/rotate-secret",
            headers=system,
            json={"retire_previous_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()},
        )
        assert rotated.status_code == 200
        # a system cannot register for another one
        other = await notifier.client.post(
            "/v1/subscriptions", headers=system, json={**body, "owner": "he-thong-khac"}
        )
        assert other.status_code == 403

    async def counts() -> tuple[int, int]:
        async with notifier.runtime.pool.acquire() as conn:
            return (
                await conn.fetchval(
                    "SELECT count(*) FROM subscription_secrets WHERE subscription_id = $1", sid
                ),
                await conn.fetchval(
                    "SELECT count(*) FROM http_idempotency WHERE principal = 'can-bo-snv'"
                ),
            )

    assert await counts() == (2, 1)
    later = datetime.now(UTC) + timedelta(days=2)  # the overlap is over, retries too
    async with notifier.runtime.pool.acquire() as conn:
        await housekeeping(Tx(conn, "notifier"), later, timedelta(days=30))
    assert await counts() == (1, 0)
