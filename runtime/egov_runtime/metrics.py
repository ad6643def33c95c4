"""Prometheus metrics of the runtime kit (one registry per process, labelled by service)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "egov_events_consumed_total", "Events handled by a consumer", ["service", "consumer", "type"]
)
EVENTS_DUPLICATE = Counter(
    "egov_events_duplicate_total",
    "Redelivered events skipped by the inbox",
    ["service", "consumer"],
)
EVENTS_FAILED = Counter(
    "egov_events_failed_total", "Handler attempts that raised", ["service", "consumer", "kind"]
)
EVENTS_PRODUCED = Counter(
    "egov_events_produced_total", "Events published by the outbox relay", ["service", "topic"]
)
DEAD_LETTERS = Counter(
    "egov_dead_letters_total",
    "Records moved to the dead-letter topic",
    ["service", "consumer", "reason"],
)
HANDLER_SECONDS = Histogram(
    "egov_handler_seconds", "Time to handle one batch in its transaction", ["service", "consumer"]
)
OUTBOX_BACKLOG = Gauge("egov_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "egov_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", ["service"]
)
RELAY_LEADER = Gauge(
    "egov_outbox_relay_leader", "1 while this process is the relay leader", ["service"]
)
CONSUMER_LAG = Gauge(
    "egov_consumer_lag",
    "High watermark minus position, per partition",
    ["service", "consumer", "topic", "partition"],
)
PERIODIC_FAILURES = Counter(
    "egov_periodic_job_failures_total",
    "Rounds of a periodic job that raised (retried at the next tick)",
    ["service", "job"],
)
