"""OpenTelemetry tracing across HTTP, Kafka and PostgreSQL; off unless asked for.

On when the standard variable ``OTEL_TRACES_EXPORTER`` names ``otlp`` (and ``OTEL_SDK_DISABLED``
is not ``true``): unlike the SDK's own auto-configuration, unset means off, so a service that
was not told where a collector is exports nothing and pays nothing (no instrumentation is
installed, the hooks below are one dictionary lookup). Spans then go by OTLP over HTTP
(protobuf) to ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` +
``/v1/traces``; the other ``OTEL_*`` variables of the SDK (headers, timeout, sampler, batch
processor, resource attributes) apply as the SDK documents them.

What is traced, with the maintained instrumentations: every HTTP request a service answers
(FastAPI, not ``/healthz``, ``/readyz``, ``/metrics``), every PostgreSQL statement (asyncpg),
every record sent and received (aiokafka), every outgoing HTTP call (httpx: webhooks, the SMS
gateway, the console's calls to the services). Around them, the kit's own spans: a consumer's
transaction (``<subscription> process``) and what a service wraps with :func:`span` (the
notifier's deliveries).

One trace follows an event through the services: the event's CloudEvents distributed-tracing
attributes (``traceparent``, ``tracestate``) are the span that built it
(:func:`egov_contracts.envelope.configure_trace_context`); the outbox row keeps them, the relay
sends the record inside that context (so the aiokafka span and the record's ``traceparent``
header belong to the same trace), and a consumer's transaction is that span's child.

How the aiokafka instrumentation (0.66) behaves, which this builds on: ``send`` opens a PRODUCER
span child of the current context and injects ``traceparent`` into the record's headers;
``getmany`` opens a CONSUMER span for the poll (with no parent: a new trace each time), one per
partition under it, and per record a ``receive`` span child of the record's header context,
ended at once (it does not stay current while the record is handled, hence the kit's own
``<subscription> process`` span). The poll spans are dropped by the sampler below.

A trace starts only at an HTTP request or at a span of the kit (an event without a trace
context); a statement or a poll outside any trace (the relay's and the timers' queries, the
consumers' polls) starts none, so background work does not flood the collector.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from egov_contracts.envelope import configure_trace_context
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

# The variables read (documented in deploy/README.md by tools/settings_reference.py).
ENVIRONMENT = (
    (
        "OTEL_TRACES_EXPORTER",
        "unset (off)",
        "`otlp` turns tracing on; unset or `none`: no instrumentation, nothing exported.",
    ),
    (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "`http://localhost:4318`",
        "The collector (OTLP over HTTP, protobuf); traces go to `<endpoint>/v1/traces`.",
    ),
    (
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "unset",
        "The full traces URL, instead of the above.",
    ),
    (
        "OTEL_EXPORTER_OTLP_HEADERS",
        "unset",
        "Headers sent to the collector (`key=value,...`, e.g. an API key).",
    ),
    (
        "OTEL_TRACES_SAMPLER",
        "`parentbased_always_on`",
        "The SDK's sampler (`parentbased_traceidratio` with `OTEL_TRACES_SAMPLER_ARG=0.1`: one"
        " trace in ten).",
    ),
    (
        "OTEL_RESOURCE_ATTRIBUTES",
        "unset",
        "Extra resource attributes (`deployment.environment=production`); `service.name` is"
        " the service's own name.",
    ),
    ("OTEL_SDK_DISABLED", "`false`", "`true` turns tracing off whatever the above say."),
)
NOT_TRACED = "/healthz,/readyz,/metrics"
_OURS = "egov.service"  # attribute on the kit's own spans (they may start a trace)
_W3C = TraceContextTextMapPropagator()
_OFF: contextlib.nullcontext[None] = contextlib.nullcontext()


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the environment asks for tracing (see the module's docstring)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER", "none").lower().split(",")
    return "otlp" in {e.strip() for e in exporters}


@dataclass
class ServiceTracing:
    """One service's tracer provider (its spans carry its ``service.name``)."""

    service: str
    provider: TracerProvider

    @property
    def tracer(self) -> trace.Tracer:
        return self.provider.get_tracer("egov_runtime")


