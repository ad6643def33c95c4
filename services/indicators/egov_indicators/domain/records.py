"""What indicators keeps of its write paths, as domain values: the rule book in force, a
submission as received and decided, a derived value with its revision, a target of the plan, a
range target of a plan period and a reporting notice sent. The repositories
(:mod:`egov_indicators.domain.repositories`) load and save these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from egov_contracts import indicators as c

from egov_indicators.domain.definitions import Catalogue
from egov_indicators.domain.hierarchy import DerivedValue
from egov_indicators.domain.periods import Period
from egov_indicators.domain.validation import Rule, Severity, Violation
from egov_indicators.domain.values import format_disagg, parse_disagg


@dataclass(frozen=True)
class RuleBook:
    """The indicator definitions and validation rules in force."""

    catalogue: Catalogue
    rules: list[Rule] = field(default_factory=list)


@dataclass(frozen=True)
class SubmissionRecord:
    """A submission as received (``received``, whatever its channel) and decided: accepted or
    rejected whole, with the violations and warnings it was told. ``period`` is the text as
    received (a rejected submission may name no valid period)."""

    received: c.SubmissionReceived
    status: str  # accepted | rejected
    channel: str
    payload_hash: str
    event_id: str
    reason: str | None = None
    violations: tuple[Violation, ...] = ()
    warnings: tuple[Violation, ...] = ()

    @property
    def submission_id(self) -> str:
        return self.received.submission_id

    @property
    def unit_code(self) -> str:
        return self.received.unit_code

    @property
    def period(self) -> str:
        return self.received.period


def violation_json(v: Violation) -> dict[str, Any]:
    """A violation as the API answers it and a submission keeps it."""
    return {
        "rule": v.rule_id,
        "indicator_code": v.indicator_code,
        "value": None if v.value is None else format(v.value, "f"),
        "disaggregation": format_disagg(v.disaggregation) or None,
        "severity": v.severity.value,
        "message": v.message_vi,
        "message_en": v.message_en,
    }


def violation_of(data: Mapping[str, Any]) -> Violation:
    """The violation :func:`violation_json` wrote."""
    value = data.get("value")
    return Violation(
        data["rule"],
        data["message"],
        data.get("message_en") or "",
        indicator_code=data.get("indicator_code"),
        value=None if value is None else Decimal(value),
        disaggregation=parse_disagg(data.get("disaggregation") or ""),
        severity=Severity(data.get("severity") or Severity.ERROR.value),
    )


@dataclass(frozen=True)
class KeptDerived:
    """A derived value as kept, with its revision (bumped when the value changes)."""

    value: DerivedValue
    revision: int = 1


@dataclass(frozen=True)
class Target:
    """A target of the plan: an indicator's value for a unit and period."""

    indicator_code: str
    unit_code: str
    period: Period
    target: Decimal
    note: str = ""
    set_by: str = ""


# The last evaluation published for a target, as ``target.evaluated.v1`` said it in JSON
# (compared field by field with the next one to decide whether it is news).
EvaluationSnapshot = Mapping[str, Any]


@dataclass(frozen=True)
class PlanTarget:
    """A range target of a multi-year plan period (``2016-2020``) on the period's value or its
    average per year."""

    indicator_code: str
    unit_code: str
    plan_period: str
    basis: str  # period | yearly-average
    target_low: Decimal
    target_high: Decimal
    note: str = ""
    set_by: str = ""


@dataclass(frozen=True)
class NoticeSent:
    """A reporting reminder (``due-soon``) or notice (``overdue``) sent to a unit for a
    period, with the event that carried it."""

    data_set: str
    unit_code: str
    period: str
    kind: str
    due_date: date
    sent_at: datetime
    event_id: str
