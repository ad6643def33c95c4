"""Use cases of indicators: a submission arrives (Kafka or HTTP or a CSV file), a target is set,
the level above approves a period; plus the read models the API shows.

Each write runs inside the caller's transaction (``Tx``): values, history, derived values,
evaluations and the outbound events (outbox) commit together. Work on a period is serialised by
an advisory lock on the period, so the roll-up of one period never races with itself.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from egov_contracts import indicators as c
from egov_contracts.envelope import VN_TZ, CloudEvent, new_event
from egov_contracts.topics import INDICATOR_RESULTS
from egov_runtime import units
from egov_runtime.consumer import Tx
from egov_runtime.refusals import Invalid, NotFound

from egov_indicators.adapters import store
from egov_indicators.domain import (
    Catalogue,
    Decision,
    DerivedValue,
    DisaggKey,
    Evaluation,
    Hierarchy,
    HistoricValue,
    Lock,
    Outcome,
    Period,
    PeriodError,
    PeriodState,
    RecordedValue,
    ReportedValue,
    Rule,
    SeasonalProfile,
    Submission,
    UnitValue,
    ValidationResult,
    Violation,
    aggregate_over_time,
    catalogue_from_data,
    decide_submission,
    due_for_reevaluation,
    evaluate,
    format_disagg,
    import_csv,
    load_seasonal_profiles,
    lock_period,
    roll_up,
    rules_from_data,
    validate,
)
from egov_indicators.domain.definitions import CATALOGUE_DIR, IndicatorDefinition
from egov_indicators.domain.periods import PeriodKind
from egov_indicators.domain.plan_periods import (
    PlanPeriod,
    PlanValue,
    PlanValueUnavailable,
    RangeTarget,
    evaluate_range,
    plan_value,
    ratio_pct,
)
from egov_indicators.domain.reporting import (
    DataSet,
    NoticeKind,
    ReportingRate,
    notices_due,
    periods_to_watch,
    reporting_rates,
)
from egov_indicators.domain.year_to_date import judge_year_to_date, year_to_date

RESULTS = INDICATOR_RESULTS.name


@dataclass
class Context:
    """What the use cases need besides the transaction."""

    source: str
    profiles: dict[str, SeasonalProfile] = field(default_factory=load_seasonal_profiles)


def today() -> date:
    return datetime.now(VN_TZ).date()


def _indicator_name(book: Any, code: str | None) -> str | None:
    d = book.catalogue.get(code) if code else None
    return d.name_vi if d is not None else None


# -- catalogue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleBook:
    catalogue: Catalogue
    rules: list[Rule]


def bundled_catalogue() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    defs = json.loads((CATALOGUE_DIR / "indicators.json").read_text(encoding="utf-8"))
    rules = json.loads((CATALOGUE_DIR / "rules.json").read_text(encoding="utf-8"))
    return defs["indicators"], rules["rules"]


async def load_rulebook(tx: Tx) -> RuleBook:
    """The definitions and rules in force; the bundled demo catalogue fills an empty store."""
    defs = await store.definitions(tx.conn)
    if not defs:
        await store.install_catalogue(tx.conn, *bundled_catalogue())
        defs = await store.definitions(tx.conn)
    catalogue = catalogue_from_data({"indicators": [r["definition"] for r in defs]})
    rule_rows = await store.rules(tx.conn)
    rules = rules_from_data({"rules": [r["rule"] for r in rule_rows]}, catalogue)
    return RuleBook(catalogue, rules)


async def load_hierarchy(tx: Tx) -> Hierarchy:
    return await units.load_hierarchy(tx.conn)


async def put_definition(tx: Tx, definition: dict[str, Any], by: str) -> RuleBook:
    """Add or change a definition; the whole catalogue and every rule must still hold."""
    book = await load_rulebook(tx)
    defs = {**{d.code: d.model_dump(mode="json") for d in book.catalogue.definitions.values()}}
    defs[definition["code"]] = definition
    catalogue = catalogue_from_data({"indicators": list(defs.values())})
    rules_from_data({"rules": [r.model_dump(mode="json") for r in book.rules]}, catalogue)
    stored = catalogue[definition["code"]].model_dump(mode="json")
    await store.put_definition(tx.conn, definition["code"], stored, by)
    return await load_rulebook(tx)


async def put_rule(tx: Tx, rule: dict[str, Any], by: str) -> dict[str, Any]:
    book = await load_rulebook(tx)
    others = [r.model_dump(mode="json") for r in book.rules if r.id != rule.get("id")]
    checked = rules_from_data({"rules": [*others, rule]}, book.catalogue)[-1]
    stored = checked.model_dump(mode="json")
    await store.put_rule(tx.conn, checked.id, stored, by)
    return stored


# -- submissions ------------------------------------------------------------------------------


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


def parse_disagg(text: str) -> DisaggKey:
    pairs = (part.split("=", 1) for part in text.split(";") if part)
    return tuple(sorted((k, v) for k, v in pairs))


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


async def _period_state(tx: Tx, unit: str, period: Period) -> PeriodState:
    rows = await store.cell_values(tx.conn, unit, str(period))
    values = {}
    for r in rows:
        rv = RecordedValue(
            indicator_code=r["indicator_code"],
            value=r["value"],
            submission_id=r["submission_id"],
            recorded_by=r["recorded_by"],
            recorded_at=r["recorded_at"],
            disaggregation=parse_disagg(r["disaggregation"]),
            revision=r["revision"],
            warnings=tuple(r["warnings"]),
        )
        values[rv.key] = rv
    lock = await store.get_lock(tx.conn, unit, str(period))
    return PeriodState(
        unit_code=unit,
        period=period,
        values=values,
        submissions=tuple(await store.accepted_submissions(tx.conn, unit, str(period))),
        lock=Lock(lock["approved_by"], lock["approver_unit"], lock["locked_at"]) if lock else None,
    )


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
    state = await _period_state(tx, sub.unit_code, period)
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
                    indicator_name=_indicator_name(book, v.indicator_code),
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


# -- roll-up and targets ----------------------------------------------------------------------


async def _derive_period(
    tx: Tx, book: RuleBook, hierarchy: Hierarchy, period: Period, structure_on: date | None = None
) -> list[DerivedValue]:
    """The period's derived values: over time for each unit from its own shorter periods (which
    then count as the unit's values), and along the hierarchy above the units."""
    labels = [str(period), *(str(p) for p in period.sub_periods())]
    reported = [
        UnitValue(
            r["indicator_code"],
            r["unit_code"],
            Period.parse(r["period"]),
            r["value"],
            parse_disagg(r["disaggregation"]),
        )
        for r in await store.values_of_periods(tx.conn, labels)
    ]
    over_time = aggregate_over_time(reported, period, book.catalogue)
    own = [v for v in reported if v.period == period] + [
        UnitValue(d.indicator_code, d.unit_code, period, d.value, d.disaggregation)
        for d in over_time
    ]
    rolled = roll_up(own, hierarchy, period, book.catalogue, structure_on=structure_on)
    return sorted(
        [*over_time, *rolled], key=lambda v: (v.unit_code, v.indicator_code, v.disaggregation)
    )


