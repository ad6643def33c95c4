"""Validation of a submission, in the manner of DHIS2's validation rules.

Errors reject the whole submission (every violation is listed); warnings are stored with the
values. Built-in checks come from the definitions (unknown indicator, value type, period kind,
disaggregation, allowed range, disaggregated values adding up to the total); the rules are
data: ``required``, ``range``, ``compare`` (left operator right over ``#{CODE}`` expressions,
with a tolerance), and the history checks ``outlier`` (beyond k standard deviations) and
``jump`` (a change over X % from the previous period), which only ever warn.
"""

from __future__ import annotations

import json
import operator
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter

from egov_indicators.domain.definitions import (
    CATALOGUE_DIR,
    Aggregation,
    Catalogue,
    IndicatorDefinition,
    ValueType,
)
from egov_indicators.domain.expressions import Expression, MissingValue, Undefined
from egov_indicators.domain.periods import PeriodKind
from egov_indicators.domain.values import (
    DisaggKey,
    HistoricValue,
    Submission,
    ValueKey,
    format_disagg,
)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Violation:
    rule_id: str
    message_vi: str
    message_en: str
    indicator_code: str | None = None
    value: Decimal | None = None
    disaggregation: DisaggKey = ()
    severity: Severity = Severity.ERROR


@dataclass(frozen=True)
class ValidationResult:
    errors: tuple[Violation, ...] = ()
    warnings: tuple[Violation, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=80)
    message_vi: str = ""
    message_en: str = ""


class RequiredRule(_Rule):
    """These indicators must be in the submission (all of them, or none when
    ``when_any_present``), for submissions of the listed period kinds (all when empty)."""

    type: Literal["required"] = "required"
    indicators: list[str] = Field(min_length=1)
    period_kinds: list[PeriodKind] = Field(default_factory=list)
    when_any_present: bool = False


class RangeRule(_Rule):
    """A plausible range on top of the definition's allowed range (often a warning)."""

    type: Literal["range"] = "range"
    indicator: str
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    severity: Severity = Severity.WARNING


_OPERATORS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class CompareRule(_Rule):
    """``left operator right``, evaluated per disaggregation; skipped when a value is missing
    (DHIS2's default missing-value strategy) or a denominator is zero."""

    type: Literal["compare"] = "compare"
    left: str
    operator: Literal["<", "<=", "==", "!=", ">=", ">"]
    right: str
    tolerance: Decimal = Decimal(0)
    severity: Severity = Severity.ERROR
    _left: Expression = PrivateAttr()
    _right: Expression = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._left = Expression.parse(self.left)
        self._right = Expression.parse(self.right)

    @property
    def references(self) -> frozenset[str]:
        return self._left.references | self._right.references

    def holds(self, values: Mapping[str, Decimal]) -> tuple[bool, Decimal, Decimal] | None:
        """(holds, left, right), or None when it does not apply (missing value, zero divisor)."""
        try:
            left = self._left.evaluate(values)
            right = self._right.evaluate(values)
        except (MissingValue, Undefined):
            return None
        tol = self.tolerance
        match self.operator:
            case "==":
                ok = abs(left - right) <= tol
            case "!=":
                ok = abs(left - right) > tol
            case "<=" | "<":
                ok = _OPERATORS[self.operator](left - tol, right)
            case _:
                ok = _OPERATORS[self.operator](left + tol, right)
        return ok, left, right


class OutlierRule(_Rule):
    """Warn when a value lies beyond ``sigma`` standard deviations of the unit's earlier values
    of the same period kind (needs ``min_history`` of them)."""

    type: Literal["outlier"] = "outlier"
    sigma: Decimal = Decimal(3)
    min_history: int = Field(4, ge=2)
    indicators: list[str] = Field(default_factory=list, description="All when empty")


class JumpRule(_Rule):
    """Warn when a value changes by more than ``max_change_pct`` % from the previous period."""

    type: Literal["jump"] = "jump"
    max_change_pct: Decimal = Field(gt=0)
    indicators: list[str] = Field(default_factory=list, description="All when empty")


Rule = Annotated[
    RequiredRule | RangeRule | CompareRule | OutlierRule | JumpRule, Field(discriminator="type")
]
_RULES = TypeAdapter(list[Rule])


