"""Real local receivers for tests: an SMTP server and an HTTP endpoint that records requests."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from egov_devkit.devstack.broker import free_port


class _MailHandler:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted"


@asynccontextmanager
async def smtp_server() -> AsyncIterator[tuple[int, list[Message]]]:
    """An aiosmtpd server on a free port; yields (port, received messages)."""
    handler = _MailHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler.messages
    finally:
        controller.stop()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    responses: list[int] = field(default_factory=list)  # answered in order, then 200


@asynccontextmanager
async def http_receiver(
    fail_first: int = 0,
    status: int = 503,
    respond: Callable[[int, bytes], int] | None = None,
) -> AsyncIterator[HttpReceiver]:
    """An HTTP server on a free port recording every POST; the first ``fail_first`` get
    ``status``, or ``respond(n, body)`` decides the status of the n-th request."""
    port = free_port()
    receiver = HttpReceiver(f"http://127.0.0.1:{port}/hook")

    async def hook(request: Request) -> Response:
        body = await request.body()
        receiver.requests.append(Received(dict(request.headers), body))
        n = len(receiver.requests)
        code = respond(n, body) if respond else (status if n <= fail_first else 200)
        receiver.responses.append(code)
        return Response(status_code=code)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    # uvicorn offers a flag, not an event, for "listening"
    while not server.started:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
