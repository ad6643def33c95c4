"""The console against the real services: admin-procedures, the notifier and the console each on
its own database, one broker, and each served over HTTP on a port of 127.0.0.1 (the console
calls the services' APIs as it does in production; the browser calls the console)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn
from egov_console.main import SPEC as CONSOLE
from egov_notifier.main import SPEC as NOTIFIER
from egov_notifier.main import seed as seed_notifier
from egov_procedures.adapters import catalogue
from egov_procedures.main import DEMO
from egov_procedures.main import SPEC as PROCEDURES
from egov_runtime.devstack.broker import free_port
from egov_runtime.testing.fixtures import wait_for
from egov_runtime.testing.receivers import smtp_server
from egov_runtime.testing.service import RunningService, running_stack
from fastapi import FastAPI

T5 = {
    "code": "T5",
    "name": "Thủ tục năm ngày",
    "processing_value": 5,
    "processing_unit": "working-days",
}


@contextlib.asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[str]:
    """Serve an app whose lifespan already runs (running_stack) on 127.0.0.1:port."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        await wait_for(lambda: server.started or task.done(), timeout=15, message="uvicorn")
        if task.done():
            task.result()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


@dataclass
class ConsoleStack:
    procedures: RunningService
    notifier: RunningService
    console: RunningService
    url: str
    urls: dict[str, str]

    def sign_in_url(self, role: str, unit: str, next: str = "/") -> str:
        token = self.console.token(role, unit=unit, subject=f"dev-{role}")["Authorization"][7:]
        return f"{self.url}/sign-in/token?" + urlencode({"token": token, "next": next})

    async def report(self, code: str, status: str, at: datetime, unit: str, **kw: Any) -> None:
        """A one-door system reports a status (over admin-procedures' HTTP API)."""
        body = {
            "dossier_code": code,
            "procedure_code": kw.pop("procedure", "T5"),
            "unit_code": unit,
            "status": status,
            "occurred_at": at.isoformat(),
            **kw,
        }
        r = await self.procedures.client.post(
            "/v1/status-reports",
            content=json.dumps(body),
            headers={**self.procedures.token("integration"), "content-type": "application/json"},
        )
        assert r.status_code == 202, r.text

    async def dossier_status(self, code: str) -> str | None:
        r = await self.procedures.client.get(
            f"/v1/dossiers/{code}", headers=self.procedures.token("admin")
        )
        return r.json()["status"] if r.status_code == 200 else None


@pytest.fixture(scope="module")
async def console_stack(kafka_bootstrap, postgres_admin_dsn) -> AsyncIterator[ConsoleStack]:
    ports = {name: free_port() for name in ("admin-procedures", "notifier", "console")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    async with smtp_server() as (smtp_port, _mails):
        services = {
            "admin-procedures": (PROCEDURES, {"timer_interval_s": 0.2, "rates_interval_s": 3600}),
            "notifier": (
                NOTIFIER,
                {"smtp_port": smtp_port, "retry_schedule_s": [0, 0.2], "dispatch_interval_s": 0.1},
            ),
            "console": (CONSOLE, {"service_urls": urls, "live_poll_ms": 500}),
        }
        async with running_stack(kafka_bootstrap, postgres_admin_dsn, services) as stack:
            procedures = stack["admin-procedures"]
            async with procedures.runtime.transaction() as tx:
                procs = json.loads(DEMO.read_text(encoding="utf-8"))["procedures"]
                await catalogue.upsert_procedures(tx.conn, [*procs, T5])
            await seed_notifier(stack["notifier"].runtime)
            async with contextlib.AsyncExitStack() as http:
                for name, port in ports.items():
                    await http.enter_async_context(serving(stack[name].app, port))
                yield ConsoleStack(
                    procedures, stack["notifier"], stack["console"], urls["console"], urls
                )