async def refresh_period(
    tx: Tx,
    ctx: Context,
    book: RuleBook,
    hierarchy: Hierarchy,
    period: Period,
    touched: set[tuple[str, str]],
    cause: CloudEvent | None,
    now: datetime,
) -> None:
    """Derive each unit's values of the period from its shorter periods (a year from its
    months), roll the period's values up the hierarchy valid at its end; publish the derived
    values that changed; evaluate the targets of every (indicator, unit) whose total changed,
    for this period and the next (whose change vs the previous period depends on it)."""
    label = str(period)
    derived = await _derive_period(tx, book, hierarchy, period)
    old = {
        (r["unit_code"], r["indicator_code"], r["disaggregation"]): r
        for r in await store.derived_of_period(tx.conn, label)
    }
    seen = set()
    upserts, events = [], []
    touched = set(touched)
    for d in derived:
        dis = format_disagg(d.disaggregation)
        key = (d.unit_code, d.indicator_code, dis)
        seen.add(key)
        prev = old.get(key)
        if (
            prev is not None
            and prev["value"] == d.value
            and list(prev["sources"]) == list(d.sources)
        ):
            continue
        same_value = prev is not None and prev["value"] == d.value
        revision = 1 if prev is None else prev["revision"] + (0 if same_value else 1)
        upserts.append(
            {
                "unit_code": d.unit_code,
                "period": label,
                "indicator_code": d.indicator_code,
                "disaggregation": dis,
                "value": d.value,
                "numerator": d.numerator,
                "denominator": d.denominator,
                "sources": list(d.sources),
                "revision": revision,
            }
        )
        if same_value:
            continue  # only the sources changed: nothing new to publish
        if not dis:
            touched.add((d.indicator_code, d.unit_code))
        recorded = c.ValueRecorded(
            indicator_code=d.indicator_code,
            unit_code=d.unit_code,
            period=label,
            value=d.value,
            measure_unit=book.catalogue[d.indicator_code].measure_unit,
            derived=True,
            disaggregation=dict(d.disaggregation) or None,
            recorded_at=now,
            revision=revision,
        )
        subject = f"{d.indicator_code}/{d.unit_code}/{label}"
        events.append(new_event(recorded, source=ctx.source, subject=subject, cause=cause))
    stale = [r for k, r in old.items() if k not in seen]
    await store.upsert_derived(tx.conn, upserts)
    await store.delete_derived(tx.conn, label, stale)
    touched.update((r["indicator_code"], r["unit_code"]) for r in stale if not r["disaggregation"])
    await tx.emit(RESULTS, events)
    pairs = sorted(touched)
    for p in (period, period.next()):
        for target in await store.targets_for(tx.conn, pairs, str(p)):
            await evaluate_target(tx, ctx, book, target, cause, now)


