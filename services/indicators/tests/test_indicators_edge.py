"""Validation at the edge of indicators, on a real broker and PostgreSQL: a submission dated
0001-01-01, 9999-12-31 or ahead of the service's clock, NUL bytes and absurd values get 422 over
HTTP; over Kafka a submission dated ahead of the clock is a dead letter with the reason."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts import indicators as c
from egov_contracts.envelope import VN_TZ, encode, new_event
from egov_contracts.topics import INDICATOR_SUBMISSIONS
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.service import running_alone
from egov_indicators.main import SPEC

pytestmark = pytest.mark.integration
NOW = datetime(2026, 4, 5, 10, 30, tzinfo=VN_TZ)  # the service's clock in these tests


@pytest.fixture(scope="module")
async def service(kafka_bootstrap, postgres_admin_dsn):
    async with running_alone(kafka_bootstrap, postgres_admin_dsn, SPEC) as svc:
        svc.runtime.clock = lambda: NOW
        yield svc


def submission(at: str, **kw) -> dict:
    return {
        "submission_id": f"S-{uuid.uuid4().hex[:8]}",
        "unit_code": "38.XA.SAMSON",
        "period": "2026-03",
        "values": [{"indicator_code": "LD-01", "value": "12"}],
        "submitted_by": "thongke-samson",
        "submitted_at": at,
        **kw,
    }


def fields(r) -> list[str]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in r.json()["errors"]]


async def test_implausible_submissions_get_422(service):
    client, token = service.client, service.token("integration")
    for when in ("0001-01-01T00:00:00+07:00", "9999-12-31T00:00:00+07:00"):
        r = await client.post("/v1/submissions", json=submission(when), headers=token)
        assert fields(r) == ["submitted_at"]
    r = await client.post(
        "/v1/submissions", json=submission("2026-04-06T10:30:00+07:00"), headers=token
    )
    assert fields(r) == ["submitted_at"] and "after now" in r.json()["errors"][0]["message"]
    nul = submission("2026-04-05T10:00:00+07:00", reason="a\x00b")
    assert fields(await client.post("/v1/submissions", json=nul, headers=token)) == ["body"]
    huge = submission(
        "2026-04-05T10:00:00+07:00", values=[{"indicator_code": "LD-01", "value": "9" * 4301}]
    )
    r = await client.post("/v1/submissions", json=huge, headers=token)
    assert fields(r) == ["values.0.value"]


async def test_a_kafka_submission_ahead_of_the_clock_is_dead_lettered(service, kafka_bootstrap):
    data = c.SubmissionReceived.model_validate(submission("2026-06-01T08:00:00+07:00"))
    key = f"{data.unit_code}/{data.period}/{data.submission_id}".encode()
    value, headers = encode(new_event(data, source="/vn/38/thong-ke", subject="x"))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            INDICATOR_SUBMISSIONS.name,
            value=value,
            key=key,
            headers=[*headers, service.credential("integration")],
        )
    finally:
        await producer.stop()

    async def dead_letter():
        async with service.runtime.pool.acquire() as conn:
            return await conn.fetchrow("SELECT reason, error FROM dead_letters WHERE key = $1", key)

    row = await wait_for(dead_letter, 20)
    assert row["reason"] == "implausible"
    assert row["error"].startswith("submitted_at: more than 15 minutes after now")
