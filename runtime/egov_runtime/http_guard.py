"""ASGI middleware of every service: bounded bodies read only after authentication, and a
database outage answered 503 instead of a traceback per request.

:class:`BodyGuard` runs before FastAPI, which reads a route's body before it solves the
route's dependencies (authentication included): a request to a route that needs a principal
and carries a body is refused with 401 unless its bearer token is valid, before a byte of the
body is read. Then every body is capped, by ``Content-Length`` at once and by counting the
bytes of a streamed (chunked) body: file uploads (CSV, XLSX, multipart, octet-stream) up to
``http_max_upload_bytes``, any other body up to ``http_max_json_bytes``; beyond, 413.

:class:`OutageGuard` turns a transient infrastructure failure escaping a route (database
connection refused or lost, pool timeout; see :func:`errors.is_transient`) into 503
``application/problem+json`` with ``Retry-After``, and logs the outage once per interval with
the number of requests it refused, not a traceback per request.

Starlette's ``RequestBodyLimitMiddleware`` counts the bytes; FastAPI's own ``max_body_size``
is not used because it is one limit per app or route, fixed where the route is declared, and
on a too-long ``Content-Length`` it answers 413 text/plain before authentication is checked.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

from fastapi import FastAPI
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from egov_runtime.auth import decode_token
from egov_runtime.errors import is_transient
from egov_runtime.logging import get_logger
from egov_runtime.problems import MEDIA_TYPE, Problem
from egov_runtime.settings import ServiceSettings

log = get_logger("egov.http")

UPLOAD_TYPES = (
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel",
    "application/octet-stream",
    "multipart/form-data",
)


async def send_problem(send: Send, problem: Problem, path: str) -> None:
    body = json.dumps(problem.body(path), ensure_ascii=False).encode()
    headers = [
        (b"content-type", MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in (problem.headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def protected_operations(app: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Path patterns and methods of the operations that need a bearer token, from the app's
    OpenAPI document (``current_principal`` declares the bearer scheme on each of them)."""
    out = []
    for path, operations in app.openapi().get("paths", {}).items():
        methods = frozenset(
            method.upper()
            for method, op in operations.items()
            if isinstance(op, dict) and op.get("security")
        )
        if methods:
            regex, _format, _convertors = compile_path(path)
            out.append((regex, methods))
    return out


class BodyGuard:
    def __init__(self, app: ASGIApp, *, settings: ServiceSettings, routes_of: FastAPI) -> None:
        self.settings = settings
        self.routes_of = routes_of
        self._protected: list[tuple[re.Pattern[str], frozenset[str]]] | None = None
        # Starlette counts a streamed body and raises its 413 (an HTTPException, which the
        # problem handler answers) inside the route's read; the limit depends on the body.
        self.limited = {
            False: (
                settings.http_max_json_bytes,
                RequestBodyLimitMiddleware(app, settings.http_max_json_bytes),
            ),
            True: (
                settings.http_max_upload_bytes,
                RequestBodyLimitMiddleware(app, settings.http_max_upload_bytes),
            ),
        }
        self.app = app

    def _route_needs_principal(self, scope: Scope) -> bool:
        if self._protected is None:  # every route is mounted once the first request comes
            try:
                self._protected = protected_operations(self.routes_of)
            except Exception as exc:  # no document: the routes still authenticate, after reading
                log.error(
                    "no OpenAPI document: bodies are not checked for a token first",
                    error=repr(exc)[:300],
                )
                self._protected = []
        path, method = scope.get("path", ""), scope.get("method", "")
        return any(method in m and regex.match(path) for regex, m in self._protected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length_text = headers.get("content-length")
        path = scope.get("path", "")
        has_body = "transfer-encoding" in headers or length_text not in (None, "", "0")
        if has_body and self._route_needs_principal(scope):
            problem = self._authentication_problem(headers.get("authorization"))
            if problem is not None:
                await send_problem(send, problem, path)
                return
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        limit, limited_app = self.limited[content_type in UPLOAD_TYPES]
        if length_text is not None and length_text.strip().isdigit() and int(length_text) > limit:
            await send_problem(send, _too_large(limit), path)  # refused before it is sent
            return
        await limited_app(scope, receive, send)

    def _authentication_problem(self, authorization: str | None) -> Problem | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return Problem(401, "Authentication required", "Send Authorization: Bearer <token>.")
        try:
            decode_token(self.settings.jwt_secret.get_secret_value(), token.strip())
        except Problem as problem:
            return problem
        return None


def _too_large(limit: int) -> Problem:
    return Problem(413, "Body too large", f"At most {limit} bytes for this kind of body.")


class OutageGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: ServiceSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.retry_after_s = settings.http_retry_after_s
        self.log_interval_s = settings.outage_log_interval_s
        self.clock = clock
        self.refused = 0  # since the outage was last logged
        self.logged_at: float | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started or not is_transient(exc):
                raise
            self._note(exc)
            problem = Problem(
                503,
                "Service unavailable",
                "A store this service needs is unavailable; try again later.",
                headers={"Retry-After": str(self.retry_after_s)},
            )
            await send_problem(send, problem, scope.get("path", ""))

    def _note(self, exc: BaseException) -> None:
        self.refused += 1
        now = self.clock()
        if self.logged_at is not None and now - self.logged_at < self.log_interval_s:
            return
        log.warning(
            "store unavailable: answering 503",
            error=repr(exc)[:300],
            refused=self.refused,
            next_log_in_s=self.log_interval_s,
        )
        self.logged_at = now
        self.refused = 0


def install(app: FastAPI, settings: ServiceSettings) -> None:
    """The guards, outermost first: outages, then bodies (so a 413 never reaches a route)."""
    app.add_middleware(BodyGuard, settings=settings, routes_of=app)
    app.add_middleware(OutageGuard, settings=settings)
