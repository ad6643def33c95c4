"""Prometheus metrics of the notifier, per channel (the kit's metrics cover consuming and the
outbox)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SERVICE = "notifier"

NOTIFICATIONS = Counter(
    "egov_notifications_total",
    "Send attempts by channel and outcome (delivered, retry, failed, gone, throttled)",
    ["service", "channel", "outcome"],
)
SEND_SECONDS = Histogram(
    "egov_notification_send_seconds",
    "Time one send attempt took, by channel",
    ["service", "channel"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
QUEUE_AGE = Gauge(
    "egov_notification_queue_age_seconds",
    "How long the oldest due notification has waited, by channel",
    ["service", "channel"],
)