def evaluation_json(e: Evaluation) -> dict[str, Any]:
    return {
        "indicator_code": e.indicator_code,
        "period": str(e.period),
        "target": format(e.target, "f"),
        "actual": format(e.actual, "f"),
        "measure_unit": e.measure_unit,
        "direction": e.direction.value,
        "achievement_pct": None if e.achievement_pct is None else format(e.achievement_pct, "f"),
        "status": e.status.value,
        "period_closed": e.period_closed,
        "expected_to_date": None if e.expected_to_date is None else format(e.expected_to_date, "f"),
        "expectation": e.expectation.value if e.expectation else None,
        "change_vs_previous": None if e.change is None else format(e.change.value, "f"),
        "change_unit": None if e.change is None else e.change.unit,
        "change_label": None if e.change is None else e.change.label,
        "planned_change": None if e.progress is None else format(e.progress.planned, "f"),
        "achieved_change": None if e.progress is None else format(e.progress.achieved, "f"),
        "change_achievement_pct": None
        if e.progress is None or e.progress.pct_of_planned is None
        else format(e.progress.pct_of_planned, "f"),
        "verdict_vi": e.verdict_vi,
    }


async def assess(
    tx: Tx,
    ctx: Context,
    book: RuleBook,
    target: dict[str, Any],
    as_of: date,
) -> Evaluation | None:
    """The evaluation of one target as of a day, or None without an actual value yet."""
    definition = book.catalogue.get(target["indicator_code"])
    if definition is None:
        return None
    period = Period.parse(target["period"])
    pair = (definition.code, target["unit_code"])
    actual = (await store.totals_of(tx.conn, [pair], str(period))).get(pair)
    if actual is None:
        return None
    previous = (await store.totals_of(tx.conn, [pair], str(period.previous()))).get(pair)
    return evaluate(
        definition,
        period,
        target=target["target"],
        actual=actual,
        as_of=as_of,
        previous=previous,
        profile=ctx.profiles.get(definition.code),
    )


def _bounded_pct(pct: Decimal | None) -> Decimal | None:
    """A percentage the contract carries (7 digits); an absurd one (a tiny planned change) is
    left out of the event, as achievement_pct is."""
    return pct if pct is not None and abs(pct) < 100_000 else None


def _same(a: dict[str, Any], b: dict[str, Any], ignore: Collection[str]) -> bool:
    return {k: v for k, v in a.items() if k not in ignore} == {
        k: v for k, v in b.items() if k not in ignore
    }


