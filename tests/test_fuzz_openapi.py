"""Fuzzing every service's HTTP API from its OpenAPI document (schemathesis), authenticated,
bounded in time: no request, however malformed, may get a server error (5xx), and every status
code and content type answered must be one the document declares.

Each service runs as in the other integration tests (fresh migrated database, units loaded,
real broker) with a small demo loaded by its seed, and is served over a real socket;
schemathesis runs as its command-line tool against ``/openapi.json`` with its examples,
coverage and fuzzing phases. The token has every role at the province (the widest reach into
the code); requests without a token or outside their unit are the authorization matrix's
business. ``EGOV_FUZZ_SECONDS`` sets the budget of each service (default 20 s; the four take
about 2¼ minutes with start-up and seeds).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys

import pytest
import uvicorn
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.service import RunningService, running_alone
from egov_indicators.main import SPEC as INDICATORS
from egov_nominations.main import SPEC as NOMINATIONS
from egov_notifier.main import SPEC as NOTIFIER
from egov_procedures.main import SPEC as PROCEDURES
from egov_runtime.app import create_app
from egov_runtime.openapi_docs import XLSX

SPECS = [PROCEDURES, INDICATORS, NOMINATIONS, NOTIFIER]
ROLES = ("admin", "operator", "officer", "council", "head", "integration")
# a small demo of each service (its seed), so lists and reports have rows to show
DEMO = {"admin-procedures": {"demo_dossiers": 60}, "nominations": {"demo_people": 30}}
SECONDS = int(os.environ.get("EGOV_FUZZ_SECONDS", "20"))
# no 5xx, and every status code and content type answered is one the document declares
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance"


@contextlib.asynccontextmanager
async def served(svc: RunningService):
    """The running service's app on a real local port (its lifespan is already running)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(svc.app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await wait_for(lambda: server.started, timeout=10, message="the server started")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_the_document_declares_problems_and_downloads(spec):
    doc = create_app(spec).openapi()
    assert doc["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            responses = op["responses"]
            assert "application/problem+json" in responses["422"]["content"], (method, path)
            assert "Retry-After" in responses["503"]["headers"], (method, path)
            if op.get("security"):
                assert {"401", "403"} <= set(responses), (method, path)
            if "requestBody" in op:
                assert {"400", "413"} <= set(responses), (method, path)
    if spec is PROCEDURES:
        report = doc["paths"]["/v1/reports/on-time"]["get"]["responses"]["200"]["content"]
        assert {"application/json", "text/csv", XLSX} <= set(report)
        assert "409" in doc["paths"]["/v1/status-reports"]["post"]["responses"]
        assert "404" in doc["paths"]["/v1/dossiers/{code}"]["get"]["responses"]
        body = doc["paths"]["/v1/status-reports"]["post"]["requestBody"]["content"]
        assert body["application/json"]["example"]["status"] == "received"


@pytest.mark.integration
@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
async def test_no_server_error_under_fuzzing(kafka_bootstrap, postgres_admin_dsn, spec, tmp_path):
    async with (
        running_alone(kafka_bootstrap, postgres_admin_dsn, spec, **DEMO.get(spec.name, {})) as svc,
        served(svc) as url,
    ):
        if spec.seed is not None:  # lists, reports and downloads answer with real rows
            await spec.seed(svc.runtime)
        token = svc.token(*ROLES, unit="38")["Authorization"]
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{url}/openapi.json",
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-time",
            str(SECONDS),
            "--workers",  # one: hypothesis describing strategies in threads trips CPython 3.11
            "1",
            "--suppress-health-check",
            "all",
            "--request-timeout",
            "10",
            "--header",
            f"Authorization: {token}",
            "--mode",
            "all",
            "--generation-allow-x00",
            "true",
            "--generation-database",
            "none",
            "--no-color",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
            cwd=tmp_path,  # schemathesis keeps a cache of its own in the working directory
        )
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=SECONDS * 4 + 60)
        report = out.decode("utf-8", "replace")
        assert proc.returncode == 0, report[-6000:]
