"""The admin-unit and agency hierarchy (đơn vị hành chính), published as data."""

from __future__ import annotations

import csv
from datetime import date
from enum import StrEnum
from pathlib import Path

from pydantic import Field

from egov_contracts.envelope import EventData, register
from egov_contracts.topics import REFERENCE_UNITS
from egov_contracts.types import UnitCode

DEMO_UNITS = Path(__file__).parent / "data" / "units-demo.csv"


class UnitLevel(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    AGENCY = "agency"


@register
class UnitUpserted(EventData):
    """A unit's current definition (compacted topic: the latest per unit code)."""

    event_type = "vn.egov.reference.unit.upserted.v1"
    topic = REFERENCE_UNITS.name

    unit_code: UnitCode = Field(description="Mã đơn vị")
    name: str = Field(min_length=1, max_length=200, description="Tên đơn vị")
    level: UnitLevel
    parent_code: UnitCode | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    successor_code: UnitCode | None = Field(None, description="Đơn vị kế thừa after a merger")


def load_units(path: Path = DEMO_UNITS) -> list[UnitUpserted]:
    """Units from a CSV file with the model's field names as columns (empty = none)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(f)]
    return [UnitUpserted.model_validate(r) for r in rows]
