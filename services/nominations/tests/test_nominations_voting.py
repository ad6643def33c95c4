"""Council tallies: 2/3 quorum, share of all members, impossible counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from egov_nominations.domain import InvalidTally, tally_result
from hypothesis import given
from hypothesis import strategies as st


def test_seven_of_eleven_present_takes_no_valid_vote() -> None:
    v = tally_result(11, 7, 7, 80)
    assert not v.quorum_met
    assert not v.valid
    assert not v.passed
    assert "7/11" in v.message_vi
    assert "no valid vote" in v.message_en


def test_eight_of_eleven_present_is_a_quorum() -> None:
    v = tally_result(11, 8, 8, 70)
    assert v.quorum_met and v.valid and v.passed
    assert v.share_of_all_pct == Decimal("72.7")


@pytest.mark.parametrize(
    ("votes", "passed", "share"), [(9, False, Decimal("81.8")), (10, True, Decimal("90.9"))]
)
def test_worked_example_90_pct(votes: int, passed: bool, share: Decimal) -> None:
    v = tally_result(11, 11, votes, 90)
    assert v.passed is passed
    assert v.share_of_all_pct == share


@pytest.mark.parametrize(("votes", "passed"), [(899, False), (900, True)])
def test_boundary_89_9_vs_90(votes: int, passed: bool) -> None:
    v = tally_result(1000, 1000, votes, 90)
    assert v.passed is passed
    assert v.share_of_all_pct == Decimal(votes) / 10


def test_share_is_of_all_members_not_of_present() -> None:
    v = tally_result(30, 20, 20, 80)
    assert v.quorum_met
    assert v.share_of_all_pct == Decimal("66.7")
    assert not v.passed


@pytest.mark.parametrize(
    ("total", "present", "votes"),
    [(11, 12, 5), (11, 8, 9), (0, 0, 0), (11, -1, 0), (11, 5, -1)],
)
def test_impossible_counts_are_errors(total: int, present: int, votes: int) -> None:
    with pytest.raises(InvalidTally):
        tally_result(total, present, votes, 80)


def test_threshold_must_be_a_percentage() -> None:
    with pytest.raises(InvalidTally):
        tally_result(11, 11, 11, 101)


@given(
    total=st.integers(1, 200),
    data=st.data(),
    threshold=st.decimals(min_value=0, max_value=100, places=1),
)
def test_tally_properties(total: int, data: st.DataObject, threshold: Decimal) -> None:
    present = data.draw(st.integers(0, total))
    votes = data.draw(st.integers(0, present))
    v = tally_result(total, present, votes, threshold)
    assert v.quorum_met is (3 * present >= 2 * total)
    assert v.passed is (v.quorum_met and Decimal(votes) * 100 >= threshold * total)
    assert not (v.passed and not v.valid)
