"""Tracing on, against a local collector: one dossier status report yields one trace spanning
admin-procedures and the notifier.

The collector is an OTLP/HTTP receiver in this test (protobuf ``ExportTraceServiceRequest``
on ``/v1/traces``, as Jaeger or Tempo receive it); the services export to it with the real
exporter, configured by the standard ``OTEL_*`` variables. The report goes in over HTTP
(``POST /v1/status-reports`` on admin-procedures, with the one-door system's
``traceparent``), to the status-reports topic through the outbox, is applied by
admin-procedures' consumer, whose dossier event goes through the outbox to the dossiers topic,
is read by the notifier, which decides a webhook and delivers it. The two services run in
this process but meet only on the topics: the trace crosses Kafka in the records' trace
context, nothing else carries it.

Both services' kit spans (HTTP, consumer transactions, the delivery) carry their own
``service.name``; the libraries' instrumentation (asyncpg, aiokafka, httpx) is installed once
per process, so in this one-process test those spans all carry the first service's name.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.receivers import http_receiver
from egov_devkit.testing.service import running_stack
from egov_notifier.main import SPEC as NOTIFIER
from egov_notifier.main import seed as seed_notifier
from egov_procedures.adapters import catalogue
from egov_procedures.main import SPEC as PROCEDURES
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str


@contextmanager
def otlp_collector() -> Iterator[tuple[str, list[Span]]]:
    """An OTLP/HTTP trace receiver on a free port: its URL and the spans it received."""
    spans: list[Span] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            for resource_spans in request.resource_spans:
                attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope in resource_spans.scope_spans:
                    spans.extend(
                        Span(
                            attrs["service.name"],
                            s.name,
                            s.kind,
                            s.trace_id.hex(),
                            s.span_id.hex(),
                            s.parent_span_id.hex(),
                        )
                        for s in scope.spans
                    )
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/traces", spans
    finally:
        server.shutdown()
        server.server_close()


SERVER, CLIENT, PRODUCER, CONSUMER = 2, 3, 4, 5  # OTLP Span.SpanKind


async def test_one_status_report_is_one_trace_from_admin_procedures_to_the_notifier(
    kafka_bootstrap, postgres_admin_dsn, monkeypatch
):
    trace_id = uuid.uuid4().hex
    caller_span = uuid.uuid4().hex[:16]  # the one-door system's span (not exported here)
    code = f"HS-{uuid.uuid4().hex[:6]}"
    with otlp_collector() as (endpoint, spans):
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint)
        monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
        stack = {
            "admin-procedures": (PROCEDURES, {"rates_interval_s": 3600}),
            "notifier": (NOTIFIER, {"dispatch_interval_s": 0.1}),
        }
        async with (
            http_receiver() as hook,
            running_stack(kafka_bootstrap, postgres_admin_dsn, stack) as svc,
        ):
            proc, notif = svc["admin-procedures"], svc["notifier"]
            async with proc.runtime.transaction() as tx:
                await catalogue.upsert_procedures(
                    tx.conn,
                    [
                        {
                            "code": "T5",
                            "name": "Năm ngày làm việc",
                            "processing_value": 5,
                            "processing_unit": "working-days",
                        }
                    ],
                )
            await seed_notifier(notif.runtime)
            subscribed = await notif.client.post(
                "/v1/subscriptions",
                headers=notif.token("admin"),
                json={
                    "system": "Cổng DVC quốc gia",
                    "url": hook.url,
                    "event_types": ["vn.egov.procedures.dossier.received.v1"],
                },
            )
            assert subscribed.status_code == 201, subscribed.text
            answer = await proc.client.post(
                "/v1/status-reports",
                headers={
                    **proc.token("integration"),
                    "traceparent": f"00-{trace_id}-{caller_span}-01",
                },
                json={
                    "dossier_code": code,
                    "procedure_code": "T5",
                    "unit_code": "38.XA.SAMSON",
                    "status": "received",
                    "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                    "channel": "online",
                },
            )
            assert answer.status_code == 202, answer.text
            await wait_for(lambda: any(code.encode() in r.body for r in hook.requests), 30)
            delivered = next(r for r in hook.requests if code.encode() in r.body)

            def trace() -> list[Span]:
                return [s for s in list(spans) if s.trace_id == trace_id]

            # exported in batches: wait for the delivery's span and its webhook call
            await wait_for(
                lambda: {"deliver webhook", "POST"} <= {s.name for s in trace()}, timeout=30
            )
        # the services stopped: their providers exported what was left (shutdown flushes)

    mine = trace()
    by_id = {s.span_id: s for s in mine}
    # it starts at the HTTP request, continued from the one-door system's span ...
    [request] = [s for s in mine if s.kind == SERVER and s.name == "POST /v1/status-reports"]
    assert (request.service, request.parent_id) == ("admin-procedures", caller_span)
    # ... every other span's parent is in the same trace (no span hangs off another trace) ...
    assert [s for s in mine if s is not request and s.parent_id not in by_id] == []
    # ... through both topics (sent by the relays, received by the consumers) ...
    sends = {s.name for s in mine if s.kind == PRODUCER}
    assert {"egov.procedures.status-reports send", "egov.procedures.dossiers send"} <= sends
    process = [s for s in mine if s.kind == CONSUMER and s.name.endswith(" process")]
    assert {s.service for s in process} == {"admin-procedures", "notifier"}
    # ... with PostgreSQL statements inside, to the notifier's delivery and its webhook call
    assert any(s.kind == CLIENT and s.name != "POST" for s in mine)  # asyncpg
    [deliver] = [s for s in mine if s.name == "deliver webhook"]
    assert deliver.service == "notifier"
    assert any(
        s.kind == CLIENT and s.name == "POST" and s.parent_id == deliver.span_id for s in mine
    )
    chain = []
    at: Span | None = deliver
    while at is not None:
        chain.append(at)
        at = by_id.get(at.parent_id)
    assert chain[-1] is request  # the delivery descends from the report's request
    assert {s.service for s in chain} == {"admin-procedures", "notifier"}
    # the webhook's receiver can continue the same trace
    assert delivered.headers["traceparent"].split("-")[1] == trace_id
