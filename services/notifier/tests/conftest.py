"""The notifier on a real broker, PostgreSQL, SMTP server and SMS gateway, one per test module
(a module may set ``NOTIFIER_SETTINGS`` to override settings)."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer
from egov_devkit.testing.receivers import http_receiver, smtp_server
from egov_devkit.testing.service import running_alone
from egov_notifier.main import SPEC, seed


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
    async with running_alone(
        kafka_bootstrap,
        postgres_admin_dsn,
        SPEC,
        smtp_port=smtp[0],
        sms_gateway_url=sms_gateway.url,
        sms_gateway_key="test-key",
        retry_schedule_s=[0, 0.2, 0.2, 0.2, 0.2],
        dispatch_interval_s=0.1,
        **getattr(request.module, "NOTIFIER_SETTINGS", {}),
    ) as svc:
        await seed(svc.runtime)
        yield svc


@pytest.fixture(scope="module")
async def producer(kafka_bootstrap):
    prod = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await prod.start()
    yield prod
    await prod.stop()
