"""Validation at the edge (no broker, no database): control characters and overlong values in
URLs and bodies get 422 problem details naming the field; the database's refusal of a value is
a 422, not a 500; the window of plausible instants; the shared query types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from egov_runtime import problems
from egov_runtime.edge import (
    EdgeGuard,
    Offset,
    OptionalYear,
    TimeWindow,
    install_database_refusals,
)
from fastapi import FastAPI, Request
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel


class Body(BaseModel):
    note: str


def make_app() -> FastAPI:
    app = FastAPI()
    problems.install(app)
    install_database_refusals(app)
    app.add_middleware(EdgeGuard)

    @app.get("/items/{code}")
    async def item(code: str, q: str | None = None) -> dict[str, Any]:
        return {"code": code, "q": q}

    @app.get("/list")
    async def listing(year: OptionalYear = None, offset: Offset = 0) -> dict[str, Any]:
        return {"year": year, "offset": offset}

    @app.post("/notes")
    async def note(body: Body) -> dict[str, Any]:
        return {"note": body.note}

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, Any]:
        return {"size": len(await request.body())}

    @app.get("/db/{kind}")
    async def db(kind: str) -> dict[str, Any]:
        if kind == "nul":
            raise asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence")
        if kind == "argument":  # the driver refusing to encode a year-1 datetime
            raise asyncpg.exceptions.DataError("invalid input for query argument $1")
        if kind == "overflow":
            raise OverflowError("date value out of range")
        raise asyncpg.exceptions.DivisionByZeroError("a bug, not a value")

    return app


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as c:
        yield c


def fields(r: httpx.Response) -> list[str]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in r.json()["errors"]]


async def test_control_characters_in_the_url_are_refused_by_name(client):
    assert (await client.get("/items/HS-1", params={"q": "Sầm Sơn"})).status_code == 200
    assert fields(await client.get("/items/HS%001")) == ["path[2]"]
    assert fields(await client.get("/items/HS-1", params={"q": "a\x00b"})) == ["q"]
    assert fields(await client.get("/items/HS-1", params={"q": "line\nbreak"})) == ["q"]
    assert fields(await client.get("/items/" + "X" * 201)) == ["path[2]"]
    assert fields(await client.get("/items/HS-1", params={"q": "x" * 1001})) == ["q"]
    assert fields(await client.get("/items/0001-01-01")) == ["path[2]"]
    assert fields(await client.get("/items/x", params={"q": "9999-12-31T23:59:59Z"})) == ["q"]
    assert (await client.get("/items/2026-07-01", params={"q": "2026-07"})).status_code == 200


async def test_control_escapes_in_a_json_body_are_refused(client):
    ok = await client.post("/notes", json={"note": "dòng 1\ndòng 2\tcột"})
    assert ok.status_code == 200 and ok.json()["note"] == "dòng 1\ndòng 2\tcột"
    assert fields(await client.post("/notes", json={"note": "a\x00b"})) == ["body"]
    assert fields(await client.post("/notes", json={"note": "bell\x07"})) == ["body"]
    # the text "\u0000" (an escaped backslash, then u0000) is not a control character
    literal = await client.post(
        "/notes", content=b'{"note": "\\\\u0000"}', headers={"content-type": "application/json"}
    )
    assert literal.status_code == 200 and literal.json()["note"] == "\\u0000"
    escaped_then_nul = b'{"note": "\\\\\\u0000"}'  # backslash, then a real NUL
    r = await client.post(
        "/notes", content=escaped_then_nul, headers={"content-type": "application/json"}
    )
    assert fields(r) == ["body"]


async def test_an_escape_split_across_chunks_is_seen(client):
    async def chunks():
        yield b'{"note": "abc\\u00'
        yield b'00"}'

    r = await client.post("/notes", content=chunks(), headers={"content-type": "application/json"})
    assert fields(r) == ["body"]


async def test_control_bytes_in_a_text_upload_are_refused_and_binary_passes(client):
    csv = b"unit_code,value\r\n38,1\n"
    text = {"content-type": "text/csv"}
    assert (await client.post("/upload", content=csv, headers=text)).status_code == 200
    assert fields(await client.post("/upload", content=b"38,\x00", headers=text)) == ["body"]
    xlsx = {"content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    assert (
        await client.post("/upload", content=b"PK\x03\x04\x00", headers=xlsx)
    ).status_code == 200


async def test_integer_query_types_are_bounded(client):
    assert (await client.get("/list", params={"year": 2026, "offset": 10})).status_code == 200
    assert fields(await client.get("/list", params={"year": 10**20})) == ["query.year"]
    assert fields(await client.get("/list", params={"offset": -1})) == ["query.offset"]
    assert fields(await client.get("/list", params={"offset": 10**7})) == ["query.offset"]


async def test_the_database_refusing_a_value_is_422_and_a_bug_stays_500(client):
    for kind in ("nul", "argument", "overflow"):
        r = await client.get(f"/db/{kind}")
        assert r.status_code == 422 and r.json()["title"] == "Invalid value", kind
    assert (await client.get("/db/bug")).status_code == 500


NOW = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)
WINDOW = TimeWindow(datetime(2000, 1, 1, tzinfo=UTC), timedelta(minutes=15))


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
def test_the_time_window(moment):
    at = moment.replace(tzinfo=UTC)
    refused = WINDOW.refusal(at, NOW)
    plausible = datetime(2000, 1, 1, tzinfo=UTC) <= at <= NOW + timedelta(minutes=15)
    assert (refused is None) == plausible


def test_the_window_lists_every_field_outside_it():
    errors = WINDOW.errors(
        NOW,
        occurred_at=datetime(1, 1, 1, tzinfo=UTC),
        submitted_at=NOW + timedelta(days=1),
        fine=NOW,
        absent=None,
    )
    assert [e["field"] for e in errors] == ["occurred_at", "submitted_at"]