async def evaluate_target(
    tx: Tx,
    ctx: Context,
    book: RuleBook,
    target: dict[str, Any],
    cause: CloudEvent | None,
    now: datetime,
    *,
    as_of: date | None = None,
    ignore: Collection[str] = (),
) -> bool:
    """Evaluate (as of ``as_of``, by default the day of ``now`` in Vietnam) and publish
    ``target.evaluated.v1`` when the evaluation differs from the last one published in more
    than the ``ignore``d fields; the evaluation stored is always the last one published."""
    e = await assess(tx, ctx, book, target, as_of or now.astimezone(VN_TZ).date())
    if e is None:
        return False
    unit = target["unit_code"]
    snapshot = evaluation_json(e)
    last = await store.get_evaluation(tx.conn, e.indicator_code, unit, str(e.period))
    if last is not None and _same(last, snapshot, ignore):
        return False
    pct = _bounded_pct(e.achievement_pct)
    data = c.TargetEvaluated(
        indicator_code=e.indicator_code,
        unit_code=unit,
        period=str(e.period),
        target=e.target,
        actual=e.actual,
        measure_unit=e.measure_unit,
        direction=c.Direction(e.direction.value),
        achievement_pct=pct,
        status=c.TargetStatus(e.status.value),
        expected_to_date=e.expected_to_date,
        change_vs_previous=e.change.value if e.change else None,
        change_unit=e.change.unit if e.change else None,
        period_closed=e.period_closed,
        evaluated_at=now,
        planned_change=e.progress.planned if e.progress else None,
        achieved_change=e.progress.achieved if e.progress else None,
        change_achievement_pct=_bounded_pct(e.progress.pct_of_planned if e.progress else None),
        verdict_vi=e.verdict_vi,
    )
    await store.put_evaluation(tx.conn, e.indicator_code, unit, str(e.period), snapshot, now)
    subject = f"{e.indicator_code}/{unit}/{e.period}"
    await tx.publish(data, subject=subject, cause=cause)
    return True


# What moves every day of an open period by itself: not news unless the status moves with it.
DAILY_FIELDS = frozenset({"expected_to_date"})


