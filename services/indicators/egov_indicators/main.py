"""Composition root of indicators.

The service runs on the runtime kit (HTTP API, health, readiness, metrics, AsyncAPI, outbox
relay) and keeps its read model of the admin-unit hierarchy from ``egov.reference.units``.
Its domain, use cases and consumers come with the indicators issue; its event contracts are
already published (``egov_contracts.indicators``).
"""

from __future__ import annotations

from egov_runtime.service import Runtime, ServiceSpec, Wiring
from egov_runtime.settings import ServiceSettings
from egov_runtime.units import units_router, units_subscription
from pydantic_settings import SettingsConfigDict


class IndicatorsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EGOV_INDICATORS_", extra="ignore")

    http_port: int = 8102


def wire(rt: Runtime) -> Wiring:
    return Wiring(subscriptions=[units_subscription()])


SPEC = ServiceSpec(
    name="indicators",
    settings_cls=IndicatorsSettings,
    migrations=None,
    routers=[units_router()],
    wire=wire,
    description="Sector indicators: validated submissions, targets and achievement,"
    " roll-up along the admin-unit hierarchy.",
)
