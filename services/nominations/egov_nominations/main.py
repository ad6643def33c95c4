"""Composition root of nominations.

The service runs on the runtime kit (HTTP API, health, readiness, metrics, AsyncAPI, outbox
relay) and keeps its read model of the admin-unit hierarchy from ``egov.reference.units``.
Its domain, use cases and consumers come with the nominations issue; its event contracts are
already published (``egov_contracts.nominations``).
"""

from __future__ import annotations

from egov_runtime.service import Runtime, ServiceSpec, Wiring
from egov_runtime.settings import ServiceSettings
from egov_runtime.units import units_router, units_subscription
from pydantic_settings import SettingsConfigDict


class NominationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EGOV_NOMINATIONS_", extra="ignore")

    http_port: int = 8103


def wire(rt: Runtime) -> Wiring:
    return Wiring(subscriptions=[units_subscription()])


SPEC = ServiceSpec(
    name="nominations",
    settings_cls=NominationsSettings,
    migrations=None,
    routers=[units_router()],
    wire=wire,
    description="Emulation movements and award nominations: eligibility from a versioned"
    " legal rule set, council votes, decisions.",
)