async def reevaluate_open_periods(
    tx: Tx, ctx: Context, today: date, now: datetime | None = None
) -> list[str]:
    """Re-evaluate, as of ``today``, every target whose period is in progress or has ended
    since its last evaluation, and publish ``target.evaluated.v1`` for each evaluation that
    changed: on-track → at-risk (or back) as the expectation moves with the days, on-track or
    at-risk → achieved or missed once the period has ended. The expected value to date alone
    moving is not published (``GET /v1/achievement`` shows it). Idempotent: a second run on
    the same day publishes nothing. Returns the subjects published
    (``<indicator>/<unit>/<period>``).

    Takes the advisory locks of the periods re-evaluated and of the periods before them (whose
    values are their baselines), as the roll-up does, so it never races with a submission."""
    now = now or datetime.now(VN_TZ)

    def due(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for row in rows:
            try:
                period = Period.parse(row["period"])
            except PeriodError:
                continue
            if due_for_reevaluation(period, today, row["last_closed"]):
                out.append(row)
        return out

    candidates = due(await store.targets_not_closed(tx.conn))
    if not candidates:
        return []
    periods = {Period.parse(r["period"]) for r in candidates}
    await store.lock_periods(tx.conn, [str(p) for p in periods | {p.previous() for p in periods}])
    # read again under the locks: a target or an evaluation may have changed meanwhile
    locked = {str(p) for p in periods}
    fresh = [r for r in due(await store.targets_not_closed(tx.conn)) if r["period"] in locked]
    book = await load_rulebook(tx)
    published = []
    for row in fresh:
        if await evaluate_target(tx, ctx, book, row, None, now, as_of=today, ignore=DAILY_FIELDS):
            published.append(f"{row['indicator_code']}/{row['unit_code']}/{row['period']}")
    return published


class TargetRefused(Invalid):
    """A target the catalogue does not admit (422 "Invalid target", naming the indicator)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            "Invalid target", detail, errors=[{"field": "indicator", "message": detail}]
        )


async def set_target(
    tx: Tx,
    ctx: Context,
    indicator: str,
    unit: str,
    period_text: str,
    target: Decimal,
    note: str,
    by: str,
    cause: CloudEvent | None = None,
) -> dict[str, Any] | None:
    """Record a target of the plan and evaluate it at once when an actual value exists."""
    period = Period.parse(period_text)
    await store.lock_periods(tx.conn, [str(period)])
    book = await load_rulebook(tx)
    definition = book.catalogue.get(indicator)
    if definition is None:
        raise TargetRefused(f"unknown indicator {indicator}")
    if period.kind.finer_than(definition.period_kind):
        raise TargetRefused(f"{indicator} is reported per {definition.period_kind}, not {period}")
    if not target.is_finite():
        raise TargetRefused("the target must be a number")
    await store.put_target(tx.conn, indicator, unit, str(period), target, note, by)
    row = {"indicator_code": indicator, "unit_code": unit, "period": str(period), "target": target}
    now = datetime.now(VN_TZ)
    await evaluate_target(tx, ctx, book, row, cause, now)
    e = await assess(tx, ctx, book, row, now.date())
    return evaluation_json(e) if e else None


# -- approval ---------------------------------------------------------------------------------


async def approve_period(
    tx: Tx, unit: str, period_text: str, approved_by: str, approver_unit: str, at: datetime
) -> Lock:
    """The level above approves and locks a unit's period (``LockRefused`` otherwise)."""
    period = Period.parse(period_text)
    await store.lock_periods(tx.conn, [str(period)])
    state = await _period_state(tx, unit, period)
    hierarchy = await load_hierarchy(tx)
    locked = lock_period(
        state, approved_by=approved_by, approver_unit=approver_unit, at=at, hierarchy=hierarchy
    )
    assert locked.lock is not None
    await store.insert_lock(tx.conn, unit, str(period), approved_by, approver_unit, at)
    return locked.lock


# -- CSV import -------------------------------------------------------------------------------


async def import_file(
    tx: Tx,
    ctx: Context,
    text: str,
    *,
    import_id: str,
    submitted_by: str,
    allowed_units: Container[str] | None,
    cause: CloudEvent,
) -> dict[str, Any]:
    """A spreadsheet upload: one submission per unit and period, each accepted or rejected
    whole; the summary counts as DHIS2's import summary does."""
    now = datetime.now(VN_TZ)
    book = await load_rulebook(tx)
    parsed = import_csv(
        text,
        book.catalogue,
        submission_id=import_id,
        submitted_by=submitted_by,
        submitted_at=now,
        allowed_units=allowed_units,
    )
    rows_total = parsed.summary.imported + parsed.summary.updated + parsed.summary.ignored
    conflicts = [
        {"row": x.row, "reason": x.reason_vi, "reason_en": x.reason_en, "value": x.value}
        for x in parsed.summary.conflicts
    ]
    items = [
        Incoming(
            c.SubmissionReceived(
                submission_id=s.submission_id,
                unit_code=s.unit_code,
                period=str(s.period),
                values=[
                    c.ReportedValue(
                        indicator_code=v.indicator_code,
                        value=v.value,
                        disaggregation=dict(v.disaggregation) or None,
                    )
                    for v in s.values
                ],
                submitted_by=s.submitted_by,
                submitted_at=s.submitted_at,
            ),
            cause,
            "csv",
        )
        for s in parsed.submissions
    ]
    results = await handle_submissions(tx, ctx, items, now) if items else []
    imported = sum(r.imported for r in results)
    updated = sum(r.updated for r in results)
    for sub, r in zip(parsed.submissions, results, strict=True):
        if r.outcome != "rejected":
            continue
        first_row = min(parsed.rows[(sub.unit_code, sub.period, v.key)] for v in sub.values)
        for v in r.violations:
            dis = parse_disagg(v.get("disaggregation") or "")
            cell = (sub.unit_code, sub.period, (v.get("indicator_code") or "", dis))
            conflicts.append(
                {
                    "row": parsed.rows.get(cell, first_row),
                    "reason": v["message"],
                    "reason_en": v["message_en"],
                    "value": v.get("value") or "",
                    "rule": v["rule"],
                    "submission_id": r.submission_id,
                }
            )
    conflicts.sort(key=lambda x: (x["row"], x.get("rule", "")))
    usable = imported + updated
    status = "SUCCESS" if not conflicts else ("WARNING" if usable else "ERROR")
    return {
        "status": status,
        "import_id": import_id,
        "imported": imported,
        "updated": updated,
        "ignored": rows_total - imported - updated,
        "conflicts": conflicts,
        "submissions": [
            {"submission_id": r.submission_id, "status": r.outcome, "warnings": r.warnings}
            for r in results
        ],
    }


# -- reads ------------------------------------------------------------------------------------


async def restated_values(
    tx: Tx,
    book: RuleBook,
    units: Sequence[str],
    period: Period,
    indicator: str | None,
    structure_on: date,
) -> list[dict[str, Any]]:
    """The period's values rolled up along the hierarchy valid on another day (a 2024 district
    report shown under the commune that succeeded it)."""
    hierarchy = await load_hierarchy(tx)
    reported = await store.period_values(tx.conn, str(period))
    wanted = set(units)
    out = [
        {
            "unit_code": r["unit_code"],
            "period": str(period),
            "indicator_code": r["indicator_code"],
            "disaggregation": r["disaggregation"],
            "value": r["value"],
            "derived": False,
        }
        for r in reported
        if r["unit_code"] in wanted and indicator in (None, r["indicator_code"])
    ]
    for d in await _derive_period(tx, book, hierarchy, period, structure_on):
        if d.unit_code in wanted and indicator in (None, d.indicator_code):
            out.append(
                {
                    "unit_code": d.unit_code,
                    "period": str(period),
                    "indicator_code": d.indicator_code,
                    "disaggregation": format_disagg(d.disaggregation),
                    "value": d.value,
                    "derived": True,
                    "sources": list(d.sources),
                }
            )
    return sorted(out, key=lambda v: (v["unit_code"], v["indicator_code"], v["disaggregation"]))


# -- reporting completeness and timeliness ----------------------------------------------------


def data_set_of(row: dict[str, Any]) -> DataSet:
    return DataSet(
        code=row["code"],
        name_vi=row["name_vi"],
        period_kind=PeriodKind(row["period_kind"]),
        indicators=tuple(row["indicators"]),
        units=tuple(row["units"]),
        due_day=row["due_day"],
        due_months_after=row["due_months_after"],
        remind_days_before=row["remind_days_before"],
        first_period=Period.parse(row["first_period"]) if row.get("first_period") else None,
    )


def data_set_json(d: DataSet) -> dict[str, Any]:
    return {
        "code": d.code,
        "name_vi": d.name_vi,
        "period_kind": str(d.period_kind),
        "indicators": list(d.indicators),
        "units": list(d.units),
        "due_day": d.due_day,
        "due_months_after": d.due_months_after,
        "remind_days_before": d.remind_days_before,
        "first_period": str(d.first_period) if d.first_period else None,
    }


async def get_data_set(tx: Tx, code: str) -> DataSet | None:
    rows = await store.data_sets(tx.conn, code)
    return data_set_of(rows[0]) if rows else None


async def put_data_set(tx: Tx, data: dict[str, Any], by: str) -> DataSet:
    """Add or change a data set; its indicators must be in the catalogue and its units known."""
    book = await load_rulebook(tx)
    d = data_set_of(data)
    unknown = [c for c in d.indicators if c not in book.catalogue]
    if unknown:
        raise ValueError(f"unknown indicator(s): {', '.join(unknown)}")
    hierarchy = await load_hierarchy(tx)
    strangers = [u for u in d.units if u not in hierarchy]
    if strangers:
        raise ValueError(f"unknown unit(s): {', '.join(strangers)}")
    await store.put_data_set(tx.conn, data_set_json(d), d.units, by)
    return d


def _sent_days(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], date]:
    """The day in Vietnam each unit first reported each period."""
    return {(r["unit_code"], r["period"]): r["submitted_at"].astimezone(VN_TZ).date() for r in rows}


