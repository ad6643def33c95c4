"""Composition root of admin-procedures: settings, stores, use cases, consumers, timers, API."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date
from functools import partial
from pathlib import Path
from typing import cast

from egov_contracts.envelope import encode, new_event
from egov_contracts.reference import load_units
from egov_contracts.topics import STATUS_REPORTS
from egov_runtime.auth import credential_header, issue_token
from egov_runtime.logging import get_logger
from egov_runtime.periodic import every
from egov_runtime.service import Runtime, ServiceSpec, Wiring
from egov_runtime.units import units_subscription, upsert_units
from egov_workdays import VN_TZ

from egov_procedures.adapters import catalogue, dossiers
from egov_procedures.demo.generate import generate
from egov_procedures.domain.report import PeriodScheme, period_bounds
from egov_procedures.entrypoints.consumers import status_reports_subscription
from egov_procedures.entrypoints.http import router
from egov_procedures.entrypoints.sealing import sealed
from egov_procedures.settings import ProceduresSettings
from egov_procedures.usecases import (
    Context,
    Work,
    fire_due_timers,
    fold_monthly_sums,
    load_calendar,
    publish_pending_calendar,
    publish_rates,
    publish_service_indexes,
    refresh_sla_metrics,
)

SERVICE = "admin-procedures"
DEMO = Path(__file__).parent / "demo" / "procedures.json"
log = get_logger("egov.procedures")
MONTH = re.compile(r"^\d{4}-\d{2}$")


def closed_periods(today: date, scheme: PeriodScheme) -> list[tuple[str, date, date]]:
    """The named periods that closed recently: the last months, the quarters of this year and
    the last quarter of the previous one, and the previous year."""
    out = []
    y, m = today.year, today.month
    for back in range(0, 4):
        mm, yy = m - back, y
        while mm <= 0:
            mm, yy = mm + 12, yy - 1
        label = f"{yy}-{mm:02d}"
        start, end = period_bounds(label, scheme)
        if end < today:
            out.append((label, start, end))
    for label in (f"{y - 1}-Q4", *(f"{y}-Q{q}" for q in range(1, 5)), str(y - 1)):
        start, end = period_bounds(label, scheme)
        if end < today and (today - end).days < 400:
            out.append((label, start, end))
    return out  # the last year's too: other services read it as the year's evidence


def wire(rt: Runtime) -> Wiring:
    settings = cast(ProceduresSettings, rt.settings)
    from egov_workdays import WorkCalendar

    ctx = Context(
        source=rt.source,
        personal_data_key=settings.personal_data_key.get_secret_value().encode(),
        calendar=WorkCalendar(),
        returned_withdrawn=settings.returned_withdrawn,
        clock=rt.now,
    )

    async def refresh_calendar() -> None:
        async with rt.transaction() as tx:
            work = Work.on(tx)
            await publish_pending_calendar(work, ctx)
            ctx.calendar = await load_calendar(work)

    async def timers() -> None:
        while True:
            async with rt.transaction() as tx:
                if not await fire_due_timers(Work.on(tx), ctx, rt.now()):
                    return

    async def rates() -> None:
        today = rt.now().astimezone(VN_TZ).date()
        await publish_rates(rt, ctx, closed_periods(today, settings.period_scheme))

    async def service_indexes() -> None:
        """The service index (it reads each dossier of a month, not the daily aggregates, so it
        runs less often than the rates) of the recently closed months."""
        today = rt.now().astimezone(VN_TZ).date()
        months = [p for p in closed_periods(today, settings.period_scheme) if MONTH.match(p[0])]
        await publish_service_indexes(rt, ctx, months)

    async def sla_metrics() -> None:
        await refresh_sla_metrics(rt, ctx, settings.period_scheme)

    async def monthly_fold() -> None:
        await fold_monthly_sums(rt)

    job = partial(every, service=rt.service, log=log)
    run_sla_metrics = job(settings.sla_metrics_interval_s, sla_metrics, "SLA metrics")
    run_calendar = job(settings.calendar_refresh_s, refresh_calendar, "calendar refresh")
    run_timers = job(settings.timer_interval_s, timers, "deadline timers")
    run_rates = job(settings.rates_interval_s, rates, "on-time rates")
    run_index = job(settings.service_index_interval_s, service_indexes, "service index")
    run_fold = job(settings.monthly_fold_interval_s, monthly_fold, "monthly report sums")

    return Wiring(
        subscriptions=[
            status_reports_subscription(
                ctx,
                settings.record_credentials(),
                settings.time_window(),
                rt.now,
            ),
            units_subscription(),
        ],
        tasks=[run_calendar, run_timers, run_rates, run_index, run_sla_metrics, run_fold],
        state={"context": ctx},
    )


async def seed(rt: Runtime) -> str:
    """Demo data: the unit hierarchy, the procedure catalogue and a year of dossiers (published
    as status reports on the inbound topic, as one-door systems would)."""
    settings = cast(ProceduresSettings, rt.settings)
    procedures = json.loads(DEMO.read_text(encoding="utf-8"))["procedures"]
    async with rt.transaction() as tx:
        await upsert_units(tx.conn, (u.model_dump() for u in load_units()))
        await catalogue.upsert_procedures(tx.conn, procedures)
        existing = await dossiers.count(tx.conn)
    if existing:
        return f"{len(procedures)} procedures; {existing} dossiers already present"
    now = rt.now()
    sent = 0
    futures = []
    # the demo one-door system of the province, with its integration credential
    credential = credential_header(
        issue_token(
            settings.jwt_secret.get_secret_value(),
            subject="mot-cua-demo",
            roles=["integration"],
            unit_code=settings.province_code,
        )
    )
    key = settings.personal_data_key.get_secret_value().encode()
    for report in generate(procedures, count=settings.demo_dossiers, now=now):
        data = sealed(report, key)  # the province's own systems never send personal data in clear
        event = new_event(
            data, source="/vn/38/mot-cua-demo", subject=data.dossier_code, time=data.occurred_at
        )
        value, headers = encode(event)
        headers.append(credential)
        futures.append(
            await rt.producer.send(
                STATUS_REPORTS.name, value=value, key=data.dossier_code.encode(), headers=headers
            )
        )
        sent += 1
    await asyncio.gather(*futures)
    return (
        f"{len(procedures)} procedures; {sent} status reports of"
        f" {settings.demo_dossiers} demo dossiers published to {STATUS_REPORTS.name}"
    )


SPEC = ServiceSpec(
    name=SERVICE,
    settings_cls=ProceduresSettings,
    migrations=Path(__file__).parent / "migrations",
    routers=[router],
    wire=wire,
    seed=seed,
    description="Administrative-procedure dossiers: legal deadlines on the Vietnamese working-day"
    " calendar, warnings, results and on-time processing rates.",
)
