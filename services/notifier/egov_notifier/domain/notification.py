"""One notification as it is kept: what is sent, to whom, over which channel, why (the event
and the rule), and where its delivery stands (:mod:`egov_notifier.domain.delivery` decides
how that moves)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

# A low-priority notification waits in the daily digest (``digest``), and is ``digested``
# once a digest carries it; the delivery statuses (:class:`~.delivery.Status`) otherwise.
DIGEST, DIGESTED = "digest", "digested"


@dataclass(frozen=True)
class Notification:
    id: uuid.UUID
    rule_id: str  # a rule's id, ``subscription:<id>`` for a webhook, ``digest`` for a digest
    event_id: str
    event_type: str
    channel: str
    recipient: str  # the address, the person's id (in-app) or the subscription's id
    recipient_label: str  # masked, for lists and the outcome events
    unit_code: str | None
    subject: str
    body: str
    status: str = "pending"
    next_attempt_at: datetime | None = None
    event_subject: str | None = None
    html: str | None = None
    payload: bytes | None = None  # webhook: the CloudEvent JSON as sent
    priority: str = "normal"
    last_error: str | None = None
    attempts: int = 0
    created_at: datetime | None = None  # set when it is kept
    delivered_at: datetime | None = None
    digest_id: uuid.UUID | None = None
    # the trace it was decided in (W3C traceparent, tracestate): its deliveries continue it
    traceparent: str | None = None
    tracestate: str | None = None