async def reporting_rates_of(
    tx: Tx, data_set: DataSet, period: Period, units: Sequence[str]
) -> tuple[list[ReportingRate], Hierarchy]:
    """Completeness and timeliness of each of ``units`` (its subtree) for a period."""
    hierarchy = await load_hierarchy(tx)
    rows = await store.first_reports(tx.conn, data_set.units, [str(period)], data_set.indicators)
    sent = {unit: day for (unit, _), day in _sent_days(rows).items()}
    return reporting_rates(data_set, period, sent, hierarchy, units), hierarchy


async def send_reporting_notices(tx: Tx, ctx: Context, now: datetime) -> list[CloudEvent]:
    """Reminders before the due date (``report.due-soon.v1``) and notices once it has passed
    (``report.overdue.v1``) to each expected unit that has not reported, once each per data
    set, unit and period (recorded with the event, so a restart or a second run on the same
    day sends nothing again). ``now``: the clock, whose day in Vietnam decides."""
    today_vn = now.astimezone(VN_TZ).date()
    hierarchy = await load_hierarchy(tx)
    events: list[CloudEvent] = []
    for row in await store.data_sets(tx.conn):
        d = data_set_of(row)
        periods = periods_to_watch(d, today_vn)
        if not periods or not d.units:
            continue
        texts = [str(p) for p in periods]
        sent = _sent_days(await store.first_reports(tx.conn, d.units, texts, d.indicators))
        already = {
            (r["kind"], r["unit_code"], r["period"])
            for r in await store.notices_sent(tx.conn, d.code, texts)
        }
        for n in notices_due(d, periods, sent, already, today_vn):
            unit = hierarchy.get(n.unit_code)
            kind = c.ReportDueSoon if n.kind is NoticeKind.DUE_SOON else c.ReportOverdue
            data = kind(
                data_set=d.code,
                data_set_name=d.name_vi,
                unit_code=n.unit_code,
                unit_name=(unit.name if unit and unit.name else n.unit_code),
                period=str(n.period),
                due_date=n.due_date,
                notified_at=now,
            )
            event = new_event(data, source=ctx.source, subject=f"{d.code}/{n.unit_code}/{n.period}")
            recorded = await store.insert_notice(
                tx.conn,
                {
                    "data_set": d.code,
                    "unit_code": n.unit_code,
                    "period": str(n.period),
                    "kind": str(n.kind),
                    "due_date": n.due_date,
                    "sent_at": now,
                    "event_id": event.id,
                },
            )
            if recorded:
                events.append(event)
    if events:
        await tx.emit(RESULTS, events)
    return events


