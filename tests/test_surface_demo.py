"""What a person sees on the four services with their demo data, read through every route
their OpenAPI documents declare:

- every list pages one way (``items``, ``total``, ``limit``, ``offset``, ``next``; ``limit``
  at most 500; an unknown filter value is a 422 naming the allowed ones), and no route
  answers a bare JSON array;
- every time in every answer (JSON, CSV, XLSX), in every event the services publish and in
  every e-mail's ``Date`` is Vietnam time (+07:00).
"""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from egov_contracts import procedures as pc
from egov_contracts.envelope import encode, new_event, to_json
from egov_contracts.topics import ALL_TOPICS, DOSSIERS
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.receivers import smtp_server
from egov_devkit.testing.service import RunningService, TopicReader, running_stack
from egov_devkit.testing.times import foreign_times, foreign_times_in_text, times_in
from egov_indicators.demo.data import DATA_SET as DEMO_DATA_SET
from egov_indicators.main import SPEC as INDICATORS
from egov_nominations.main import SPEC as NOMINATIONS
from egov_notifier.main import SPEC as NOTIFIER
from egov_procedures.main import SPEC as PROCEDURES
from egov_runtime.pagination import MAX_LIMIT

pytestmark = pytest.mark.integration

DEMO_DOSSIERS = 150
EVERY_ROLE = ("admin", "operator", "officer", "head", "council")
# values for the query parameters a route needs (a closed year, a month of the calendar)
QUERY = {"period": "2025", "from": "2026-01-01", "to": "2026-01-31"}
MONTHLY = {"data_set": DEMO_DATA_SET["code"], "period": "2025-12"}  # the demo's monthly report
EXTRA = {
    "/v1/reports/on-time": {"period": "2026"},
    "/v1/reports/awards": {"year": "2025"},
    "/v1/reporting-rates": MONTHLY,
    "/v1/reporting-rates/missing": MONTHLY,
}


@dataclass
class Demo:
    services: dict[str, RunningService]
    mails: list[Any]
    events: list[Any] = field(default_factory=list)


@pytest.fixture(scope="module")
async def demo(kafka_bootstrap: str, postgres_admin_dsn: str) -> AsyncIterator[Demo]:
    async with smtp_server() as (smtp_port, mails):
        stack = {
            "admin-procedures": (PROCEDURES, {"demo_dossiers": DEMO_DOSSIERS}),
            "indicators": (INDICATORS, {}),
            "nominations": (NOMINATIONS, {"demo_people": 40}),
            "notifier": (NOTIFIER, {"smtp_port": smtp_port, "dispatch_interval_s": 0.1}),
        }
        async with running_stack(kafka_bootstrap, postgres_admin_dsn, stack) as svc:
            for spec, _ in stack.values():
                assert spec.seed is not None
                await spec.seed(svc[spec.name].runtime)
            procedures = svc["admin-procedures"]

            async def all_dossiers_in() -> bool:
                r = await procedures.client.get(
                    "/v1/dossiers", params={"unit": "38", "limit": 1}, headers=_token(procedures)
                )
                return r.status_code == 200 and r.json()["total"] >= DEMO_DOSSIERS

            await wait_for(all_dossiers_in, timeout=90, message="the demo dossiers")
            yield Demo(svc, mails)


def _token(svc: RunningService) -> dict[str, str]:
    return svc.token(*EVERY_ROLE, unit="38", subject="demo-reader")


def _get_routes(svc: RunningService) -> Iterator[tuple[str, dict[str, Any]]]:
    spec = svc.app.openapi()
    for path, ops in sorted(spec["paths"].items()):
        if path.startswith("/v1/") and "get" in ops:
            yield path, ops["get"]


def _is_list(op: dict[str, Any]) -> bool:
    names = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
    return {"limit", "offset"} <= names


def _enum(svc: RunningService, param: dict[str, Any]) -> list[str]:
    """The allowed values of a query parameter (its schema, a reference, a nullable union)."""
    components = svc.app.openapi()["components"]["schemas"]
    schema = param.get("schema", {})
    for option in [schema, *schema.get("anyOf", [])]:
        if "$ref" in option:
            option = components[option["$ref"].split("/")[-1]]
        if "enum" in option:
            return [str(v) for v in option["enum"]]
        if "const" in option:
            return [str(option["const"])]
    return []


