"""Topic names, their keys, partitions and retention: declared here, applied by a command."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PARTITIONS = 12
WEEK_MS = 7 * 24 * 3600 * 1000
# The topics other systems read keep a week; longer catch-up is from the notifier's HTTP feed
# (GET /v1/feed, 30 days by default).
PUBLIC_RETENTION_MS = WEEK_MS


@dataclass(frozen=True)
class Topic:
    name: str
    key: str
    partitions: int = DEFAULT_PARTITIONS
    compacted: bool = False
    retention_ms: int | None = None
    description: str = ""


STATUS_REPORTS = Topic(
    "egov.procedures.status-reports",
    "dossier code",
    description="Dossier status reports from one-door systems (inbound).",
)
DOSSIERS = Topic(
    "egov.procedures.dossiers",
    "dossier code",
    description="Dossier lifecycle, deadline warnings and results.",
    retention_ms=PUBLIC_RETENTION_MS,
)
RATES = Topic(
    "egov.procedures.rates",
    "<unit>/<period>",
    description="On-time processing rates per unit and period.",
    retention_ms=PUBLIC_RETENTION_MS,
)
INDICATOR_SUBMISSIONS = Topic(
    "egov.indicators.submissions",
    "<unit>/<period>",
    description="Indicator reports from districts and statistics systems (inbound).",
)
INDICATOR_RESULTS = Topic(
    "egov.indicators.results",
    "<indicator>/<unit>/<period>",
    description="Accepted/rejected submissions, recorded values, target evaluations.",
    retention_ms=PUBLIC_RETENTION_MS,
)
NOMINATION_EVENTS = Topic(
    "egov.nominations.events",
    "nomination or movement id",
    description="Emulation movements, nominations, council votes, decisions, awards.",
    retention_ms=PUBLIC_RETENTION_MS,
)
NOTIFICATION_DELIVERIES = Topic(
    "egov.notifications.deliveries",
    "notification id",
    description="Delivery results of notifications.",
    retention_ms=PUBLIC_RETENTION_MS,
)
REFERENCE_UNITS = Topic(
    "egov.reference.units",
    "unit code",
    compacted=True,
    partitions=3,
    description="The admin-unit and agency hierarchy (compacted: the latest state per unit).",
)

REFERENCE_CALENDAR = Topic(
    "egov.reference.calendar",
    "day (YYYY-MM-DD)",
    compacted=True,
    partitions=3,
    description="The province's working-day calendar exceptions: days off it declares and"
    " make-up working days (compacted: the latest state per day).",
)

ALL_TOPICS: tuple[Topic, ...] = (
    STATUS_REPORTS,
    DOSSIERS,
    RATES,
    INDICATOR_SUBMISSIONS,
    INDICATOR_RESULTS,
    NOMINATION_EVENTS,
    NOTIFICATION_DELIVERIES,
    REFERENCE_UNITS,
    REFERENCE_CALENDAR,
)

# Topics other systems write and egov-events reads: their schemas are what producers must send.
INBOUND_TOPICS = frozenset({STATUS_REPORTS.name, INDICATOR_SUBMISSIONS.name})


def dead_letter_topic(service: str) -> Topic:
    return Topic(
        f"egov.{service}.dead-letters",
        "original key",
        partitions=3,
        retention_ms=4 * WEEK_MS,
        description=f"Records {service} could not process, with the reason in headers.",
    )
