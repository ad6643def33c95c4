"""Prometheus metrics of admin-procedures for the SLA dashboard and its alerts: open dossiers
by unit and state, the current month's on-time rate of the province and its direct sub-units,
and the deadline warnings sent (the kit's metrics cover consuming and the outbox)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

SERVICE = "admin-procedures"

OPEN_DOSSIERS = Gauge(
    "egov_dossiers_open",
    "Open dossiers by their own unit and state (within, due_soon: due within one working day,"
    " overdue, paused)",
    ["service", "unit", "state"],
)
ON_TIME_RATE = Gauge(
    "egov_on_time_rate_percent",
    "On-time rate of the current month (the report API's rule) of the root units and their"
    " direct sub-units, each over its subtree",
    ["service", "unit", "period"],
)
DEADLINE_WARNINGS = Counter(
    "egov_deadline_warnings_total",
    "Deadline warnings published (deadline-approaching, overdue)",
    ["service", "kind"],
)
