"""Council votes: quorum of two thirds of the members, share counted on ALL members.

Exact arithmetic with fractions so that 2/3 and thresholds such as 90 % never suffer from
floating-point rounding at the boundary.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

QUORUM = Fraction(2, 3)


class InvalidTally(ValueError):
    """The counts cannot be right (more present than members, more votes than present)."""


class VoteResult(BaseModel):
    """A council tally per nominee: counts only, never who voted how."""

    model_config = ConfigDict(frozen=True)

    members_total: int
    present: int
    votes_for: int
    threshold_pct: Decimal
    quorum_met: bool
    valid: bool
    share_of_all_pct: Decimal
    passed: bool
    message_vi: str
    message_en: str


def _pct(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def tally_result(
    members_total: int, present: int, votes_for: int, threshold_pct: Decimal | int | str
) -> VoteResult:
    """Judge a secret-ballot tally.

    No valid vote below a quorum of 2/3 of all members; the share is votes for over all
    members, not over those present. Raises `InvalidTally` for impossible counts.
    """
    threshold = Decimal(str(threshold_pct))
    if members_total < 1:
        raise InvalidTally(f"a council needs members, got {members_total}")
    if present < 0 or votes_for < 0:
        raise InvalidTally("counts cannot be negative")
    if present > members_total:
        raise InvalidTally(f"{present} present but the council has only {members_total} members")
    if votes_for > present:
        raise InvalidTally(f"{votes_for} votes for but only {present} members present")
    if not Decimal(0) <= threshold <= Decimal(100):
        raise InvalidTally(f"threshold {threshold} % is not a percentage")

    quorum_met = Fraction(present, members_total) >= QUORUM
    share = Fraction(votes_for, members_total)
    passed = quorum_met and share * 100 >= Fraction(threshold)
    share_pct = _pct(votes_for, members_total)
    if not quorum_met:
        vi = (
            f"Không đủ túc số: {present}/{members_total} thành viên có mặt (< 2/3), "
            "không bỏ phiếu hợp lệ"
        )
        en = f"No quorum: {present} of {members_total} members present (< 2/3); no valid vote"
    else:
        verdict_vi = "đạt" if passed else "không đạt"
        verdict_en = "passes" if passed else "fails"
        vi = (
            f"{votes_for}/{members_total} thành viên đồng ý ({share_pct}% tổng số thành viên), "
            f"yêu cầu ≥ {threshold}%: {verdict_vi}"
        )
        en = (
            f"{votes_for} of {members_total} members for ({share_pct}% of all members), "
            f"needs ≥ {threshold}%: {verdict_en}"
        )
    return VoteResult(
        members_total=members_total,
        present=present,
        votes_for=votes_for,
        threshold_pct=threshold,
        quorum_met=quorum_met,
        valid=quorum_met,
        share_of_all_pct=share_pct,
        passed=passed,
        message_vi=vi,
        message_en=en,
    )
