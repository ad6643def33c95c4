"""Constrained types shared by the event models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, PlainSerializer, StringConstraints, WithJsonSchema

# The one time zone of the project: every time a person or a consuming system reads is in
# Vietnam time with its offset (+07:00; no daylight saving since 1975). The same object as
# ``egov_workdays.VN_TZ`` (zoneinfo caches one instance per key).
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def in_vn(value: datetime) -> datetime:
    """``value`` in Vietnam time; a datetime without an offset is read as Vietnam time."""
    return value.replace(tzinfo=VN_TZ) if value.tzinfo is None else value.astimezone(VN_TZ)


# A point in time as the contracts and the APIs carry it: accepted with any offset (or none:
# Vietnam time), held and written in Vietnam time, e.g. ``2026-11-23T09:00:00+07:00``. The JSON
# Schema is the plain ``date-time`` string, as for pydantic's ``AwareDatetime``.
def _to_vn(value: datetime) -> datetime:
    # in_vn's body, not a call of it: this runs for every event every consumer reads
    try:
        return value.replace(tzinfo=VN_TZ) if value.tzinfo is None else value.astimezone(VN_TZ)
    except OverflowError as exc:  # 9999-12-31T23:59:59Z has no Vietnam time
        raise ValueError("out of the range of dates") from exc


VnDatetime = Annotated[datetime, AfterValidator(_to_vn)]

Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=64,
        pattern=r"^[0-9A-Za-z][0-9A-Za-z._/\-]*$",
    ),
]
UnitCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z][0-9A-Za-z._\-]*$"),
]
PERIOD_PATTERN = r"^[0-9]{4}(-(Q[1-4]|H[12]|0[1-9]|1[0-2]))?$"
Period = Annotated[
    str,
    StringConstraints(pattern=PERIOD_PATTERN),
    Field(description="Reporting period — kỳ báo cáo: 2026, 2026-H1, 2026-Q3 or 2026-07"),
]

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
PERCENT_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")  # never exponent notation (str(Decimal("1E+3")) is "1E+3")


def _percent_text(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


# Decimals travel as JSON strings (no binary floating point on the wire); the serialization
# schema says so with a pattern, and readers also accept JSON numbers.
Amount = Annotated[
    Decimal,
    Field(allow_inf_nan=False),
    PlainSerializer(_decimal_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN}, mode="serialization"),
]
Percent = Annotated[
    Decimal,
    Field(max_digits=7, decimal_places=2, allow_inf_nan=False),
    PlainSerializer(_percent_text, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": PERCENT_PATTERN, "description": "Percent, 2 decimals"},
        mode="serialization",
    ),
]
# No control characters in text (NUL above all: PostgreSQL cannot store it and a terminal or
# a spreadsheet misreads the others); notes may keep tabs and line breaks, a line may not.
TEXT_PATTERN = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$"
LINE_PATTERN = r"^[^\x00-\x1F\x7F]*$"
Text = Annotated[str, StringConstraints(max_length=2000)]
# Inbound free text (a note, a reason): what a producer sends is checked; outbound text is
# the services' own and stays plain Text.
Note = Annotated[str, StringConstraints(max_length=2000, pattern=TEXT_PATTERN)]
Line = Annotated[str, StringConstraints(max_length=200, pattern=LINE_PATTERN)]

# The instants a report may carry: nothing of this system happened before 2000 or after 2099.
# The contract bounds the absolute range; how far ahead of *now* a report may be is the
# receiving service's check, against its own clock (a setting, see the runtime kit's edge).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _within_range(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=VN_TZ)
    if not EARLIEST <= value < LATEST:
        raise ValueError("must be from 2000-01-01 and before 2100-01-01")
    return in_vn(value)


Moment = Annotated[
    datetime,
    AfterValidator(_within_range),
    Field(
        json_schema_extra={
            "formatMinimum": "2000-01-01T00:00:00Z",
            "formatExclusiveMaximum": "2100-01-01T00:00:00Z",
        },
    ),
]
