"""Roll-up: a period's values derived over time and along the admin-unit hierarchy, published
when they change, and the targets they move evaluated."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from egov_contracts import indicators as c
from egov_contracts.envelope import CloudEvent

from egov_indicators.domain import (
    DerivedValue,
    Hierarchy,
    Period,
    UnitValue,
    aggregate_over_time,
    format_disagg,
    roll_up,
)
from egov_indicators.domain.records import KeptDerived, RuleBook
from egov_indicators.usecases.common import Context, Work, load_hierarchy
from egov_indicators.usecases.targets import evaluate_target


async def _derive_period(
    w: Work, book: RuleBook, hierarchy: Hierarchy, period: Period, structure_on: date | None = None
) -> list[DerivedValue]:
    """The period's derived values: over time for each unit from its own shorter periods (which
    then count as the unit's values), and along the hierarchy above the units."""
    reported = await w.periods.reported([period, *period.sub_periods()])
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
    w: Work,
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
    derived = await _derive_period(w, book, hierarchy, period)
    old = {
        (k.value.unit_code, k.value.indicator_code, k.value.disaggregation): k
        for k in await w.periods.derived(period)
    }
    seen = set()
    kept, events = [], []
    touched = set(touched)
    for d in derived:
        key = (d.unit_code, d.indicator_code, d.disaggregation)
        seen.add(key)
        prev = old.get(key)
        if (
            prev is not None
            and prev.value.value == d.value
            and list(prev.value.sources) == list(d.sources)
        ):
            continue
        same_value = prev is not None and prev.value.value == d.value
        revision = 1 if prev is None else prev.revision + (0 if same_value else 1)
        kept.append(KeptDerived(d, revision))
        if same_value:
            continue  # only the sources changed: nothing new to publish
        if not d.disaggregation:
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
        events.append(w.tx.event(recorded, subject=subject, cause=cause))
    stale = [k.value for key, k in old.items() if key not in seen]
    await w.periods.save_derived(period, kept, stale)
    touched.update((s.indicator_code, s.unit_code) for s in stale if not s.disaggregation)
    await w.tx.publish_all(events)
    pairs = sorted(touched)
    for p in (period, period.next()):
        for target in await w.targets.of(pairs, p):
            await evaluate_target(w, ctx, book, target, cause, now)


async def restated_values(
    w: Work,
    book: RuleBook,
    units: Sequence[str],
    period: Period,
    indicator: str | None,
    structure_on: date,
) -> list[dict[str, Any]]:
    """The period's values rolled up along the hierarchy valid on another day (a 2024 district
    report shown under the commune that succeeded it)."""
    hierarchy = await load_hierarchy(w)
    reported = await w.periods.reported([period])
    wanted = set(units)
    out = [
        {
            "unit_code": r.unit_code,
            "period": str(period),
            "indicator_code": r.indicator_code,
            "disaggregation": format_disagg(r.disaggregation),
            "value": r.value,
            "derived": False,
        }
        for r in reported
        if r.unit_code in wanted and indicator in (None, r.indicator_code)
    ]
    for d in await _derive_period(w, book, hierarchy, period, structure_on):
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
