"""Standard Webhooks signing and verification (key rotation, timestamp tolerance)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from egov_notifier.domain.webhooks import (
    SignatureInvalid,
    generate_secret,
    sign,
    signature_headers,
    verify,
)
from standardwebhooks import Webhook

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
BODY = (
    b'{"specversion":"1.0","type":"vn.egov.procedures.dossier.overdue.v1","data":{"x":"\xc3\xa1"}}'
)


def test_sign_matches_the_specification_test_vector():
    # test_sign_function in standard-webhooks/standard-webhooks,
    # libraries/python/tests/test_webhooks.py
    got = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert got == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_generated_secrets_are_whsec_and_distinct():
    a, b = generate_secret(), generate_secret()
    assert a.startswith("whsec_") and a != b
    Webhook(a)  # the reference library accepts it


def test_headers_verify_with_our_verifier_and_the_reference_library():
    secret = generate_secret()
    headers = signature_headers([secret], "msg_1", NOW, BODY)
    assert headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert verify([secret], headers, BODY, NOW) == "msg_1"
    now_headers = signature_headers([secret], "msg_2", datetime.now(UTC), BODY)
    assert Webhook(secret).verify(BODY, now_headers)["data"] == {"x": "á"}


def test_rotation_sender_signs_with_both_receiver_knows_either():
    old, new = generate_secret(), generate_secret()
    headers = signature_headers([old, new], "msg_1", NOW, BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify([old], headers, BODY, NOW) == "msg_1"
    assert verify([new], headers, BODY, NOW) == "msg_1"
    # the receiver rotating: it accepts any of its secrets
    only_new = signature_headers([new], "msg_1", NOW, BODY)
    assert verify([old, new], only_new, BODY, NOW) == "msg_1"
    with pytest.raises(SignatureInvalid, match="no matching"):
        verify([old], only_new, BODY, NOW)


@pytest.mark.parametrize("offset_s", [-301, 301, -3600])
def test_timestamps_more_than_five_minutes_off_are_rejected(offset_s):
    secret = generate_secret()
    headers = signature_headers([secret], "m", NOW + timedelta(seconds=offset_s), BODY)
    with pytest.raises(SignatureInvalid, match="too far"):
        verify([secret], headers, BODY, NOW)


@pytest.mark.parametrize("offset_s", [-300, 0, 300])
def test_timestamps_within_tolerance_are_accepted(offset_s):
    secret = generate_secret()
    headers = signature_headers([secret], "m", NOW + timedelta(seconds=offset_s), BODY)
    assert verify([secret], headers, BODY, NOW) == "m"


def test_tampering_and_malformed_headers_are_rejected():
    secret = generate_secret()
    headers = signature_headers([secret], "msg_1", NOW, BODY)
    with pytest.raises(SignatureInvalid):
        verify([secret], headers, BODY + b" ", NOW)
    with pytest.raises(SignatureInvalid):
        verify([secret], {**headers, "webhook-id": "msg_2"}, BODY, NOW)
    with pytest.raises(SignatureInvalid, match="missing"):
        verify([secret], {k: v for k, v in headers.items() if k != "webhook-id"}, BODY, NOW)
    with pytest.raises(SignatureInvalid, match="not an integer"):
        verify([secret], {**headers, "webhook-timestamp": "soon"}, BODY, NOW)
    sig = headers["webhook-signature"].partition(",")[2]
    for bad in (f"v2,{sig}", "v1,@@@", "v1,", "garbage"):
        with pytest.raises(SignatureInvalid):
            verify([secret], {**headers, "webhook-signature": bad}, BODY, NOW)
    # header names are case-insensitive; unknown versions next to a good one are skipped
    mixed = {k.upper(): v for k, v in headers.items()}
    mixed["WEBHOOK-SIGNATURE"] = f"v2,{sig} v1,@@@ {headers['webhook-signature']}"
    assert verify([secret], mixed, BODY, NOW) == "msg_1"
