"""Delivery outcomes and the retry policy (default schedule as Svix's)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # 408, 429, 5xx, timeout, connection error
    FAILED = "failed"  # other 4xx: the receiver refuses it; retrying will not help
    GONE = "gone"  # 410: the endpoint is disabled at once


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    status_code: int | None = None
    error: str | None = None
    retry_after: timedelta | None = None


def classify(
    status_code: int, retry_after: str | None = None, now: datetime | None = None
) -> Result:
    if 200 <= status_code < 300:
        return Result(Outcome.DELIVERED, status_code)
    if status_code == 410:
        return Result(Outcome.GONE, status_code, "410 Gone")
    if status_code in (408, 429) or status_code >= 500:
        return Result(
            Outcome.RETRY, status_code, f"HTTP {status_code}", parse_retry_after(retry_after, now)
        )
    return Result(Outcome.FAILED, status_code, f"HTTP {status_code}")


def parse_retry_after(value: str | None, now: datetime | None) -> timedelta | None:
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
    schedule: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    jitter: float = 0.1  # ±10 % so that retries of many messages spread out

    def next_attempt(
        self, attempts_made: int, now: datetime, result: Result, rng: random.Random | None = None
    ) -> datetime | None:
        """When to try again after ``attempts_made`` attempts, or None when it is final."""
        if result.outcome != Outcome.RETRY or attempts_made >= len(self.schedule):
            return None
        delay = self.schedule[attempts_made]
        if self.jitter and delay:
            delay *= 1 + (rng or random).uniform(-self.jitter, self.jitter)
        wait = timedelta(seconds=delay)
        if result.retry_after is not None:
            wait = max(wait, result.retry_after)
        return now + wait

    @property
    def total(self) -> timedelta:
        return timedelta(seconds=sum(self.schedule))


def should_disable(
    failing_since: datetime | None, now: datetime, after: timedelta = timedelta(days=5)
) -> bool:
    return failing_since is not None and now - failing_since >= after
