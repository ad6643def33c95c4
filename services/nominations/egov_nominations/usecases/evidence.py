"""Evidence from the other services, kept as local read models by unit and year: on-time
processing rates (admin-procedures) and target evaluations (indicators)."""

from __future__ import annotations

from collections.abc import Sequence

from egov_contracts import indicators as ind
from egov_contracts import procedures as proc
from egov_contracts.envelope import CloudEvent

from egov_nominations.domain.evidence import OnTimeEvidence, TargetEvidence
from egov_nominations.usecases.common import Work


async def record_on_time_rates(
    w: Work, items: Sequence[tuple[proc.OnTimeRateComputed, CloudEvent]]
) -> int:
    """Rates over all procedures only (a per-procedure rate is not a unit's rate); a period
    belongs to the year it ends in."""
    n = 0
    for data, event in items:
        if data.procedure_code is not None:
            continue
        await w.evidence.keep_on_time(
            OnTimeEvidence(
                unit_code=data.unit_code,
                period=data.period,
                year=data.period_to.year,
                period_from=data.period_from,
                period_to=data.period_to,
                resolved=data.resolved_early + data.resolved_on_time + data.resolved_late,
                early_on_time=data.resolved_early + data.resolved_on_time,
                on_time_rate=data.on_time_rate,
                revision=data.revision,
                event_id=event.id,
            )
        )
        n += 1
    return n


async def record_targets(w: Work, items: Sequence[tuple[ind.TargetEvaluated, CloudEvent]]) -> int:
    for data, event in items:
        await w.evidence.keep_target(
            TargetEvidence(
                indicator_code=data.indicator_code,
                unit_code=data.unit_code,
                period=data.period,
                year=int(data.period[:4]),
                target=data.target,
                actual=data.actual,
                achievement_pct=data.achievement_pct,
                status=data.status.value,
                period_closed=data.period_closed,
                evaluated_at=data.evaluated_at,
                event_id=event.id,
            )
        )
    return len(items)
