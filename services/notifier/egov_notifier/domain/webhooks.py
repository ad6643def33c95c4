"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

``webhook-signature`` is ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` under a
``whsec_<base64>`` secret; during a key rotation a message carries one signature per secret,
space-separated. The ``standardwebhooks`` library computes the HMAC; :func:`verify` adds what
its ``Webhook.verify`` lacks: several receiver secrets and a caller-given clock (its own reads
the wall clock and has a fixed tolerance), so the check is testable and pure.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets as _secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from standardwebhooks import Webhook

TOLERANCE_S = 300  # receivers reject timestamps more than 5 minutes off


class SignatureInvalid(ValueError):
    pass


def generate_secret() -> str:
    return "whsec_" + base64.b64encode(_secrets.token_bytes(32)).decode()


def _text(body: bytes | str) -> str:
    return body if isinstance(body, str) else body.decode("utf-8")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """``v1,<base64 signature>`` of one message under one secret."""
    # the library floors the datetime it is given, read as UTC
    return Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), _text(body))


def signature_headers(
    secrets_: Iterable[str], msg_id: str, at: datetime, body: bytes | str
) -> dict[str, str]:
    """The three headers of a message, signed with every current secret of the endpoint."""
    ts = int(at.timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": " ".join(sign(s, msg_id, ts, body) for s in secrets_),
    }


def verify(
    secrets_: Iterable[str],
    headers: Mapping[str, str],
    body: bytes | str,
    now: datetime,
    tolerance: int = TOLERANCE_S,
) -> str:
    """Check a received message; returns its ``webhook-id``.

    Any ``v1`` signature in the header matching any of ``secrets_`` is enough (rotation on
    either side). Raises :class:`SignatureInvalid` on missing headers, a timestamp more than
    ``tolerance`` seconds from ``now``, or no matching signature.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id")
    raw_ts = lowered.get("webhook-timestamp")
    raw_sigs = lowered.get("webhook-signature")
    if not (msg_id and raw_ts and raw_sigs):
        raise SignatureInvalid("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        ts = int(raw_ts)
    except ValueError as exc:
        raise SignatureInvalid("webhook-timestamp is not an integer") from exc
    if abs(now.timestamp() - ts) > tolerance:
        raise SignatureInvalid("webhook-timestamp is too far from now")
    offered = []
    for item in raw_sigs.split(" "):
        version, _, sig = item.partition(",")
        if version != "v1" or not sig:
            continue
        try:
            offered.append(base64.b64decode(sig, validate=True))
        except binascii.Error:
            continue
    text = _text(body)
    for secret in secrets_:
        expected = base64.b64decode(sign(secret, msg_id, ts, text).partition(",")[2])
        if any(hmac.compare_digest(expected, sig) for sig in offered):
            return msg_id
    raise SignatureInvalid("no matching signature")
