"""The app factory: one process serves the HTTP API and runs the consumers and the relay.

``create_app(spec)`` builds a FastAPI app whose lifespan opens the pool and the producer,
calls the service's composition root (``spec.wire``), and runs its consumers, the outbox relay
and its background tasks until shutdown. Shutdown is graceful: the stop event lets consumers
finish and commit the batch in hand and the relay finish its batch, then everything closes.
Every service also gets ``/healthz``, ``/readyz``, ``/metrics``, ``/asyncapi.json`` and ``/docs``
(Swagger UI served offline).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from egov_contracts.envelope import configure_schema_base_url
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from egov_runtime import http_guard, openapi_docs, problems, tracing
from egov_runtime.consumer import IdempotentConsumer
from egov_runtime.db import all_migrations, create_pool, pending_migrations
from egov_runtime.edge import EdgeGuard, install_database_refusals
from egov_runtime.errors import is_transient
from egov_runtime.kafka import client_security, make_producer
from egov_runtime.logging import configure_logging, get_logger
from egov_runtime.outbox import OutboxRelay
from egov_runtime.service import Runtime, ServiceSpec
from egov_runtime.settings import ServiceSettings
from egov_runtime.units import units_router

log = get_logger("egov.app")
STARTUP_TIMEOUT_S = 60.0


async def _start_producer(settings: ServiceSettings, service: str) -> Any:
    deadline = asyncio.get_running_loop().time() + STARTUP_TIMEOUT_S
    while True:
        producer = make_producer(settings, client_id=f"{service}.producer")
        try:
            await producer.start()
            return producer
        except Exception as exc:
            await producer.stop()
            if not is_transient(exc) or asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("broker not reachable yet", error=repr(exc))
            await asyncio.sleep(1)


def create_app(spec: ServiceSpec, settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or spec.settings_cls()
    settings.ensure_safe()  # production refuses development secrets before anything starts

    traced: tracing.ServiceTracing | None = None  # set below when OTEL_TRACES_EXPORTER=otlp

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(spec.name)
        pool = await create_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        producer = await _start_producer(settings, spec.name)
        runtime = Runtime(spec.name, settings, pool, producer)
        wiring = spec.wire(runtime)
        app.state.runtime = runtime
        app.state.wiring = wiring
        relay = OutboxRelay(
            service=spec.name,
            dsn=settings.database_url,
            producer=producer,
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
            standby_interval_s=settings.relay_standby_interval_s,
            retention=timedelta(hours=settings.outbox_retention_hours),
        )
        consumers = [
            IdempotentConsumer(
                service=spec.name,
                subscription=sub,
                pool=pool,
                producer=producer,
                bootstrap_servers=settings.kafka_bootstrap_servers,
                batch_size=settings.consumer_batch_size,
                poll_timeout_ms=settings.consumer_poll_timeout_ms,
                max_attempts=settings.consumer_max_attempts,
                backoff_initial_s=settings.consumer_backoff_initial_s,
                backoff_max_s=settings.consumer_backoff_max_s,
                fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
                commit_interval_s=settings.consumer_commit_interval_s,
                max_record_bytes=settings.consumer_max_record_bytes,
                dead_letter_max_bytes=settings.dead_letter_max_bytes,
                client_options=client_security(settings),
                source=runtime.source,
            )
            for sub in wiring.subscriptions
        ]
        app.state.relay = relay
        app.state.consumers = consumers
        if traced is not None:
            tracing.start(traced)
        stop = runtime.stop
        tasks = [asyncio.create_task(relay.run(stop), name="outbox-relay")]
        tasks += [
            asyncio.create_task(
                _run_consumer(c, stop, settings.consumer_restart_backoff_s), name=c.group_id
            )
            for c in consumers
        ]
        tasks += [
            asyncio.create_task(t(stop), name=getattr(t, "__name__", "task")) for t in wiring.tasks
        ]
        app.state.tasks = tasks
        log.info("service started", consumers=[c.group_id for c in consumers])
        try:
            yield
        finally:
            stop.set()
            _done, pending = await asyncio.wait(tasks, timeout=10)
            for t in pending:
                t.cancel()
            for c in consumers:
                await c.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), timeout=5)
            await pool.close()
            if traced is not None:
                # exports the spans not sent yet: off the event loop, as a collector that
                # does not answer holds it up to the exporter's timeout
                await asyncio.to_thread(tracing.stop, traced)
            log.info("service stopped")

    # /docs and /redoc serve Swagger UI's and ReDoc's files from the installed package, not a
    # CDN: government networks are closed, and a docs page that needs the internet is blank.
    app = FastAPIOffline(
        title=f"egov-events {spec.name}",
        description=spec.description,
        version="1.0.0",
        lifespan=lifespan,
    )
    traced = tracing.setup(spec.name, app)
    problems.install(app)
    install_database_refusals(app)
    app.add_middleware(EdgeGuard)
    http_guard.install(app, settings)  # outside EdgeGuard: no body is looked at before a token

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", tags=["operations"])
    async def readyz(request: Request) -> JSONResponse:
        checks = await readiness(request.app, spec)
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not-ready", "checks": checks},
            status_code=200 if ok else 503,
        )

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    configure_schema_base_url(settings.schema_base_url)

    @app.get("/schemas", tags=["contracts"])
    async def schema_index() -> dict[str, Any]:
        """Every event type with the addresses of its writer and reader schemas."""
        from egov_contracts.envelope import all_event_types, schema_url

        return {
            "types": [
                {"type": t, "writer": schema_url(t, "writer"), "reader": schema_url(t)}
                for t in sorted(all_event_types())
            ]
        }

    @app.get("/schemas/{event_type}.json", tags=["contracts"])
    async def writer_schema(event_type: str) -> JSONResponse:
        """The closed writer schema of a type: what producers must write."""
        from egov_contracts.schemas import schema_of

        return JSONResponse(schema_of(_contract(event_type)), media_type="application/schema+json")

    @app.get("/schemas/reader/{event_type}.json", tags=["contracts"])
    async def reader_schema(event_type: str) -> JSONResponse:
        """The open reader schema of a type: what consumers validate against (the events'
        ``dataschema``)."""
        from egov_contracts.schemas import reader_schema_of

        return JSONResponse(
            reader_schema_of(_contract(event_type)), media_type="application/schema+json"
        )

    @app.get("/asyncapi.json", tags=["operations"])
    async def asyncapi() -> JSONResponse:
        from egov_contracts.asyncapi import document

        return JSONResponse(document(spec.name))

    for router in spec.routers:
        app.include_router(router)
    if not any(getattr(r, "path", None) == "/v1/units" for r in app.routes):
        app.include_router(units_router())  # every service keeps the hierarchy: it shows it
    openapi_docs.install(app)  # problem responses and table downloads, documented once
    app.add_middleware(problems.ProblemLanguage)  # outermost: every problem, whoever wrote it
    return app


def _contract(event_type: str) -> Any:
    from egov_contracts.envelope import UnknownEventType, all_event_types, model_for

    try:
        model = model_for(event_type)
    except UnknownEventType:
        model = None
    if model is None or event_type not in all_event_types():
        raise problems.Problem(404, "Unknown event type", f"No published type {event_type}.")
    return model


async def _run_consumer(
    consumer: IdempotentConsumer, stop: asyncio.Event, first_delay: float = 1.0
) -> None:
    delay = first_delay
    while not stop.is_set():
        try:
            await consumer.run(stop)
        except Exception as exc:
            consumer.crashed(repr(exc)[:300])
            log.exception(
                "consumer crashed; restarting", consumer=consumer.group_id, error=repr(exc)
            )
            await consumer.stop()
            consumer.consumer = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, 30)


async def readiness(app: FastAPI, spec: ServiceSpec) -> dict[str, str]:
    checks: dict[str, str] = {}
    runtime: Runtime | None = getattr(app.state, "runtime", None)
    if runtime is None:
        return {"startup": "not started"}
    try:
        async with runtime.pool.acquire() as conn:
            pending = await asyncio.wait_for(
                pending_migrations(conn, all_migrations(spec.migrations)), timeout=3
            )
        checks["database"] = "ok"
        checks["migrations"] = "ok" if not pending else f"{len(pending)} pending"
    except Exception as exc:
        checks["database"] = f"error: {exc!r}"
    try:
        await asyncio.wait_for(runtime.producer.client.fetch_all_metadata(), timeout=3)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"error: {exc!r}"
    dead = [t.get_name() for t in app.state.tasks if t.done()]
    checks["workers"] = "ok" if not dead else f"stopped: {', '.join(dead)}"
    settings = runtime.settings
    stuck = {
        c.group_id: why
        for c in app.state.consumers
        if (
            why := c.health(
                stuck_after_s=settings.consumer_stuck_after_s,
                max_restarts=settings.consumer_max_restarts,
                window_s=settings.consumer_restart_window_s,
            )
        )
    }
    checks["consumers"] = "ok" if not stuck else "; ".join(f"{k} {v}" for k, v in stuck.items())
    return checks
