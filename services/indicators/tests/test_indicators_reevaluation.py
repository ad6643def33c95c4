"""Open periods re-evaluated as days pass: with the same value and target, the status moves
with the day alone (on-track → at-risk as the expectation rises, achieved or missed once the
period has ended), and only such targets are due for re-evaluation."""

from datetime import date
from decimal import Decimal

import pytest
from egov_indicators.domain.achievement import Status, due_for_reevaluation, evaluate
from egov_indicators.domain.definitions import load_catalogue
from egov_indicators.domain.periods import Period

CAT = load_catalogue()
D = Decimal
Q3 = Period.parse("2026-Q3")  # 1 July – 30 September: 92 days


def status_on(day: date, actual: int, target: int = 920) -> Status:
    ev = evaluate(CAT["VL_GQVL"], Q3, target=D(target), actual=D(actual), as_of=day)
    return ev.status


def test_same_value_turns_from_on_track_to_at_risk_as_days_pass() -> None:
    # 300 jobs against 920 for the quarter: 20 days in, 200 are expected; 31 days in, 310
    early = evaluate(CAT["VL_GQVL"], Q3, target=D(920), actual=D(300), as_of=date(2026, 7, 20))
    late = evaluate(CAT["VL_GQVL"], Q3, target=D(920), actual=D(300), as_of=date(2026, 7, 31))
    assert (early.status, early.expected_to_date) == (Status.ON_TRACK, D(200))
    assert (late.status, late.expected_to_date) == (Status.AT_RISK, D(310))
    assert early.achievement_pct == late.achievement_pct == D("32.61")
    assert not early.period_closed and not late.period_closed


def test_last_day_is_still_open_and_the_next_day_decides() -> None:
    assert status_on(date(2026, 9, 30), 920) is Status.ON_TRACK
    assert status_on(date(2026, 9, 30), 919) is Status.AT_RISK
    closed = evaluate(CAT["VL_GQVL"], Q3, target=D(920), actual=D(920), as_of=date(2026, 10, 1))
    assert (closed.status, closed.period_closed, closed.expectation) == (
        Status.ACHIEVED,
        True,
        None,
    )
    assert status_on(date(2026, 10, 1), 919) is Status.MISSED


def test_lower_is_better_stock_moves_towards_its_target_with_the_days() -> None:
    # poverty 6.74 % last year, 5.33 % planned: 5.60 % is on track in March, behind by December
    year = Period.parse("2026")
    poverty = CAT["TL_HO_NGHEO"]

    def at(day: date) -> Status:
        ev = evaluate(
            poverty, year, target=D("5.33"), actual=D("5.60"), as_of=day, previous=D("6.74")
        )
        return ev.status

    assert at(date(2026, 3, 31)) is Status.ON_TRACK
    assert at(date(2026, 12, 1)) is Status.AT_RISK
    assert at(date(2027, 1, 1)) is Status.MISSED


@pytest.mark.parametrize(
    ("today", "last_closed", "due"),
    [
        (date(2026, 6, 30), None, False),  # not begun
        (date(2026, 6, 30), False, False),
        (date(2026, 7, 1), None, True),  # in progress: the expectation moves every day
        (date(2026, 8, 15), False, True),
        (date(2026, 9, 30), False, True),
        (date(2026, 10, 1), False, True),  # ended since an evaluation made while open
        (date(2027, 3, 1), False, True),
        (date(2026, 10, 1), True, False),  # already evaluated as closed
        (date(2026, 10, 1), None, False),  # never evaluated: no actual value to judge
    ],
)
def test_due_for_reevaluation(today: date, last_closed: bool | None, due: bool) -> None:
    assert due_for_reevaluation(Q3, today, last_closed) is due
