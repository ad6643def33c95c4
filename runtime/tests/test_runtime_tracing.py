"""Tracing (egov_runtime.tracing): off unless OTEL_TRACES_EXPORTER=otlp; when on, events
carry the span that built them, a consumer's transaction continues the event's trace, and no
trace starts at a bare statement or poll. The cross-service trace through Kafka is in
tests/test_tracing_flow.py."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import pytest
from egov_contracts import procedures as c
from egov_contracts.envelope import configure_trace_context, new_event
from egov_runtime import tracing
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

REPORT = c.StatusReported(
    dossier_code="HS-1",
    procedure_code="H1",
    unit_code="38.XA.SAMSON",
    status="received",
    occurred_at="2026-12-01T08:00:00+07:00",
    channel="counter",
)
OTHER_TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_off_unless_the_environment_names_the_otlp_exporter():
    assert not tracing.wanted({})
    assert not tracing.wanted({"OTEL_TRACES_EXPORTER": "none"})
    assert not tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing.wanted({"OTEL_TRACES_EXPORTER": "otlp"})
    assert tracing.wanted({"OTEL_TRACES_EXPORTER": "console, otlp"})
    assert not tracing.wanted({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"})


def test_off_nothing_is_instrumented_and_the_hooks_do_nothing(monkeypatch):
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    assert tracing.setup("quiet") is None
    assert not hasattr(asyncpg.Connection.execute, "__wrapped__")
    assert tracing.span("quiet", "work") is tracing.span("other", "work")  # one shared no-op
    assert tracing.continued(OTHER_TRACE) is tracing.span("quiet", "work")
    with tracing.consuming("quiet", "sub", [(OTHER_TRACE, None, [])]) as nothing:
        assert nothing is None
    event = new_event(REPORT, source="/t", subject="HS-1", traceparent=OTHER_TRACE)
    assert event.traceparent.split("-")[1] == OTHER_TRACE.split("-")[1]


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    traced = tracing.setup("svc", exporter=exporter)
    assert traced is not None
    tracing.start(traced)
    try:
        yield exporter
    finally:
        tracing.stop(traced)
        configure_trace_context(None)
        assert not hasattr(asyncpg.Connection.execute, "__wrapped__")  # instrumentation gone


def _finished(exporter: InMemorySpanExporter) -> list:
    tracing._active["svc"].provider.force_flush()
    return list(exporter.get_finished_spans())


def test_an_event_carries_the_span_that_built_it(spans):
    with tracing.span("svc", "request", kind=SpanKind.SERVER) as request:
        event = new_event(REPORT, source="/t", subject="HS-1")
        ctx = request.get_span_context()
        assert (
            event.traceparent == f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"
        )
        # the HTTP header's trace is the span's (the FastAPI instrumentation continued it)
        header = f"00-{ctx.trace_id:032x}-{'1' * 16}-01"
        assert new_event(REPORT, source="/t", subject="HS-1", traceparent=header).traceparent == (
            event.traceparent
        )
        # an effect of an event of another trace (a batch of several) stays in its trace
        cause = new_event(REPORT, source="/t", subject="HS-2", traceparent=OTHER_TRACE)
        assert cause.traceparent.split("-")[1] == OTHER_TRACE.split("-")[1]
        effect = new_event(REPORT, source="/t", subject="HS-2", cause=cause)
        assert effect.traceparent.split("-")[1] == OTHER_TRACE.split("-")[1]


def test_a_consumer_transaction_continues_the_first_event_and_links_the_others(spans):
    first = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    sent = "00-" + "a" * 32 + "-" + "c" * 16 + "-01"  # the relay's send span, same trace
    foreign = "00-" + "d" * 32 + "-" + "e" * 16 + "-01"  # a header of another trace: ignored
    batch = [
        (first, "vendor=1", [("traceparent", sent.encode())]),
        (OTHER_TRACE, None, [("traceparent", foreign.encode())]),
    ]
    with tracing.consuming("svc", "dossiers", batch):
        pass
    (process,) = _finished(spans)
    assert process.name == "dossiers process"
    assert process.kind is SpanKind.CONSUMER
    assert f"{process.context.trace_id:032x}" == "a" * 32
    assert f"{process.parent.span_id:016x}" == "c" * 16
    assert process.parent.trace_state.get("vendor") == "1"
    assert [f"{link.context.trace_id:032x}" for link in process.links] == [
        OTHER_TRACE.split("-")[1]
    ]
    assert process.resource.attributes["service.name"] == "svc"


def test_a_line_logged_inside_a_span_names_its_trace(spans):
    assert tracing.add_trace_ids(None, "info", {"event": "outside"}) == {"event": "outside"}
    with tracing.span("svc", "work") as work:
        line = tracing.add_trace_ids(None, "info", {"event": "inside"})
    ctx = work.get_span_context()
    assert line["trace_id"] == f"{ctx.trace_id:032x}" and line["span_id"] == f"{ctx.span_id:016x}"


def test_a_statement_or_a_poll_outside_any_trace_starts_none(spans):
    tracer = tracing._active["svc"].tracer
    with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as statement:
        assert not statement.is_recording()
    with tracer.start_as_current_span("topic receive", kind=SpanKind.CONSUMER) as poll:
        assert not poll.is_recording()
    with tracing.span("svc", "delivery") as ours:  # the kit's own span may start a trace
        assert ours.is_recording()
        with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as inside:
            assert inside.is_recording()
    with tracing.continued(OTHER_TRACE):
        with tracer.start_as_current_span("send", kind=SpanKind.PRODUCER) as send:
            assert send.is_recording()
            assert f"{send.parent.span_id:016x}" == OTHER_TRACE.split("-")[2]
    assert {s.name for s in _finished(spans)} == {"delivery", "SELECT", "send"}