_active: dict[str, ServiceTracing] = {}  # the services of this process that trace
_instrumented_with: ServiceTracing | None = None


def setup(
    service: str, app: FastAPI | None = None, *, exporter: SpanExporter | None = None
) -> ServiceTracing | None:
    """A tracer provider for ``service`` when tracing is wanted (or an ``exporter`` is given,
    as tests do), with ``app``'s requests instrumented; None, and nothing done, otherwise.
    Spans are recorded once :func:`start` is called (the app's lifespan)."""
    if exporter is None and not wanted():
        return None
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: service, "service.namespace": "egov-events"}),
        sampler=_starts_at_entrances(_sampler_from_environment()),
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    traced = ServiceTracing(service, provider)
    if app is not None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=NOT_TRACED)
    return traced


def start(traced: ServiceTracing) -> None:
    """Trace this service's work: the libraries' instrumentation (once per process) and the
    events' trace context."""
    global _instrumented_with
    _active[traced.service] = traced
    if _instrumented_with is None:
        _instrument(traced)
    configure_trace_context(current_trace_context)


def stop(traced: ServiceTracing) -> None:
    """Export what is left and stop tracing this service (the libraries' instrumentation is
    removed with the process's last traced service)."""
    _active.pop(traced.service, None)
    if _instrumented_with is traced:
        _uninstrument()
        if _active:  # another service of this process still traces: its provider takes over
            _instrument(next(iter(_active.values())))
    if not _active:
        configure_trace_context(None)
    traced.provider.shutdown()


def _instrument(traced: ServiceTracing) -> None:
    global _instrumented_with
    from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    for instrumentor in (AsyncPGInstrumentor(), AIOKafkaInstrumentor(), HTTPXClientInstrumentor()):
        instrumentor.instrument(tracer_provider=traced.provider)
    _instrumented_with = traced


def _uninstrument() -> None:
    global _instrumented_with
    from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    for instrumentor in (AsyncPGInstrumentor(), AIOKafkaInstrumentor(), HTTPXClientInstrumentor()):
        instrumentor.uninstrument()
    _instrumented_with = None


def active(service: str) -> bool:
    return service in _active


def any_active() -> bool:
    """Whether any service of this process traces (the libraries are instrumented then)."""
    return bool(_active)


# -- the trace context of events ------------------------------------------------------------


