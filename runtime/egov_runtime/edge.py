"""Validation at the edge of every service: what a value may look like before it goes further.

The contract models bound the fields of the inbound events (lengths, patterns, an absolute
window of instants, no control characters: ``egov_contracts.types``); this module holds what
applies to every HTTP request of every service, installed once by the app factory:

- :class:`EdgeGuard` answers 422 problem details, naming the parameters, for a path segment or
  query value with a control character (NUL above all: PostgreSQL cannot store it) or longer
  than a code or a date can be, or a date (``YYYY-MM-DD…``) outside 1900–2199, and for a JSON
  or text body that carries a control character
  (a ``\\u0000`` escape in JSON, a raw control byte in CSV). Tabs and line breaks are allowed
  in bodies. The body is checked as the route reads it, never read ahead of authentication.
- :func:`install_database_refusals`: the database's own refusal of a value (a character it
  cannot store, a number or date out of its range) is the caller's error, 422, never a 500;
  each is logged, since a field that gets this far lacks a bound at the edge.
- :class:`TimeWindow`: how far ahead of *now* (the service's clock) and how far back an
  instant a caller reports may be; the window is a setting of every service.
- Shared constrained query types: :data:`Year`, :data:`OptionalYear`, :data:`Offset`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl

import asyncpg
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from egov_runtime.logging import get_logger
from egov_runtime.problems import MEDIA_TYPE, Problem, problem_response

log = get_logger("egov.edge")

MAX_PATH_SEGMENT = 200
MAX_QUERY_VALUE = 1000
MAX_HEADER_VALUE = {"idempotency-key": 200}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Control bytes a text body may not carry (tab, LF and CR are text).
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A JSON escape of such a character, not itself escaped (an odd run of backslashes before u).
_JSON_CONTROL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])")
# A date in the URL (a path segment or query value written YYYY-MM-DD…) is one of this era:
# year 1 or 9999 overflows date arithmetic and the database's driver.
_URL_DATE = re.compile(r"^([0-9]{4})-[0-9]{2}-[0-9]{2}")
URL_YEARS = range(1900, 2200)
_CARRY = 64  # bytes kept from one chunk to the next so an escape split across chunks is seen

Year = Annotated[int, Query(ge=1975, le=2100, description="Year, 1975 to 2100")]
OptionalYear = Annotated[int | None, Query(ge=1975, le=2100, description="Year, 1975 to 2100")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows skipped")]


def _problem(errors: list[dict[str, Any]], detail: str) -> dict[str, Any]:
    return Problem(422, "Invalid request", detail, errors=errors).body()


def url_errors(scope: Scope) -> list[dict[str, Any]]:
    """Every path segment, query value and bounded header that a service must not store."""
    errors: list[dict[str, Any]] = []
    for i, segment in enumerate(str(scope.get("path", "")).split("/")):
        if _CONTROL.search(segment):
            errors.append({"field": f"path[{i}]", "message": "control character"})
        elif _implausible_date(segment):
            errors.append({"field": f"path[{i}]", "message": "a date outside 1900–2199"})
        elif len(segment) > MAX_PATH_SEGMENT:
            errors.append(
                {"field": f"path[{i}]", "message": f"longer than {MAX_PATH_SEGMENT} characters"}
            )
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        shown = name if not _CONTROL.search(name) and len(name) <= 100 else "(name)"
        if _CONTROL.search(name) or _CONTROL.search(value):
            errors.append({"field": shown, "message": "control character"})
        elif _implausible_date(value):
            errors.append({"field": shown, "message": "a date outside 1900–2199"})
        elif len(value) > MAX_QUERY_VALUE:
            errors.append({"field": shown, "message": f"longer than {MAX_QUERY_VALUE} characters"})
    for key, raw in scope.get("headers", ()):
        limit = MAX_HEADER_VALUE.get(key.decode("latin-1").lower())
        if limit is not None and len(raw) > limit:
            errors.append({"field": key.decode("latin-1"), "message": f"longer than {limit}"})
    return errors


def _implausible_date(text: str) -> bool:
    match = _URL_DATE.match(text)
    return match is not None and int(match.group(1)) not in URL_YEARS


def _body_kind(scope: Scope) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == b"content-type":
            media = value.decode("latin-1").split(";")[0].strip().lower()
            if media == "application/json" or media.endswith("+json"):
                return "json"
            if media.startswith("text/"):
                return "text"
    return None


class EdgeGuard:
    """ASGI middleware: refuse control characters and overlong values in the URL at once, and
    control characters in a JSON or text body as the application reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors = url_errors(scope)
        if errors:
            await _send_problem(
                send, _problem(errors, "A parameter is too long or has a control character.")
            )
            return
        kind = _body_kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        pattern = _JSON_CONTROL_ESCAPE if kind == "json" else _CONTROL_BYTES
        refused: list[bool] = []
        tail = b""

        async def checked_receive() -> Message:
            nonlocal tail
            message = await receive()
            if message["type"] == "http.request" and not refused:
                chunk = message.get("body", b"")
                if pattern.search(tail + chunk):
                    refused.append(True)
                    # the application sees an empty end of body; its answer is replaced below
                    return {"type": "http.request", "body": b"", "more_body": False}
                tail = (tail + chunk)[-_CARRY:]
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    errors = [{"field": "body", "message": "control character in the body"}]
                    await _send_problem(
                        send, _problem(errors, "The body has a control character (e.g. NUL).")
                    )
                return
            await send(message)

        await self.app(scope, checked_receive, guarded_send)


