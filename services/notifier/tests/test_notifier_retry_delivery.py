"""Retry schedule, outcome classification, endpoint disabling and the delivery state machine."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from egov_notifier.domain.delivery import (
    Delivery,
    InvalidTransition,
    Status,
)
from egov_notifier.domain.retry import (
    SVIX_SCHEDULE,
    EndpointHealth,
    Outcome,
    Result,
    RetryPolicy,
    classify,
    next_attempt,
    transient,
)

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
NO_JITTER = RetryPolicy(jitter=0)


def test_default_schedule_is_svix():
    assert SVIX_SCHEDULE == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    assert NO_JITTER.max_attempts == 8
    fail = classify(503)
    waits = [next_attempt(NO_JITTER, n, fail, NOW) for n in range(1, 9)]
    assert [w - NOW if w else None for w in waits] == [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=10),
        None,  # eight attempts made: final
    ]


def test_schedule_is_configurable_and_checked():
    policy = RetryPolicy(schedule=(0, 1, 2), jitter=0)
    assert next_attempt(policy, 2, classify(500), NOW) == NOW + timedelta(seconds=2)
    assert next_attempt(policy, 3, classify(500), NOW) is None
    with pytest.raises(ValueError):
        RetryPolicy(schedule=())
    with pytest.raises(ValueError):
        RetryPolicy(schedule=(0, -1))
    with pytest.raises(ValueError):
        RetryPolicy(jitter=1.5)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (299, Outcome.DELIVERED),
        (301, Outcome.FAILED),  # redirects are never followed
        (400, Outcome.FAILED),
        (403, Outcome.FAILED),
        (408, Outcome.RETRY),
        (410, Outcome.GONE),
        (422, Outcome.FAILED),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (502, Outcome.RETRY),
    ],
)
def test_status_classification(status, outcome):
    assert classify(status).outcome is outcome


def test_no_retry_after_a_final_4xx_or_410():
    for status in (400, 404, 410):
        assert next_attempt(NO_JITTER, 1, classify(status), NOW) is None
    assert next_attempt(NO_JITTER, 1, transient("timeout"), NOW) == NOW + timedelta(seconds=5)


def test_retry_after_in_seconds_or_http_date_is_honoured_but_capped():
    r = classify(429, "120", NOW)
    assert next_attempt(NO_JITTER, 1, r, NOW) == NOW + timedelta(seconds=120)
    r = classify(503, "Mon, 23 Nov 2026 09:00:00 GMT", NOW)
    assert next_attempt(NO_JITTER, 1, r, NOW) == NOW + timedelta(hours=1)
    # a shorter Retry-After does not make the schedule faster
    r = classify(503, "1", NOW)
    assert next_attempt(NO_JITTER, 3, r, NOW) == NOW + timedelta(minutes=30)
    r = classify(429, str(7 * 86400), NOW)
    assert next_attempt(NO_JITTER, 1, r, NOW) == NOW + timedelta(hours=24)
    assert classify(429, "later", NOW).retry_after is None


def test_jitter_is_bounded_and_reproducible_with_a_seed():
    policy = RetryPolicy(jitter=0.1)
    first = [next_attempt(policy, 2, classify(500), NOW, random.Random(42)) for _ in range(3)]
    assert len(set(first)) == 1  # the same seed, the same time
    rng = random.Random(1)
    seen = {next_attempt(policy, 2, classify(500), NOW, rng) for _ in range(200)}
    assert len(seen) > 100
    assert all(w and timedelta(seconds=270) <= w - NOW <= timedelta(seconds=330) for w in seen)
    assert next_attempt(policy, 0, classify(500), NOW, rng) == NOW  # "at once" stays at once


def test_endpoint_disabled_after_five_days_of_unbroken_failure():
    h = EndpointHealth()
    h = h.after(classify(500), NOW, NO_JITTER)
    assert h.enabled and h.failing_since == NOW
    h = h.after(classify(500), NOW + timedelta(days=4, hours=23), NO_JITTER)
    assert h.enabled and h.failing_since == NOW
    h2 = h.after(classify(200), NOW + timedelta(days=4, hours=23, minutes=30), NO_JITTER)
    assert h2.enabled and h2.failing_since is None  # a success ends the streak
    h = h.after(transient("timeout"), NOW + timedelta(days=5), NO_JITTER)
    assert not h.enabled and h.disabled_reason and "failing since" in h.disabled_reason
    assert h.reenabled() == EndpointHealth()


def test_410_disables_the_endpoint_at_once():
    h = EndpointHealth().after(classify(410), NOW, NO_JITTER)
    assert not h.enabled and h.disabled_reason == "410 Gone"


def _sending(d: Delivery, at: datetime) -> Delivery:
    return d.claim(at, at + timedelta(minutes=1))


def test_fails_three_times_then_succeeds_with_every_attempt_recorded():
    d = Delivery("n1", "webhook", "sub_1")
    at = NOW
    for _ in range(3):
        d = _sending(d, at).record(classify(503), at=at, duration_ms=12, policy=NO_JITTER)
        assert d.status is Status.RETRYING and d.next_attempt_at and d.last_error == "HTTP 503"
        assert not d.due(at)
        at = d.next_attempt_at
        assert d.due(at)
    d = _sending(d, at).record(classify(204), at=at, duration_ms=8, policy=NO_JITTER)
    assert d.status is Status.DELIVERED and d.delivered_at == at and d.final
    assert [(a.n, a.outcome, a.status_code) for a in d.attempts] == [
        (1, Outcome.RETRY, 503),
        (2, Outcome.RETRY, 503),
        (3, Outcome.RETRY, 503),
        (4, Outcome.DELIVERED, 204),
    ]
    assert [a.at - NOW for a in d.attempts] == [
        timedelta(0),
        timedelta(seconds=5),
        timedelta(seconds=305),
        timedelta(seconds=2105),
    ]


def test_a_4xx_fails_at_once_and_the_last_retry_fails_for_good():
    d = _sending(Delivery("n", "sms", "ref"), NOW)
    assert d.record(classify(400), at=NOW, duration_ms=1, policy=NO_JITTER).status is Status.FAILED
    short = RetryPolicy(schedule=(0, 1), jitter=0)
    d = d.record(classify(500), at=NOW, duration_ms=1, policy=short)
    d = _sending(d, d.next_attempt_at or NOW).record(
        classify(500), at=NOW, duration_ms=1, policy=short
    )
    assert d.status is Status.FAILED and len(d.attempts) == 2


def test_410_or_a_disabled_endpoint_parks_the_delivery():
    d = _sending(Delivery("n", "webhook", "sub"), NOW)
    gone = d.record(classify(410), at=NOW, duration_ms=1, policy=NO_JITTER)
    assert gone.status is Status.ENDPOINT_DISABLED
    off = EndpointHealth(enabled=False, disabled_reason="failing since ...")
    parked = d.record(classify(500), at=NOW, duration_ms=1, policy=NO_JITTER, endpoint=off)
    assert parked.status is Status.ENDPOINT_DISABLED
    waiting = Delivery("m", "webhook", "sub").endpoint_disabled()
    assert waiting.status is Status.ENDPOINT_DISABLED


def test_replay_keeps_the_id_and_history_and_only_final_deliveries_replay():
    d = _sending(Delivery("n", "webhook", "sub"), NOW)
    failed = d.record(classify(400), at=NOW, duration_ms=1, policy=NO_JITTER)
    again = failed.replay(NOW + timedelta(days=1))
    assert again.id == "n" and again.status is Status.PENDING and len(again.attempts) == 1
    again = _sending(again, NOW + timedelta(days=1)).record(
        classify(200), at=NOW + timedelta(days=1), duration_ms=1, policy=NO_JITTER
    )
    assert [a.n for a in again.attempts] == [1, 2]
    with pytest.raises(InvalidTransition):
        d.replay(NOW)


def test_invalid_transitions_are_refused():
    d = Delivery("n", "email", "a@b.vn", next_attempt_at=NOW + timedelta(minutes=1))
    with pytest.raises(InvalidTransition):
        d.claim(NOW, NOW + timedelta(minutes=1))  # not due yet
    with pytest.raises(InvalidTransition):
        d.record(classify(200), at=NOW, duration_ms=1, policy=NO_JITTER)  # not sending
    sending = _sending(Delivery("n", "email", "a@b.vn"), NOW)
    with pytest.raises(InvalidTransition):
        sending.endpoint_disabled()


def test_a_sending_delivery_whose_lease_ran_out_is_claimed_again():
    d = _sending(Delivery("n", "webhook", "sub"), NOW)
    assert not d.due(NOW + timedelta(seconds=30))
    assert d.due(NOW + timedelta(minutes=2))
    again = d.claim(NOW + timedelta(minutes=2), NOW + timedelta(minutes=3))
    assert again.status is Status.SENDING and again.id == d.id


def test_result_ok():
    assert Result(Outcome.DELIVERED).ok and not transient("x").ok
