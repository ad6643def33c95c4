"""Indicator definitions (danh mục chỉ tiêu) as data, and the demo catalogue of the sector.

A definition says what an indicator measures and how it behaves: its unit of measure, value
type, the finest period it is reported for, how it rolls up the admin-unit hierarchy, how it
adds up over time (months into quarters and years), which direction is better, its allowed
range and its disaggregations (phân tổ).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from egov_indicators.domain.periods import PeriodKind

CATALOGUE_DIR = Path(__file__).parent / "catalogue"

PERCENT = "%"
PERCENTAGE_POINTS = "pp"


class ValueType(StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    PERCENT = "percent"


class Aggregation(StrEnum):
    """``sum`` for counts; ``ratio`` = numerator / denominator × factor, rolled up from the
    rolled-up numerator and denominator (never a mean of rates); ``none`` is not rolled up."""

    SUM = "sum"
    RATIO = "ratio"
    NONE = "none"


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher-is-better"
    LOWER_IS_BETTER = "lower-is-better"


class Temporal(StrEnum):
    """``flow``: accumulates over the period (jobs created), so the expectation for an open
    period is pro-rata of the target; ``stock``: a level at a moment (households, rates)."""

    FLOW = "flow"
    STOCK = "stock"


class TimeAggregation(StrEnum):
    """How the value of a longer period (quarter, half-year, year) follows from the values of the
    shorter periods that make it up, for one unit (``domain/over_time.py``):

    - ``sum``: the parts add up (jobs created in a year = the twelve months);
    - ``last``: a snapshot, the last part's value (poor households at the end of the year =
      December's count);
    - ``ratio``: recomputed from the period's numerator and denominator (themselves aggregated
      over time by their own rule), never a mean of the parts' rates;
    - ``none``: not derived (an allowance level set once a year).

    The default follows the value type and the definition: ``ratio`` for rates (``percent``
    with numerator and denominator; ``none`` for a rate without them or another indicator that
    does not roll up), ``sum`` for flows, ``last`` for stocks.
    """

    SUM = "sum"
    LAST = "last"
    RATIO = "ratio"
    NONE = "none"


def default_time_aggregation(data: Mapping[str, object]) -> TimeAggregation:
    """The time aggregation of a definition that does not state one (see ``TimeAggregation``)."""
    aggregation = str(data.get("aggregation") or "")
    if aggregation == Aggregation.RATIO:
        return TimeAggregation.RATIO
    if aggregation == Aggregation.NONE or str(data.get("value_type")) == ValueType.PERCENT:
        return TimeAggregation.NONE
    if str(data.get("temporal") or Temporal.STOCK) == Temporal.FLOW:
        return TimeAggregation.SUM
    return TimeAggregation.LAST


class IndicatorDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Z0-9_.-]+$")
    name_vi: str = Field(min_length=1)
    name_en: str = ""
    measure_unit: str = Field(min_length=1, max_length=40, description="Đơn vị tính")
    value_type: ValueType
    period_kind: PeriodKind = Field(description="The finest period it is reported for")
    aggregation: Aggregation
    numerator: str | None = None
    denominator: str | None = None
    factor: Decimal = Decimal(100)
    direction: Direction = Direction.HIGHER_IS_BETTER
    temporal: Temporal = Temporal.STOCK
    time_aggregation: TimeAggregation = Field(
        TimeAggregation.NONE,
        description="How a longer period's value follows from its parts (default by type)",
    )
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    decimals: int = Field(2, ge=0, le=6, description="Decimals shown and kept for derived values")
    disaggregations: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Allowed breakdowns and their categories, e.g. {'sex': ['male', 'female']}",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_time_aggregation(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("time_aggregation") is None:
            return {**data, "time_aggregation": default_time_aggregation(data)}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        is_ratio = self.aggregation is Aggregation.RATIO
        if is_ratio != (self.numerator is not None and self.denominator is not None):
            raise ValueError("a ratio needs numerator and denominator, and only a ratio has them")
        if self.time_aggregation is TimeAggregation.RATIO and not is_ratio:
            raise ValueError("time_aggregation ratio needs a ratio with numerator and denominator")
        if self.time_aggregation is TimeAggregation.SUM and self.is_rate:
            raise ValueError("a rate does not add up over time (use ratio, last or none)")
        if self.min_value is not None and self.max_value is not None:
            if self.min_value > self.max_value:
                raise ValueError("min_value is above max_value")
        return self

    @property
    def is_rate(self) -> bool:
        return self.value_type is ValueType.PERCENT or self.measure_unit == PERCENT

    @property
    def change_unit(self) -> str:
        """Unit of a change between periods: percentage points for rates."""
        return PERCENTAGE_POINTS if self.is_rate else self.measure_unit


class Catalogue(BaseModel):
    """A set of definitions keyed by code, with references between them checked."""

    model_config = ConfigDict(frozen=True)

    definitions: dict[str, IndicatorDefinition]

    @classmethod
    def of(cls, definitions: Iterable[IndicatorDefinition]) -> Catalogue:
        by_code: dict[str, IndicatorDefinition] = {}
        for d in definitions:
            if d.code in by_code:
                raise ValueError(f"indicator defined twice: {d.code}")
            by_code[d.code] = d
        return cls(definitions=by_code)

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        for d in self.definitions.values():
            for ref in (d.numerator, d.denominator):
                if ref is None:
                    continue
                target = self.definitions.get(ref)
                if target is None:
                    raise ValueError(f"{d.code} refers to an unknown indicator {ref}")
                if target.aggregation is not Aggregation.SUM:
                    raise ValueError(f"{d.code}: numerator/denominator {ref} must be a sum")
                over_time = (TimeAggregation.SUM, TimeAggregation.LAST)
                if d.time_aggregation is TimeAggregation.RATIO:
                    if target.time_aggregation not in over_time:
                        raise ValueError(
                            f"{d.code}: numerator/denominator {ref} must aggregate over time"
                            " (sum or last)"
                        )
        return self

    def __getitem__(self, code: str) -> IndicatorDefinition:
        return self.definitions[code]

    def __contains__(self, code: object) -> bool:
        return code in self.definitions

    def get(self, code: str) -> IndicatorDefinition | None:
        return self.definitions.get(code)

    def __len__(self) -> int:
        return len(self.definitions)

    def codes(self) -> list[str]:
        return list(self.definitions)


def catalogue_from_data(data: Mapping[str, object]) -> Catalogue:
    """From ``{"indicators": [...]}`` as stored in the catalogue files."""
    items = data.get("indicators")
    if not isinstance(items, list):
        raise ValueError("catalogue data has no 'indicators' list")
    return Catalogue.of(IndicatorDefinition.model_validate(item) for item in items)


def load_catalogue(path: Path = CATALOGUE_DIR / "indicators.json") -> Catalogue:
    """The demo catalogue of the labour and social sector, or another catalogue file."""
    return catalogue_from_data(json.loads(path.read_text(encoding="utf-8")))
