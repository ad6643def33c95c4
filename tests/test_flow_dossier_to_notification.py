"""Flow 1 across services: a one-door system reports a dossier → admin-procedures runs its
deadline → the dossier goes overdue → the notifier e-mails the unit head, puts it in the
in-app feed and pushes a signed webhook to a subscribed system. Both services run for real
(own databases, one broker); they meet only on the topics."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts import procedures as c
from egov_contracts.envelope import encode, new_event
from egov_contracts.reference import load_units
from egov_contracts.topics import ALL_TOPICS, STATUS_REPORTS, dead_letter_topic
from egov_devkit.devstack.postgres import create_database, drop_database
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.receivers import http_receiver, smtp_server
from egov_devkit.testing.service import running_service
from egov_notifier.main import SPEC as NOTIFIER
from egov_notifier.main import seed as seed_notifier
from egov_notifier.settings import NotifierSettings
from egov_procedures.adapters import catalogue
from egov_procedures.main import SPEC as PROCEDURES
from egov_procedures.settings import ProceduresSettings
from egov_runtime.db import all_migrations, migrate
from egov_runtime.kafka import ensure_topics
from egov_runtime.units import publish_units
from egov_workdays import WorkCalendar
from standardwebhooks import Webhook

pytestmark = pytest.mark.integration


async def test_overdue_dossier_reaches_the_officer_and_subscribed_systems(
    kafka_bootstrap, postgres_admin_dsn
):
    names = {s: f"flow_{s}_{uuid.uuid4().hex[:6]}" for s in ("procedures", "notifier")}
    dsns = {s: await create_database(postgres_admin_dsn, n) for s, n in names.items()}
    await migrate(dsns["procedures"], all_migrations(PROCEDURES.migrations))
    await migrate(dsns["notifier"], all_migrations(NOTIFIER.migrations))
    await ensure_topics(
        kafka_bootstrap,
        [*ALL_TOPICS, dead_letter_topic("admin-procedures"), dead_letter_topic("notifier")],
        partitions=3,
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    fast = {
        "kafka_bootstrap_servers": kafka_bootstrap,
        "consumer_poll_timeout_ms": 100,
        "relay_poll_interval_s": 0.1,
    }
    try:
        await publish_units(producer, load_units(), "/vn/38/reference")
        code = f"HS-{uuid.uuid4().hex[:6]}"
        failures: list[int] = []

        def fail_once(_n: int, body: bytes) -> int:  # the broker is shared with other tests
            if code.encode() not in body or failures:
                return 200
            failures.append(503)
            return 503

        async with smtp_server() as (smtp_port, mails), http_receiver(respond=fail_once) as hook:
            procedures = ProceduresSettings(
                database_url=dsns["procedures"], timer_interval_s=0.2, rates_interval_s=3600, **fast
            )
            notifier = NotifierSettings(
                database_url=dsns["notifier"],
                smtp_port=smtp_port,
                retry_schedule_s=[0, 0.2, 0.2],
                dispatch_interval_s=0.1,
                **fast,
            )
            async with (
                running_service(PROCEDURES, procedures) as proc,
                running_service(NOTIFIER, notifier) as notif,
            ):
                async with proc.runtime.transaction() as tx:
                    await catalogue.upsert_procedures(
                        tx.conn,
                        [
                            {
                                "code": "H1",
                                "name": "Can thiệp khẩn cấp (1 giờ làm việc)",
                                "processing_value": 1,
                                "processing_unit": "working-hours",
                            }
                        ],
                    )
                await seed_notifier(notif.runtime)
                sub = await notif.client.post(
                    "/v1/subscriptions",
                    headers=notif.token("admin"),
                    json={
                        "system": "Cổng DVC quốc gia",
                        "url": hook.url,
                        "event_types": ["vn.egov.procedures.dossier.overdue.v1"],
                    },
                )
                secret = sub.json()["secret"]
                # the notifier must know the unit hierarchy (from the reference topic) first
                await wait_for(lambda: _units_known(notif), timeout=30)

                received_at = WorkCalendar().subtract_working_minutes(datetime.now(UTC), 60)
                report = c.StatusReported(
                    dossier_code=code,
                    procedure_code="H1",
                    unit_code="38.XA.SAMSON",
                    status="received",
                    occurred_at=received_at,
                    channel="counter",
                    applicant={"national_id": "038095001234", "phone": "0912348912"},
                )
                value, headers = encode(new_event(report, source="/vn/38/mot-cua", subject=code))
                await producer.send_and_wait(
                    STATUS_REPORTS.name,
                    value=value,
                    key=code.encode(),
                    headers=[*headers, proc.credential(unit="38.XA.SAMSON")],
                )

                await wait_for(
                    lambda: any(f"[Quá hạn] Hồ sơ {code}" == str(m["Subject"]) for m in mails), 30
                )
                await wait_for(lambda: len(_for(hook, code)) >= 2, timeout=30)
                head = notif.token("head", unit="38.XA.SAMSON")
                feed = (await notif.client.get("/v1/inbox", headers=head)).json()["items"]
                about = await notif.client.get(
                    "/v1/deliveries", params={"about": code}, headers=notif.token("operator")
                )

    finally:
        await producer.stop()
        for name in names.values():
            await drop_database(postgres_admin_dsn, name)

    subjects = sorted(str(m["Subject"]) for m in mails if code in str(m["Subject"]))
    # the dossier's hour was used up when it was reported: the head is told it is overdue,
    # once, and nobody is told after the fact that it is "approaching" its deadline
    assert f"[Quá hạn] Hồ sơ {code}" in subjects
    assert f"[Sắp đến hạn] Hồ sơ {code}" not in subjects
    assert any(code in item["title"] for item in feed)
    # the notifications sent about the dossier, listed by its code (the console's dossier page)
    sent = about.json()["items"]
    assert {n["event_subject"] for n in sent} == {code}
    assert {"email", "webhook"} <= {n["channel"] for n in sent}
    attempts = _for(hook, code)
    assert [status for _req, status in attempts] == [503, 200]
    assert attempts[0][0].headers["webhook-id"] == attempts[1][0].headers["webhook-id"]
    payload = Webhook(secret).verify(attempts[1][0].body, attempts[1][0].headers)
    assert payload["type"] == "vn.egov.procedures.dossier.overdue.v1"
    assert payload["data"]["dossier_code"] == code
    assert "0912348912" not in json.dumps(payload) and "038095001234" not in json.dumps(payload)


async def _units_known(svc) -> bool:
    async with svc.runtime.pool.acquire() as conn:
        return bool(await conn.fetchval("SELECT count(*) FROM units WHERE unit_code = '38'"))


def _for(hook, code: str) -> list:
    return [
        (req, status)
        for req, status in zip(hook.requests, hook.responses, strict=False)
        if code.encode() in req.body
    ]
