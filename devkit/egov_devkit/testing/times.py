"""Find the times in a document that a person or a consuming system would read in another zone
than Vietnam's: every ISO 8601 date-time, anywhere in a JSON document or a text, must carry
``+07:00``."""

from __future__ import annotations

import re
from typing import Any

# a date, a time to the minute at least, and an optional offset ("Z", "+00:00", "+0700")
ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?(?![\d:.])"
)
VN_OFFSET = "+07:00"


def foreign_times(doc: Any, path: str = "$") -> list[tuple[str, str]]:
    """(where, value) of every date-time string in ``doc`` (a decoded JSON document) that is
    not written with the Vietnam offset: in another zone, in UTC (``Z``) or without an offset."""
    found: list[tuple[str, str]] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += foreign_times(value, f"{path}.{key}")
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += foreign_times(value, f"{path}[{i}]")
    elif isinstance(doc, str):
        found += [(path, m) for m in foreign_times_in_text(doc)]
    return found


def foreign_times_in_text(text: str) -> list[str]:
    """Every date-time in a text (a CSV file, a mail header) not written in Vietnam time."""
    return [m.group(0) for m in ISO_DATETIME.finditer(text) if not m.group(0).endswith(VN_OFFSET)]


def times_in(doc: Any) -> int:
    """How many date-time strings ``doc`` holds (a test that finds no foreign time should also
    have found some times)."""
    if isinstance(doc, dict):
        return sum(times_in(v) for v in doc.values())
    if isinstance(doc, list):
        return sum(times_in(v) for v in doc)
    return len(ISO_DATETIME.findall(doc)) if isinstance(doc, str) else 0
