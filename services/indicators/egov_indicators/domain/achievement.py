"""Targets and achievement (đánh giá thực hiện kế hoạch).

``achievement_pct`` = actual / target × 100, rounded half-up to 2 decimals (16,856 against
16,000 → 105.35). A closed period is *achieved* or *missed* (for lower-is-better indicators,
achieved when actual ≤ target). A period in progress is *on-track* or *at-risk* against the
expectation to date, which is LINEAR by default: a flow indicator is expected to have reached
target × the elapsed share of the period's days; a stock indicator (a level such as a rate) to
have moved from its previous-period value towards the target by that share, or to be at the
target when no previous value is known. A seasonal profile (monthly weights, as data) replaces
the elapsed share when given. Changes vs the previous period are in the indicator's own unit —
percentage points ("pp") for rates, never "%". Since actual / target × 100 of a missed
lower-is-better target is above 100 (and reads as over-achievement), an evaluation also states
the planned versus achieved change from the previous period (plan: reduce by 1.00 pp; achieved:
reduced by 1.41 pp, 141 % of the planned reduction) and its status in words with the direction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path

from egov_indicators.domain.definitions import (
    CATALOGUE_DIR,
    Direction,
    IndicatorDefinition,
    Temporal,
)
from egov_indicators.domain.periods import Period


class Status(StrEnum):
    """achieved — đạt; missed — không đạt; on-track — đúng tiến độ; at-risk — có nguy cơ."""

    ACHIEVED = "achieved"
    MISSED = "missed"
    ON_TRACK = "on-track"
    AT_RISK = "at-risk"


class Expectation(StrEnum):
    LINEAR = "linear"
    SEASONAL = "seasonal"


def round_half_up(value: Decimal, places: int = 2) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def achievement_pct(actual: Decimal, target: Decimal) -> Decimal | None:
    """actual / target × 100, half-up to 2 decimals; None when the target is zero."""
    if target == 0:
        return None
    return round_half_up(Decimal(actual) / Decimal(target) * 100)


def meets(direction: Direction, actual: Decimal, reference: Decimal) -> bool:
    if direction is Direction.LOWER_IS_BETTER:
        return actual <= reference
    return actual >= reference


@dataclass(frozen=True)
class SeasonalProfile:
    """Relative weight of each calendar month (January first), e.g. hiring peaks after Tết."""

    monthly_weights: tuple[Decimal, ...]

    def __post_init__(self) -> None:
        if len(self.monthly_weights) != 12 or any(w < 0 for w in self.monthly_weights):
            raise ValueError("a seasonal profile has 12 non-negative monthly weights")
        if sum(self.monthly_weights) <= 0:
            raise ValueError("a seasonal profile needs a positive weight")

    def elapsed_share(self, period: Period, day: date) -> Decimal:
        """Share of the period's weight elapsed at the end of ``day`` (linear within a month)."""
        months = period.months()
        total = sum((self.monthly_weights[m.index - 1] for m in months), Decimal(0))
        if total == 0:
            return period.elapsed_fraction(day)
        done = sum(
            (self.monthly_weights[m.index - 1] * m.elapsed_fraction(day) for m in months),
            Decimal(0),
        )
        return done / total


def expected_share(period: Period, day: date, profile: SeasonalProfile | None = None) -> Decimal:
    return profile.elapsed_share(period, day) if profile else period.elapsed_fraction(day)


def expected_to_date(
    definition: IndicatorDefinition,
    target: Decimal,
    period: Period,
    day: date,
    *,
    baseline: Decimal | None = None,
    profile: SeasonalProfile | None = None,
) -> Decimal:
    """What the actual should be by ``day`` to be on course for the target."""
    share = expected_share(period, day, profile)
    if definition.temporal is Temporal.FLOW:
        expected = target * share
    elif baseline is None:
        expected = target
    else:
        expected = baseline + (target - baseline) * share
    return round_half_up(expected, definition.decimals)


@dataclass(frozen=True)
class Change:
    """A change between periods in the indicator's own unit (``pp`` for rates)."""

    value: Decimal
    unit: str

    @property
    def label(self) -> str:
        sign = "+" if self.value > 0 else "−" if self.value < 0 else "±"
        return f"{sign}{abs(self.value):f} {self.unit}"


def change_vs_previous(
    definition: IndicatorDefinition, current: Decimal, previous: Decimal
) -> Change:
    """6.74 % → 5.33 % is −1.41 pp."""
    return Change(
        round_half_up(Decimal(current) - Decimal(previous), definition.decimals),
        definition.change_unit,
    )


@dataclass(frozen=True)
class Progress:
    """Planned versus achieved change from the previous period, in the indicator's own unit:
    how provincial reports state a lower-is-better target ("giảm 1,0 điểm %, thực hiện giảm
    1,41 điểm %"), where actual / target × 100 would read as over-achievement when missed."""

    planned: Decimal  # target − previous
    achieved: Decimal  # actual − previous
    unit: str
    pct_of_planned: Decimal | None  # achieved / planned × 100; None when nothing was planned


