from datetime import date
from decimal import Decimal

import pytest
from egov_indicators.domain.periods import Period, PeriodError, PeriodKind
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026", PeriodKind.YEAR, date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-H1", PeriodKind.HALF_YEAR, date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-H2", PeriodKind.HALF_YEAR, date(2026, 7, 1), date(2026, 12, 31)),
        ("2026-Q3", PeriodKind.QUARTER, date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-07", PeriodKind.MONTH, date(2026, 7, 1), date(2026, 7, 31)),
        ("2024-02", PeriodKind.MONTH, date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_parse_gives_kind_and_dates(text: str, kind: PeriodKind, start: date, end: date) -> None:
    p = Period.parse(text)
    assert p.kind is kind
    assert (p.start, p.end) == (start, end)
    assert str(p) == text


@pytest.mark.parametrize("text", ["26", "2026-Q5", "2026-H3", "2026-13", "2026-7", "2026Q1", ""])
def test_parse_refuses_other_forms(text: str) -> None:
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_previous_and_same_period_last_year() -> None:
    assert str(Period.parse("2026-Q1").previous()) == "2025-Q4"
    assert str(Period.parse("2026-07").previous()) == "2026-06"
    assert str(Period.parse("2026-H1").previous()) == "2025-H2"
    assert str(Period.parse("2026").previous()) == "2025"
    assert str(Period.parse("2026-Q3").same_period_last_year()) == "2025-Q3"


def test_containment() -> None:
    year = Period.parse("2026")
    assert year.contains(Period.parse("2026-Q3"))
    assert year.contains(Period.parse("2026-07"))
    assert Period.parse("2026-H2").contains(Period.parse("2026-Q3"))
    assert not Period.parse("2026-H1").contains(Period.parse("2026-Q3"))
    assert not Period.parse("2026-Q3").contains(year)
    assert year.contains(date(2026, 12, 31))
    assert not year.contains(date(2027, 1, 1))


def test_elapsed_fraction_is_linear_in_days() -> None:
    q = Period.parse("2026-Q1")  # 90 days
    assert q.elapsed_fraction(date(2025, 12, 31)) == 0
    assert q.elapsed_fraction(date(2026, 1, 1)) == Decimal(1) / Decimal(90)
    assert q.elapsed_fraction(date(2026, 2, 14)) == Decimal(45) / Decimal(90)
    assert q.elapsed_fraction(date(2026, 3, 31)) == 1
    assert q.elapsed_fraction(date(2026, 6, 1)) == 1
    assert not q.is_closed_on(date(2026, 3, 31))
    assert q.is_closed_on(date(2026, 4, 1))


periods = st.builds(
    lambda year, kind, raw: Period(year, kind, raw % (12 // kind.months) + 1),
    st.integers(min_value=2, max_value=9998),
    st.sampled_from(list(PeriodKind)),
    st.integers(min_value=0, max_value=11),
)


@given(periods)
def test_text_round_trip(p: Period) -> None:
    assert Period.parse(str(p)) == p


@given(periods)
def test_previous_is_adjacent_and_inverse_of_next(p: Period) -> None:
    before = p.previous()
    assert before.kind is p.kind
    assert (p.start - before.end).days == 1
    assert before.next() == p
    assert p.same_period_last_year().start.replace(year=p.year) == p.start


@given(periods)
def test_months_tile_the_period(p: Period) -> None:
    months = p.months()
    assert len(months) == p.kind.months
    assert months[0].start == p.start and months[-1].end == p.end
    assert all(p.contains(m) for m in months)
    assert sum(m.days for m in months) == p.days
