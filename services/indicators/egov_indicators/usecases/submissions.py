"""A submission arrives (Kafka, HTTP or a CSV file): accepted or rejected whole, recorded with
its history and events, then the periods it touched are rolled up and evaluated."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from egov_contracts import indicators as c
from egov_contracts.envelope import CloudEvent
from egov_runtime.consumer import Tx

from egov_indicators.domain import (
    Decision,
    Hierarchy,
    Outcome,
    Period,
    PeriodError,
    ReportedValue,
    Submission,
    ValidationResult,
    Violation,
    decide_submission,
    validate,
)
from egov_indicators.domain.records import RuleBook, SubmissionRecord, violation_json
from egov_indicators.usecases.common import (
    Context,
    Work,
    indicator_name,
    load_hierarchy,
    load_rulebook,
)
from egov_indicators.usecases.rollup import refresh_period


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


@dataclass
class _Batch:
    """What a batch of submissions changed, to roll up and evaluate once per period."""

    touched: dict[Period, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    causes: dict[Period, CloudEvent] = field(default_factory=dict)


async def handle_submissions(
    w: Work, ctx: Context, items: Sequence[Incoming], now: datetime | None = None
) -> list[SubmissionResult]:
    """Decide each submission (accepted or rejected whole), record it, then roll up and evaluate
    the targets of every period it touched and of the longer periods those are part of (a
    month's quarter, half-year and year, derived over time). A submission id seen before
    changes nothing."""
    now = now or ctx.clock()
    periods = []
    for item in items:
        periods.append(item.data.period)
        try:
            periods.extend(str(p) for p in Period.parse(item.data.period).enclosing())
        except PeriodError:
            pass  # rejected by validation
    await w.periods.serialise(periods)
    book = await load_rulebook(w)
    hierarchy = await load_hierarchy(w)
    batch = _Batch()
    results = [await _decide(w, ctx, book, hierarchy, item, batch, now) for item in items]
    for period in list(batch.touched):
        for longer in period.enclosing():  # the quarter, half-year and year it is part of
            batch.touched.setdefault(longer, set())
            batch.causes.setdefault(longer, batch.causes[period])
    for period in sorted(batch.touched, key=lambda p: (p.start, p.kind.months)):
        await refresh_period(
            w, ctx, book, hierarchy, period, batch.touched[period], batch.causes[period], now
        )
    return results


async def _decide(
    w: Work,
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
    earlier = await w.submissions.get(d.submission_id)
    if earlier is not None:
        result.outcome = "duplicate" if earlier.payload_hash == digest else "conflict"
        result.earlier_outcome = earlier.status
        result.violations = [violation_json(v) for v in earlier.violations]
        return result

    sub = submission_of(item)
    period = sub.period
    state = await w.periods.state(sub.unit_code, period)
    codes = {v.indicator_code for v in sub.values}
    history = [h for h in await w.periods.history(sub.unit_code, codes) if h.period != period]
    validation = validate(sub, book.catalogue, book.rules, history, state.current_values())
    extra = unit_violations(hierarchy, sub.unit_code, period)
    if extra:
        validation = ValidationResult(tuple(extra) + validation.errors, validation.warnings)
    decision = decide_submission(state, sub, validation)
    result.warnings = [violation_json(v) for v in decision.warnings]
    record = SubmissionRecord(
        received=d,
        status="accepted",
        channel=item.channel,
        payload_hash=digest,
        event_id=item.cause.id,
        reason=item.reason,
        warnings=decision.warnings,
    )
    subject = f"{sub.unit_code}/{period}"
    if decision.outcome is Outcome.REJECTED:
        result.outcome = "rejected"
        result.violations = [violation_json(v) for v in decision.violations]
        await w.submissions.add(replace(record, status="rejected", violations=decision.violations))
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
        await w.tx.publish(rejected, subject=subject, cause=item.cause)
        return result

    await w.submissions.add(record)
    await w.periods.record(sub, decision)
    await w.tx.publish_all(_accepted_events(w.tx, book, sub, decision, item, now))
    result.imported = sum(1 for ch in decision.changes if ch.old is None)
    result.updated = len(decision.changes) - result.imported
    result.unchanged = len(decision.unchanged)
    touched = batch.touched[period]
    touched.update((ch.indicator_code, sub.unit_code) for ch in decision.changes)
    batch.causes[period] = item.cause
    return result


def _accepted_events(
    tx: Tx,
    book: RuleBook,
    sub: Submission,
    decision: Decision,
    item: Incoming,
    now: datetime,
) -> list[CloudEvent]:
    """``submission.accepted.v1`` and a ``value.recorded.v1`` for each value it changed."""
    period = str(sub.period)
    accepted = c.SubmissionAccepted(
        submission_id=sub.submission_id,
        unit_code=sub.unit_code,
        period=period,
        replaces=sub.replaces,
        accepted_at=now,
        value_count=len(sub.values),
    )
    events = [tx.event(accepted, subject=f"{sub.unit_code}/{period}", cause=item.cause)]
    for ch in decision.changes:
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
        events.append(tx.event(recorded, subject=subject, cause=item.cause))
    return events