# -- multi-year plan periods ------------------------------------------------------------------


async def _plan_value(
    tx: Tx, definition: IndicatorDefinition, unit: str, period: PlanPeriod
) -> PlanValue:
    pair = (definition.code, unit)
    by_year = {}
    for year in period.years:
        value = (await store.totals_of(tx.conn, [pair], str(year))).get(pair)
        if value is not None:
            by_year[year] = value
    return plan_value(definition, period, by_year)


def _amount(v: Decimal | None) -> str | None:
    return None if v is None else format(v, "f")


async def plan_period_report(
    tx: Tx,
    book: RuleBook,
    indicator: str,
    unit: str,
    period: PlanPeriod,
    compare_with: PlanPeriod | None,
) -> dict[str, Any]:
    """An indicator over a plan period for a unit: the value (total of a flow, end level of a
    stock), the average per year, the ratio to an earlier period, and the range targets."""
    definition = book.catalogue.get(indicator)
    if definition is None:
        raise NotFound("Indicator not found", f"No indicator {indicator}.")
    try:
        current = await _plan_value(tx, definition, unit, period)
    except PlanValueUnavailable as exc:
        raise Invalid("Not aggregated over time", str(exc)) from exc
    out: dict[str, Any] = {
        "indicator_code": definition.code,
        "name_vi": definition.name_vi,
        "unit_code": unit,
        "period": str(period),
        "period_label_vi": period.label_vi,
        "measure_unit": definition.measure_unit,
        "direction": definition.direction.value,
        "time_aggregation": definition.time_aggregation.value,
        "value": _amount(current.value),
        "yearly_average": _amount(current.yearly_average),
        "missing_years": list(current.missing_years),
        "compare_with": None,
        "targets": [],
    }
    if compare_with is not None:
        earlier = await _plan_value(tx, definition, unit, compare_with)
        ratio = (
            ratio_pct(current.value, earlier.value)
            if current.value is not None and earlier.value is not None
            else None
        )
        out["compare_with"] = {
            "period": str(compare_with),
            "period_label_vi": compare_with.label_vi,
            "value": _amount(earlier.value),
            "yearly_average": _amount(earlier.yearly_average),
            "missing_years": list(earlier.missing_years),
            "ratio_pct": _amount(ratio),
        }
    for t in await store.plan_targets(tx.conn, definition.code, unit, str(period)):
        actual = current.yearly_average if t["basis"] == "yearly-average" else current.value
        target = RangeTarget(t["target_low"], t["target_high"])
        item: dict[str, Any] = {
            "basis": t["basis"],
            "target_low": _amount(target.low),
            "target_high": _amount(target.high),
            "note": t["note"],
            "actual": _amount(actual),
            "status": None,
        }
        if actual is not None:
            e = evaluate_range(definition.direction, target, actual)
            item |= {
                "status": e.status,
                "within_range": e.within,
                "pct_of_low": _amount(e.pct_of_low),
                "pct_of_high": _amount(e.pct_of_high),
            }
        out["targets"].append(item)
    return out


