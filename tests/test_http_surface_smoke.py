"""Every service answers its public documents and its view of the unit hierarchy:
``/openapi.json``, ``/docs``, ``/asyncapi.json``, ``/v1/units`` (and one unit) and the
published JSON Schemas its events point at (``dataschema``)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from egov_console.main import SPEC as CONSOLE
from egov_contracts.envelope import all_event_types, dataschema_url, new_event
from egov_contracts.examples import example_for
from egov_contracts.topics import DOSSIERS
from egov_devkit.testing.service import TopicReader, running_alone
from egov_indicators.main import SPEC as INDICATORS
from egov_nominations.main import SPEC as NOMINATIONS
from egov_notifier.main import SPEC as NOTIFIER
from egov_procedures.adapters import catalogue
from egov_procedures.main import SPEC as PROCEDURES

pytestmark = pytest.mark.integration

SPECS = [PROCEDURES, INDICATORS, NOMINATIONS, NOTIFIER, CONSOLE]
PUBLISHED = Path(__file__).resolve().parent.parent / "contracts" / "published" / "schemas"


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
async def test_documents_and_units_answer(kafka_bootstrap, postgres_admin_dsn, spec):
    async with running_alone(kafka_bootstrap, postgres_admin_dsn, spec) as svc:
        openapi = await svc.client.get("/openapi.json")
        assert openapi.status_code == 200, openapi.text
        paths = openapi.json()["paths"]
        if spec is not CONSOLE:  # the console's pages sign in; the APIs take a bearer token
            schemes = openapi.json()["components"]["securitySchemes"].values()
            assert {"type": "http", "scheme": "bearer"} in [
                {k: v for k, v in x.items() if k in ("type", "scheme")} for x in schemes
            ]
        assert "/v1/units" in paths and "/v1/units/{code}" in paths
        assert "parent" in [p["name"] for p in paths["/v1/units"]["get"].get("parameters", [])]
        assert not [
            p["name"]
            for p in paths["/v1/units"]["get"].get("parameters", [])
            if p["name"] == "request"
        ]

        docs = await svc.client.get("/docs")
        assert docs.status_code == 200 and "openapi.json" in docs.text

        asyncapi = await svc.client.get("/asyncapi.json")
        assert asyncapi.status_code == 200 and asyncapi.json()["asyncapi"] == "3.0.0"

        units = await svc.client.get("/v1/units")
        assert units.status_code == 200, units.text
        codes = [u["unit_code"] for u in units.json()["items"]]
        assert "38" in codes

        children = await svc.client.get("/v1/units", params={"parent": "38"})
        assert children.status_code == 200 and children.json()["items"]
        assert {u["parent_code"] for u in children.json()["items"]} == {"38"}

        one = await svc.client.get("/v1/units/38")
        assert one.status_code == 200 and one.json()["ancestry"] == ["38"]
        missing = await svc.client.get("/v1/units/NO-SUCH-UNIT")
        assert missing.status_code == 404

        # every event's dataschema resolves to its published reader schema, served here
        base = svc.settings.schema_base_url
        for t in sorted(all_event_types()):
            uri = new_event(example_for(t), source="/vn/38/test", subject="S").dataschema
            assert uri == dataschema_url(t) and uri.startswith(base)
            served = await svc.client.get(f"/schemas/{uri.removeprefix(base)}")
            assert served.status_code == 200, uri
            published = PUBLISHED / "reader" / f"{t}.json"
            assert served.json() == json.loads(published.read_text(encoding="utf-8"))
        writer_type = "vn.egov.procedures.dossier.resolved.v1"
        writer = await svc.client.get(f"/schemas/{writer_type}.json")
        assert writer.json() == json.loads(
            (PUBLISHED / f"{writer_type}.json").read_text(encoding="utf-8")
        )
        index = (await svc.client.get("/schemas")).json()["types"]
        assert len(index) == len(all_event_types())
        assert (await svc.client.get("/schemas/vn.egov.nothing.v1.json")).status_code == 404


async def test_an_inbound_payload_with_unknown_fields_at_any_depth_is_read(
    kafka_bootstrap, postgres_admin_dsn
):
    """Readers, ours included, ignore fields a newer minor added, nested ones too; the outbound
    event carries the actor, the time the step happened and the request's trace."""
    code = f"000.00.38.H12-260302-{uuid.uuid4().hex[:6].upper()}"
    report = {
        "dossier_code": code,
        "procedure_code": "T5",
        "unit_code": "38",
        "status": "received",
        "occurred_at": "2026-03-02T08:00:00+07:00",
        "channel": "online",
        "officer_ref": "CB-MC-0107",
        "added_in_a_later_minor": {"x": 1},
        "applicant": {"kind": "citizen", "name": "Nguyễn Văn An", "added_later_too": True},
    }
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    reader = TopicReader(kafka_bootstrap, [DOSSIERS.name])
    await reader.start()
    try:
        async with running_alone(kafka_bootstrap, postgres_admin_dsn, PROCEDURES) as svc:
            async with svc.runtime.transaction() as tx:
                await catalogue.upsert_procedures(
                    tx.conn,
                    [
                        {
                            "code": "T5",
                            "name": "Năm ngày làm việc",
                            "processing_value": 5,
                            "processing_unit": "working-days",
                        }
                    ],
                )
            answer = await svc.client.post(
                "/v1/status-reports",
                json=report,
                headers={
                    **svc.token("integration"),
                    "traceparent": f"00-{trace}-00f067aa0ba902b7-01",
                },
            )
            assert answer.status_code == 202, answer.text
            await reader.until(lambda: reader.of(code, "dossier.received.v1"), timeout=30)
    finally:
        await reader.stop()
    [received] = reader.of(code, "dossier.received.v1")
    assert received.data["officer_ref"] == "CB-MC-0107"
    assert received.time.isoformat() == "2026-03-02T08:00:00+07:00"
    assert received.traceparent.split("-")[1] == trace
    assert received.sequence == "00000000000000000001"
