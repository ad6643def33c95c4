"""The nomination file's state machine: transitions, who/when/why, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from egov_nominations.domain import (
    Action,
    AwardKind,
    Decision,
    InvalidTransition,
    NominationFile,
    NomineeKind,
    Status,
    allowed_actions,
)
from egov_nominations.domain.workflow import TRANSITIONS
from hypothesis import given
from hypothesis import strategies as st

ICT = timezone(timedelta(hours=7))


def weekdays_only(start: date, n: int) -> date:
    """Test calendar: Monday to Friday are working days (no holidays)."""
    d = start
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ICT)


def new_file() -> NominationFile:
    return NominationFile(
        id="hs-2025-001",
        nominee_kind=NomineeKind.INDIVIDUAL,
        nominee_ref="cb-001",
        award=AwardKind.BANG_KHEN_CHU_TICH_TINH,
        achievement_year=2025,
    )


MON = date(2026, 1, 5)
DECISION = Decision(
    number="125/QĐ-UBND",
    decided_on=date(2026, 1, 28),
    signer="Chủ tịch UBND tỉnh",
    deciding_unit="ubnd-tinh",
)


def test_full_path_records_who_when_why_and_deadlines() -> None:
    f = new_file().submit("can-bo-to-chuc", at(MON), weekdays_only)
    assert f.status == Status.SUBMITTED
    assert f.received_on == MON
    assert f.return_by == date(2026, 1, 12)  # 5 working days after Monday 5 Jan

    f = f.return_for_completion(
        "chuyen-vien-tdkt", at(MON + timedelta(days=2)), ["Thiếu báo cáo thành tích"]
    )
    assert f.status == Status.RETURNED
    assert f.return_reasons == ("Thiếu báo cáo thành tích",)
    assert not f.history[-1].overdue

    f = f.submit("can-bo-to-chuc", at(date(2026, 1, 8)), weekdays_only)
    f = f.accept_complete("chuyen-vien-tdkt", at(date(2026, 1, 9)), weekdays_only)
    assert f.status == Status.UNDER_REVIEW
    assert f.complete_on == date(2026, 1, 9)
    assert f.decide_by == date(2026, 2, 6)  # 20 working days after Friday 9 Jan
    assert f.return_reasons == ()

    f = f.approve("hoi-dong-tdkt", at(date(2026, 1, 20)), "Hội đồng biểu quyết 10/11")
    f = f.decide("chu-tich-ubnd", at(date(2026, 1, 28)), DECISION)
    assert f.status == Status.DECIDED
    assert f.is_final
    assert f.decision == DECISION
    assert [t.to_status for t in f.history] == [
        Status.SUBMITTED,
        Status.RETURNED,
        Status.SUBMITTED,
        Status.UNDER_REVIEW,
        Status.APPROVED,
        Status.DECIDED,
    ]
    assert [t.actor for t in f.history][-2:] == ["hoi-dong-tdkt", "chu-tich-ubnd"]
    assert f.history[1].reason == "Thiếu báo cáo thành tích"
    assert "125/QĐ-UBND" in (f.history[-1].reason or "")
    assert not f.history[-1].overdue


def test_forward_to_higher_level_then_decided_or_rejected() -> None:
    f = (
        new_file()
        .submit("a", at(MON), weekdays_only)
        .accept_complete("b", at(MON), weekdays_only)
        .approve("c", at(MON))
        .forward("giam-doc-so", at(MON + timedelta(days=1)), "province")
    )
    assert f.status == Status.FORWARDED
    assert f.forwarded_to == "province"
    assert f.decide("chu-tich", at(date(2026, 1, 28)), DECISION).status == Status.DECIDED
    assert (
        f.reject("chu-tich", at(date(2026, 1, 28)), "Không đủ tiêu chuẩn").status == Status.REJECTED
    )


def test_rejection_needs_a_reason_and_is_final() -> None:
    f = new_file().submit("a", at(MON), weekdays_only).accept_complete("b", at(MON), weekdays_only)
    with pytest.raises(InvalidTransition, match="reason"):
        f.reject("c", at(MON), "  ")
    r = f.reject("c", at(MON), "Phiếu bầu không đạt 90%")
    assert r.status == Status.REJECTED and r.is_final
    assert allowed_actions(Status.REJECTED) == []
    with pytest.raises(InvalidTransition, match="none \\(final\\)"):
        r.approve("c", at(MON))


def test_impossible_transitions_raise_clear_errors() -> None:
    f = new_file()
    with pytest.raises(InvalidTransition, match="cannot decide a nomination that is draft") as e:
        f.decide("x", at(MON), DECISION)
    assert e.value.status == Status.DRAFT and e.value.action == Action.DECIDE
    submitted = f.submit("a", at(MON), weekdays_only)
    with pytest.raises(InvalidTransition, match="allowed: return, accept"):
        submitted.approve("x", at(MON))
    # Unchanged after a refused action.
    assert submitted.status == Status.SUBMITTED and len(submitted.history) == 1


def test_return_needs_reasons() -> None:
    f = new_file().submit("a", at(MON), weekdays_only)
    with pytest.raises(InvalidTransition, match="reason"):
        f.return_for_completion("b", at(MON), ["", "  "])


def test_late_return_and_late_decision_are_marked_overdue() -> None:
    f = new_file().submit("a", at(MON), weekdays_only)
    assert not f.is_overdue(date(2026, 1, 12))
    assert f.is_overdue(date(2026, 1, 13))
    late = f.return_for_completion("b", at(date(2026, 1, 13)), ["Thiếu biên bản họp"])
    assert late.history[-1].overdue

    r = f.accept_complete("b", at(MON), weekdays_only).approve("c", at(MON))
    assert r.decide_by == date(2026, 2, 2)
    assert r.is_overdue(date(2026, 2, 3))
    late_decision = DECISION.model_copy(update={"decided_on": date(2026, 2, 3)})
    assert r.decide("d", at(date(2026, 2, 3)), late_decision).history[-1].overdue


def test_the_injected_calendar_sets_deadlines() -> None:
    def plus_n_calendar_days(d: date, n: int) -> date:
        return d + timedelta(days=n)

    f = new_file().submit("a", at(MON), plus_n_calendar_days)
    assert f.return_by == MON + timedelta(days=5)
    g = f.accept_complete("b", at(MON), plus_n_calendar_days)
    assert g.decide_by == MON + timedelta(days=20)


def test_transitions_need_actor_aware_time_and_order() -> None:
    f = new_file()
    with pytest.raises(InvalidTransition, match="actor"):
        f.submit(" ", at(MON), weekdays_only)
    with pytest.raises(InvalidTransition, match="zone-aware"):
        f.submit("a", datetime(2026, 1, 5, 9), weekdays_only)
    s = f.submit("a", at(MON), weekdays_only)
    with pytest.raises(InvalidTransition, match="earlier"):
        s.accept_complete("b", at(MON) - timedelta(hours=1), weekdays_only)
    assert s.accept_complete("b", at(MON).astimezone(UTC), weekdays_only).history[-1].at == at(MON)


@given(st.lists(st.sampled_from(list(Action)), max_size=12))
def test_any_sequence_of_actions_follows_the_table(actions: list[Action]) -> None:
    f = new_file()
    t = at(MON)
    for action in actions:
        before = f.status
        expected = TRANSITIONS.get((before, action))
        try:
            f = _do(f, action, t)
        except InvalidTransition:
            assert expected is None
            continue
        assert expected is not None
        assert f.status == expected
        assert f.history[-1].from_status == before
        t += timedelta(hours=1)
    assert len(f.history) == len([x for x in f.history if x.actor == "u"])


def _do(f: NominationFile, action: Action, t: datetime) -> NominationFile:
    match action:
        case Action.SUBMIT:
            return f.submit("u", t, weekdays_only)
        case Action.RETURN:
            return f.return_for_completion("u", t, ["thiếu hồ sơ"])
        case Action.ACCEPT:
            return f.accept_complete("u", t, weekdays_only)
        case Action.APPROVE:
            return f.approve("u", t)
        case Action.REJECT:
            return f.reject("u", t, "không đạt")
        case Action.FORWARD:
            return f.forward("u", t, "province")
        case Action.DECIDE:
            return f.decide("u", t, DECISION)
