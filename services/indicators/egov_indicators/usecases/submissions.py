"""A submission arrives (Kafka, HTTP or a CSV file): accepted or rejected whole, recorded with
its history and events, then the periods it touched are rolled up and evaluated."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from egov_contracts import indicators as c
from egov_contracts.envelope import VN_TZ, CloudEvent, new_event
from egov_runtime.consumer import Tx

from egov_indicators.adapters import store
from egov_indicators.domain import (
    Decision,
    Hierarchy,
    HistoricValue,
    Outcome,
    Period,
    PeriodError,
    ReportedValue,
    Submission,
    ValidationResult,
    Violation,
    decide_submission,
    format_disagg,
    validate,
)
from egov_indicators.usecases.common import (
    RESULTS,
    Context,
    RuleBook,
    indicator_name,
    load_hierarchy,
    load_rulebook,
    parse_disagg,
    period_state,
)
from egov_indicators.usecases.rollup import refresh_period


def violation_json(v: Violation) -> dict[str, Any]:
    return {
        "rule": v.rule_id,
        "indicator_code": v.indicator_code,
        "value": None if v.value is None else format(v.value, "f"),
        "disaggregation": format_disagg(v.disaggregation) or None,
        "severity": v.severity.value,
        "message": v.message_vi,
        "message_en": v.message_en,
    }


@dataclass(frozen=True)
class Incoming:
    """A submission as received, from any entrypoint."""

    data: c.SubmissionReceived
    cause: CloudEvent
    channel: str
    reason: str | None = None


@dataclass
class SubmissionResult:
    outcome: str  # accepted | rejected | duplicate | conflict
    submission_id: str
    unit_code: str
    period: str
    violations: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    earlier_outcome: str | None = None

    def json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": self.outcome,
            "submission_id": self.submission_id,
            "unit_code": self.unit_code,
            "period": self.period,
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "warnings": self.warnings,
        }
        if self.violations:
            body["violations"] = self.violations
        if self.earlier_outcome:
            body["earlier_outcome"] = self.earlier_outcome
        return body


def content_hash(data: c.SubmissionReceived, reason: str | None) -> str:
    content = data.model_dump(mode="json", exclude={"submitted_at"})
    content["reason"] = reason
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def submission_of(item: Incoming) -> Submission:
    d = item.data
    return Submission(
        submission_id=d.submission_id,
        unit_code=d.unit_code,
        period=Period.parse(d.period),
        values=tuple(
            ReportedValue.of(v.indicator_code, v.value, v.disaggregation) for v in d.values
        ),
        submitted_by=d.submitted_by,
        submitted_at=d.submitted_at,
        replaces=d.replaces,
        reason=item.reason,
    )


def unit_violations(hierarchy: Hierarchy, unit_code: str, period: Period) -> list[Violation]:
    """The reporting unit must be known and in existence during (part of) the period."""
    unit = hierarchy.get(unit_code)
    if unit is None:
        return [
            Violation(
                "unknown-unit",
                f"Đơn vị {unit_code} không có trong danh mục đơn vị hành chính",
                f"Unit {unit_code} is not in the admin-unit reference data",
            )
        ]
    starts_late = unit.valid_from is not None and unit.valid_from > period.end
    ended = unit.valid_to is not None and unit.valid_to < period.start
    if starts_late or ended:
        return [
            Violation(
                "unit-not-valid-in-period",
                f"Đơn vị {unit_code} không tồn tại trong kỳ {period}"
                f" (hiệu lực {unit.valid_from} – {unit.valid_to or '…'})",
                f"Unit {unit_code} did not exist during {period}"
                f" (valid {unit.valid_from} – {unit.valid_to or '…'})",
            )
        ]
    return []


async def _history(tx: Tx, unit: str, period: Period, codes: Iterable[str]) -> list[HistoricValue]:
    out = []
    for r in await store.unit_history(tx.conn, unit, sorted(set(codes))):
        try:
            p = Period.parse(r["period"])
        except PeriodError:
            continue
        if p != period:
            out.append(
                HistoricValue(r["indicator_code"], p, r["value"], parse_disagg(r["disaggregation"]))
            )
    return out


@dataclass
class _Batch:
    """What a batch of submissions changed, to roll up and evaluate once per period."""

    touched: dict[Period, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    causes: dict[Period, CloudEvent] = field(default_factory=dict)


async def handle_submissions(
    tx: Tx, ctx: Context, items: Sequence[Incoming], now: datetime | None = None
) -> list[SubmissionResult]:
    """Decide each submission (accepted or rejected whole), record it, then roll up and evaluate
    the targets of every period it touched and of the longer periods those are part of (a
    month's quarter, half-year and year, derived over time). A submission id seen before
    changes nothing."""
    now = now or datetime.now(VN_TZ)
    periods = []
    for item in items:
        periods.append(item.data.period)
        try:
            periods.extend(str(p) for p in Period.parse(item.data.period).enclosing())
        except PeriodError:
            pass  # rejected by validation
    await store.lock_periods(tx.conn, periods)
    book = await load_rulebook(tx)
    hierarchy = await load_hierarchy(tx)
    batch = _Batch()
    results = [await _decide(tx, ctx, book, hierarchy, item, batch, now) for item in items]
    for period in list(batch.touched):
        for longer in period.enclosing():  # the quarter, half-year and year it is part of
            batch.touched.setdefault(longer, set())
            batch.causes.setdefault(longer, batch.causes[period])
    for period in sorted(batch.touched, key=lambda p: (p.start, p.kind.months)):
        await refresh_period(
            tx, ctx, book, hierarchy, period, batch.touched[period], batch.causes[period], now
        )
    return results


async def _decide(
    tx: Tx,
    ctx: Context,
    book: RuleBook,
    hierarchy: Hierarchy,
    item: Incoming,
    batch: _Batch,
    now: datetime,
) -> SubmissionResult:
    d = item.data
    digest = content_hash(d, item.reason)
    result = SubmissionResult("accepted", d.submission_id, d.unit_code, d.period)
    earlier = await store.get_submission(tx.conn, d.submission_id)
    if earlier is not None:
        result.outcome = "duplicate" if earlier["payload_hash"] == digest else "conflict"
        result.earlier_outcome = earlier["status"]
        result.violations = list(earlier["violations"])
        return result

    sub = submission_of(item)
    period = sub.period
    state = await period_state(tx, sub.unit_code, period)
    history = await _history(tx, sub.unit_code, period, (v.indicator_code for v in sub.values))
    validation = validate(sub, book.catalogue, book.rules, history, state.current_values())
    extra = unit_violations(hierarchy, sub.unit_code, period)
    if extra:
        validation = ValidationResult(tuple(extra) + validation.errors, validation.warnings)
    decision = decide_submission(state, sub, validation)
    result.warnings = [violation_json(w) for w in decision.warnings]
    row = {
        "submission_id": sub.submission_id,
        "unit_code": sub.unit_code,
        "period": str(period),
        "submitted_by": sub.submitted_by,
        "submitted_at": sub.submitted_at,
        "replaces": sub.replaces,
        "reason": item.reason,
        "channel": item.channel,
        "payload_hash": digest,
        "payload": d.model_dump(mode="json"),
        "warnings": result.warnings,
        "event_id": item.cause.id,
    }
    subject = f"{sub.unit_code}/{period}"
    if decision.outcome is Outcome.REJECTED:
        result.outcome = "rejected"
        result.violations = [violation_json(v) for v in decision.violations]
        await store.insert_submission(
            tx.conn, {**row, "status": "rejected", "violations": result.violations}
        )
        rejected = c.SubmissionRejected(
            submission_id=sub.submission_id,
            unit_code=sub.unit_code,
            period=str(period),
            replaces=sub.replaces,
            rejected_at=now,
            violations=[
                c.RuleViolation(
                    indicator_code=v.indicator_code,
                    indicator_name=indicator_name(book, v.indicator_code),
                    value=v.value,
                    rule=v.rule_id,
                    message=v.message_vi[:2000],
                )
                for v in decision.violations
            ],
        )
        await tx.emit(
            RESULTS, [new_event(rejected, source=ctx.source, subject=subject, cause=item.cause)]
        )
        return result

    await store.insert_submission(tx.conn, {**row, "status": "accepted"})
    await _record(tx, ctx, book, sub, decision, item, now)
    result.imported = sum(1 for ch in decision.changes if ch.old is None)
    result.updated = len(decision.changes) - result.imported
    result.unchanged = len(decision.unchanged)
    touched = batch.touched[period]
    touched.update((ch.indicator_code, sub.unit_code) for ch in decision.changes)
    batch.causes[period] = item.cause
    return result


async def _record(
    tx: Tx,
    ctx: Context,
    book: RuleBook,
    sub: Submission,
    decision: Decision,
    item: Incoming,
    now: datetime,
) -> None:
    period = str(sub.period)
    values, history, events = [], [], []
    accepted = c.SubmissionAccepted(
        submission_id=sub.submission_id,
        unit_code=sub.unit_code,
        period=period,
        replaces=sub.replaces,
        accepted_at=now,
        value_count=len(sub.values),
    )
    events.append(
        new_event(
            accepted, source=ctx.source, subject=f"{sub.unit_code}/{period}", cause=item.cause
        )
    )
    for ch in decision.changes:
        rv = decision.state.values[(ch.indicator_code, ch.disaggregation)]
        dis = format_disagg(ch.disaggregation)
        cell = {
            "unit_code": sub.unit_code,
            "period": period,
            "indicator_code": ch.indicator_code,
            "disaggregation": dis,
        }
        values.append(
            {
                **cell,
                "value": ch.new,
                "submission_id": sub.submission_id,
                "recorded_by": sub.submitted_by,
                "recorded_at": sub.submitted_at,
                "revision": ch.revision,
                "warnings": list(rv.warnings),
            }
        )
        history.append(
            {
                **cell,
                "old_value": ch.old,
                "new_value": ch.new,
                "revision": ch.revision,
                "submission_id": sub.submission_id,
                "replaces": sub.replaces,
                "reason": sub.reason,
                "changed_by": sub.submitted_by,
                "changed_at": sub.submitted_at,
            }
        )
        definition = book.catalogue[ch.indicator_code]
        recorded = c.ValueRecorded(
            indicator_code=ch.indicator_code,
            unit_code=sub.unit_code,
            period=period,
            value=ch.new,
            measure_unit=definition.measure_unit,
            derived=False,
            disaggregation=dict(ch.disaggregation) or None,
            submission_id=sub.submission_id,
            recorded_at=now,
            revision=ch.revision,
        )
        subject = f"{ch.indicator_code}/{sub.unit_code}/{period}"
        events.append(new_event(recorded, source=ctx.source, subject=subject, cause=item.cause))
    await store.upsert_values(tx.conn, values)
    await store.insert_history(tx.conn, history)
    await tx.emit(RESULTS, events)
