"""Roll-up: a period's values derived over time and along the admin-unit hierarchy, published
when they change, and the targets they move evaluated."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from egov_contracts import indicators as c
from egov_contracts.envelope import CloudEvent, new_event
from egov_runtime.consumer import Tx

from egov_indicators.adapters import store
from egov_indicators.domain import (
    DerivedValue,
    Hierarchy,
    Period,
    UnitValue,
    aggregate_over_time,
    format_disagg,
    roll_up,
)
from egov_indicators.usecases.common import RESULTS, Context, RuleBook, load_hierarchy, parse_disagg
from egov_indicators.usecases.targets import evaluate_target


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