def rules_from_data(data: Mapping[str, object], catalogue: Catalogue | None = None) -> list[Rule]:
    """Rules from ``{"rules": [...]}``; with a catalogue, every referenced code must exist."""
    rules = _RULES.validate_python(data.get("rules"))
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError("rule ids must be unique")
    if catalogue is not None:
        for rule in rules:
            unknown = sorted(c for c in _codes(rule) if c not in catalogue)
            if unknown:
                raise ValueError(f"rule {rule.id} refers to unknown indicators {unknown}")
    return rules


def load_rules(
    path: Path = CATALOGUE_DIR / "rules.json", catalogue: Catalogue | None = None
) -> list[Rule]:
    return rules_from_data(json.loads(path.read_text(encoding="utf-8")), catalogue)


def _codes(rule: Rule) -> set[str]:
    match rule:
        case RequiredRule():
            return set(rule.indicators)
        case RangeRule():
            return {rule.indicator}
        case CompareRule():
            return set(rule.references)
        case OutlierRule() | JumpRule():
            return set(rule.indicators)


def validate(
    submission: Submission,
    definitions: Catalogue,
    rules: Sequence[Rule] = (),
    history: Iterable[HistoricValue] = (),
    current: Mapping[ValueKey, Decimal] | None = None,
) -> ValidationResult:
    """Every violation of the submission; accept it only when ``result.ok``.

    ``current`` holds the values already recorded for the unit and period: the report-wide
    rules (required, compare, breakdown totals) judge the report as it would be after this
    submission, so a correction may send only the values it changes. A compare rule is only
    judged where the submission touches one of its indicators.
    """
    found: list[Violation] = []
    known: dict[ValueKey, Decimal] = {}
    for v in submission.values:
        d = definitions.get(v.indicator_code)
        if d is None:
            found.append(
                _v(
                    "unknown-indicator",
                    f"Chỉ tiêu {v.indicator_code} không có trong danh mục",
                    f"Indicator {v.indicator_code} is not in the catalogue",
                    v.indicator_code,
                    v.value,
                    v.disaggregation,
                )
            )
            continue
        if v.key in known:
            found.append(
                _v(
                    "duplicate-value",
                    f"Chỉ tiêu {d.code} {_where(v.disaggregation)} được báo cáo nhiều lần",
                    f"Indicator {d.code} {_where_en(v.disaggregation)} is reported more than once",
                    d.code,
                    v.value,
                    v.disaggregation,
                )
            )
        known[v.key] = v.value
        found.extend(_check_value(d, v.value, v.disaggregation, submission))
    merged = {**(current or {}), **known}
    found.extend(_check_totals(merged, definitions, set(known)))

    present = {code for code, _ in merged}
    groups: dict[DisaggKey, dict[str, Decimal]] = defaultdict(dict)
    for (code, dis), value in merged.items():
        groups[dis][code] = value
    touched: dict[DisaggKey, set[str]] = defaultdict(set)
    for code, dis in known:
        touched[dis].add(code)
    past = list(history)
    for rule in rules:
        match rule:
            case RequiredRule():
                found.extend(_required(rule, present, submission))
            case RangeRule():
                for (code, dis), value in known.items():
                    if code == rule.indicator:
                        found.extend(_range(rule, value, dis))
            case CompareRule():
                for dis, values in sorted(groups.items()):
                    if rule.references & touched[dis]:
                        found.extend(_compare(rule, values, dis, definitions))
            case OutlierRule():
                found.extend(_outliers(rule, known, past, submission))
            case JumpRule():
                found.extend(_jumps(rule, known, past, submission))
    return ValidationResult(
        errors=tuple(f for f in found if f.severity is Severity.ERROR),
        warnings=tuple(f for f in found if f.severity is Severity.WARNING),
    )


def _v(
    rule_id: str,
    vi: str,
    en: str,
    code: str | None = None,
    value: Decimal | None = None,
    dis: DisaggKey = (),
    severity: Severity = Severity.ERROR,
) -> Violation:
    return Violation(rule_id, vi, en, code, value, dis, severity)


def _where(dis: DisaggKey) -> str:
    return f"(phân tổ {format_disagg(dis)})" if dis else "(tổng số)"