async def set_plan_target(
    tx: Tx,
    book: RuleBook,
    indicator: str,
    unit: str,
    period: PlanPeriod,
    *,
    basis: str,
    low: Decimal,
    high: Decimal,
    note: str,
    by: str,
) -> None:
    definition = book.catalogue.get(indicator)
    if definition is None:
        raise NotFound("Indicator not found", f"No indicator {indicator}.")
    if basis == "yearly-average" and definition.time_aggregation.value != "sum":
        raise Invalid("Invalid target", f"{indicator} has no average per year (not a flow)")
    try:
        RangeTarget(low, high)
    except ValueError as exc:
        raise Invalid("Invalid target", str(exc)) from exc
    await store.put_plan_target(
        tx.conn,
        {
            "indicator_code": indicator,
            "unit_code": unit,
            "plan_period": str(period),
            "basis": basis,
            "target_low": low,
            "target_high": high,
            "note": note,
            "set_by": by,
        },
    )


# -- year to date -----------------------------------------------------------------------------


async def year_to_date_report(
    tx: Tx, ctx: Context, book: RuleBook, indicator: str, unit: str, year: int
) -> dict[str, Any]:
    """A year's value so far from its months (the unit's reported or rolled-up month values),
    marked partial until December is in, judged against the year's target at the end of the
    last month in."""
    definition = book.catalogue.get(indicator)
    if definition is None:
        raise NotFound("Indicator not found", f"No indicator {indicator}.")
    pair = (definition.code, unit)
    by_month = {}
    for m in Period(year, PeriodKind.YEAR).months():
        value = (await store.totals_of(tx.conn, [pair], str(m))).get(pair)
        if value is not None:
            by_month[m.index] = value
    ytd = year_to_date(definition, year, by_month)
    out: dict[str, Any] = {
        "indicator_code": definition.code,
        "name_vi": definition.name_vi,
        "unit_code": unit,
        "period": f"{year:04d}",
        "measure_unit": definition.measure_unit,
        "value": None,
        "completeness": None,
        "derivation": None,
        "through": None,
        "months": 0,
        "evaluation": None,
    }
    if ytd is None:
        return out
    out |= {
        "value": format(ytd.value, "f"),
        "completeness": ytd.completeness,
        "derivation": ytd.derivation,
        "through": str(ytd.through),
        "months": ytd.months,
    }
    targets = await store.find_targets(tx.conn, [unit], f"{year:04d}", definition.code)
    if targets:
        previous = (await store.totals_of(tx.conn, [pair], f"{year - 1:04d}")).get(pair)
        e = judge_year_to_date(
            definition,
            ytd,
            targets[0]["target"],
            previous=previous,
            profile=ctx.profiles.get(definition.code),
        )
        out["evaluation"] = {**evaluation_json(e), "as_of": ytd.through.end.isoformat()}
    return out