def current_trace_context() -> tuple[str, str | None] | None:
    """The current span as W3C ``traceparent`` and ``tracestate`` (None outside any span)."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    traceparent = carrier.get("traceparent")
    if traceparent is None:
        return None
    return traceparent, carrier.get("tracestate")


def current_traceparent() -> str | None:
    found = current_trace_context()
    return found[0] if found else None


def current_or(
    traceparent: str | None, tracestate: str | None = None
) -> tuple[str | None, str | None]:
    """What work done later (a notification's delivery) continues: the current span's context
    when this process traces and a span of the given one's trace (e.g. an event's) is in
    progress, else the given one (a batch's other events keep their own trace)."""
    if _active:
        found = current_trace_context()
        if found is not None and (traceparent is None or found[0][3:35] == traceparent[3:35]):
            return found
    return traceparent, tracestate


def add_trace_ids(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: a line logged inside a traced span carries its ``trace_id`` and
    ``span_id`` (the collector finds the trace from the log line); off, nothing is added."""
    if _active:
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            event.setdefault("trace_id", f"{ctx.trace_id:032x}")
            event.setdefault("span_id", f"{ctx.span_id:016x}")
    return event


def _extract(traceparent: str | None, tracestate: str | None = None) -> otel_context.Context:
    carrier = {"traceparent": traceparent or ""}
    if tracestate:
        carrier["tracestate"] = tracestate
    return _W3C.extract(carrier)


def continued(traceparent: str | None, tracestate: str | None = None) -> Any:
    """A context manager under which the work belongs to the trace of ``traceparent`` (e.g.
    the relay sending an outbox row: the aiokafka span is a child of the event's span); does
    nothing when no service of this process traces or there is no context."""
    if not _active or not traceparent:
        return _OFF
    return _attached(_extract(traceparent, tracestate))


@contextlib.contextmanager
def _attached(ctx: otel_context.Context) -> Iterator[None]:
    token = otel_context.attach(ctx)
    try:
        yield
    finally:
        otel_context.detach(token)


def span(
    service: str,
    name: str,
    *,
    parent: str | None = None,
    parent_state: str | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    links: Sequence[Link] = (),
    attributes: Mapping[str, str | int] | None = None,
) -> Any:
    """A context manager: a span of ``service`` (current while it runs), child of ``parent``
    (a ``traceparent``) when given, else of the current span; does nothing (yields None) when
    the service does not trace."""
    traced = _active.get(service)
    if traced is None:
        return _OFF
    ctx = _extract(parent, parent_state) if parent else None
    return traced.tracer.start_as_current_span(
        name,
        context=ctx,
        kind=kind,
        links=links,
        attributes={_OURS: service, **(attributes or {})},
    )


def consuming(
    service: str,
    subscription: str,
    events: Iterable[tuple[str | None, str | None, Sequence[tuple[str, bytes | None]]]],
) -> Any:
    """The span of a consumer's transaction over ``events`` (each: its CloudEvents
    ``traceparent``, ``tracestate`` and the record's headers): the child of the first event's
    context, linked to the others' (a batch may hold several traces). The record's
    ``traceparent`` header (the relay's send span) is the parent when it is in the event's
    trace; the event's own context otherwise (a copy replayed from the dead letters, a record
    written by another producer)."""
    if service not in _active:
        return _OFF
    contexts = []
    count = 0
    for traceparent, tracestate, headers in events:
        count += 1
        header = next((v for k, v in headers if k == "traceparent" and v), None)
        chosen = traceparent
        if header is not None:
            sent = header.decode("ascii", "replace")
            if traceparent is None or sent[3:35] == traceparent[3:35]:
                chosen = sent
        if chosen:
            found = trace.get_current_span(_extract(chosen, tracestate)).get_span_context()
            if found.is_valid:
                contexts.append((chosen, tracestate, found))
    if not contexts:
        return span(service, f"{subscription} process", kind=SpanKind.CONSUMER)
    (parent, state, _), others = contexts[0], contexts[1:]
    return span(
        service,
        f"{subscription} process",
        parent=parent,
        parent_state=state,
        kind=SpanKind.CONSUMER,
        links=[Link(c) for _, _, c in others[:127]],
        attributes={"messaging.batch.message_count": count},
    )


# -- sampling ------------------------------------------------------------------------------


def _sampler_from_environment() -> Any:
    from opentelemetry.sdk.trace import sampling

    return sampling._get_from_env_or_default()


@functools.cache
def _sampler_class() -> type:
    from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

    class StartsAtEntrances(Sampler):
        """Traces start at HTTP requests and the kit's own spans only; a span with a parent
        follows ``base`` (by default: its parent's decision)."""

        def __init__(self, base: Sampler) -> None:
            self.base = base

        def should_sample(
            self,
            parent_context: otel_context.Context | None,
            trace_id: int,
            name: str,
            kind: SpanKind | None = None,
            attributes: Any = None,
            links: Sequence[Link] | None = None,
            trace_state: Any = None,
        ) -> SamplingResult:
            parent = trace.get_current_span(parent_context).get_span_context()
            entrance = kind is SpanKind.SERVER or bool(attributes and _OURS in attributes)
            if not parent.is_valid and not entrance:
                return SamplingResult(Decision.DROP)
            return self.base.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )

        def get_description(self) -> str:
            return f"StartsAtEntrances{{{self.base.get_description()}}}"

    return StartsAtEntrances


def _starts_at_entrances(base: Any) -> Any:
    # the class is built on first use: the SDK is imported only when tracing is on
    return _sampler_class()(base)
