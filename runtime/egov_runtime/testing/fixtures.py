"""pytest fixtures: a real Kafka-protocol broker and a real PostgreSQL for every test suite.

When a Docker engine answers, testcontainers runs Apache Kafka and PostgreSQL images; otherwise
the local broker (tansu) and the local PostgreSQL server (or ``TEST_DATABASE_URL``, or an
embedded server) are used, so the same test bodies run in both places.
``KAFKA_BOOTSTRAP_SERVERS`` points the tests at any broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from egov_runtime.devstack.broker import LocalBroker, start_broker
from egov_runtime.devstack.postgres import create_database, drop_database, resolve_server


def docker_available() -> bool:
    if os.environ.get("EGOV_TESTS_NO_DOCKER"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=2)
        client.ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def broker() -> Iterator[LocalBroker | None]:
    """The local broker handle (pause/resume for outage drills); None on an external one."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or docker_available():
        yield None
        return
    local = start_broker()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(broker: LocalBroker | None) -> Iterator[str]:
    if broker is not None:
        yield broker.bootstrap
    elif os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    else:
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:3.9.1").with_kraft() as kafka:
            yield kafka.get_bootstrap_server()


@pytest.fixture(scope="session")
def postgres_admin_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver=None) as pg:
            yield pg.get_connection_url()
        return
    dsn, server = resolve_server(Path(tmp_path_factory.mktemp("pg")) / "pgdata")
    yield dsn
    del server


@pytest.fixture
async def database_dsn(postgres_admin_dsn: str) -> AsyncIterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    dsn = await create_database(postgres_admin_dsn, name)
    try:
        yield dsn
    finally:
        await drop_database(postgres_admin_dsn, name)


@pytest.fixture
async def make_topic(kafka_bootstrap: str) -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """Create uniquely named topics: ``await make_topic("prefix", partitions=3)``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()

    async def make(prefix: str, partitions: int = 1) -> str:
        name = f"test.{prefix}.{uuid.uuid4().hex[:10]}"
        await admin.create_topics([NewTopic(name, partitions, 1)])
        return name

    try:
        yield make
    finally:
        await admin.close()


async def wait_for(
    predicate: Callable[[], Any],
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "condition",
) -> Any:
    """Poll ``predicate`` (sync or async) until it returns something truthy, or fail."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{message} not met within {timeout} s")
        await asyncio.sleep(interval)


__all__ = ["contextlib", "docker_available", "wait_for"]
