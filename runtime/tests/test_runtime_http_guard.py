"""The HTTP guards of the app factory: bodies are read only after authentication and only up to
their cap; a database outage answers 503 problem details with Retry-After, logged once."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from egov_devkit.devstack.postgres import create_database, drop_database
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.service import running_alone, running_service
from egov_runtime import http_guard
from egov_runtime.auth import Principal, issue_token, require
from egov_runtime.db import all_migrations, migrate
from egov_runtime.service import ServiceSpec, Wiring
from egov_runtime.settings import ServiceSettings
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

pytestmark = pytest.mark.integration

MiB = 1_048_576


class Thing(BaseModel):
    name: str


def guarded_spec() -> ServiceSpec:
    router = APIRouter(prefix="/v1")
    operator = Depends(require("operator"))

    @router.post("/things", status_code=201)
    async def post_thing(thing: Thing, principal: Principal = operator) -> dict[str, str]:
        return {"name": thing.name}

    @router.post("/files")
    async def post_file(request: Request, principal: Principal = operator) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    return ServiceSpec(
        name="guarded",
        settings_cls=ServiceSettings,
        migrations=None,
        routers=(router,),
        wire=lambda rt: Wiring(),
    )


class Body:
    """A streamed request body that counts what the server pulled from it."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total, self.chunk, self.sent = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        block = b"x" * self.chunk
        while self.sent < self.total:
            self.sent += self.chunk
            yield block


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def is_problem(answer: httpx.Response, status: int) -> bool:
    return (
        answer.status_code == status
        and answer.headers["content-type"] == "application/problem+json"
        and answer.json()["status"] == status
    )


@pytest.fixture
async def guarded(kafka_bootstrap, postgres_admin_dsn):
    async with running_alone(kafka_bootstrap, postgres_admin_dsn, guarded_spec()) as svc:
        yield svc


async def test_an_unauthenticated_100_mb_body_is_refused_before_it_is_read(guarded):
    before = rss_mib()
    for path in ("/v1/things", "/v1/files"):
        for headers in (
            {"content-type": "application/json"},  # streamed (chunked)
            {"content-type": "text/csv", "content-length": str(100 * MiB)},
            {"content-type": "application/json", "authorization": "Bearer not.a.token"},
        ):
            body = Body(100 * MiB)
            answer = await guarded.client.post(path, content=body, headers=headers)
            assert is_problem(answer, 401), (path, headers, answer.text)
            assert body.sent <= body.chunk, (path, headers, body.sent)
    wrong = issue_token(
        "another-secret-long-enough-for-hmac-sha256",
        subject="x",
        roles=["operator"],
        unit_code="38",
    )
    body = Body(100 * MiB)
    answer = await guarded.client.post(
        "/v1/files", content=body, headers={"authorization": f"Bearer {wrong}"}
    )
    assert is_problem(answer, 401) and body.sent <= body.chunk
    print(f"resident memory {before:.0f} MiB before, {rss_mib():.0f} MiB after")


async def test_bodies_are_capped_by_kind_and_answer_413(guarded):
    token = guarded.token("operator")
    # a JSON body streamed past its 1 MiB cap: the count stops it soon after the cap
    body = Body(50 * MiB)
    answer = await guarded.client.post(
        "/v1/things", content=body, headers={**token, "content-type": "application/json"}
    )
    assert is_problem(answer, 413), answer.text
    assert body.sent <= 1 * MiB + 2 * body.chunk
    # a declared length past the upload cap: refused before a byte is read
    body = Body(21 * MiB)
    answer = await guarded.client.post(
        "/v1/files",
        content=body,
        headers={**token, "content-type": "text/csv", "content-length": str(21 * MiB)},
    )
    assert is_problem(answer, 413) and body.sent == 0
    # an upload under its cap goes through whole, though larger than a JSON body may be
    body = Body(5 * MiB)
    answer = await guarded.client.post(
        "/v1/files", content=body, headers={**token, "content-type": "text/csv"}
    )
    assert answer.status_code == 200 and answer.json() == {"bytes": body.sent}
    # the same size as JSON is too large
    body = Body(5 * MiB)
    answer = await guarded.client.post(
        "/v1/files", content=body, headers={**token, "content-type": "application/json"}
    )
    assert is_problem(answer, 413)
    answer = await guarded.client.post("/v1/things", json={"name": "Hồ sơ"}, headers=token)
    assert answer.status_code == 201 and answer.json() == {"name": "Hồ sơ"}
    # a role the route does not admit is still the route's answer (403), not the guard's
    answer = await guarded.client.post(
        "/v1/things", json={"name": "x"}, headers=guarded.token("officer")
    )
    assert is_problem(answer, 403)


class Proxy:
    """A TCP proxy to PostgreSQL that the test can take away (only this test's connections:
    the server itself keeps running for everyone else)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.server: asyncio.Server | None = None
        self.port = 0
        self.writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in list(self.writers):
            w.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers -= {writer, up_writer}


class Recorder:
    def __init__(self) -> None:
        self.warnings: list[tuple[str, dict[str, Any]]] = []

    def warning(self, event: str, **kw: Any) -> None:
        self.warnings.append((event, kw))


async def test_a_database_outage_answers_503_problem_with_retry_after_logged_once(
    kafka_bootstrap, postgres_admin_dsn, monkeypatch
):
    name = f"test_outage_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(postgres_admin_dsn, name)
    try:
        await migrate(dsn, all_migrations(None))
        parts = urlsplit(dsn)
        proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
        await proxy.open()
        userinfo = parts.netloc.rpartition("@")[0]
        proxied = urlunsplit(parts._replace(netloc=f"{userinfo}@127.0.0.1:{proxy.port}"))
        settings = ServiceSettings(
            database_url=proxied,
            kafka_bootstrap_servers=kafka_bootstrap,
            db_acquire_timeout_s=2,
            outage_log_interval_s=3600,
            relay_poll_interval_s=0.1,
        )
        recorder = Recorder()
        monkeypatch.setattr(http_guard, "log", recorder)
        async with running_service(guarded_spec(), settings) as svc:
            assert (await svc.client.get("/v1/units")).status_code == 200
            await proxy.close()  # the database goes away
            answers = [await svc.client.get("/v1/units") for _ in range(20)]
            for answer in answers:
                assert is_problem(answer, 503), answer.text
                assert answer.headers["retry-after"] == "5"
            assert [event for event, _ in recorder.warnings] == ["store unavailable: answering 503"]
            await proxy.open()  # it is back: the pool reconnects

            async def back() -> bool:
                return (await svc.client.get("/v1/units")).status_code == 200

            await wait_for(back, timeout=30, message="answers again once the database is back")
    finally:
        await drop_database(postgres_admin_dsn, name)
