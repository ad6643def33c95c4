"""The one place that turns personal data into what may travel in events.

National ID numbers, phone numbers, e-mail addresses and names of citizens never appear in
clear in an outbound event: an ``applicant_ref`` (keyed HMAC-SHA256 of the national ID, the
key held by the owning service) links a citizen's dossiers without revealing who they are, and
masked forms (``0***8912``) are for display.

On the inbound status-report topic the applicant travels sealed: :func:`seal` encrypts it
(AES-256-GCM, ``cryptography``; the key derived with HKDF-SHA256 from the receiving service's
personal-data key) into ``applicant_sealed``, which only that service opens (:func:`unseal`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEALED_PREFIX = "v1."
SEALED_PATTERN = r"^v1\.[A-Za-z0-9_\-]+$"
_SEAL_INFO = b"egov-events personal data sealing v1"
_SEAL_AAD = b"egov-events sealed personal data"

# Field names that would hold clear personal data; outbound schemas must not have them.
FORBIDDEN_OUTBOUND_FIELDS = frozenset(
    {
        "national_id",
        "citizen_id",
        "cccd",
        "cmnd",
        "phone",
        "phone_number",
        "email",
        "applicant_name",
        "full_name",
        "address",
        "date_of_birth",
    }
)


def applicant_ref(national_id: str, key: bytes) -> str:
    """A stable pseudonym: the same ID and key always give the same reference."""
    normalised = re.sub(r"\s+", "", national_id)
    if not normalised:
        raise ValueError("empty national ID")
    digest = hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()
    return f"ar_{digest[:32]}"


def mask_phone(phone: str) -> str:
    """``0912348912`` → ``0***8912``."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 5:
        return "***"
    return f"{digits[0]}***{digits[-4:]}"


def mask_email(email: str) -> str:
    """``nguyen.van.a@example.vn`` → ``n***@example.vn``."""
    local, at, domain = email.partition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_national_id(national_id: str) -> str:
    """``038095001234`` → ``********1234``."""
    digits = re.sub(r"\s+", "", national_id)
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


class SealError(ValueError):
    """A sealed value that this key cannot open (another key, altered, or not a seal)."""


def _aead(key: bytes) -> AESGCM:
    if not key:
        raise ValueError("empty personal-data key")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(key)
    return AESGCM(derived)


def seal(value: Any, key: bytes) -> str:
    """``value`` (anything JSON can hold) encrypted and authenticated: ``v1.<base64url>``."""
    nonce = os.urandom(12)
    plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    sealed = nonce + _aead(key).encrypt(nonce, plain, _SEAL_AAD)
    return SEALED_PREFIX + base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def unseal(token: str, key: bytes) -> Any:
    """What :func:`seal` sealed; :class:`SealError` if this key cannot open it."""
    if not token.startswith(SEALED_PREFIX):
        raise SealError("not a sealed value (v1.…)")
    body = token[len(SEALED_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        plain = _aead(key).decrypt(raw[:12], raw[12:], _SEAL_AAD)
        return json.loads(plain)
    except (InvalidTag, ValueError) as exc:
        raise SealError("the sealed value cannot be opened with this key") from exc
