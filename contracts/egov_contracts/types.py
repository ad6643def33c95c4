"""Constrained types shared by the event models."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

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
Period = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}(-(Q[1-4]|H[12]|0[1-9]|1[0-2]))?$"),
    Field(description="Reporting period — kỳ báo cáo: 2026, 2026-H1, 2026-Q3 or 2026-07"),
]
Percent = Annotated[
    Decimal,
    Field(max_digits=7, decimal_places=2, description="Percent with 2 decimals"),
]
Text = Annotated[str, StringConstraints(max_length=2000)]
