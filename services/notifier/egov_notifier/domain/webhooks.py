"""Standard Webhooks signatures (the ``standardwebhooks`` library does the HMAC): several
secrets during a key rotation give several space-separated signatures."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook


def generate_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_headers(secrets_: list[str], msg_id: str, at: datetime, body: str) -> dict[str, str]:
    # the library reads the timestamp's wall clock as UTC, so hand it a UTC instant
    utc = at.astimezone(UTC)
    sigs = " ".join(Webhook(s).sign(msg_id, utc, body) for s in secrets_)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": sigs,
    }
