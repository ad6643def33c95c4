"""Kill -9 the admin-procedures process while it consumes status reports, restart it, and
check that every report took effect exactly once: the daily aggregates (plain increments,
protected only by the inbox) count each dossier once and every dossier got its events."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import uuid
from datetime import datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts import procedures as c
from egov_contracts.envelope import encode, new_event
from egov_contracts.reference import load_units
from egov_contracts.topics import ALL_TOPICS, DOSSIERS, STATUS_REPORTS, dead_letter_topic
from egov_devkit.devstack.broker import free_port
from egov_devkit.devstack.postgres import create_database, drop_database
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.service import TopicReader
from egov_procedures.adapters import catalogue
from egov_procedures.main import SPEC
from egov_procedures.settings import ProceduresSettings
from egov_runtime.auth import credential_header, issue_token
from egov_runtime.db import all_migrations, connect, migrate
from egov_runtime.kafka import ensure_topics
from egov_runtime.units import upsert_units
from egov_workdays import VN_TZ

pytestmark = [pytest.mark.integration, pytest.mark.drill]
DOSSIERS_N = 120


def start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "egov_runtime.cli", "admin-procedures", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def test_killed_mid_stream_loses_and_duplicates_nothing(kafka_bootstrap, postgres_admin_dsn):
    name = f"crash_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(postgres_admin_dsn, name)
    await migrate(dsn, all_migrations(SPEC.migrations))
    await ensure_topics(
        kafka_bootstrap, [*ALL_TOPICS, dead_letter_topic("admin-procedures")], partitions=3
    )
    conn = await connect(dsn)
    await upsert_units(conn, (u.model_dump() for u in load_units()))
    await catalogue.upsert_procedures(
        conn,
        [
            {
                "code": "CR5",
                "name": "Năm ngày",
                "processing_value": 5,
                "processing_unit": "working-days",
            }
        ],
    )
    env = {
        **os.environ,
        "EGOV_PROCEDURES_DATABASE_URL": dsn,
        "EGOV_PROCEDURES_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "EGOV_PROCEDURES_HTTP_PORT": str(free_port()),
        "EGOV_PROCEDURES_RATES_INTERVAL_S": "3600",
    }
    secret = ProceduresSettings().jwt_secret.get_secret_value()
    credential = credential_header(
        issue_token(secret, subject="mot-cua", roles=["integration"], unit_code="38")
    )
    tag = uuid.uuid4().hex[:6]
    codes = [f"CR-{tag}-{i:04d}" for i in range(DOSSIERS_N)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    reader = TopicReader(kafka_bootstrap, [DOSSIERS.name])
    await reader.start()
    proc = start(env)
    kills = 0
    try:
        at = datetime.now(VN_TZ) - timedelta(days=3)
        for i, code in enumerate(codes):
            for status, hours in (("received", 0), ("resolved", 30)):
                data = c.StatusReported(
                    dossier_code=code,
                    procedure_code="CR5",
                    unit_code="38.XA.SAMSON",
                    status=status,
                    occurred_at=at + timedelta(hours=hours),
                    channel="counter",
                    result="granted" if status == "resolved" else None,
                )
                value, headers = encode(new_event(data, source="/x", subject=code))
                await producer.send(
                    STATUS_REPORTS.name,
                    value=value,
                    key=code.encode(),
                    headers=[*headers, credential],
                )
            if i % 20 == 19:
                await producer.flush()
                await asyncio.sleep(random.uniform(0.5, 1.5))
                os.killpg(proc.pid, signal.SIGKILL)  # mid-stream, wherever it is
                proc.wait()
                kills += 1
                proc = start(env)
        await producer.flush()

        async def settled() -> bool:
            n = await conn.fetchval(
                "SELECT count(*) FROM dossiers WHERE dossier_code LIKE $1 AND status = 'resolved'",
                f"CR-{tag}-%",
            )
            return n == DOSSIERS_N

        await wait_for(settled, timeout=120, interval=0.5)
        counts = await conn.fetchrow(
            "SELECT sum(received) AS received, sum(finished) AS finished,"
            " sum(resolved_early + resolved_on_time + resolved_late) AS resolved"
            " FROM dossier_daily WHERE procedure_code = 'CR5'"
        )
        await reader.until(lambda: all(reader.of(code, "resolved.v1") for code in codes), 60)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        await producer.stop()
        await reader.stop()
        await conn.close()
        await drop_database(postgres_admin_dsn, name)
    assert kills >= 5
    assert (counts["received"], counts["finished"], counts["resolved"]) == (DOSSIERS_N,) * 3
    for code in codes:
        assert {e.type.split(".")[-2] for e in reader.of(code)} >= {"received", "resolved"}
