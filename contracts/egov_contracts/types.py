"""Constrained types shared by the event models."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer, StringConstraints, WithJsonSchema

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
Text = Annotated[str, StringConstraints(max_length=2000)]