def _response_schema(svc: RunningService, op: dict[str, Any]) -> dict[str, Any]:
    content = op["responses"].get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    ref = schema.get("$ref")
    if ref:
        schema = svc.app.openapi()["components"]["schemas"][ref.split("/")[-1]]
    return dict(schema)


def _params(path: str, op: dict[str, Any], found: dict[str, Any]) -> dict[str, Any] | None:
    """Values for the route's required query parameters (None: no value known)."""
    params = dict(EXTRA.get(path, {}))
    for p in op.get("parameters", []):
        if p["in"] != "query" or not p.get("required"):
            continue
        value = params.get(p["name"]) or QUERY.get(p["name"]) or found.get(f"{p['name']}_id")
        if value is None:
            return None
        params[p["name"]] = value
    return params


def _collect(doc: Any, found: dict[str, Any]) -> None:
    """Remember the first value of every key (ids to fill the detail routes' paths)."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if isinstance(v, str | int) and not isinstance(v, bool) and v != "":
                found.setdefault(k, v)
            _collect(v, found)
    elif isinstance(doc, list):
        for v in doc:
            _collect(v, found)


def _fill(path: str, found: dict[str, Any], listed: dict[str, dict[str, Any]]) -> str | None:
    """The path with its parameters filled from what the list above it answered (else from
    any answer so far)."""
    out = path
    parent = path.split("/{")[0]
    for part in path.split("/"):
        if part.startswith("{"):
            name = part.strip("{}")
            value = {"unit": "38", "period": "2025"}.get(name)
            for known in (listed.get(parent, {}), found):
                if value is None:
                    value = known.get(name)
                if value is None:
                    value = next((v for k, v in known.items() if k.endswith(f"_{name}")), None)
            if value is None:
                return None
            out = out.replace(part, str(value))
    return out


def _foreign_in_download(body: bytes, media: str) -> list[str]:
    if "csv" in media:
        return foreign_times_in_text(body.decode("utf-8-sig"))
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(body), read_only=True)
    out = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            out += [t for cell in row if isinstance(cell, str) for t in foreign_times_in_text(cell)]
    return out


SERVICES = ["admin-procedures", "indicators", "nominations", "notifier"]


@pytest.mark.parametrize("name", SERVICES)
async def test_every_list_pages_one_way(demo: Demo, name: str) -> None:
    svc = demo.services[name]
    headers = _token(svc)
    lists = [(path, op) for path, op in _get_routes(svc) if _is_list(op)]
    assert lists, "no list route"
    for path, op in _get_routes(svc):
        schema = _response_schema(svc, op)
        assert schema.get("type") != "array", f"{path} answers a bare list"
    for path, op in lists:
        params = _params(path, op, {})
        assert params is not None, path
        first = await svc.client.get(path, params={**params, "limit": 2}, headers=headers)
        assert first.status_code == 200, (path, first.text)
        body = first.json()
        assert {"items", "total", "limit", "offset", "next"} <= set(body), path
        assert isinstance(body["items"], list) and body["limit"] == 2 and body["offset"] == 0
        assert len(body["items"]) <= 2 and body["total"] >= len(body["items"]), path
        if body["total"] > 2:
            assert body["next"] is not None, path
            after = await svc.client.get(body["next"], headers=headers)
            assert after.status_code == 200, (path, after.text)
            assert after.json()["offset"] == 2 and after.json()["items"] != body["items"], path
        else:
            assert body["next"] is None, path
        for limit in (MAX_LIMIT + 1, 0):
            r = await svc.client.get(path, params={**params, "limit": limit}, headers=headers)
            assert r.status_code == 422, (path, limit, r.text)
        for p in op.get("parameters", []):
            allowed = _enum(svc, p)
            if p["in"] != "query" or not allowed:
                continue
            r = await svc.client.get(
                path, params={**params, p["name"]: "no-such-value"}, headers=headers
            )
            assert r.status_code == 422, (path, p["name"], r.text)
            assert all(f"'{v}'" in r.text for v in allowed), (path, p["name"], r.text)


# filters whose values are a fixed set: always typed, so an unknown value is refused
CLOSED_FILTERS = {"state", "status", "channel", "award", "kind", "group_by", "format"}


@pytest.mark.parametrize("name", SERVICES)
async def test_filters_with_fixed_values_are_typed(demo: Demo, name: str) -> None:
    svc = demo.services[name]
    loose = [
        (path, p["name"])
        for path, op in _get_routes(svc)
        for p in op.get("parameters", [])
        if p["in"] == "query" and p["name"] in CLOSED_FILTERS and not _enum(svc, p)
    ]
    assert loose == []


@pytest.mark.parametrize("name", SERVICES)
async def test_every_answer_of_the_demo_is_in_vietnam_time(demo: Demo, name: str) -> None:
    svc = demo.services[name]
    headers = _token(svc)
    found: dict[str, Any] = {}
    listed: dict[str, dict[str, Any]] = {}
    routes = sorted(_get_routes(svc), key=lambda r: "{" in r[0])  # lists first: they give ids
    read, unreached, foreign = [], [], []
    counted = 0
    for path, op in routes:
        url = _fill(path, found, listed)
        params = _params(path, op, found)
        if url is None or params is None:
            unreached.append(path)
            continue
        formats = next(
            (_enum(svc, p) for p in op.get("parameters", []) if p["name"] == "format"), []
        )
        for fmt in formats or [None]:
            query = {**params, **({"format": fmt} if fmt else {})}
            r = await svc.client.get(url, params=query, headers=headers)
            assert r.status_code == 200, (url, query, r.text)
            media = r.headers["content-type"]
            if "json" in media:
                doc = r.json()
                _collect(doc, found)
                _collect(doc, listed.setdefault(path, {}))
                counted += times_in(doc)
                foreign += [(url, fmt, *t) for t in foreign_times(doc)]
            else:
                foreign += [(url, fmt, t) for t in _foreign_in_download(r.content, media)]
            read.append((url, fmt))
    assert foreign == []
    assert counted > 0 and len(read) >= len(routes) // 2, (read, unreached)


async def test_every_event_the_services_publish_is_in_vietnam_time(demo: Demo, kafka_bootstrap):
    sources = {svc.runtime.source for svc in demo.services.values()}
    reader = TopicReader(kafka_bootstrap, [t.name for t in ALL_TOPICS])
    await reader.start()
    try:
        types: set[str] = set()

        def enough() -> bool:
            mine = [e for e in reader.events if e.source in sources]
            types.clear()
            types.update(e.type for e in mine)
            # every topic is read in its own order: wait for the dossiers', not any four types
            return len(types) >= 4 and "vn.egov.procedures.dossier.received.v1" in types

        await reader.until(enough, timeout=60)
    finally:
        with contextlib.suppress(Exception):
            await reader.stop()
    mine = [e for e in reader.events if e.source in sources]
    foreign = [(e.type, *t) for e in mine for t in foreign_times(json.loads(to_json(e)))]
    assert foreign == []
    assert "vn.egov.procedures.dossier.received.v1" in types


async def test_every_mail_is_dated_in_vietnam_time(demo: Demo) -> None:
    # a dossier overdue now (the demo's own warnings depend on the hour the test runs)
    code = f"HS-{uuid.uuid4().hex[:8]}"
    due = datetime.now(UTC) - timedelta(minutes=5)
    late = pc.DossierOverdue(
        dossier_code=code,
        procedure_code="1.001865",
        unit_code="38.XA.SAMSON",
        occurred_at=due,
        due_at=due,
        minutes_late=5,
    )
    producer = demo.services["admin-procedures"].runtime.producer
    value, headers = encode(new_event(late, source="/vn/38/test", subject=code))
    await producer.send_and_wait(DOSSIERS.name, value=value, key=code.encode(), headers=headers)
    await wait_for(
        lambda: [m for m in demo.mails if code in str(m["Subject"])], 30, message="the e-mail"
    )
    dates = [str(m["Date"]) for m in demo.mails]
    assert all(d.endswith("+0700") for d in dates), dates


async def test_a_time_without_an_offset_is_read_as_vietnam_time(demo: Demo) -> None:
    svc = demo.services["admin-procedures"]
    headers = _token(svc)

    async def total(due_before: str) -> int:
        r = await svc.client.get(
            "/v1/dossiers",
            params={"unit": "38", "state": "processing", "due_before": due_before, "limit": 1},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        return int(r.json()["total"])

    naive = await total("2030-01-01T00:00:00")
    assert naive == await total("2030-01-01T00:00:00+07:00")
    assert naive > 0
