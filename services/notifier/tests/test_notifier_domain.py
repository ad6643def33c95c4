"""Rules, templates, retry policy and webhook signatures of the notifier, without I/O."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from egov_notifier.demo.samples import sample_event
from egov_notifier.domain.delivery import (
    Outcome,
    Result,
    RetryPolicy,
    classify,
    parse_retry_after,
    should_disable,
)
from egov_notifier.domain.rules import Channel, Person, Rule, mask_address, match, recipients
from egov_notifier.domain.templates import TemplateInvalid, context_for, render, validate
from egov_notifier.domain.webhooks import generate_secret, signature_headers
from standardwebhooks import Webhook, WebhookVerificationError

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_rules_match_exact_and_prefix_and_skip_disabled():
    rules = [
        Rule("a", "vn.egov.procedures.dossier.overdue.v1", (Channel.EMAIL,)),
        Rule("b", "vn.egov.procedures.*", (Channel.IN_APP,)),
        Rule("c", "vn.egov.procedures.*", (Channel.SMS,), enabled=False),
    ]
    data = {"unit_code": "38"}
    assert [r.id for r in match(rules, "vn.egov.procedures.dossier.overdue.v1", data)] == [
        "a",
        "b",
    ]
    assert [r.id for r in match(rules, "vn.egov.indicators.x.v1", data)] == []


def test_recipients_by_role_at_the_unit_and_above():
    rule = Rule("r", "t", (Channel.EMAIL,), roles=("head",), ancestor_roles=("operator",))
    people = [
        Person("1", "38.XA.SAMSON", "head", "A"),
        Person("2", "38.XA.SAMSON", "officer", "B"),
        Person("3", "38", "operator", "C"),
        Person("4", "38", "head", "D"),
        Person("5", "38.XA.BIMSON", "head", "E"),
    ]
    got = recipients(rule, ["38.XA.SAMSON", "38"], people)
    assert [p.id for p in got] == ["1", "3"]


def test_masking():
    assert mask_address("nguyen.van.a@example.vn") == "n***@example.vn"
    assert mask_address("0912348912") == "0***8912"


def test_template_errors_are_reported_with_line_and_name():
    with pytest.raises(TemplateInvalid) as syntax:
        validate("ok", "line one\n{% if %}", [{}])
    assert syntax.value.errors[0]["line"] == 2 and syntax.value.errors[0]["field"] == "body"
    ctx = context_for(sample_event("vn.egov.procedures.dossier.overdue.v1"))
    with pytest.raises(TemplateInvalid, match="no_such_field"):
        validate("{{ data.no_such_field }}", "x", [ctx])
    with pytest.raises(TemplateInvalid):  # the sandbox refuses attribute tricks
        render("x", "{{ data.__class__.__mro__ }}", ctx)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (400, Outcome.FAILED),
        (401, Outcome.FAILED),
        (404, Outcome.FAILED),
        (408, Outcome.RETRY),
        (410, Outcome.GONE),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
    ],
)
def test_status_codes_are_classified(status, outcome):
    assert classify(status).outcome == outcome


def test_retry_after_in_seconds_and_as_a_date():
    assert parse_retry_after("120", NOW) == timedelta(seconds=120)
    assert parse_retry_after("Mon, 23 Nov 2026 08:05:00 GMT", NOW) == timedelta(minutes=5)
    assert parse_retry_after("soon", NOW) is None


def test_default_schedule_is_svix_and_final_after_the_last_attempt():
    policy = RetryPolicy(jitter=0)
    assert policy.total == timedelta(hours=27, minutes=35, seconds=5)
    retry = Result(Outcome.RETRY, 503)
    waits = [policy.next_attempt(n, NOW, retry) for n in range(1, 8)]
    assert [w - NOW for w in waits if w] == [
        timedelta(seconds=s) for s in (5, 300, 1800, 7200, 18000, 36000, 36000)
    ]
    assert policy.next_attempt(8, NOW, retry) is None
    assert policy.next_attempt(1, NOW, Result(Outcome.FAILED, 404)) is None
    assert policy.next_attempt(1, NOW, Result(Outcome.GONE, 410)) is None


def test_retry_after_lengthens_the_wait_and_jitter_stays_bounded():
    policy = RetryPolicy(jitter=0.1)
    slow = Result(Outcome.RETRY, 429, retry_after=timedelta(minutes=10))
    assert policy.next_attempt(1, NOW, slow) == NOW + timedelta(minutes=10)
    rng = random.Random(7)
    for _ in range(50):
        at = policy.next_attempt(2, NOW, Result(Outcome.RETRY, 500), rng)
        assert at is not None and timedelta(seconds=270) <= at - NOW <= timedelta(seconds=330)


def test_endpoint_disabled_after_five_days_of_failures():
    assert not should_disable(None, NOW)
    assert not should_disable(NOW - timedelta(days=4, hours=23), NOW)
    assert should_disable(NOW - timedelta(days=5), NOW)


def test_signatures_verify_with_the_library_and_support_rotation():
    old, new = generate_secret(), generate_secret()
    body = '{"id":"1"}'
    now = datetime.now(UTC)
    headers = signature_headers([old, new], "msg_1", now, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(body, headers) == {"id": "1"}
    assert Webhook(new).verify(body, headers) == {"id": "1"}
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body + " ", headers)
    stale = signature_headers([old], "msg_1", now - timedelta(minutes=6), body)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, stale)
