"""Aggregation along time for one unit: a quarter, half-year or year from its parts.

A commune that reports jobs created every month has a value for the quarter, the half-year and
the year without reporting them: each longer period follows from the periods of the next finer
kind that make it up (a year from its halves, a half from its quarters, a quarter from its
months), recursively, by the definition's ``time_aggregation``:

- ``sum``: the parts add up;
- ``last``: a snapshot (poor households) takes the last part's value;
- ``ratio``: recomputed from the period's numerator and denominator, each aggregated over time
  by its own rule — never the mean of the parts' rates;
- ``none``: not derived.

A value reported for a period wins over what its parts give, at every level (a quarter reported
directly is used for the year instead of its months). A derived value exists only when every
part is known: a year with a month missing has no derived value (no partial year-to-date sum
that would read as a missed target). Each disaggregation is derived on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from egov_indicators.domain.achievement import round_half_up
from egov_indicators.domain.definitions import Catalogue, TimeAggregation
from egov_indicators.domain.hierarchy import DerivedValue
from egov_indicators.domain.periods import Period
from egov_indicators.domain.values import UnitValue, ValueKey

_Found = tuple[Decimal, tuple[Period, ...], bool]
"""A value, the reported periods it comes from, and whether it was derived over time."""


def aggregate_over_time(
    values: Iterable[UnitValue], period: Period, definitions: Catalogue
) -> list[DerivedValue]:
    """The values of each unit for ``period`` derived from its values of shorter periods.

    ``values`` are reported values (of any periods; those outside ``period`` are ignored). Only
    the cells a unit did not report for ``period`` itself are returned, with ``sources`` = the
    reported periods they come from, in order (``2026-01`` … ``2026-12``).
    """
    reported: dict[tuple[str, ValueKey, Period], Decimal] = {}
    cells: set[tuple[str, ValueKey]] = set()
    for v in values:
        if v.indicator_code in definitions and period.contains(v.period):
            reported[(v.unit_code, v.key, v.period)] = v.value
            cells.add((v.unit_code, v.key))
    memo: dict[tuple[str, ValueKey, Period], _Found | None] = {}

    def found(unit: str, key: ValueKey, p: Period) -> _Found | None:
        """The reported value of the cell for ``p``, else the one its parts give (memoised)."""
        k = (unit, key, p)
        if k in memo:
            return memo[k]
        direct = reported.get(k)
        result: _Found | None
        if direct is not None:
            result = (direct, (p,), False)
        else:
            result = _derive(unit, key, p)
        memo[k] = result
        return result

    def _derive(unit: str, key: ValueKey, p: Period) -> _Found | None:
        code, dis = key
        d = definitions[code]
        rule = d.time_aggregation
        if rule is TimeAggregation.RATIO:
            if d.numerator is None or d.denominator is None:
                return None  # excluded by the definition's validation
            num = found(unit, (d.numerator, dis), p)
            den = found(unit, (d.denominator, dis), p)
            if num is None or den is None or den[0] == 0 or not (num[2] or den[2]):
                return None  # both reported for the period: the hierarchy roll-up computes it
            value = round_half_up(num[0] / den[0] * d.factor, d.decimals)
            return value, _ordered(num[1] + den[1]), True
        parts = p.parts()
        if rule not in (TimeAggregation.SUM, TimeAggregation.LAST) or not parts:
            return None
        got = [found(unit, key, part) for part in parts]
        complete = [g for g in got if g is not None]
        if len(complete) < len(parts):
            return None  # a part is missing: no derived value for the period
        sources = _ordered(tuple(s for g in complete for s in g[1]))
        if rule is TimeAggregation.SUM:
            return sum((g[0] for g in complete), Decimal(0)), sources, True
        return complete[-1][0], sources, True

    wanted = set(cells)
    for unit, (code, dis) in cells:
        for other in definitions.definitions.values():
            if other.time_aggregation is TimeAggregation.RATIO and code in (
                other.numerator,
                other.denominator,
            ):
                wanted.add((unit, (other.code, dis)))
    out: list[DerivedValue] = []
    for unit, key in sorted(wanted):
        if (unit, key, period) in reported:
            continue
        result = found(unit, key, period)
        if result is None:
            continue
        value, sources, _ = result
        d = definitions[key[0]]
        num = den = None
        if d.time_aggregation is TimeAggregation.RATIO and d.numerator and d.denominator:
            n = found(unit, (d.numerator, key[1]), period)
            m = found(unit, (d.denominator, key[1]), period)
            num, den = (n[0] if n else None), (m[0] if m else None)
        out.append(
            DerivedValue(
                key[0],
                unit,
                period,
                value,
                key[1],
                tuple(str(s) for s in sources),
                num,
                den,
            )
        )
    return sorted(out, key=lambda v: (v.unit_code, v.indicator_code, v.disaggregation))


def _ordered(periods: tuple[Period, ...]) -> tuple[Period, ...]:
    return tuple(sorted(set(periods), key=lambda p: (p.start, -p.kind.months)))