def _where_en(dis: DisaggKey) -> str:
    return f"({format_disagg(dis)})" if dis else "(total)"


def _check_value(
    d: IndicatorDefinition, value: Decimal, dis: DisaggKey, submission: Submission
) -> list[Violation]:
    out: list[Violation] = []
    if not value.is_finite():
        return [
            _v("value-type", f"{d.code}: giá trị không hợp lệ", f"{d.code}: not a number", d.code)
        ]
    if d.value_type is ValueType.INTEGER and value != value.to_integral_value():
        out.append(
            _v(
                "value-type",
                f"{d.code}: phải là số nguyên, nhận được {value}",
                f"{d.code}: must be a whole number, got {value}",
                d.code,
                value,
                dis,
            )
        )
    if submission.period.kind.finer_than(d.period_kind):
        out.append(
            _v(
                "period-kind",
                f"{d.code}: báo cáo theo kỳ {d.period_kind}, không theo kỳ {submission.period}",
                f"{d.code}: reported per {d.period_kind}, not for {submission.period}",
                d.code,
                value,
                dis,
            )
        )
    for category, option in dis:
        allowed = d.disaggregations.get(category)
        if allowed is None or option not in allowed:
            out.append(
                _v(
                    "disaggregation",
                    f"{d.code}: phân tổ {category}={option} không hợp lệ",
                    f"{d.code}: disaggregation {category}={option} is not allowed",
                    d.code,
                    value,
                    dis,
                )
            )
    if d.min_value is not None and value < d.min_value:
        out.append(
            _v(
                "range",
                f"{d.code}: giá trị {value} nhỏ hơn mức tối thiểu {d.min_value}",
                f"{d.code}: value {value} is below the minimum {d.min_value}",
                d.code,
                value,
                dis,
            )
        )
    if d.max_value is not None and value > d.max_value:
        out.append(
            _v(
                "range",
                f"{d.code}: giá trị {value} lớn hơn mức tối đa {d.max_value}",
                f"{d.code}: value {value} is above the maximum {d.max_value}",
                d.code,
                value,
                dis,
            )
        )
    return out


def _check_totals(
    known: Mapping[ValueKey, Decimal], definitions: Catalogue, touched: set[ValueKey]
) -> list[Violation]:
    """For sums: when the total and every option of one category are reported, they add up."""
    out: list[Violation] = []
    for (code, dis), total in sorted(known.items()):
        d = definitions.get(code)
        if dis or d is None or d.aggregation is not Aggregation.SUM:
            continue
        if not any(c == code for c, _ in touched):
            continue
        for category, options in sorted(d.disaggregations.items()):
            parts = [known.get((code, ((category, o),))) for o in options]
            if any(p is None for p in parts):
                continue
            parts_sum = sum((p for p in parts if p is not None), Decimal(0))
            if parts_sum != total:
                out.append(
                    _v(
                        "disaggregation-total",
                        f"{code}: tổng các phân tổ {category} ({parts_sum}) khác tổng số ({total})",
                        f"{code}: the {category} breakdown adds up to {parts_sum}, not {total}",
                        code,
                        total,
                    )
                )
    return out


def _message(rule: _Rule, vi: str, en: str) -> tuple[str, str]:
    return (f"{rule.message_vi} — {vi}" if rule.message_vi else vi), (
        f"{rule.message_en} — {en}" if rule.message_en else en
    )


def _required(rule: RequiredRule, present: set[str], submission: Submission) -> list[Violation]:
    if rule.period_kinds and submission.period.kind not in rule.period_kinds:
        return []
    if rule.when_any_present and not present.intersection(rule.indicators):
        return []
    out = []
    for code in rule.indicators:
        if code not in present:
            vi, en = _message(rule, f"thiếu chỉ tiêu {code}", f"{code} is missing")
            out.append(_v(rule.id, vi, en, code))
    return out


def _range(rule: RangeRule, value: Decimal, dis: DisaggKey) -> list[Violation]:
    low = rule.min_value is not None and value < rule.min_value
    high = rule.max_value is not None and value > rule.max_value
    if not (low or high):
        return []
    vi, en = _message(
        rule,
        f"{rule.indicator} = {value} ngoài khoảng [{rule.min_value}, {rule.max_value}]",
        f"{rule.indicator} = {value} outside [{rule.min_value}, {rule.max_value}]",
    )
    return [_v(rule.id, vi, en, rule.indicator, value, dis, rule.severity)]


