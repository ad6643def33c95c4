"""Unit scope on every write of admin-procedures, over HTTP and on Kafka: a status report acts
only on a dossier of the reporter's subtree and only for the dossier's own unit; the province-
wide catalogue and calendar change only by a role scoped at the province."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

import jwt
import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts import procedures as c
from egov_contracts.envelope import encode, new_event
from egov_contracts.topics import STATUS_REPORTS
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.service import running_alone
from egov_procedures.adapters import catalogue
from egov_procedures.main import SPEC
from egov_runtime.auth import ISSUER, credential_header
from egov_workdays import VN_TZ

pytestmark = pytest.mark.integration

OWN, PARENT, SIBLING = "38.SNV.VL", "38.SNV", "38.SNV.GDNN"


@pytest.fixture(scope="module")
async def service(kafka_bootstrap, postgres_admin_dsn):
    async with running_alone(
        kafka_bootstrap, postgres_admin_dsn, SPEC, timer_interval_s=3600, rates_interval_s=3600
    ) as svc:
        async with svc.runtime.transaction() as tx:
            await catalogue.upsert_procedures(
                tx.conn,
                [
                    {
                        "code": "S5",
                        "name": "Năm ngày",
                        "processing_value": 5,
                        "processing_unit": "working-days",
                    }
                ],
            )
        yield svc


@pytest.fixture(scope="module")
async def producer(kafka_bootstrap):
    p = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await p.start()
    yield p
    await p.stop()


def report(code: str, status: str, day: int, unit: str = OWN, **kw) -> c.StatusReported:
    return c.StatusReported(
        dossier_code=code,
        procedure_code="S5",
        unit_code=unit,
        status=status,
        occurred_at=datetime(2026, 3, day, 9, tzinfo=VN_TZ),
        **kw,
    )


async def produce(producer, data: c.StatusReported, *extra: tuple[str, bytes]) -> str:
    ev = new_event(data, source="/vn/38/mot-cua", subject=data.dossier_code)
    value, headers = encode(ev)
    await producer.send_and_wait(
        STATUS_REPORTS.name, value=value, key=data.dossier_code.encode(), headers=[*headers, *extra]
    )
    return ev.id


async def dossier(service, code: str):
    async with service.runtime.pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM dossiers WHERE dossier_code = $1", code)


async def dead_letter(service, event_id: str):
    async with service.runtime.pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM dead_letters WHERE event_id = $1", event_id)


async def test_a_report_on_another_units_dossier_is_refused_over_http(service):
    client = service.client
    code = f"HS-{uuid.uuid4().hex[:6]}"
    own = service.token("integration", unit=OWN)
    r = await client.post(
        "/v1/status-reports", json=report(code, "received", 2).model_dump(mode="json"), headers=own
    )
    assert r.status_code == 202, r.text
    await wait_for(lambda: dossier(service, code), 20, message="dossier received")

    missing = await client.get("/v1/dossiers/HS-NO-SUCH", headers=service.token("admin"))
    for role in ("officer", "operator", "admin", "integration"):
        # commune B names its own unit on commune A's dossier: as if it did not exist
        body = report(code, "withdrawn", 3, unit=SIBLING).model_dump(mode="json")
        r = await client.post(
            "/v1/status-reports", json=body, headers=service.token(role, unit=SIBLING)
        )
        assert r.status_code == 404, (role, r.text)
        assert r.json()["title"] == missing.json()["title"] == "Không tìm thấy hồ sơ"
        # and names A's unit: outside its scope
        body = report(code, "withdrawn", 3, unit=OWN).model_dump(mode="json")
        r = await client.post(
            "/v1/status-reports", json=body, headers=service.token(role, unit=SIBLING)
        )
        assert r.status_code == 403, (role, r.text)
    # a parent unit may report on the dossier, but only for the dossier's own unit
    body = report(code, "withdrawn", 3, unit=SIBLING).model_dump(mode="json")
    r = await client.post(
        "/v1/status-reports", json=body, headers=service.token("officer", unit=PARENT)
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "unit_code"
    # another unit's dossier reads as a missing one, body for body
    seen = await client.get(f"/v1/dossiers/{code}", headers=service.token("officer", unit=SIBLING))
    assert seen.status_code == 404
    assert {k: v for k, v in seen.json().items() if k not in ("detail", "instance")} == {
        k: v for k, v in missing.json().items() if k not in ("detail", "instance")
    }
    r = await client.post(
        f"/v1/dossiers/{code}/apology",
        json={"new_due_at": "2026-12-01T09:00:00+07:00", "reason": "Chậm do thiếu hồ sơ"},
        headers=service.token("officer", unit=SIBLING),
    )
    assert r.status_code == 404

    ok = report(code, "resolved", 4, result="granted").model_dump(mode="json")
    r = await client.post(
        "/v1/status-reports", json=ok, headers=service.token("officer", unit=PARENT)
    )
    assert r.status_code == 202, r.text

    async def resolved():
        row = await dossier(service, code)
        return row["status"] == "resolved"

    await wait_for(resolved, 20, message="resolved by the parent unit's officer")
    detail = await client.get(f"/v1/dossiers/{code}", headers=service.token("officer", unit=OWN))
    assert [e["status"] for e in detail.json()["timeline"]] == ["received", "resolved"]


def forged(unit: str, *, secret: str | None = None, exp: int | None = None, alg="HS256"):
    claims = {
        "iss": ISSUER,
        "sub": "mot-cua-gia",
        "roles": ["integration"],
        "unit": unit,
        "iat": int(time.time()) - 90 * 86_400,
        "exp": exp if exp is not None else int(time.time()) + 3600,
    }
    token = jwt.encode(claims, secret or "not-our-secret-but-long-enough-for-hs256", algorithm=alg)
    return credential_header(token)


async def test_a_report_on_kafka_needs_a_credential_covering_the_dossiers_unit(service, producer):
    code = f"HS-{uuid.uuid4().hex[:6]}"
    secret = service.settings.jwt_secret.get_secret_value()
    received = await produce(producer, report(code, "received", 2), service.credential(unit=OWN))
    await wait_for(lambda: dossier(service, code), 20, message="dossier received")

    refused = {
        # another district's system reporting for this unit, then for its own unit
        await produce(
            producer, report(code, "withdrawn", 3), service.credential(unit=SIBLING)
        ): "out-of-scope",
        await produce(
            producer, report(code, "withdrawn", 3, unit=SIBLING), service.credential(unit=SIBLING)
        ): "unit-mismatch",
        # the right credential, but the report names another unit than the dossier's
        await produce(
            producer, report(code, "withdrawn", 3, unit=SIBLING), service.credential(unit=PARENT)
        ): "unit-mismatch",
        await produce(producer, report(code, "withdrawn", 3)): "unauthenticated",
        await produce(producer, report(code, "withdrawn", 3), forged(OWN)): "unauthenticated",
        await produce(
            producer, report(code, "withdrawn", 3), forged(OWN, secret=secret, exp=1)
        ): "unauthenticated",
        await produce(
            producer, report(code, "withdrawn", 3), (("authorization", b"Bearer \xff\xfe"))
        ): "unauthenticated",
        await produce(
            producer,
            report(code, "withdrawn", 3),
            service.credential("council", unit=OWN),
        ): "unauthorized",
    }
    # a new dossier's unit must be in the credential's scope too
    other = f"HS-{uuid.uuid4().hex[:6]}"
    refused[
        await produce(producer, report(other, "received", 2), service.credential(unit=SIBLING))
    ] = "out-of-scope"
    # and alg=none is not a signature
    none_token = jwt.encode(
        {"iss": ISSUER, "sub": "x", "roles": ["integration"], "unit": "38", "exp": 2**40},
        None,
        algorithm="none",
    )
    refused[
        await produce(producer, report(other, "received", 2), credential_header(none_token))
    ] = "unauthenticated"

    resolved = await produce(
        producer, report(code, "resolved", 4, result="granted"), service.credential(unit=PARENT)
    )

    async def all_dead_lettered():
        return all([await dead_letter(service, ev) for ev in refused])

    await wait_for(all_dead_lettered, 30, message="refused reports dead-lettered")
    for ev, reason in refused.items():
        assert (await dead_letter(service, ev))["reason"] == reason, ev

    async def is_resolved():
        row = await dossier(service, code)
        return row["status"] == "resolved"

    await wait_for(is_resolved, 20, message="the valid report applied")
    assert await dossier(service, other) is None
    async with service.runtime.pool.acquire() as conn:
        reports = await conn.fetch(
            "SELECT report_id FROM dossier_reports WHERE dossier_code = $1", code
        )
        remembered = await conn.fetchval(
            "SELECT count(*) FROM inbox WHERE event_id = ANY($1::text[])", list(refused)
        )
    assert {r["report_id"] for r in reports} == {received, resolved}
    assert remembered == 0  # a replay is judged again


async def test_province_wide_configuration_needs_the_province(service):
    client = service.client
    procedure = {"name": "Năm ngày", "processing_value": 365, "processing_unit": "working-days"}
    for unit in ("38.XA.SAMSON", PARENT):
        for role in ("admin", "operator"):
            head = service.token(role, unit=unit)
            r = await client.put("/v1/procedures/S5", json=procedure, headers=head)
            assert r.status_code == 403, r.text
            r = await client.put(
                "/v1/calendar/exceptions/2026-12-24",
                json={"kind": "day-off", "note": "Nghỉ bù"},
                headers=head,
            )
            assert r.status_code == 403, r.text
            r = await client.delete("/v1/calendar/exceptions/2026-12-24", headers=head)
            assert r.status_code == 403, r.text
    got = await client.get("/v1/procedures/S5")
    assert got.json()["processing_value"] == 5

    province = service.token("operator", unit="38")
    r = await client.put(
        "/v1/procedures/S5", json={**procedure, "processing_value": 6}, headers=province
    )
    assert r.status_code == 200, r.text
    assert (await client.get("/v1/procedures/S5")).json()["processing_value"] == 6
