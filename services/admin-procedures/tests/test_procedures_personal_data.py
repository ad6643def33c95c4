"""Personal data never in clear on a topic this service writes (real broker and PostgreSQL):
the demo's one-door system and reports received over HTTP put the applicant on the status-
report topic sealed, the consumer opens it, and dead-letter copies of status reports carry it
sealed too. A scan of every topic afterwards finds no applicant name, ID number or phone."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from egov_contracts import procedures as c
from egov_contracts.envelope import encode, new_event
from egov_contracts.personal_data import seal
from egov_contracts.topics import ALL_TOPICS, STATUS_REPORTS, dead_letter_topic
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.service import running_alone
from egov_procedures.main import SPEC

pytestmark = pytest.mark.integration
DLQ = dead_letter_topic("admin-procedures").name
DEMO_DOSSIERS = 40

# one applicant per path, each with values found nowhere else
OVER_HTTP = {"national_id": "038190000001", "name": "Phạm Thị Hồng Nhung", "phone": "0987650001"}
SEALED = {"national_id": "038190000002", "name": "Lê Quang Vinh", "phone": "0987650002"}
EXTERNAL = {"national_id": "038190000003", "name": "Hoàng Minh Tuấn", "phone": "0987650003"}


@pytest.fixture(scope="module")
async def service(kafka_bootstrap, postgres_admin_dsn):
    async with running_alone(
        kafka_bootstrap,
        postgres_admin_dsn,
        SPEC,
        timer_interval_s=3600,
        rates_interval_s=3600,
        demo_dossiers=DEMO_DOSSIERS,
    ) as svc:
        await SPEC.seed(svc.runtime)  # the demo's one-door system publishes its reports
        yield svc


def report(code: str, procedure: str = "2.000744", **kw) -> dict:
    return {
        "dossier_code": code,
        "procedure_code": procedure,
        "unit_code": "38.XA.SAMSON",
        "status": "received",
        "occurred_at": "2026-03-02T08:00:00+07:00",
        **kw,
    }


async def scan_every_topic(bootstrap: str) -> list:
    """Every record of every topic on the broker, from the beginning to the current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(t, p)
            for t in await consumer.topics()
            for p in consumer.partitions_for_topic(t) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list = []
        pending = {tp for tp, end in ends.items() if end > 0}
        while pending:
            for recs in (await consumer.getmany(*pending, timeout_ms=200)).values():
                records.extend(recs)
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        return records
    finally:
        await consumer.stop()


async def test_no_personal_data_in_clear_on_any_topic(service, kafka_bootstrap):
    key = service.settings.personal_data_key.get_secret_value().encode()
    http_code, sealed_code = f"HS-{uuid.uuid4().hex[:6]}", f"HS-{uuid.uuid4().hex[:6]}"
    r = await service.client.post(
        "/v1/status-reports",
        json=report(http_code, applicant=OVER_HTTP),
        headers=service.token("integration"),
    )
    assert r.status_code == 202, r.text

    # an external one-door system: a sealed report, and clear ones that end as dead letters
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    credential = service.credential("integration")
    external_keys = []

    async def send(code: str, value: bytes) -> None:
        await producer.send_and_wait(
            STATUS_REPORTS.name, value=value, key=code.encode(), headers=[credential]
        )

    def event(data: dict) -> bytes:
        model = c.StatusReported.model_validate(data)
        value, _ = encode(new_event(model, source="/vn/38/mot-cua", subject=model.dossier_code))
        return value

    try:
        await send(sealed_code, event(report(sealed_code, applicant_sealed=seal(SEALED, key))))
        dead = {
            "unknown-procedure": event(report("X-P1", "NO-SUCH", applicant=EXTERNAL)),
            "schema": json.dumps(
                {
                    **json.loads(event(report("X-P2", applicant=EXTERNAL))),
                    "data": {**report("X-P2", applicant=EXTERNAL), "status": "teleported"},
                }
            ).encode(),
            "not-json": ";".join(EXTERNAL.values()).encode(),
            "wrong-key": event(report("X-P4", applicant_sealed=seal(EXTERNAL, b"another key"))),
        }
        for i, value in enumerate(dead.values()):
            external_keys.append(f"X-P{i + 1}".encode())
            await send(f"X-P{i + 1}", value)
    finally:
        await producer.stop()

    # everything handled: the demo's dossiers, the HTTP one and the sealed one are stored, with
    # the applicants opened; the four bad records are dead letters
    async def settled() -> bool:
        async with service.runtime.pool.acquire() as conn:
            dossiers = await conn.fetchval("SELECT count(*) FROM dossiers")
            letters = await conn.fetchval(
                "SELECT count(*) FROM dead_letters WHERE key = ANY($1::bytea[])", external_keys
            )
        return dossiers >= DEMO_DOSSIERS + 2 and letters == 4

    await wait_for(settled, timeout=30, message="the demo, HTTP, sealed and bad records settled")
    async with service.runtime.pool.acquire() as conn:
        stored = {
            r["dossier_code"]: dict(r)
            for r in await conn.fetch(
                "SELECT dossier_code, national_id, name, phone FROM applicants"
                " WHERE dossier_code = ANY($1::text[])",
                [http_code, sealed_code],
            )
        }
        demo_applicants = await conn.fetchval("SELECT count(*) FROM applicants")
        reasons = sorted(
            r["reason"]
            for r in await conn.fetch(
                "SELECT reason FROM dead_letters WHERE key = ANY($1::bytea[])", external_keys
            )
        )
    assert stored[http_code]["name"] == OVER_HTTP["name"]
    assert stored[sealed_code]["national_id"] == SEALED["national_id"]
    assert demo_applicants >= DEMO_DOSSIERS  # the demo's sealed applicants were opened
    assert reasons == [
        "handler-failed",
        "not-a-cloudevent",
        "schema-violation",
        "unreadable-personal-data",
    ]

    records = await scan_every_topic(kafka_bootstrap)
    assert {r.topic for r in records} >= {STATUS_REPORTS.name, DLQ}
    clear_id = re.compile(rb'"038\d{9}"')
    clear_phone = re.compile(rb'"0\d{9}"')
    # the system's topics (other test modules' synthetic topics share this broker)
    system = {t.name for t in ALL_TOPICS} | {
        dead_letter_topic(s).name
        for s in ("admin-procedures", "indicators", "nominations", "notifier")
    }
    ours = [  # every record except what the external system itself put on the inbound topic
        r
        for r in records
        if r.topic in system
        and not (r.topic == STATUS_REPORTS.name and b'/vn/38/mot-cua"' in (r.value or b""))
        and not (r.topic == STATUS_REPORTS.name and r.key in external_keys)
    ]
    for r in records:
        raw = (r.value or b"") + b"".join(v or b"" for _, v in r.headers or ())
        text = raw.decode("utf-8", "replace")
        for applicant in (OVER_HTTP, SEALED):
            assert not any(v in text for v in applicant.values()), (r.topic, r.offset)
    for r in ours:
        raw = (r.value or b"") + b"".join(v or b"" for _, v in r.headers or ())
        text = raw.decode("utf-8", "replace")
        assert not any(v in text for v in EXTERNAL.values()), (r.topic, r.offset)
        assert b'"applicant"' not in raw, (r.topic, r.offset)
        assert not clear_id.search(raw) and not clear_phone.search(raw), (r.topic, r.offset)
