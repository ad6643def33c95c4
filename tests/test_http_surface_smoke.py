"""Every service answers its public documents and its view of the unit hierarchy:
``/openapi.json``, ``/docs``, ``/asyncapi.json``, ``/v1/units`` (and one unit) and the
published JSON Schemas its events point at (``dataschema``)."""

from __future__ import annotations

import pytest
from egov_indicators.main import SPEC as INDICATORS
from egov_nominations.main import SPEC as NOMINATIONS
from egov_notifier.main import SPEC as NOTIFIER
from egov_procedures.main import SPEC as PROCEDURES
from egov_runtime.testing.service import running_alone

pytestmark = pytest.mark.integration

SPECS = [PROCEDURES, INDICATORS, NOMINATIONS, NOTIFIER]


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
async def test_documents_and_units_answer(kafka_bootstrap, postgres_admin_dsn, spec):
    async with running_alone(kafka_bootstrap, postgres_admin_dsn, spec) as svc:
        openapi = await svc.client.get("/openapi.json")
        assert openapi.status_code == 200, openapi.text
        paths = openapi.json()["paths"]
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
        codes = [u["unit_code"] for u in units.json()]
        assert "38" in codes

        children = await svc.client.get("/v1/units", params={"parent": "38"})
        assert children.status_code == 200 and children.json()
        assert {u["parent_code"] for u in children.json()} == {"38"}

        one = await svc.client.get("/v1/units/38")
        assert one.status_code == 200 and one.json()["ancestry"] == ["38"]
        missing = await svc.client.get("/v1/units/NO-SUCH-UNIT")
        assert missing.status_code == 404
