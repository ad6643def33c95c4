"""Composition root of indicators: settings, use-case context, the submissions consumer and the
units read model, the HTTP API, and the demo seed."""

from __future__ import annotations

from pathlib import Path

from egov_runtime.service import Runtime, ServiceSpec, Wiring
from egov_runtime.units import units_router, units_subscription

from egov_indicators.demo.seed import seed
from egov_indicators.entrypoints.consumers import submissions_subscription
from egov_indicators.entrypoints.http import router
from egov_indicators.settings import IndicatorsSettings
from egov_indicators.usecases import Context

SERVICE = "indicators"


def wire(rt: Runtime) -> Wiring:
    ctx = Context(source=rt.source)
    return Wiring(
        subscriptions=[submissions_subscription(ctx), units_subscription()],
        state={"context": ctx},
    )


SPEC = ServiceSpec(
    name=SERVICE,
    settings_cls=IndicatorsSettings,
    migrations=Path(__file__).parent / "migrations",
    routers=[router, units_router()],
    wire=wire,
    seed=seed,
    description="Sector indicators: validated submissions, targets and achievement,"
    " roll-up along the admin-unit hierarchy.",
)
