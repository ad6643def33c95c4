"""The notifier on a real broker, PostgreSQL, SMTP server and SMS gateway, one per test module
(a module may set ``NOTIFIER_SETTINGS`` to override settings)."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts.reference import load_units
from egov_contracts.topics import ALL_TOPICS, dead_letter_topic
from egov_notifier.main import SPEC, seed
from egov_notifier.settings import NotifierSettings
from egov_runtime.db import all_migrations, migrate
from egov_runtime.devstack.postgres import create_database, drop_database
from egov_runtime.kafka import ensure_topics
from egov_runtime.testing.receivers import http_receiver, smtp_server
from egov_runtime.testing.service import running_service
from egov_runtime.units import upsert_units


@pytest.fixture(scope="module")
async def smtp():
    async with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
async def sms_gateway():
    """A local SMS gateway: records every message it is asked to send."""
    async with http_receiver() as gateway:
        yield gateway


@pytest.fixture(scope="module")
async def notifier(request, kafka_bootstrap, postgres_admin_dsn, smtp, sms_gateway):
    name = f"notifier_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(postgres_admin_dsn, name)
    await migrate(dsn, all_migrations(SPEC.migrations))
    await ensure_topics(kafka_bootstrap, [*ALL_TOPICS, dead_letter_topic("notifier")], partitions=3)
    settings = NotifierSettings(
        database_url=dsn,
        kafka_bootstrap_servers=kafka_bootstrap,
        smtp_port=smtp[0],
        sms_gateway_url=sms_gateway.url,
        sms_gateway_key="test-key",
        retry_schedule_s=[0, 0.2, 0.2, 0.2, 0.2],
        dispatch_interval_s=0.1,
        consumer_poll_timeout_ms=100,
        relay_poll_interval_s=0.1,
        **getattr(request.module, "NOTIFIER_SETTINGS", {}),
    )
    async with running_service(SPEC, settings) as svc:
        async with svc.runtime.transaction() as tx:
            await upsert_units(tx.conn, (u.model_dump() for u in load_units()))
        await seed(svc.runtime)
        yield svc
    await drop_database(postgres_admin_dsn, name)


@pytest.fixture(scope="module")
async def producer(kafka_bootstrap):
    prod = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await prod.start()
    yield prod
    await prod.stop()
