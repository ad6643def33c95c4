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
from fastapi import FastAPI

from egov_runtime.app import create_app
from egov_runtime.auth import issue_token
from egov_runtime.service import Runtime, ServiceSpec
from egov_runtime.settings import ServiceSettings


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
