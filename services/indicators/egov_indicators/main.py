"""Composition root of indicators: settings, use-case context, the submissions consumer and the
units read model, the periodic re-evaluation of open periods and the reporting reminders, the
HTTP API, and the demo seed."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from egov_runtime.logging import get_logger
from egov_runtime.periodic import every
from egov_runtime.service import Runtime, ServiceSpec, Wiring
from egov_runtime.units import units_subscription
from egov_workdays import VN_TZ

from egov_indicators.demo.seed import seed
from egov_indicators.entrypoints.consumers import submissions_subscription
from egov_indicators.entrypoints.http import router
from egov_indicators.settings import IndicatorsSettings
from egov_indicators.usecases.common import Context, Work
from egov_indicators.usecases.reporting import send_reporting_notices
from egov_indicators.usecases.targets import reevaluate_open_periods

SERVICE = "indicators"
log = get_logger("egov.indicators")


def wire(rt: Runtime) -> Wiring:
    settings = cast(IndicatorsSettings, rt.settings)
    ctx = Context(source=rt.source, clock=lambda: rt.now().astimezone(VN_TZ))

    async def reevaluate() -> None:
        today = rt.now().astimezone(VN_TZ).date()  # the day in Vietnam decides what is open
        async with rt.transaction() as tx:
            published = await reevaluate_open_periods(Work.on(tx), ctx, today)
        if published:
            log.info("open periods re-evaluated", day=today.isoformat(), changed=len(published))

    run_reevaluation = every(
        settings.reevaluate_interval_s, reevaluate, "re-evaluation", service=rt.service, log=log
    )

    async def notify_reporting() -> None:
        now = rt.now()  # its day in Vietnam decides what is due soon or overdue
        async with rt.transaction() as tx:
            sent = await send_reporting_notices(Work.on(tx), ctx, now)
        if sent:
            log.info("reporting reminders and overdue notices sent", count=len(sent))

    run_reporting_notices = every(
        settings.reporting_notice_interval_s,
        notify_reporting,
        "reporting notices",
        service=rt.service,
        log=log,
    )

    return Wiring(
        subscriptions=[
            submissions_subscription(
                ctx, rt.settings.time_window(), rt.now, rt.settings.record_credentials()
            ),
            units_subscription(),
        ],
        tasks=[run_reevaluation, run_reporting_notices],
        state={"context": ctx},
    )


SPEC = ServiceSpec(
    name=SERVICE,
    settings_cls=IndicatorsSettings,
    migrations=Path(__file__).parent / "migrations",
    routers=[router],
    wire=wire,
    seed=seed,
    description="Sector indicators: validated submissions, targets and achievement,"
    " roll-up along the admin-unit hierarchy.",
)
