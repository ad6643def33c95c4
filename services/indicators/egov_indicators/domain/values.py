"""Reported values and submissions, the domain's own types (the event contract maps onto them).

A value is identified within a unit and period by its indicator code and its disaggregation
(phân tổ), e.g. ``{"sex": "female"}``; the total has no disaggregation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from egov_indicators.domain.periods import Period

DisaggKey = tuple[tuple[str, str], ...]
"""A disaggregation in canonical form: sorted (category, option) pairs; ``()`` is the total."""

ValueKey = tuple[str, DisaggKey]
"""(indicator code, disaggregation) — one cell of a unit's report for a period."""


def disagg_key(disaggregation: Mapping[str, str] | None) -> DisaggKey:
    return tuple(sorted((disaggregation or {}).items()))


def format_disagg(key: DisaggKey) -> str:
    """``sex=female;area=rural`` — the form used in CSV files; empty for the total."""
    return ";".join(f"{k}={v}" for k, v in key)


def parse_disagg(text: str) -> DisaggKey:
    """The key of ``sex=female;area=rural`` (the inverse of :func:`format_disagg`)."""
    pairs = (part.split("=", 1) for part in text.split(";") if part)
    return tuple(sorted((k, v) for k, v in pairs))


@dataclass(frozen=True)
class ReportedValue:
    indicator_code: str
    value: Decimal
    disaggregation: DisaggKey = ()

    @property
    def key(self) -> ValueKey:
        return (self.indicator_code, self.disaggregation)

    @classmethod
    def of(
        cls,
        indicator_code: str,
        value: Decimal | int | str,
        disaggregation: Mapping[str, str] | None = None,
    ) -> ReportedValue:
        return cls(indicator_code, Decimal(value), disagg_key(disaggregation))


@dataclass(frozen=True)
class Submission:
    """One unit's report of indicator values for one period — accepted or rejected whole.

    ``replaces`` names an earlier submission this one corrects; after the period is locked only
    a correction with a ``reason`` is accepted.
    """

    submission_id: str
    unit_code: str
    period: Period
    values: tuple[ReportedValue, ...]
    submitted_by: str
    submitted_at: datetime
    replaces: str | None = None
    reason: str | None = None

    @property
    def is_correction(self) -> bool:
        return self.replaces is not None

    def by_key(self) -> dict[ValueKey, Decimal]:
        """Values by key; with a key reported twice the later one wins (validation flags it)."""
        return {v.key: v.value for v in self.values}


@dataclass(frozen=True)
class HistoricValue:
    """A value of an earlier period, for outlier checks and change vs the previous period."""

    indicator_code: str
    period: Period
    value: Decimal
    disaggregation: DisaggKey = ()


@dataclass(frozen=True)
class UnitValue:
    """A value of a unit and period as input to the roll-up."""

    indicator_code: str
    unit_code: str
    period: Period
    value: Decimal
    disaggregation: DisaggKey = ()

    @property
    def key(self) -> ValueKey:
        return (self.indicator_code, self.disaggregation)
