"""Validation at the edge of admin-procedures, on a real broker and PostgreSQL: a report dated
0001-01-01, 9999-12-31 or ahead of the service's clock, NUL bytes and out-of-range integers get
422 over HTTP and a dead letter with the reason over Kafka; nothing of them is stored."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts import procedures as c
from egov_contracts.envelope import encode, new_event
from egov_contracts.topics import DOSSIERS, STATUS_REPORTS, dead_letter_topic
from egov_devkit.testing.service import TopicReader, running_alone
from egov_procedures.adapters import catalogue
from egov_procedures.main import DEMO, SPEC
from egov_workdays import VN_TZ

pytestmark = pytest.mark.integration
DLQ = dead_letter_topic("admin-procedures").name
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=VN_TZ)  # the service's clock in these tests


@pytest.fixture(scope="module")
async def service(kafka_bootstrap, postgres_admin_dsn):
    async with running_alone(
        kafka_bootstrap, postgres_admin_dsn, SPEC, timer_interval_s=3600, rates_interval_s=3600
    ) as svc:
        svc.runtime.clock = lambda: NOW
        procedures = json.loads(DEMO.read_text(encoding="utf-8"))["procedures"]
        async with svc.runtime.transaction() as tx:
            await catalogue.upsert_procedures(tx.conn, procedures)
        yield svc


@pytest.fixture(scope="module")
async def reader(kafka_bootstrap):
    r = TopicReader(kafka_bootstrap, [DOSSIERS.name, DLQ])
    await r.start()
    yield r
    await r.stop()


def body(code: str, at: str, **kw) -> dict:
    return {
        "dossier_code": code,
        "procedure_code": "2.000744",
        "unit_code": "38.XA.SAMSON",
        "status": "received",
        "occurred_at": at,
        **kw,
    }


def fields(r) -> list[str]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in r.json()["errors"]]


async def test_implausible_reports_get_422_and_create_nothing(service):
    client, token = service.client, service.token("integration")
    code = f"HS-{uuid.uuid4().hex[:6]}"
    for when in ("0001-01-01T00:00:00+07:00", "9999-12-31T00:00:00+07:00"):
        r = await client.post("/v1/status-reports", json=body(code, when), headers=token)
        assert fields(r) == ["occurred_at"]
    tomorrow = "2026-03-03T12:00:00+07:00"  # a day ahead of the service's clock
    r = await client.post("/v1/status-reports", json=body(code, tomorrow), headers=token)
    assert fields(r) == ["occurred_at"] and "after now" in r.json()["errors"][0]["message"]
    nul = body(code, "2026-03-02T08:00:00+07:00", note="a\x00b")
    assert fields(await client.post("/v1/status-reports", json=nul, headers=token)) == ["body"]
    bad_applicant = body(
        code, "2026-03-02T08:00:00+07:00", applicant={"name": "x" * 300, "phone": "call me"}
    )
    r = await client.post("/v1/status-reports", json=bad_applicant, headers=token)
    assert sorted(fields(r)) == ["applicant.name", "applicant.phone"]
    # ten minutes ahead is clock drift, accepted
    drift = body(code, "2026-03-02T12:10:00+07:00")
    assert (await client.post("/v1/status-reports", json=drift, headers=token)).status_code == 202


async def test_query_and_path_values_are_bounded(service):
    client, officer = service.client, service.token("officer")
    assert fields(await client.get("/v1/dossiers", params={"offset": 10**20}, headers=officer)) == [
        "query.offset"
    ]
    assert fields(await client.get("/v1/dossiers", params={"unit": "38\x00"}, headers=officer)) == [
        "unit"
    ]
    assert fields(await client.get("/v1/dossiers/HS%00", headers=officer)) == ["path[3]"]
    assert (await client.get("/v1/dossiers", headers=officer)).status_code == 200
    r = await client.get(
        "/v1/dossiers", params={"due_before": "0001-01-01T00:00:00Z"}, headers=officer
    )
    assert r.status_code in (200, 422)


async def test_a_kafka_report_ahead_of_the_clock_is_dead_lettered_with_the_reason(
    service, kafka_bootstrap, reader
):
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        future, fine = f"HS-{uuid.uuid4().hex[:6]}", f"HS-{uuid.uuid4().hex[:6]}"
        for code, at in ((future, datetime(2027, 1, 1, 8, tzinfo=VN_TZ)), (fine, NOW)):
            data = c.StatusReported.model_validate(body(code, at.isoformat()))
            value, headers = encode(new_event(data, source="/vn/38/mot-cua", subject=code))
            await producer.send_and_wait(
                STATUS_REPORTS.name,
                value=value,
                key=code.encode(),
                headers=[*headers, service.credential("integration")],
            )
    finally:
        await producer.stop()
    await reader.until(lambda: reader.of(fine, "received.v1"), 20)

    def dead() -> list[dict[str, str]]:
        return [
            {k: v.decode() for k, v in r.headers}
            for r in reader.records
            if r.topic == DLQ and r.key == future.encode()
        ]

    await reader.until(dead, 20)
    [letter] = dead()
    assert letter["dlq_reason"] == "implausible"
    assert letter["dlq_error"].startswith("occurred_at: more than 15 minutes after now")
    assert not reader.of(future, "received.v1")
    r = await service.client.get(f"/v1/dossiers/{future}", headers=service.token("admin"))
    assert r.status_code == 404