async def _send_problem(send: Send, body: dict[str, Any]) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [
                (b"content-type", MEDIA_TYPE.encode()),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


# The database refusing a value: SQLSTATE class 22 errors a caller's value can cause, and the
# driver refusing to encode an argument (an integer out of int64, a date out of range: raised
# as the class-22 base DataError itself). Other class-22 errors (a division by zero) are bugs.
_VALUE_REFUSALS: tuple[type[Exception], ...] = (
    asyncpg.exceptions.CharacterNotInRepertoireError,
    asyncpg.exceptions.UntranslatableCharacterError,
    asyncpg.exceptions.DatetimeFieldOverflowError,
    asyncpg.exceptions.NumericValueOutOfRangeError,
    asyncpg.exceptions.InvalidDatetimeFormatError,
    asyncpg.exceptions.InvalidTextRepresentationError,
    asyncpg.exceptions.StringDataRightTruncationError,
    asyncpg.exceptions.InvalidParameterValueError,
    asyncpg.exceptions._base.DataError,
)


def _refused_value(exc: Exception) -> bool:
    if isinstance(exc, OverflowError):  # date arithmetic on a caller's year 1 or 9999
        return True
    return isinstance(exc, _VALUE_REFUSALS) or type(exc) is asyncpg.exceptions.DataError


def install_database_refusals(app: FastAPI) -> None:
    async def _refused(request: Request, exc: Exception) -> JSONResponse:
        if not _refused_value(exc):
            raise exc  # a bug, not a value: the server error it is
        log.warning(
            "value refused by the database (a field without a bound at the edge)",
            path=request.url.path,
            error=type(exc).__name__,
        )
        problem = Problem(
            422,
            "Invalid value",
            "A value is out of the range or character set this service stores.",
            errors=[{"field": "", "message": type(exc).__name__}],
        )
        return problem_response(problem, request)

    for cls in (*_VALUE_REFUSALS, asyncpg.exceptions.DataError, OverflowError):
        app.add_exception_handler(cls, _refused)


@dataclass(frozen=True)
class TimeWindow:
    """The instants a caller may report: not before ``earliest``, not more than ``ahead`` after
    now (clocks of other systems drift a little; a report from next year is a mistake)."""

    earliest: datetime
    ahead: timedelta

    def refusal(self, value: datetime, now: datetime) -> str | None:
        if value < self.earliest:
            return f"before {self.earliest.isoformat()}"
        if value > now + self.ahead:
            minutes = int(self.ahead.total_seconds() // 60)
            return f"more than {minutes} minutes after now ({now.isoformat()})"
        return None

    def errors(self, now: datetime, **fields: datetime | None) -> list[dict[str, Any]]:
        out = []
        for name, value in fields.items():
            why = self.refusal(value, now) if value is not None else None
            if why:
                out.append({"field": name, "message": why, "type": "implausible_time"})
        return out

    def check(self, now: datetime, **fields: datetime | None) -> None:
        """Raise a 422 problem listing every field outside the window."""
        errors = self.errors(now, **fields)
        if errors:
            raise Problem(
                422, "Implausible time", "An instant is outside the accepted window.", errors=errors
            )
