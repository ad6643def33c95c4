"""Roll-up of values along the admin-unit hierarchy as it stood at a period's end.

The hierarchy is time-dependent (the 1 July 2025 reform: 63 → 34 provinces, the district level
abolished, communes merged), as the one date-aware model :mod:`egov_units` knows it. For a
period, a unit valid at the period's end date rolls up into its parent (itself resolved through
successors to a unit valid then); a unit that had ended by then contributes to the unit that
succeeded it. Reported values stay under the unit that reported them (history); only the
derived values of the units above are computed here.

A unit's own reported value wins over what its sub-units add up to. Counts (``sum``) add up;
rates (``ratio``) are computed from the rolled-up numerator and denominator — a weighted mean of
the sub-units' rates, never a simple mean; ``none`` is not rolled up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from egov_units import MAX_DEPTH, AdminUnit, Hierarchy

from egov_indicators.domain.achievement import round_half_up
from egov_indicators.domain.definitions import Aggregation, Catalogue
from egov_indicators.domain.periods import Period
from egov_indicators.domain.values import DisaggKey, UnitValue, ValueKey


@dataclass(frozen=True)
class DerivedValue:
    """A value computed from sub-units (``derived``), with what it came from."""

    indicator_code: str
    unit_code: str
    period: Period
    value: Decimal
    disaggregation: DisaggKey = ()
    sources: tuple[str, ...] = ()
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    derived: bool = True


def roll_up(
    values: Iterable[UnitValue],
    units: Hierarchy | Iterable[AdminUnit],
    period: Period,
    definitions: Catalogue,
    *,
    structure_on: date | None = None,
) -> list[DerivedValue]:
    """Derived values of every unit above the reporting ones, for ``period``.

    The hierarchy is taken as valid on ``structure_on`` — by default the period's end date;
    pass a later date to restate an earlier period in today's units (a 2024 district report
    shown under the commune that succeeded the district).
    """
    hierarchy = units if isinstance(units, Hierarchy) else Hierarchy(units)
    day = structure_on or period.end
    reported: dict[tuple[str, ValueKey], Decimal] = {}
    keys: set[ValueKey] = set()
    for v in values:
        if v.period == period and v.indicator_code in definitions:
            reported[(v.unit_code, v.key)] = v.value
            keys.add(v.key)
    children = hierarchy.contributors(day)
    out: list[DerivedValue] = []
    totals: dict[tuple[str, ValueKey], Decimal | None] = {}

    def total(unit: str, key: ValueKey, depth: int = 0) -> Decimal | None:
        """Reported value of the unit, else the sum of what rolls into it (memoised)."""
        memo = (unit, key)
        if memo in totals:
            return totals[memo]
        result = reported.get(memo)
        if result is None and depth < MAX_DEPTH:
            parts = [(c, total(c, key, depth + 1)) for c in children.get(unit, [])]
            found = [(c, p) for c, p in parts if p is not None]
            if found:
                result = sum((p for _, p in found), Decimal(0))
                out.append(
                    DerivedValue(key[0], unit, period, result, key[1], tuple(c for c, _ in found))
                )
        totals[memo] = result
        return result

    sum_keys = sorted(k for k in keys if definitions[k[0]].aggregation is Aggregation.SUM)
    for code in sorted(hierarchy.codes):
        for key in sum_keys:
            total(code, key)
    ratio_defs = [d for d in definitions.definitions.values() if d.aggregation is Aggregation.RATIO]
    dis_keys = sorted({k[1] for k in keys})
    for d in sorted(ratio_defs, key=lambda d: d.code):
        if d.numerator is None or d.denominator is None:
            continue  # excluded by the definition's validation
        for dis in dis_keys:
            for code in sorted(hierarchy.codes):
                if (code, (d.code, dis)) in reported:
                    continue
                num = totals.get((code, (d.numerator, dis)))
                den = totals.get((code, (d.denominator, dis)))
                if num is None or den is None or den == 0:
                    continue
                value = round_half_up(num / den * d.factor, d.decimals)
                sources = tuple(
                    c
                    for c in children.get(code, [])
                    if totals.get((c, (d.numerator, dis))) is not None
                    and totals.get((c, (d.denominator, dis))) is not None
                ) or (code,)
                out.append(DerivedValue(d.code, code, period, value, dis, sources, num, den))
    return sorted(out, key=lambda v: (v.unit_code, v.indicator_code, v.disaggregation))
