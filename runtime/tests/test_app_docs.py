"""/docs of every service works on a closed network: the page names no external host and
every script, stylesheet and icon it loads is served by the service itself."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from egov_runtime.app import create_app
from egov_runtime.service import ServiceSpec, Wiring
from egov_runtime.settings import ServiceSettings
from fastapi.testclient import TestClient


def _bare_spec() -> ServiceSpec:
    return ServiceSpec(
        name="docs-check",
        settings_cls=ServiceSettings,
        migrations=None,
        routers=[],
        wire=lambda runtime: Wiring(),
    )


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_page_loads_only_local_assets(path: str) -> None:
    # No lifespan: the documentation needs neither the database nor the broker.
    client = TestClient(create_app(_bare_spec(), ServiceSettings()))
    page = client.get(path)
    assert page.status_code == 200
    html = page.text
    assert "cdn." not in html and "googleapis" not in html
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    urls += re.findall(r"""url: ?['"]([^"']+)['"]""", html)
    assert urls, html
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{path} loads {url} from another host"
        assert client.get(url).status_code == 200, url
