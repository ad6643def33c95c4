"""The one place that turns personal data into what may travel in events.

National ID numbers, phone numbers, e-mail addresses and names of citizens never appear in
clear in an outbound event: an ``applicant_ref`` (keyed HMAC-SHA256 of the national ID, the
key held by the owning service) links a citizen's dossiers without revealing who they are, and
masked forms (``0***8912``) are for display.
"""

from __future__ import annotations

import hashlib
import hmac
import re

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
