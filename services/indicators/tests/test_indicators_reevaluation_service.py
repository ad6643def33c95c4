"""Open periods re-evaluated as days pass, on a real broker and PostgreSQL: the use case run
with two different days publishes ``target.evaluated.v1`` exactly for the targets whose
evaluation changed (not for those where only the expected value to date moved), nothing when
run again on the same day, and achieved / missed once the period has ended.

The broker is shared by the whole test session, so the test defines indicators of its own
(codes with a random suffix) and reads only events about them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest
from egov_contracts.envelope import VN_TZ
from egov_contracts.reference import load_units
from egov_contracts.topics import ALL_TOPICS, dead_letter_topic
from egov_devkit.devstack.postgres import create_database, drop_database
from egov_devkit.testing.service import running_service
from egov_indicators.main import SPEC
from egov_indicators.settings import IndicatorsSettings
from egov_indicators.usecases.common import Work
from egov_indicators.usecases.targets import reevaluate_open_periods
from egov_runtime.db import all_migrations, migrate
from egov_runtime.kafka import ensure_topics
from egov_runtime.units import upsert_units

pytestmark = pytest.mark.integration

PERIOD = "2040-Q1"  # 1 January – 31 March 2040: 91 days
UNIT = "38"


@pytest.fixture(scope="module")
async def service(kafka_bootstrap, postgres_admin_dsn):
    name = f"indicators_reeval_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(postgres_admin_dsn, name)
    await migrate(dsn, all_migrations(SPEC.migrations))
    await ensure_topics(
        kafka_bootstrap, [*ALL_TOPICS, dead_letter_topic("indicators")], partitions=3
    )
    settings = IndicatorsSettings(
        database_url=dsn,
        kafka_bootstrap_servers=kafka_bootstrap,
        consumer_poll_timeout_ms=100,
        relay_poll_interval_s=0.1,
        consumer_backoff_initial_s=0.01,
        consumer_backoff_max_s=0.05,
    )
    async with running_service(SPEC, settings) as svc:
        async with svc.runtime.transaction() as tx:
            await upsert_units(tx.conn, (u.model_dump() for u in load_units()))
        yield svc
    await drop_database(postgres_admin_dsn, name)


def flow_indicator(code: str) -> dict[str, Any]:
    return {
        "name_vi": f"Chỉ tiêu thử {code}",
        "measure_unit": "người",
        "value_type": "integer",
        "period_kind": "quarter",
        "aggregation": "sum",
        "temporal": "flow",
        "min_value": "0",
        "decimals": 0,
    }


async def reevaluate(svc, today: date) -> list[str]:
    ctx = svc.app.state.wiring.state["context"]
    async with svc.runtime.transaction() as tx:
        return await reevaluate_open_periods(Work.on(tx), ctx, today)


async def outbox_size(svc) -> int:
    """Outbox rows ever written (the relay deletes the rows it published)."""
    async with svc.runtime.pool.acquire() as conn:
        count: int = await conn.fetchval(
            "SELECT coalesce(pg_sequence_last_value('outbox_seq_seq'), 0)"
        )
    return count


async def test_open_period_statuses_move_with_the_day_and_close(service, reader):
    svc = service
    admin = svc.token("admin", unit=UNIT)
    suffix = uuid.uuid4().hex[:8].upper()
    # A falls behind in January, B in March; C stays ahead and achieves its target
    plan = {"A": (910, 300), "B": (910, 600), "C": (500, 600)}
    codes = {k: f"RE_{suffix}_{k}" for k in plan}
    subject = {k: f"{code}/{UNIT}/{PERIOD}" for k, code in codes.items()}
    for code in codes.values():
        r = await svc.client.put(
            f"/v1/definitions/{code}", json=flow_indicator(code), headers=admin
        )
        assert r.status_code == 200, r.text
    for k, (target, _) in plan.items():
        r = await svc.client.put(
            f"/v1/targets/{codes[k]}/{UNIT}/{PERIOD}",
            json={"target": str(target), "note": "NQ HĐND"},
            headers=admin,
        )
        assert r.status_code == 200, r.text
    body = {
        "submission_id": f"RE-{suffix}",
        "unit_code": UNIT,
        "period": PERIOD,
        "values": [
            {"indicator_code": codes[k], "value": str(actual)} for k, (_, actual) in plan.items()
        ],
        "submitted_by": "bao-cao-test",
        "submitted_at": datetime.now(VN_TZ).isoformat(),
    }
    r = await svc.client.post("/v1/submissions", json=body, headers=admin)
    assert r.status_code == 202, r.text

    # 31 January: 310 expected; A (300) is behind, B and C only see their expectation move
    assert await reevaluate(svc, date(2040, 1, 31)) == [subject["A"]]
    before = await outbox_size(svc)
    assert await reevaluate(svc, date(2040, 1, 31)) == []
    assert await outbox_size(svc) == before

    # 10 March: 700 expected; now B (600) is behind too
    assert await reevaluate(svc, date(2040, 3, 10)) == [subject["B"]]
    before = await outbox_size(svc)
    assert await reevaluate(svc, date(2040, 3, 10)) == []
    assert await outbox_size(svc) == before

    # 1 April: the quarter has ended; every target is achieved or missed, once
    closed = await reevaluate(svc, date(2040, 4, 1))
    assert sorted(closed) == sorted(subject.values())
    assert await reevaluate(svc, date(2040, 4, 1)) == []
    assert await reevaluate(svc, date(2040, 5, 2)) == []

    def statuses(k: str) -> list[tuple[str, bool]]:
        return [
            (e.data["status"], e.data["period_closed"])
            for e in reader.of(subject[k], ".target.evaluated.v1")
        ]

    # events of one subject share a partition, in order: once the closing ones are on the
    # topic, every event published before them for these targets is there too
    await reader.until(lambda: all(statuses(k)[-1:] and statuses(k)[-1][1] for k in plan))
    # the first evaluation is the submission's (as of the real day, before the quarter)
    assert statuses("A") == [("on-track", False), ("at-risk", False), ("missed", True)]
    assert statuses("B") == [("on-track", False), ("at-risk", False), ("missed", True)]
    assert statuses("C") == [("on-track", False), ("achieved", True)]
    a = reader.of(subject["A"], ".target.evaluated.v1")
    assert (a[1].data["expected_to_date"], a[1].data["achievement_pct"]) == ("310", "32.97")
    assert "expected_to_date" not in a[2].data

    # C on 10 March: 500 × 70 / 91 expected, shown by the API though never published
    r = await svc.client.get(
        "/v1/achievement",
        params={"unit": UNIT, "period": PERIOD, "indicator": codes["C"], "as_of": "2040-03-10"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    (c,) = r.json()["items"]
    assert (c["status"], c["expected_to_date"], c["expectation"]) == ("on-track", "385", "linear")
