"""Outcomes of a send and the retry policy (default schedule as Svix's).

- 2xx: delivered.
- 410 Gone: the receiver says the endpoint is gone; it is disabled at once.
- 408, 429, 5xx, timeouts and connection errors: transient; retried on the schedule, and never
  sooner than the receiver's ``Retry-After`` (seconds or an HTTP date).
- any other status (other 4xx, and 3xx since redirects are never followed): final failure.
- an endpoint that has failed without a single success for ``disable_after`` (5 days) is
  disabled.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

#: Svix's default: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (~27.6 h in all).
SVIX_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # 408, 429, 5xx, timeout, connection error
    FAILED = "failed"  # other 4xx: the receiver refuses it; retrying will not help
    GONE = "gone"  # 410: the endpoint is disabled at once


@dataclass(frozen=True)
class Result:
    """What one send attempt came to (the ``SendOutcome`` of a channel)."""

    outcome: Outcome
    status_code: int | None = None
    error: str | None = None
    retry_after: timedelta | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.DELIVERED


def classify(
    status_code: int, retry_after: str | None = None, now: datetime | None = None
) -> Result:
    """The outcome of an HTTP answer."""
    if 200 <= status_code < 300:
        return Result(Outcome.DELIVERED, status_code)
    if status_code == 410:
        return Result(Outcome.GONE, status_code, "410 Gone")
    if status_code in (408, 429) or status_code >= 500:
        return Result(
            Outcome.RETRY, status_code, f"HTTP {status_code}", parse_retry_after(retry_after, now)
        )
    if 300 <= status_code < 400:
        return Result(Outcome.FAILED, status_code, f"HTTP {status_code}: redirects not followed")
    return Result(Outcome.FAILED, status_code, f"HTTP {status_code}")


def transient(error: str) -> Result:
    """A timeout or connection error: retried."""
    return Result(Outcome.RETRY, None, error)


def parse_retry_after(value: str | None, now: datetime | None) -> timedelta | None:
    """``Retry-After`` as delay-seconds or an HTTP date (RFC 9110 §10.2.3); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if now is None or when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


@dataclass(frozen=True)
class RetryPolicy:
    """``schedule[n]`` is the wait before attempt ``n + 1`` (the first is at once)."""

    schedule: tuple[float, ...] = SVIX_SCHEDULE
    jitter: float = 0.1  # ±10 % so that retries of many messages spread out
    max_retry_after: timedelta = timedelta(hours=24)  # a receiver cannot park a message forever
    disable_after: timedelta = timedelta(days=5)

    def __post_init__(self) -> None:
        if not self.schedule or any(s < 0 for s in self.schedule):
            raise ValueError("the schedule needs at least one non-negative delay")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter is a fraction in [0, 1)")

    @property
    def max_attempts(self) -> int:
        return len(self.schedule)

    def next_attempt(
        self, attempts_made: int, now: datetime, result: Result, rng: random.Random | None = None
    ) -> datetime | None:
        """When to try again after ``attempts_made`` attempts, or None when it is final.

        Pass a seeded ``random.Random`` for a reproducible jitter.
        """
        if result.outcome != Outcome.RETRY or attempts_made >= len(self.schedule):
            return None
        delay = self.schedule[max(attempts_made, 0)]
        if self.jitter and delay:
            delay *= 1 + (rng or random).uniform(-self.jitter, self.jitter)
        wait = timedelta(seconds=delay)
        if result.retry_after is not None:
            wait = max(wait, min(result.retry_after, self.max_retry_after))
        return now + wait

    @property
    def total(self) -> timedelta:
        return timedelta(seconds=sum(self.schedule))

    def with_schedule(self, schedule: tuple[float, ...]) -> RetryPolicy:
        return replace(self, schedule=schedule)


def next_attempt(
    policy: RetryPolicy,
    attempt_no: int,
    outcome: Result,
    now: datetime,
    rng: random.Random | None = None,
) -> datetime | None:
    """When attempt ``attempt_no + 1`` is due after attempt ``attempt_no`` ended in ``outcome``;
    None when there is none."""
    return policy.next_attempt(attempt_no, now, outcome, rng)


def should_disable(
    failing_since: datetime | None, now: datetime, after: timedelta = timedelta(days=5)
) -> bool:
    return failing_since is not None and now - failing_since >= after


@dataclass(frozen=True)
class EndpointHealth:
    """A webhook endpoint's failure streak and whether it is still sent to."""

    enabled: bool = True
    failing_since: datetime | None = None
    disabled_reason: str | None = None

    def after(self, result: Result, now: datetime, policy: RetryPolicy) -> EndpointHealth:
        """The endpoint's health once an attempt ended in ``result``."""
        if result.outcome == Outcome.DELIVERED:
            return EndpointHealth(enabled=self.enabled, disabled_reason=self.disabled_reason)
        if result.outcome == Outcome.GONE:
            return EndpointHealth(False, self.failing_since or now, "410 Gone")
        since = self.failing_since or now
        if self.enabled and should_disable(since, now, policy.disable_after):
            return EndpointHealth(False, since, f"failing since {since.isoformat()}")
        return replace(self, failing_since=since)

    def reenabled(self) -> EndpointHealth:
        """An operator turns the endpoint back on; the streak starts afresh."""
        return EndpointHealth()
