"""Every service's /docs is built by the runtime kit's factory, so it loads Swagger UI from the
service itself (see runtime/tests/test_app_docs.py for the page and its assets)."""

from __future__ import annotations

import pytest
from egov_runtime.app import create_app
from egov_runtime.service import ServiceSpec
from egov_runtime.settings import ServiceSettings
from fastapi.testclient import TestClient


def _specs() -> list[ServiceSpec]:
    from egov_indicators.main import SPEC as indicators
    from egov_nominations.main import SPEC as nominations
    from egov_notifier.main import SPEC as notifier
    from egov_procedures.main import SPEC as procedures

    return [procedures, indicators, nominations, notifier]


@pytest.mark.parametrize("spec", _specs(), ids=lambda s: s.name)
def test_service_docs_are_offline(spec: ServiceSpec) -> None:
    client = TestClient(create_app(spec, ServiceSettings()))
    html = client.get("/docs").text
    assert "/static-offline-docs/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr" not in html
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
