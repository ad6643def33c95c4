"""Flow across services: a one-door system reports a unit's dossiers of last year →
admin-procedures computes the unit's on-time rate for the closed year and publishes it →
nominations keeps it as evidence and shows it on the unit's collective nomination."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts import procedures as c
from egov_contracts.envelope import encode, new_event
from egov_contracts.topics import STATUS_REPORTS
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.service import running_stack
from egov_nominations.main import SPEC as NOMINATIONS
from egov_procedures.adapters import catalogue
from egov_procedures.main import SPEC as PROCEDURES
from egov_runtime.units import upsert_units
from egov_workdays import VN_TZ

pytestmark = pytest.mark.integration

DEPT = "38.SNV"
DOCS = ["to-trinh", "bao-cao-thanh-tich", "bien-ban-hoi-dong", "xac-nhan-sang-kien"]


async def test_on_time_rate_from_admin_procedures_shows_on_the_collective_nomination(
    kafka_bootstrap, postgres_admin_dsn
):
    year = datetime.now(VN_TZ).year - 1
    unit = f"38.SNV.T{uuid.uuid4().hex[:8].upper()}"  # a unit of its own on the shared broker
    new_unit = {"unit_code": unit, "name": f"Phòng {unit}", "level": "agency", "parent_code": DEPT}
    stack = {
        "admin-procedures": (PROCEDURES, {"timer_interval_s": 0.2, "rates_interval_s": 0.5}),
        "nominations": (NOMINATIONS, {}),
    }
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        async with running_stack(kafka_bootstrap, postgres_admin_dsn, stack) as svc:
            for s in svc.values():
                async with s.runtime.transaction() as tx:
                    await upsert_units(tx.conn, [new_unit])
            async with svc["admin-procedures"].runtime.transaction() as tx:
                await catalogue.upsert_procedures(
                    tx.conn,
                    [
                        {
                            "code": "T5",
                            "name": "Năm ngày làm việc",
                            "processing_value": 5,
                            "processing_unit": "working-days",
                        }
                    ],
                )
            # four dossiers in March of last year: three resolved early, one late
            for i, resolved_day in enumerate((3, 4, 5, 20)):
                code = f"HS-{unit}-{i}"
                for status, day in (("received", 2), ("resolved", resolved_day)):
                    report = c.StatusReported(
                        dossier_code=code,
                        procedure_code="T5",
                        unit_code=unit,
                        status=status,
                        occurred_at=datetime(year, 3, day, 9, 0, tzinfo=VN_TZ),
                        channel="online",
                        result="granted" if status == "resolved" else None,
                    )
                    event = new_event(report, source="/vn/38/mot-cua", subject=code)
                    value, headers = encode(event)
                    await producer.send_and_wait(
                        STATUS_REPORTS.name,
                        value=value,
                        key=code.encode(),
                        headers=[*headers, svc["admin-procedures"].credential(unit=unit)],
                    )

            nom = svc["nominations"]
            officer = nom.token("officer", unit=unit)
            for n in range(3):
                pid = f"CB{uuid.uuid4().hex[:8].upper()}"
                r = await nom.client.put(
                    f"/v1/register/people/{pid}",
                    json={"name": f"Cán bộ {n}", "unit_code": unit},
                    headers=officer,
                )
                assert r.status_code == 201, r.text
            r = await nom.client.post(
                "/v1/nominations",
                json={
                    "nominee": {"kind": "collective", "ref": unit},
                    "award": "tap-the-lao-dong-tien-tien",
                    "achievement_year": year,
                    "documents": DOCS,
                },
                headers=officer,
            )
            assert r.status_code == 201, r.text
            nid = r.json()["nomination_id"]

            async def yearly_rate() -> dict | None:
                r = await nom.client.get(f"/v1/nominations/{nid}", headers=officer)
                rate = r.json().get("unit_evidence", {}).get(str(year), {}).get("on_time_rate")
                return rate if rate and rate.get("period") == str(year) else None

            rate = await wait_for(yearly_rate, timeout=60, message="the year's on-time rate")
    finally:
        await producer.stop()

    # 3 of 4 resolved before or on their deadline: 75.00 %
    assert rate["on_time_rate_pct"] == "75.00" and rate["resolved"] == 4
