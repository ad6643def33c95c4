"""The life of one delivery (one notification to one recipient over one channel).

    pending ──claim──▶ sending ──2xx──────────────▶ delivered
       ▲                  │ ├─408/429/5xx/timeout─▶ retrying ──due──▶ sending ...
       │                  │ ├─other 4xx, or the last retry failed ──▶ failed
       │                  │ └─410, or the endpoint got disabled ────▶ endpoint-disabled
       └──── replay (operator; same id, so receivers can drop a duplicate) ──┘

Every attempt is kept (time, status code, error, duration). A ``sending`` delivery whose lease
ran out (the sender crashed) may be claimed again: the same message is sent with the same id.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from egov_notifier.domain.retry import (
    SVIX_SCHEDULE,
    EndpointHealth,
    Outcome,
    Result,
    RetryPolicy,
    classify,
    next_attempt,
    parse_retry_after,
    should_disable,
    transient,
)


class Status(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"
    ENDPOINT_DISABLED = "endpoint-disabled"


FINAL = frozenset({Status.DELIVERED, Status.FAILED, Status.ENDPOINT_DISABLED})


class InvalidTransition(ValueError):
    def __init__(self, status: Status, action: str) -> None:
        super().__init__(f"cannot {action} a delivery that is {status}")
        self.status, self.action = status, action


@dataclass(frozen=True)
class Attempt:
    n: int
    at: datetime
    outcome: Outcome
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class Delivery:
    id: str
    channel: str
    recipient: str
    status: Status = Status.PENDING
    attempts: tuple[Attempt, ...] = ()
    next_attempt_at: datetime | None = None
    lease_until: datetime | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def due(self, now: datetime) -> bool:
        """Whether a dispatcher may claim it now."""
        if self.status in (Status.PENDING, Status.RETRYING):
            return self.next_attempt_at is None or self.next_attempt_at <= now
        if self.status == Status.SENDING:
            return self.lease_until is not None and self.lease_until < now
        return False

    def claim(self, now: datetime, lease_until: datetime) -> Delivery:
        if not self.due(now):
            raise InvalidTransition(self.status, "claim")
        return replace(self, status=Status.SENDING, lease_until=lease_until)

    def record(
        self,
        result: Result,
        *,
        at: datetime,
        duration_ms: int,
        policy: RetryPolicy,
        endpoint: EndpointHealth | None = None,
        rng: random.Random | None = None,
    ) -> Delivery:
        """The delivery after an attempt that ended in ``result`` (``endpoint`` is the
        endpoint's health after this result, for webhooks)."""
        if self.status != Status.SENDING:
            raise InvalidTransition(self.status, "record an attempt of")
        attempt = Attempt(
            len(self.attempts) + 1,
            at,
            result.outcome,
            result.status_code,
            result.error,
            duration_ms,
        )
        done = replace(self, attempts=(*self.attempts, attempt), lease_until=None)
        if result.outcome == Outcome.DELIVERED:
            return replace(
                done,
                status=Status.DELIVERED,
                next_attempt_at=None,
                last_error=None,
                delivered_at=at,
            )
        if result.outcome == Outcome.GONE or (endpoint is not None and not endpoint.enabled):
            return replace(
                done,
                status=Status.ENDPOINT_DISABLED,
                next_attempt_at=None,
                last_error=result.error,
            )
        retry_at = policy.next_attempt(attempt.n, at, result, rng)
        if retry_at is None:
            return replace(
                done, status=Status.FAILED, next_attempt_at=None, last_error=result.error
            )
        return replace(
            done, status=Status.RETRYING, next_attempt_at=retry_at, last_error=result.error
        )

    def endpoint_disabled(self) -> Delivery:
        """The endpoint was disabled while this delivery waited: it is parked, not sent."""
        if self.status not in (Status.PENDING, Status.RETRYING):
            raise InvalidTransition(self.status, "park")
        return replace(self, status=Status.ENDPOINT_DISABLED, next_attempt_at=None)

    def replay(self, now: datetime) -> Delivery:
        """An operator sends it again (the attempts so far stay on record)."""
        if not self.final:
            raise InvalidTransition(self.status, "replay")
        return replace(
            self, status=Status.PENDING, next_attempt_at=now, lease_until=None, delivered_at=None
        )


__all__ = [
    "FINAL",
    "SVIX_SCHEDULE",
    "Attempt",
    "Delivery",
    "EndpointHealth",
    "InvalidTransition",
    "Outcome",
    "Result",
    "RetryPolicy",
    "Status",
    "classify",
    "next_attempt",
    "parse_retry_after",
    "should_disable",
    "transient",
]
