"""Composition root of the console: the services' APIs, the live-refresh consumer, the pages.

The console owns no business data. Its database holds only what the runtime kit keeps for any
consumer (processed events, offsets' bookkeeping) and the public admin-unit hierarchy read
from the reference topic (for names, breadcrumbs and the sub-units of the overview)."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

import httpx
from egov_runtime.service import Runtime, ServiceSpec, Wiring
from egov_runtime.units import units_subscription

from egov_console.adapters.api import ServiceApis
from egov_console.adapters.oidc import OidcClient
from egov_console.entrypoints.live import Live, live_subscription
from egov_console.entrypoints.oidc import router as oidc_router
from egov_console.entrypoints.web import router
from egov_console.settings import ConsoleSettings

SERVICE = "console"


def wire(rt: Runtime) -> Wiring:
    settings = cast(ConsoleSettings, rt.settings)
    # every page calls the services several times: their requests are not worth a log line each
    logging.getLogger("httpx").setLevel(logging.WARNING)
    client = httpx.AsyncClient(timeout=settings.api_timeout_s)
    apis = ServiceApis({k: v for k, v in settings.service_urls.items() if k != SERVICE}, client)
    live = Live()
    oidc = None
    if settings.oidc_issuer and settings.oidc_client_id:
        oidc = OidcClient(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=(
                settings.oidc_client_secret.get_secret_value()
                if settings.oidc_client_secret
                else None
            ),
            scope=settings.oidc_scope,
            http=client,
        )

    async def close_client(stop: asyncio.Event) -> None:
        await stop.wait()
        await client.aclose()

    return Wiring(
        subscriptions=[live_subscription(live), units_subscription()],
        tasks=[close_client],
        state={"apis": apis, "live": live, "oidc": oidc},
    )


SPEC = ServiceSpec(
    name=SERVICE,
    settings_cls=ConsoleSettings,
    migrations=None,
    routers=[router, oidc_router],
    wire=wire,
    description="The operator console: SLA overview, queues, dossiers, integration health.",
)
