"""Composition root of the notifier: rules and templates, channels, consumer, dispatcher, API."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import cast

from egov_runtime.consumer import Tx
from egov_runtime.logging import get_logger
from egov_runtime.periodic import every
from egov_runtime.service import Runtime, ServiceSpec, Wiring
from egov_runtime.units import units_subscription

from egov_notifier.adapters import feed, store
from egov_notifier.adapters.channels import (
    SmsGatewaySender,
    SmtpSender,
    WebhookSender,
    outbound_client,
)
from egov_notifier.demo.data import people
from egov_notifier.demo.samples import sample_event
from egov_notifier.domain.delivery import RetryPolicy
from egov_notifier.domain.rules import DEFAULT_RULES, validate_rule
from egov_notifier.domain.templates import DEFAULT_TEMPLATES, check_template, context_for
from egov_notifier.domain.throttle import DigestSchedule, Throttle
from egov_notifier.entrypoints import feed as feed_api
from egov_notifier.entrypoints import subscriptions
from egov_notifier.entrypoints.consumers import events_subscription, feed_subscription
from egov_notifier.entrypoints.http import router
from egov_notifier.settings import NotifierSettings
from egov_notifier.usecases import (
    Context,
    Work,
    begin_on,
    dispatch_due,
    gather_digests,
    housekeeping,
)

SERVICE = "notifier"
log = get_logger("egov.notifier")


def wire(rt: Runtime) -> Wiring:
    settings = cast(NotifierSettings, rt.settings)
    local = not settings.production
    allowed = settings.private_networks  # the province's WAN, none unless configured
    client = outbound_client(
        allow_private=local, timeout=settings.send_timeout_s, allowed_networks=allowed
    )
    ctx = Context(
        source=rt.source,
        clock=rt.now,
        policy=RetryPolicy(
            tuple(settings.retry_schedule_s),
            disable_after=timedelta(seconds=settings.disable_after_s),
        ),
        senders={
            "webhook": WebhookSender(
                client, allow_private=local, allowed_networks=allowed, clock=rt.now
            ),
            "sms": SmsGatewaySender(
                client,
                settings.sms_gateway_url,
                settings.sms_gateway_key.get_secret_value() if settings.sms_gateway_key else None,
                allow_private=local,
                allowed_networks=allowed,
                clock=rt.now,
            ),
            "email": SmtpSender(
                settings.smtp_host,
                settings.smtp_port,
                settings.mail_from,
                user=settings.smtp_user,
                password=settings.smtp_password.get_secret_value()
                if settings.smtp_password
                else None,
                starttls=settings.smtp_tls_mode == "starttls",
                use_tls=settings.smtp_tls_mode == "tls",
                timeout=settings.send_timeout_s,
                clock=rt.now,
            ),
        },
    )
    ctx.lease = timedelta(seconds=settings.lease_s)
    ctx.throttle = Throttle(settings.throttle_limit, timedelta(seconds=settings.throttle_window_s))
    ctx.digest = DigestSchedule(settings.digest_at)

    begin = begin_on(rt)

    async def dispatch() -> int:
        return await dispatch_due(begin, ctx, rt.now())

    dispatch_rounds = every(  # no wait while deliveries are due
        settings.dispatch_interval_s,
        dispatch,
        "dispatch",
        service=rt.service,
        log=log,
        again_at_once=bool,
    )

    async def dispatcher(stop: asyncio.Event) -> None:
        try:
            await dispatch_rounds(stop)
        finally:
            await client.aclose()

    async def gather() -> None:
        async with rt.transaction() as tx:
            await gather_digests(Work.on(tx), ctx, rt.now())

    digests = every(settings.digest_interval_s, gather, "digest", service=rt.service, log=log)

    signal = feed.Signal()

    async def listener(stop: asyncio.Event) -> None:
        await feed.listen(settings.database_url, signal, stop)

    retention = timedelta(days=settings.feed_retention_days)

    async def prune() -> None:
        async with rt.pool.acquire() as conn:  # each pruned batch commits alone
            events, secrets = await housekeeping(Tx(conn, rt.service), rt.now(), retention)
        if events or secrets:
            log.info("pruned", feed_events=events, secrets=secrets)

    keeper = every(
        settings.housekeeping_interval_s, prune, "housekeeping", service=rt.service, log=log
    )

    return Wiring(
        subscriptions=[events_subscription(ctx), feed_subscription(rt.now), units_subscription()],
        tasks=[dispatcher, digests, listener, keeper],
        state={"context": ctx, "feed_signal": signal},
    )


async def seed(rt: Runtime) -> str:
    """Default templates (checked against sample events), rules and demo recipients."""
    async with rt.transaction() as tx:
        for template in DEFAULT_TEMPLATES.values():
            types = [r.event_type for r in DEFAULT_RULES if r.template_id == template.id]
            check_template(template, [context_for(sample_event(t)) for t in types])
            await store.upsert_template(tx.conn, template)
        for rule in DEFAULT_RULES:
            validate_rule(rule)
            await store.upsert_rule(tx.conn, rule)
        persons = people()
        await store.upsert_people(tx.conn, persons)
    return (
        f"{len(DEFAULT_TEMPLATES)} templates, {len(DEFAULT_RULES)} rules, {len(persons)} recipients"
    )


SPEC = ServiceSpec(
    name=SERVICE,
    settings_cls=NotifierSettings,
    migrations=Path(__file__).parent / "migrations",
    routers=[router, subscriptions.router, feed_api.router],
    wire=wire,
    seed=seed,
    description="Notifications from domain events: e-mail, signed webhooks, SMS gateway, in-app.",
)
