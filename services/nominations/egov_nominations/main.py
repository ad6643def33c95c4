"""Composition root of nominations: settings, context, consumers, API, demo data.

The service runs on the runtime kit (HTTP API, health, readiness, metrics, AsyncAPI, outbox
relay), keeps its read model of the admin-unit hierarchy from ``egov.reference.units`` and its
mirror of the province's calendar exceptions from ``egov.reference.calendar`` (working-day
deadlines count them), and reads unit performance evidence from ``egov.procedures.rates`` and
``egov.indicators.results``.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from egov_runtime.calendar_exceptions import calendar_subscription
from egov_runtime.service import Runtime, ServiceSpec, Wiring
from egov_runtime.units import units_subscription

from egov_nominations.demo import generate
from egov_nominations.entrypoints.consumers import rates_subscription, targets_subscription
from egov_nominations.entrypoints.http import router
from egov_nominations.settings import NominationsSettings
from egov_nominations.usecases.common import Context


def wire(rt: Runtime) -> Wiring:
    settings = cast(NominationsSettings, rt.settings)
    ctx = Context(source=rt.source, decider_roles=tuple(settings.decider_roles), clock=rt.now)
    return Wiring(
        subscriptions=[
            units_subscription(),
            calendar_subscription(),
            rates_subscription(),
            targets_subscription(),
        ],
        state={"context": ctx},
    )


async def seed(rt: Runtime) -> str:
    """Demo data for ``make run`` (fast, idempotent)."""
    settings = cast(NominationsSettings, rt.settings)
    return await generate.seed(rt, settings.demo_people)


SPEC = ServiceSpec(
    name="nominations",
    settings_cls=NominationsSettings,
    migrations=Path(__file__).parent / "migrations",
    routers=[router],
    wire=wire,
    seed=seed,
    description="Emulation movements and award nominations: eligibility from a versioned"
    " legal rule set, council votes, decisions.",
)
