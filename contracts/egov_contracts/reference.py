"""Reference data published as events: the admin-unit and agency hierarchy (đơn vị hành chính)
and the province's working-day calendar exceptions."""

from __future__ import annotations

import csv
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from egov_contracts.envelope import EventData, register
from egov_contracts.topics import REFERENCE_CALENDAR, REFERENCE_UNITS
from egov_contracts.types import UnitCode, VnDatetime

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
    occurred_field = None
    topic = REFERENCE_UNITS.name

    unit_code: UnitCode = Field(description="Mã đơn vị")
    name: str = Field(min_length=1, max_length=200, description="Tên đơn vị")
    level: UnitLevel
    parent_code: UnitCode | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    successor_code: UnitCode | None = Field(None, description="Đơn vị kế thừa after a merger")

    @model_validator(mode="after")
    def _history_is_consistent(self) -> Self:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        if self.successor_code is not None and self.valid_to is None:
            raise ValueError("a unit with a successor must have valid_to")
        if self.successor_code == self.unit_code or self.parent_code == self.unit_code:
            raise ValueError("a unit cannot be its own parent or successor")
        return self


def load_units(path: Path = DEMO_UNITS) -> list[UnitUpserted]:
    """Units from a CSV file with the model's field names as columns (empty = none)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(f)]
    return [UnitUpserted.model_validate(r) for r in rows]


class CalendarExceptionKind(StrEnum):
    DAY_OFF = "day-off"  # a day the province declares off (ngày nghỉ)
    WORKING_DAY = "working-day"  # a make-up working day (ngày làm bù)


@register
class CalendarExceptionUpserted(EventData):
    """A day the province declares off, or a make-up working day, over the national calendar
    (compacted topic keyed by the day: the latest state per day). Every service that counts
    working days mirrors it."""

    event_type = "vn.egov.reference.calendar-exception.upserted.v1"
    occurred_field = "entered_at"
    topic = REFERENCE_CALENDAR.name

    day: date = Field(description="Ngày (giờ Việt Nam)")
    kind: CalendarExceptionKind
    note: str = Field(min_length=1, max_length=500, description="Lý do (căn cứ quyết định)")
    entered_by: str = Field(min_length=1, max_length=200, description="Người nhập")
    entered_at: VnDatetime


@register
class CalendarExceptionWithdrawn(EventData):
    """The province's exception for a day is withdrawn: the national calendar applies again."""

    event_type = "vn.egov.reference.calendar-exception.withdrawn.v1"
    occurred_field = "withdrawn_at"
    topic = REFERENCE_CALENDAR.name

    day: date = Field(description="Ngày (giờ Việt Nam)")
    withdrawn_by: str = Field(min_length=1, max_length=200, description="Người rút")
    withdrawn_at: VnDatetime


def calendar_exception_subject(day: date) -> str:
    """The key of a day on the calendar topic (and its events' subject)."""
    return day.isoformat()


__all__ = [
    "CalendarExceptionKind",
    "CalendarExceptionUpserted",
    "CalendarExceptionWithdrawn",
    "UnitLevel",
    "UnitUpserted",
    "calendar_exception_subject",
    "load_units",
]