def progress(
    definition: IndicatorDefinition, target: Decimal, actual: Decimal, previous: Decimal
) -> Progress:
    planned = round_half_up(Decimal(target) - Decimal(previous), definition.decimals)
    achieved = round_half_up(Decimal(actual) - Decimal(previous), definition.decimals)
    pct = None if planned == 0 else round_half_up(achieved / planned * 100)
    return Progress(planned, achieved, definition.change_unit, pct)


def vn_number(value: Decimal) -> str:
    """1234.5 → 1.234,5 (Vietnamese: dot between thousands, comma before decimals)."""
    text = f"{abs(value):,f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"-{text}" if value < 0 else text


_UNIT_VI = {"pp": "điểm %", "%": "%"}
_STATUS_VI = {
    "achieved": "Đạt kế hoạch",
    "missed": "Không đạt kế hoạch",
    "on-track": "Đúng tiến độ",
    "at-risk": "Có nguy cơ không đạt",
}


def _amount(value: Decimal, unit: str) -> str:
    shown = _UNIT_VI.get(unit, unit)
    return f"{vn_number(value)}{shown}" if shown == "%" else f"{vn_number(value)} {shown}"


def _move(value: Decimal, unit: str) -> str:
    if value == 0:
        return "không đổi"
    return f"{'giảm' if value < 0 else 'tăng'} {_amount(abs(value), unit)}"


@dataclass(frozen=True)
class Evaluation:
    indicator_code: str
    period: Period
    target: Decimal
    actual: Decimal
    measure_unit: str
    direction: Direction
    achievement_pct: Decimal | None
    status: Status
    period_closed: bool
    expected_to_date: Decimal | None = None
    expectation: Expectation | None = None
    change: Change | None = None
    progress: Progress | None = None

    @property
    def verdict_vi(self) -> str:
        """The status in words that cannot be misread, with the direction and, when the
        previous period is known, the planned versus achieved change (no day-dependent figure,
        so it changes only when the status or the values do)."""
        status = _STATUS_VI[self.status.value]
        unit = self.measure_unit
        if self.direction is Direction.LOWER_IS_BETTER:
            plan = f"chỉ tiêu càng thấp càng tốt, kế hoạch không quá {_amount(self.target, unit)}"
        else:
            plan = f"kế hoạch {_amount(self.target, unit)}"
        text = f"{status}: thực hiện {_amount(self.actual, unit)} ({plan})"
        if self.progress is not None:
            p = self.progress
            text += (
                f"; kế hoạch {_move(p.planned, p.unit)}, thực hiện {_move(p.achieved, p.unit)}"
                " so với kỳ trước"
            )
            if p.pct_of_planned is not None and p.pct_of_planned >= 0:
                text += f" ({vn_number(p.pct_of_planned)}% mức kế hoạch)"
        return text


def evaluate(
    definition: IndicatorDefinition,
    period: Period,
    *,
    target: Decimal,
    actual: Decimal,
    as_of: date,
    previous: Decimal | None = None,
    profile: SeasonalProfile | None = None,
) -> Evaluation:
    """Achievement and status of one indicator, unit and period as of a day.

    ``previous`` is the value of the previous period of the same kind: the change is reported
    against it, and for a stock indicator it is the baseline of the expectation to date.
    """
    closed = period.is_closed_on(as_of)
    expected: Decimal | None = None
    expectation: Expectation | None = None
    if closed:
        status = Status.ACHIEVED if meets(definition.direction, actual, target) else Status.MISSED
    else:
        expectation = Expectation.SEASONAL if profile else Expectation.LINEAR
        expected = expected_to_date(
            definition, target, period, as_of, baseline=previous, profile=profile
        )
        ok = meets(definition.direction, actual, expected)
        status = Status.ON_TRACK if ok else Status.AT_RISK
    return Evaluation(
        indicator_code=definition.code,
        period=period,
        target=target,
        actual=actual,
        measure_unit=definition.measure_unit,
        direction=definition.direction,
        achievement_pct=achievement_pct(actual, target),
        status=status,
        period_closed=closed,
        expected_to_date=expected,
        expectation=expectation,
        change=None if previous is None else change_vs_previous(definition, actual, previous),
        progress=None if previous is None else progress(definition, target, actual, previous),
    )


def due_for_reevaluation(period: Period, today: date, last_closed: bool | None) -> bool:
    """Whether the mere passing of days may have changed a target's evaluation on ``today``.

    A period in progress moves its expectation every day (on-track can turn at-risk with the
    same value); a period that has ended since its last evaluation (made while it was still
    open, ``last_closed`` false) turns achieved or missed. A period not yet begun, or one whose
    last evaluation already saw it closed (or that was never evaluated: no actual value), has
    nothing new to say until a value or the target changes.
    """
    if today < period.start:
        return False
    if not period.is_closed_on(today):
        return True
    return last_closed is False


def seasonal_profile(weights: Sequence[Decimal | int | str]) -> SeasonalProfile:
    return SeasonalProfile(tuple(Decimal(w) for w in weights))


def load_seasonal_profiles(
    path: Path = CATALOGUE_DIR / "seasonal-profiles.json",
) -> dict[str, SeasonalProfile]:
    """Seasonal profiles by indicator code; indicators without one use the linear expectation."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        code: seasonal_profile(item["monthly_weights"])
        for code, item in data.get("profiles", {}).items()
    }
