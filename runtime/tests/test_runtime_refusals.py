"""Use cases refuse with domain errors (:mod:`egov_runtime.refusals`); the app factory's problem
handlers answer each with RFC 9457 problem details: its status, title, detail and field errors
(no broker, no database)."""

from __future__ import annotations

import httpx
import pytest
from egov_runtime import problems
from egov_runtime.refusals import Conflict, Forbidden, Invalid, NotFound, conflict, invalid
from egov_runtime.refusals import not_found as missing
from fastapi import FastAPI

REFUSALS = {
    "missing": missing("Nomination", "NOM-1"),
    "conflict": conflict("No quorum", "Too few members voted.", quorum="Không đủ túc số"),
    "invalid": invalid("Unknown unit X.", [{"field": "unit_code", "message": "unknown unit"}]),
    "forbidden": Forbidden("Outside your unit", "Unit A is not within B."),
}


@pytest.fixture
async def client():
    app = FastAPI()
    problems.install(app)

    @app.get("/refuse/{kind}")
    async def refuse(kind: str) -> None:
        raise REFUSALS[kind]

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://refusals") as c:
        yield c


@pytest.mark.parametrize(
    ("kind", "status", "title", "detail", "errors"),
    [
        ("missing", 404, "Nomination not found", "No nomination NOM-1.", None),
        (
            "conflict",
            409,
            "No quorum",
            "Too few members voted.",
            [{"field": "quorum", "message": "Không đủ túc số"}],
        ),
        (
            "invalid",
            422,
            "Invalid request",
            "Unknown unit X.",
            [{"field": "unit_code", "message": "unknown unit"}],
        ),
        ("forbidden", 403, "Outside your unit", "Unit A is not within B.", None),
    ],
)
async def test_each_refusal_answers_its_problem(client, kind, status, title, detail, errors):
    r = await client.get(f"/refuse/{kind}")
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status
    assert body["title"] == title
    assert body["detail"] == detail
    assert body["instance"] == f"/refuse/{kind}"
    assert body.get("errors") == errors


def test_the_kinds_and_their_default_titles():
    assert (NotFound.status, Conflict.status, Invalid.status, Forbidden.status) == (
        404,
        409,
        422,
        403,
    )
    assert Invalid(detail="x").title == "Invalid request"
    assert str(NotFound("Person not found", "No person P-1.")) == "No person P-1."
