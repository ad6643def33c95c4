"""Personal data on the status-report topic travels sealed (see contracts/README.md).

What this service publishes itself (reports received over HTTP, the demo's one-door system)
carries ``applicant_sealed`` instead of ``applicant``; the consumer opens it with the same
personal-data key. A dead-letter copy of a record from that topic is sealed too: the
``applicant`` of a readable record is sealed in place (a replay is read as any sealed report),
and a record that is not readable JSON is sealed whole (nobody can tell what it holds).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from egov_contracts import procedures as c
from egov_contracts.personal_data import SealError, seal, unseal


def sealed(data: c.StatusReported, key: bytes) -> c.StatusReported:
    """The report with its applicant sealed (unchanged if it has none in clear)."""
    if data.applicant is None:
        return data
    applicant = data.applicant.model_dump(mode="json", exclude_none=True)
    return data.model_copy(update={"applicant": None, "applicant_sealed": seal(applicant, key)})


def opened(data: c.StatusReported, key: bytes) -> c.StatusReported:
    """The report with its sealed applicant opened; :class:`SealError` if it cannot be."""
    if data.applicant_sealed is None:
        return data
    try:
        applicant = c.Applicant.model_validate(unseal(data.applicant_sealed, key))
    except ValueError as exc:  # SealError, or a sealed object that is not an applicant
        raise SealError(f"applicant_sealed: {exc}") from exc
    return data.model_copy(update={"applicant": applicant, "applicant_sealed": None})


def dead_letter_protector(key: bytes) -> Callable[[bytes | None], bytes | None]:
    """The value a dead-letter copy of a status-report record may carry."""

    def whole(value: bytes) -> bytes:
        return json.dumps({"sealed_record": seal(value.decode("latin-1"), key)}).encode()

    def protect(value: bytes | None) -> bytes | None:
        if value is None:
            return None
        try:
            doc: Any = json.loads(value)
            if not isinstance(doc, dict):
                return whole(value)
            # structured mode: the event's data; binary mode: the value is the data itself
            data = doc["data"] if isinstance(doc.get("data"), dict) else doc
            if "applicant" not in data:
                return value
            data["applicant_sealed"] = seal(data.pop("applicant"), key)
            # ASCII escapes: a lone surrogate the record carried stays valid JSON
            return json.dumps(doc).encode()
        except Exception:  # anything unreadable or unwritable (depth, surrogates): sealed whole
            return whole(value)

    return protect