_REFERENCE = re.compile(r"#\{([^}]+)\}")


def readable(expression: str, definitions: Catalogue, english: bool = False) -> str:
    """A rule's expression as people read it: ``#{LD_CO_BANG_CC}`` becomes the indicator's
    name with its code, ``Lao động có bằng, chứng chỉ (LD_CO_BANG_CC)``."""

    def name(m: re.Match[str]) -> str:
        d = definitions.get(m.group(1))
        label = (d.name_en or d.name_vi) if d is not None and english else (d and d.name_vi)
        return f"{label} ({m.group(1)})" if label else m.group(1)

    return _REFERENCE.sub(name, expression)


def _compare(
    rule: CompareRule, values: Mapping[str, Decimal], dis: DisaggKey, definitions: Catalogue
) -> list[Violation]:
    outcome = rule.holds(values)
    if outcome is None or outcome[0]:
        return []
    _, left, right = outcome

    def detail(english: bool) -> str:
        lhs, rhs = (readable(e, definitions, english) for e in (rule.left, rule.right))
        return f"{lhs} = {_fmt(left)}, {rhs} = {_fmt(right)}"

    vi, en = _message(rule, f"{_where(dis)} {detail(False)}", f"{_where_en(dis)} {detail(True)}")
    first = min(rule._left.references) if rule._left.references else None
    return [_v(rule.id, vi, en, first, values.get(first) if first else None, dis, rule.severity)]


def _fmt(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.0001')).normalize():f}"


def _applies(rule: OutlierRule | JumpRule, code: str) -> bool:
    return not rule.indicators or code in rule.indicators


def _outliers(
    rule: OutlierRule,
    known: Mapping[ValueKey, Decimal],
    past: Sequence[HistoricValue],
    submission: Submission,
) -> list[Violation]:
    out = []
    kind = submission.period.kind
    for (code, dis), value in sorted(known.items()):
        if not _applies(rule, code):
            continue
        series = [
            h.value
            for h in past
            if h.indicator_code == code
            and h.disaggregation == dis
            and h.period.kind is kind
            and h.period < submission.period
        ]
        if len(series) < rule.min_history:
            continue
        mean = statistics.mean(series)
        sd = statistics.stdev(series)
        deviation = abs(value - mean)
        if (sd == 0 and deviation > 0) or (sd > 0 and deviation > rule.sigma * sd):
            m, s = _fmt(mean), _fmt(sd)
            detail_vi = f"{code} = {value}, trung bình {m}, độ lệch chuẩn {s}"
            detail_en = f"{code} = {value}, mean {m}, standard deviation {s}"
            vi, en = _message(rule, detail_vi, detail_en)
            out.append(_v(rule.id, vi, en, code, value, dis, Severity.WARNING))
    return out


def _jumps(
    rule: JumpRule,
    known: Mapping[ValueKey, Decimal],
    past: Sequence[HistoricValue],
    submission: Submission,
) -> list[Violation]:
    out = []
    previous = submission.period.previous()
    before = {(h.indicator_code, h.disaggregation): h.value for h in past if h.period == previous}
    for (code, dis), value in sorted(known.items()):
        last = before.get((code, dis))
        if last is None or last == 0 or not _applies(rule, code):
            continue
        change_pct = abs(value - last) / abs(last) * 100
        if change_pct > rule.max_change_pct:
            vi, en = _message(
                rule,
                f"{code}: {last} ({previous}) → {value}, thay đổi {_fmt(change_pct)}%",
                f"{code}: {last} ({previous}) → {value}, a change of {_fmt(change_pct)}%",
            )
            out.append(_v(rule.id, vi, en, code, value, dis, Severity.WARNING))
    return out


__all__ = [
    "CompareRule",
    "JumpRule",
    "OutlierRule",
    "RangeRule",
    "RequiredRule",
    "Rule",
    "Severity",
    "ValidationResult",
    "Violation",
    "load_rules",
    "rules_from_data",
    "validate",
]
