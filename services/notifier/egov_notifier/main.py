"""Composition root of the notifier: rules and templates, channels, consumer, dispatcher, API."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import cast

import httpx
from egov_runtime.logging import get_logger
from egov_runtime.service import Runtime, ServiceSpec, Wiring
from egov_runtime.units import units_subscription

from egov_notifier.adapters import store
from egov_notifier.adapters.channels import SmsGatewaySender, SmtpSender, WebhookSender
from egov_notifier.demo.data import RULES, TEMPLATES, people
from egov_notifier.demo.samples import sample_event
from egov_notifier.domain.delivery import RetryPolicy
from egov_notifier.domain.templates import context_for, validate
from egov_notifier.entrypoints.consumers import events_subscription
from egov_notifier.entrypoints.http import router
from egov_notifier.settings import NotifierSettings
from egov_notifier.usecases import Context, dispatch_due

SERVICE = "notifier"
log = get_logger("egov.notifier")


def wire(rt: Runtime) -> Wiring:
    settings = cast(NotifierSettings, rt.settings)
    local = not settings.production
    client = httpx.AsyncClient(timeout=settings.send_timeout_s)
    ctx = Context(
        source=rt.source,
        policy=RetryPolicy(tuple(settings.retry_schedule_s)),
        senders={
            "webhook": WebhookSender(client, allow_private=local),
            "sms": SmsGatewaySender(
                client,
                settings.sms_gateway_url,
                settings.sms_gateway_key.get_secret_value() if settings.sms_gateway_key else None,
                allow_private=local,
            ),
            "email": SmtpSender(
                settings.smtp_host,
                settings.smtp_port,
                settings.mail_from,
                user=settings.smtp_user,
                password=settings.smtp_password.get_secret_value()
                if settings.smtp_password
                else None,
                starttls=settings.smtp_starttls,
                timeout=settings.send_timeout_s,
            ),
        },
    )
    from datetime import timedelta

    ctx.disable_after = timedelta(seconds=settings.disable_after_s)
    ctx.lease = timedelta(seconds=settings.lease_s)

    async def dispatcher(stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    busy = await dispatch_due(rt, ctx)
                except Exception as exc:  # retried at the next tick
                    log.warning("dispatch failed", error=repr(exc))
                    busy = 0
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=settings.dispatch_interval_s)
        finally:
            await client.aclose()

    return Wiring(
        subscriptions=[events_subscription(ctx), units_subscription()],
        tasks=[dispatcher],
        state={"context": ctx},
    )


async def seed(rt: Runtime) -> str:
    """Demo templates (checked against sample events), rules and recipients."""
    async with rt.transaction() as tx:
        for tid, (subject, body) in TEMPLATES.items():
            types = [r.event_type for r in RULES if r.template_id == tid]
            validate(subject, body, [context_for(sample_event(t)) for t in types])
            await store.upsert_template(tx.conn, tid, subject, body)
        for rule in RULES:
            await store.upsert_rule(tx.conn, rule)
        persons = people()
        await store.upsert_people(tx.conn, persons)
    return f"{len(TEMPLATES)} templates, {len(RULES)} rules, {len(persons)} recipients"


SPEC = ServiceSpec(
    name=SERVICE,
    settings_cls=NotifierSettings,
    migrations=Path(__file__).parent / "migrations",
    routers=[router],
    wire=wire,
    seed=seed,
    description="Notifications from domain events: e-mail, signed webhooks, SMS gateway, in-app.",
)
