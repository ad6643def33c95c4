"""The console against the real services: admin-procedures, the notifier and the console each on
its own database, one broker, and each served over HTTP on a port of 127.0.0.1 (the console
calls the services' APIs as it does in production; the browser calls the console)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn
from egov_console.main import SPEC as CONSOLE
from egov_devkit.devstack.broker import free_port
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.receivers import smtp_server
from egov_devkit.testing.service import RunningService, running_stack
from egov_indicators.main import SPEC as INDICATORS
from egov_nominations.main import SPEC as NOMINATIONS
from egov_notifier.main import SPEC as NOTIFIER
from egov_notifier.main import seed as seed_notifier
from egov_procedures.adapters import catalogue
from egov_procedures.main import DEMO
from egov_procedures.main import SPEC as PROCEDURES
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

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


# -- a local OpenID Connect provider ------------------------------------------------------
# Discovery, an authorization endpoint that signs in one configured person at once, a token
# endpoint checking the client secret, the redirect URI and the PKCE verifier (S256), and the
# signing keys; ID tokens signed RS256 by joserfc. Written for the test: a real provider is a
# service of its own.

CLIENT_ID = "egov-console"
CLIENT_SECRET = "console-client-secret-for-tests"


@dataclass
class Provider:
    issuer: str
    person: dict[str, Any]
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def oidc_provider(person: dict[str, Any]) -> AsyncIterator[Provider]:
    port = free_port()
    provider = Provider(f"http://127.0.0.1:{port}", person)
    key = RSAKey.generate_key(2048, parameters={"kid": "test-1", "use": "sig", "alg": "RS256"})

    async def discovery(_request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": provider.issuer,
                "authorization_endpoint": f"{provider.issuer}/authorize",
                "token_endpoint": f"{provider.issuer}/token",
                "jwks_uri": f"{provider.issuer}/jwks",
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def authorize(request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("code_challenge_method") != "S256":
            provider.refused.append("authorize")
            return Response("bad request", status_code=400)
        code = secrets.token_urlsafe(24)
        provider.codes[code] = {
            "challenge": q["code_challenge"],
            "redirect_uri": q["redirect_uri"],
            "nonce": q.get("nonce"),
        }
        target = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
        return RedirectResponse(target, status_code=302)

    async def token(request: Request) -> Response:
        form = await request.form()
        basic = request.headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        grant = provider.codes.pop(str(form.get("code")), None)
        verifier = str(form.get("code_verifier", ""))
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if (
            basic != expected
            or grant is None
            or grant["redirect_uri"] != form.get("redirect_uri")
            or grant["challenge"] != challenge
        ):
            provider.refused.append("token")
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {
            "iss": provider.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **provider.person,
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "test-1"}, claims, key)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "id_token": id_token,
            }
        )

    async def jwks(_request: Request) -> Response:
        return JSONResponse({"keys": [key.as_dict(private=False)]})

    app = Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/authorize", authorize),
            Route("/token", token, methods=["POST"]),
            Route("/jwks", jwks),
        ]
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started, timeout=15, message="OIDC provider")
    try:
        yield provider
    finally:
        server.should_exit = True
        await task


@dataclass
class ConsoleStack:
    procedures: RunningService
    notifier: RunningService
    console: RunningService
    indicators: RunningService
    nominations: RunningService
    url: str
    urls: dict[str, str]
    oidc: Provider

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

    async def recorded(self, codes: Iterable[str], resolved: str) -> None:
        """Wait until admin-procedures has recorded every dossier of ``codes`` and the one
        ``resolved`` as resolved (its reports go through its inbound topic)."""
        for code in codes:
            await wait_for(lambda c=code: self.dossier_status(c), timeout=30, message=code)

        async def is_resolved() -> bool:
            return await self.dossier_status(resolved) == "resolved"

        await wait_for(is_resolved, timeout=30, message=f"{resolved} resolved")


@pytest.fixture(scope="module")
async def console_stack(kafka_bootstrap, postgres_admin_dsn) -> AsyncIterator[ConsoleStack]:
    names = ("admin-procedures", "notifier", "indicators", "nominations", "console")
    ports = {name: free_port() for name in names}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    person = {"sub": "nguyen.van.an", "name": "Nguyễn Văn An", "roles": ["officer"]}
    person["unit"] = "38.XA.HOANGHOA"
    async with smtp_server() as (smtp_port, _mails), oidc_provider(person) as oidc:
        services = {
            "admin-procedures": (PROCEDURES, {"timer_interval_s": 0.2, "rates_interval_s": 3600}),
            "notifier": (
                NOTIFIER,
                {"smtp_port": smtp_port, "retry_schedule_s": [0, 0.2], "dispatch_interval_s": 0.1},
            ),
            "indicators": (INDICATORS, {}),
            "nominations": (NOMINATIONS, {}),
            "console": (
                CONSOLE,
                {
                    "service_urls": urls,
                    "live_poll_ms": 500,
                    "oidc_issuer": oidc.issuer,
                    "oidc_client_id": CLIENT_ID,
                    "oidc_client_secret": CLIENT_SECRET,
                },
            ),
        }
        async with running_stack(kafka_bootstrap, postgres_admin_dsn, services) as stack:
            procedures = stack["admin-procedures"]
            async with procedures.runtime.transaction() as tx:
                procs = json.loads(DEMO.read_text(encoding="utf-8"))["procedures"]
                await catalogue.upsert_procedures(tx.conn, [*procs, T5])
            await seed_notifier(stack["notifier"].runtime)
            assert NOMINATIONS.seed is not None
            await NOMINATIONS.seed(stack["nominations"].runtime)
            async with contextlib.AsyncExitStack() as http:
                for name, port in ports.items():
                    await http.enter_async_context(serving(stack[name].app, port))
                yield ConsoleStack(
                    procedures,
                    stack["notifier"],
                    stack["console"],
                    stack["indicators"],
                    stack["nominations"],
                    urls["console"],
                    urls,
                    oidc,
                )
