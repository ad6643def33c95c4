"""Targets of the plan: set, assessed against the actual value, and re-evaluated as open periods
move on (``target.evaluated.v1`` when an evaluation changes)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from egov_contracts import indicators as c
from egov_contracts.envelope import VN_TZ, CloudEvent
from egov_runtime.refusals import Invalid

from egov_indicators.domain import (
    Evaluation,
    Period,
    due_for_reevaluation,
    evaluate,
)
from egov_indicators.domain.records import EvaluationSnapshot, RuleBook, Target
from egov_indicators.usecases.common import Context, Work, load_rulebook


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
    w: Work,
    ctx: Context,
    book: RuleBook,
    target: Target,
    as_of: date,
) -> Evaluation | None:
    """The evaluation of one target as of a day, or None without an actual value yet."""
    definition = book.catalogue.get(target.indicator_code)
    if definition is None:
        return None
    period = target.period
    pair = (definition.code, target.unit_code)
    actual = (await w.periods.totals([pair], period)).get(pair)
    if actual is None:
        return None
    previous = (await w.periods.totals([pair], period.previous())).get(pair)
    return evaluate(
        definition,
        period,
        target=target.target,
        actual=actual,
        as_of=as_of,
        previous=previous,
        profile=ctx.profiles.get(definition.code),
    )


def _bounded_pct(pct: Decimal | None) -> Decimal | None:
    """A percentage the contract carries (7 digits); an absurd one (a tiny planned change) is
    left out of the event, as achievement_pct is."""
    return pct if pct is not None and abs(pct) < 100_000 else None


def _same(a: EvaluationSnapshot, b: EvaluationSnapshot, ignore: Collection[str]) -> bool:
    return {k: v for k, v in a.items() if k not in ignore} == {
        k: v for k, v in b.items() if k not in ignore
    }


async def evaluate_target(
    w: Work,
    ctx: Context,
    book: RuleBook,
    target: Target,
    cause: CloudEvent | None,
    now: datetime,
    *,
    as_of: date | None = None,
    ignore: Collection[str] = (),
) -> bool:
    """Evaluate (as of ``as_of``, by default the day of ``now`` in Vietnam) and publish
    ``target.evaluated.v1`` when the evaluation differs from the last one published in more
    than the ``ignore``d fields; the evaluation stored is always the last one published."""
    e = await assess(w, ctx, book, target, as_of or now.astimezone(VN_TZ).date())
    if e is None:
        return False
    unit = target.unit_code
    snapshot = evaluation_json(e)
    last = await w.targets.last_evaluation(e.indicator_code, unit, e.period)
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
    await w.targets.save_evaluation(e.indicator_code, unit, e.period, snapshot, now)
    subject = f"{e.indicator_code}/{unit}/{e.period}"
    await w.tx.publish(data, subject=subject, cause=cause)
    return True


# What moves every day of an open period by itself: not news unless the status moves with it.
DAILY_FIELDS = frozenset({"expected_to_date"})


async def reevaluate_open_periods(
    w: Work, ctx: Context, today: date, now: datetime | None = None
) -> list[str]:
    """Re-evaluate, as of ``today``, every target whose period is in progress or has ended
    since its last evaluation, and publish ``target.evaluated.v1`` for each evaluation that
    changed: on-track → at-risk (or back) as the expectation moves with the days, on-track or
    at-risk → achieved or missed once the period has ended. The expected value to date alone
    moving is not published (``GET /v1/achievement`` shows it). Idempotent: a second run on
    the same day publishes nothing. Returns the subjects published
    (``<indicator>/<unit>/<period>``).

    Serialises with the work on the periods re-evaluated and on the periods before them (whose
    values are their baselines), as the roll-up does, so it never races with a submission."""
    now = now or ctx.clock()

    def due(rows: list[tuple[Target, bool | None]]) -> list[Target]:
        return [t for t, closed in rows if due_for_reevaluation(t.period, today, closed)]

    candidates = due(await w.targets.open())
    if not candidates:
        return []
    periods = {t.period for t in candidates}
    await w.periods.serialise(str(p) for p in periods | {p.previous() for p in periods})
    # read again under the locks: a target or an evaluation may have changed meanwhile
    fresh = [t for t in due(await w.targets.open()) if t.period in periods]
    book = await load_rulebook(w)
    published = []
    for t in fresh:
        if await evaluate_target(w, ctx, book, t, None, now, as_of=today, ignore=DAILY_FIELDS):
            published.append(f"{t.indicator_code}/{t.unit_code}/{t.period}")
    return published


class TargetRefused(Invalid):
    """A target the catalogue does not admit (422 "Invalid target", naming the indicator)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            "Invalid target", detail, errors=[{"field": "indicator", "message": detail}]
        )


@dataclass(frozen=True)
class SetTarget:
    """An officer sets (or changes) a target of the plan."""

    indicator: str
    unit: str
    period: str
    target: Decimal
    note: str
    by: str


async def set_target(
    w: Work, ctx: Context, command: SetTarget, cause: CloudEvent | None = None
) -> dict[str, Any] | None:
    """Record a target of the plan and evaluate it at once when an actual value exists."""
    indicator = command.indicator
    period = Period.parse(command.period)
    await w.periods.serialise([str(period)])
    book = await load_rulebook(w)
    definition = book.catalogue.get(indicator)
    if definition is None:
        raise TargetRefused(f"unknown indicator {indicator}")
    if period.kind.finer_than(definition.period_kind):
        raise TargetRefused(f"{indicator} is reported per {definition.period_kind}, not {period}")
    if not command.target.is_finite():
        raise TargetRefused("the target must be a number")
    target = Target(indicator, command.unit, period, command.target, command.note, command.by)
    await w.targets.put(target)
    now = ctx.clock()
    await evaluate_target(w, ctx, book, target, cause, now)
    e = await assess(w, ctx, book, target, now.date())
    return evaluation_json(e) if e else None
