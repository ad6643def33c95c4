"""What a service declares so the runtime kit can run it, and what it gets at run time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Request

from egov_runtime.consumer import Subscription, Tx
from egov_runtime.settings import ServiceSettings

BackgroundTask = Callable[[asyncio.Event], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """The live resources of one service process, shared by its entrypoints."""

    service: str
    settings: ServiceSettings
    pool: asyncpg.Pool
    producer: AIOKafkaProducer
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    clock: Callable[[], datetime] = utc_now  # what the edge checks compare with (tests set it)

    def now(self) -> datetime:
        return self.clock()

    @property
    def source(self) -> str:
        """CloudEvents ``source`` of this service's events."""
        return f"/vn/{self.settings.province_code}/{self.service}"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        timeout = self.settings.db_acquire_timeout_s  # then TimeoutError: 503, not a queue
        async with self.pool.acquire(timeout=timeout) as conn, conn.transaction():
            yield Tx(conn, self.service, self.source)


@dataclass
class Wiring:
    """What a service's composition root returns once its resources exist."""

    subscriptions: Sequence[Subscription] = ()
    tasks: Sequence[BackgroundTask] = ()
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    settings_cls: type[ServiceSettings]
    migrations: Path | None
    routers: Sequence[APIRouter]
    wire: Callable[[Runtime], Wiring]
    seed: Callable[[Runtime], Awaitable[str]] | None = None
    description: str = ""


T = TypeVar("T")


def runtime_of(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def wiring_of(request: Request) -> Wiring:
    w: Wiring = request.app.state.wiring
    return w


def state_of(request: Request, key: str, kind: type[T]) -> T:
    """What the composition root put in its wiring's state under ``key``, typed: a value of
    another type (a wiring mistake) raises at once instead of failing later in a route."""
    value = wiring_of(request).state[key]
    if not isinstance(value, kind):
        raise TypeError(f"wiring state {key!r} is {type(value).__name__}, not {kind.__name__}")
    return value


def context_of(request: Request, kind: type[T]) -> T:
    """The use cases' context the service wired (``state["context"]``)."""
    return state_of(request, "context", kind)
