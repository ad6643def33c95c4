"""Composition root of the console: the services' APIs, the live-refresh consumer, the pages.

The console owns no business data. Its database holds only what the runtime kit keeps for any
consumer (processed events, offsets' bookkeeping) and the public admin-unit hierarchy read
from the reference topic (for names, breadcrumbs and the sub-units of the overview)."""

from __future__ import annotations

import asyncio
from typing import cast

import httpx
from egov_runtime.service import Runtime, ServiceSpec, Wiring
from egov_runtime.units import units_subscription

from egov_console.adapters.api import ServiceApis
from egov_console.entrypoints.live import Live, live_subscription
from egov_console.entrypoints.web import router
from egov_console.settings import ConsoleSettings

SERVICE = "console"


def wire(rt: Runtime) -> Wiring:
    settings = cast(ConsoleSettings, rt.settings)
    client = httpx.AsyncClient(timeout=settings.api_timeout_s)
    apis = ServiceApis({k: v for k, v in settings.service_urls.items() if k != SERVICE}, client)
    live = Live()

    async def close_client(stop: asyncio.Event) -> None:
        await stop.wait()
        await client.aclose()

    return Wiring(
        subscriptions=[live_subscription(live), units_subscription()],
        tasks=[close_client],
        state={"apis": apis, "live": live},
    )


SPEC = ServiceSpec(
    name=SERVICE,
    settings_cls=ConsoleSettings,
    migrations=None,
    routers=[router],
    wire=wire,
    description="The operator console: SLA overview, queues, dossiers, integration health.",
)
