"""What tracing costs the hot path, off and on, per event (no I/O: the kit's hooks alone).

    .venv/bin/python bench/tracing_overhead.py [--n 20000]

Off (the default: OTEL_TRACES_EXPORTER unset) the relay and the consumer pass through a shared
no-op context and ``new_event`` checks one module variable; on, each event is built from the
span in progress, sent inside its trace and consumed in a span (exported to nowhere here: an
in-memory exporter, so the figures are the SDK's own cost, not the network's). The outbox
insert, the broker and the database, which dominate a real event, are not in these figures.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from egov_contracts import procedures as c
from egov_contracts.envelope import configure_trace_context, new_event
from egov_runtime import tracing
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

REPORT = c.StatusReported(
    dossier_code="HS-1",
    procedure_code="H1",
    unit_code="38.XA.SAMSON",
    status="received",
    occurred_at="2026-12-01T08:00:00+07:00",
    channel="counter",
)
PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
HEADERS = [("traceparent", PARENT.encode())]


def per_call_us(fn: Callable[[], object], n: int) -> float:
    fn()
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1e6


def build() -> object:
    return new_event(REPORT, source="/vn/38/bench", subject="HS-1", traceparent=PARENT)


def send() -> object:
    with tracing.continued(PARENT, None):
        return None


def consume() -> object:
    with tracing.consuming("bench", "sub", iter([(PARENT, None, HEADERS)])):
        return None


def build_in_span() -> object:
    with tracing.span("bench", "request"):
        return build()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    n = parser.parse_args().n
    rows = [("new_event", build), ("relay: continued", send), ("consumer: consuming", consume)]
    off = {name: per_call_us(fn, n) for name, fn in rows}
    traced = tracing.setup("bench", exporter=InMemorySpanExporter())
    assert traced is not None
    tracing.start(traced)
    try:
        on = {name: per_call_us(fn, n) for name, fn in rows}
        on["new_event in a span (+ the span)"] = per_call_us(build_in_span, n)
    finally:
        tracing.stop(traced)
        configure_trace_context(None)
    print(f"{'per event':<36}{'off µs':>10}{'on µs':>10}   (n={n})")
    for name, value in on.items():
        before = off.get(name)
        print(f"{name:<36}{'' if before is None else f'{before:10.2f}':>10}{value:10.2f}")


if __name__ == "__main__":
    main()
