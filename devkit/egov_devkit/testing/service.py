"""Run a service in-process for integration tests: its real lifespan (pool, producer,
consumers, relay, timers) and an HTTP client on its ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from egov_contracts.envelope import CloudEvent, EnvelopeError, decode
from egov_runtime.app import create_app
from egov_runtime.auth import credential_header, issue_token
from egov_runtime.service import Runtime, ServiceSpec
from egov_runtime.settings import ServiceSettings
from fastapi import FastAPI


@dataclass
class RunningService:
    app: FastAPI
    client: httpx.AsyncClient
    settings: ServiceSettings

    @property
    def runtime(self) -> Runtime:
        rt: Runtime = self.app.state.runtime
        return rt

    def token(self, *roles: str, unit: str = "38", subject: str = "tester") -> dict[str, str]:
        secret = self.settings.jwt_secret.get_secret_value()
        jwt = issue_token(secret, subject=subject, roles=list(roles), unit_code=unit)
        return {"Authorization": f"Bearer {jwt}"}

    def credential(
        self, *roles: str, unit: str = "38", subject: str = "mot-cua"
    ) -> tuple[str, bytes]:
        """The Kafka record header a one-door system (default role ``integration``) attaches
        to what it produces to this service's inbound topics."""
        secret = self.settings.jwt_secret.get_secret_value()
        jwt = issue_token(
            secret, subject=subject, roles=list(roles or ("integration",)), unit_code=unit
        )
        return credential_header(jwt)


@asynccontextmanager
async def running_stack(
    kafka_bootstrap: str,
    postgres_admin_dsn: str,
    services: dict[str, tuple[ServiceSpec, dict[str, Any]]],
) -> AsyncIterator[dict[str, RunningService]]:
    """Several services for a cross-service test, each on its own fresh, migrated database
    with the reference units loaded, on one broker (fast polling); they meet only on topics.
    ``services``: name → (spec, settings overrides)."""
    from egov_contracts.reference import load_units
    from egov_contracts.topics import ALL_TOPICS, dead_letter_topic
    from egov_runtime.db import all_migrations, migrate
    from egov_runtime.kafka import ensure_topics
    from egov_runtime.units import upsert_units

    from egov_devkit.devstack.postgres import create_database, drop_database

    await ensure_topics(
        kafka_bootstrap,
        [*ALL_TOPICS, *(dead_letter_topic(s.name) for s, _ in services.values())],
        partitions=3,
    )
    names = {key: f"stack_{key.replace('-', '_')}_{uuid.uuid4().hex[:6]}" for key in services}
    try:
        async with contextlib.AsyncExitStack() as stack:
            running: dict[str, RunningService] = {}
            for key, (spec, overrides) in services.items():
                dsn = await create_database(postgres_admin_dsn, names[key])
                await migrate(dsn, all_migrations(spec.migrations))  # the kit's tables at least
                fast = {
                    "profile": "local",
                    "consumer_poll_timeout_ms": 100,
                    "relay_poll_interval_s": 0.1,
                    "consumer_backoff_initial_s": 0.01,
                    "consumer_backoff_max_s": 0.05,
                }
                settings = spec.settings_cls(
                    database_url=dsn,
                    kafka_bootstrap_servers=kafka_bootstrap,
                    **{**fast, **overrides},
                )
                svc = await stack.enter_async_context(running_service(spec, settings))
                async with svc.runtime.transaction() as tx:
                    await upsert_units(tx.conn, (u.model_dump() for u in load_units()))
                running[key] = svc
            yield running
    finally:
        for name in names.values():
            with contextlib.suppress(Exception):
                await drop_database(postgres_admin_dsn, name)


@asynccontextmanager
async def running_alone(
    kafka_bootstrap: str, postgres_admin_dsn: str, spec: ServiceSpec, **overrides: Any
) -> AsyncIterator[RunningService]:
    """One service as :func:`running_stack` runs it (fresh migrated database, units loaded)."""
    async with running_stack(
        kafka_bootstrap, postgres_admin_dsn, {spec.name: (spec, overrides)}
    ) as stack:
        yield stack[spec.name]


@asynccontextmanager
async def running_service(
    spec: ServiceSpec, settings: ServiceSettings
) -> AsyncIterator[RunningService]:
    app = create_app(spec, settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield RunningService(app, client, settings)


class TopicReader:
    """Reads a topic from the beginning and keeps every decoded event (for assertions)."""

    def __init__(self, bootstrap: str, topics: Sequence[str]) -> None:
        self.consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            group_id=f"reader-{uuid.uuid4()}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_wait_ms=100,
        )
        self.events: list[CloudEvent] = []
        self.records: list[ConsumerRecord] = []

    async def start(self) -> None:
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()

    async def poll(self) -> list[CloudEvent]:
        batch = await self.consumer.getmany(timeout_ms=100)
        for recs in batch.values():
            for r in recs:
                self.records.append(r)
                with contextlib.suppress(EnvelopeError):  # dead letters may be garbage
                    self.events.append(decode(r.value, r.headers))
        return self.events

    async def until(self, predicate: Callable[[], Any], timeout: float = 20.0) -> None:
        """Keep reading until ``predicate()`` holds (an AssertionError after ``timeout``)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"not seen on the topic within {timeout} s")
            await self.poll()

    def of(self, subject: str, type_suffix: str | None = None) -> list[CloudEvent]:
        return [
            e
            for e in self.events
            if e.subject == subject and (type_suffix is None or e.type.endswith(type_suffix))
        ]
