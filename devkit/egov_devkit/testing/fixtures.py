"""pytest fixtures: a real Kafka-protocol broker and a real PostgreSQL for every test suite.

When a Docker engine answers, testcontainers runs the Apache Kafka (KRaft) and PostgreSQL 16
images; otherwise the local broker (tansu, one per xdist worker) and the local PostgreSQL
server (``TEST_DATABASE_URL``, else 127.0.0.1:5432, else an embedded server) are used, so the
same test bodies run in both places. ``KAFKA_BOOTSTRAP_SERVERS`` points the tests at any
broker; ``EGOV_TESTS_NO_DOCKER=1`` ignores a Docker engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from egov_runtime.db import all_migrations, connect, migrate

from egov_devkit.devstack.broker import (
    ExternalBroker,
    LocalBroker,
    free_port,
    run_sync,
    start_broker,
    wait_for_kafka,
)
from egov_devkit.devstack.postgres import (
    LOCAL,
    accepts_connections,
    create_database,
    drop_database,
    start_embedded,
)

KAFKA_IMAGE = "apache/kafka:3.9.1"


def pytest_configure(config: pytest.Config) -> None:
    """Tests run every service in the local profile unless a test says otherwise: no profile
    means production, which refuses the development secrets the tests sign tokens with."""
    from importlib.metadata import entry_points

    prefixes = {"EGOV_"}
    for ep in entry_points(group="egov.services"):
        with contextlib.suppress(Exception):  # a service that does not import fails its tests
            spec = ep.load()
            prefixes.add(str(spec.settings_cls.model_config.get("env_prefix", "")))
    for prefix in prefixes:
        os.environ.setdefault(f"{prefix}PROFILE", "local")


POSTGRES_IMAGE = "postgres:16"


def docker_available() -> bool:
    """True when a Docker engine answers a ping within a couple of seconds."""
    if os.environ.get("EGOV_TESTS_NO_DOCKER"):
        return False
    host = os.environ.get("DOCKER_HOST", "")
    if not host and not Path("/var/run/docker.sock").exists():
        return False  # the common case here: answer at once, without the client library
    try:
        import docker

        client = docker.from_env(timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _apache_kafka_container() -> tuple[Any, str]:
    """Start the Apache Kafka image (single KRaft node); returns (container, bootstrap).

    testcontainers' ``KafkaContainer`` drives the Confluent image's start scripts, which the
    Apache image does not have, so the generic container is configured with the same
    environment as ``docker-compose.yml``; the host port is chosen first so the advertised
    listener can name it.
    """
    from testcontainers.core.container import DockerContainer

    port = free_port()
    container = DockerContainer(KAFKA_IMAGE).with_bind_ports(9092, port)
    env = {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://127.0.0.1:{port}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
    }
    for key, value in env.items():
        container.with_env(key, value)
    container.start()
    bootstrap = f"127.0.0.1:{port}"
    try:
        run_sync(wait_for_kafka(bootstrap, timeout=120))
    except BaseException:
        container.stop()
        raise
    return container, bootstrap


@pytest.fixture(scope="session")
def broker() -> Iterator[LocalBroker | None]:
    """The local broker we started (``pause()``/``resume()`` for outage drills), or None when
    the tests run against an external broker or a container (drills that need it skip)."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or docker_available():
        yield None
        return
    local = start_broker()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def broker_handle(broker: LocalBroker | None, kafka_bootstrap: str) -> LocalBroker | ExternalBroker:
    """The broker of the session as a handle; ``local`` tells whether it can be paused."""
    return broker if broker is not None else ExternalBroker(kafka_bootstrap)


@pytest.fixture
def local_broker(broker: LocalBroker | None) -> LocalBroker:
    """The local broker, or a skip when the tests run against another one."""
    if broker is None:
        pytest.skip("needs the local broker (pause/resume); the tests use an external one")
    return broker


@pytest.fixture(scope="session")
def kafka_bootstrap(broker: LocalBroker | None) -> Iterator[str]:
    """``host:port`` of the session's broker."""
    if broker is not None:
        yield broker.bootstrap
    elif os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    else:
        container, bootstrap = _apache_kafka_container()
        try:
            yield bootstrap
        finally:
            container.stop()


@pytest.fixture(scope="session")
def postgres_admin_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DSN of a PostgreSQL server where the tests may create and drop databases."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer(POSTGRES_IMAGE, driver=None) as pg:
            yield pg.get_connection_url()
        return
    if run_sync(accepts_connections(LOCAL)):
        yield LOCAL
        return
    embedded = start_embedded(tmp_path_factory.mktemp("pg") / "pgdata")
    try:
        yield embedded.dsn
    finally:
        embedded.stop()


@pytest.fixture
async def database_dsn(postgres_admin_dsn: str) -> AsyncIterator[str]:
    """A fresh, empty database for one test, dropped afterwards (connections terminated)."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    dsn = await create_database(postgres_admin_dsn, name)
    try:
        yield dsn
    finally:
        await drop_database(postgres_admin_dsn, name)


def service_database_of(spec: Any) -> Any:
    """The module fixture ``service_database``: a database migrated with ``spec``'s migrations,
    shared by the test module and dropped after it (the PostgreSQL side of a repository's test
    body). A module opts in with ``service_database = service_database_of(SPEC)``."""

    @pytest.fixture(scope="module", name="service_database")
    async def fixture(postgres_admin_dsn: str) -> AsyncIterator[str]:
        name = f"test_{uuid.uuid4().hex[:16]}"
        dsn = await create_database(postgres_admin_dsn, name)
        await migrate(dsn, all_migrations(spec.migrations))
        try:
            yield dsn
        finally:
            await drop_database(postgres_admin_dsn, name)

    return fixture


@pytest.fixture
async def conn(service_database: str) -> AsyncIterator[Any]:
    """A connection to the module's service database inside a transaction rolled back after the
    test, so each test body starts from the migrated, empty schema."""
    connection = await connect(service_database)
    tx = connection.transaction()
    await tx.start()
    try:
        yield connection
    finally:
        await tx.rollback()
        await connection.close()


MakeTopic = Callable[..., Awaitable[str]]


@pytest.fixture
async def make_topic(kafka_bootstrap: str) -> AsyncIterator[MakeTopic]:
    """Create uniquely named topics: ``await make_topic("prefix", partitions=3)``; they are
    deleted at the end of the test."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="egov-tests")
    await admin.start()
    made: list[str] = []

    async def make(
        prefix: str = "topic", partitions: int = 1, configs: Mapping[str, str] | None = None
    ) -> str:
        name = f"test.{prefix}.{uuid.uuid4().hex[:12]}"
        await admin.create_topics(
            [NewTopic(name, partitions, 1, topic_configs=dict(configs or {}))]
        )
        made.append(name)
        return name

    try:
        yield make
    finally:
        if made:
            with contextlib.suppress(Exception):  # tansu keeps topics in memory anyway
                await admin.delete_topics(made)
        await admin.close()


async def wait_for(
    predicate: Callable[[], Any],
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "condition",
) -> Any:
    """Poll ``predicate`` (sync or async) until it returns something truthy, and return it;
    an AssertionError when ``timeout`` seconds pass first. Tests use this, never sleeps."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"{message} not met within {timeout} s")
        await asyncio.sleep(interval)


__all__ = [
    "broker",
    "broker_handle",
    "database_dsn",
    "docker_available",
    "kafka_bootstrap",
    "local_broker",
    "make_topic",
    "postgres_admin_dsn",
    "wait_for",
]
