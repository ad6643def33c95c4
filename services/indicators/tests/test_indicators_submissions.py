from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from egov_indicators.domain.definitions import load_catalogue
from egov_indicators.domain.periods import Period
from egov_indicators.domain.submissions import (
    ChangeKind,
    Decision,
    LockRefused,
    Outcome,
    PeriodState,
    decide_submission,
    lock_period,
)
from egov_indicators.domain.validation import load_rules, validate
from egov_indicators.domain.values import HistoricValue, ReportedValue, Submission
from egov_units import AdminUnit, Hierarchy

CAT = load_catalogue()
RULES = load_rules(catalogue=CAT)
D = Decimal
YEAR = Period.parse("2025")
UNIT = "38.XA.DONGSON"
HIERARCHY = Hierarchy(
    [
        AdminUnit("38", None, level="province"),
        AdminUnit(
            "38.389", "38", level="district", valid_to=date(2025, 6, 30), successor_code=UNIT
        ),
        AdminUnit(UNIT, "38", level="commune", valid_from=date(2025, 7, 1)),
        AdminUnit("38.XA.HACTHANH", "38", level="commune", valid_from=date(2025, 7, 1)),
    ]
)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


def submission(
    sid: str,
    *values: tuple[str, int | str],
    when: datetime | None = None,
    replaces: str | None = None,
    reason: str | None = None,
    by: str = "xa-dongson",
) -> Submission:
    return Submission(
        sid,
        UNIT,
        YEAR,
        tuple(ReportedValue.of(c, v) for c, v in values),
        by,
        when or at(5),
        replaces,
        reason,
    )


def decide(state: PeriodState, s: Submission) -> Decision:
    return decide_submission(state, s, validate(s, CAT, RULES, current=state.current_values()))


FIRST = submission("S1", ("HO_TONG", 10000), ("HO_NGHEO", 533), ("HO_CAN_NGHEO", 700))


def accepted_state() -> PeriodState:
    decision = decide(PeriodState(UNIT, YEAR), FIRST)
    assert decision.outcome is Outcome.ACCEPTED
    return decision.state


def test_first_submission_records_every_value() -> None:
    decision = decide(PeriodState(UNIT, YEAR), FIRST)
    assert decision.accepted
    assert {(c.indicator_code, c.new, c.kind) for c in decision.changes} == {
        ("HO_TONG", D(10000), ChangeKind.CREATED),
        ("HO_NGHEO", D(533), ChangeKind.CREATED),
        ("HO_CAN_NGHEO", D(700), ChangeKind.CREATED),
    }
    recorded = decision.state.values[("HO_NGHEO", ())]
    assert (recorded.value, recorded.revision, recorded.submission_id) == (D(533), 1, "S1")
    assert decision.state.submissions == ("S1",)


def test_the_same_submission_again_changes_nothing() -> None:
    state = accepted_state()
    again = decide(state, FIRST)
    assert again.outcome is Outcome.DUPLICATE and again.accepted
    assert again.state is state and again.changes == ()


def test_a_rejected_submission_records_nothing_and_lists_every_violation() -> None:
    bad = submission("S2", ("HO_TONG", 100), ("HO_NGHEO", 150), ("HO_CAN_NGHEO", -1))
    state = accepted_state()
    decision = decide(state, bad)
    assert decision.outcome is Outcome.REJECTED and not decision.accepted
    assert decision.state is state
    assert {v.rule_id for v in decision.violations} == {
        "range",
        "poor-within-households",
        "poor-and-near-poor-within-households",
    }


def test_a_later_submission_replaces_values_with_history() -> None:
    state = accepted_state()
    later = submission(
        "S2",
        ("HO_NGHEO", 520),
        ("HO_TONG", 10000),
        when=at(6),
        by="xa-ketoan",
        replaces="S1",
        reason="Rà soát lại danh sách hộ nghèo",
    )
    decision = decide(state, later)
    assert decision.outcome is Outcome.ACCEPTED
    assert [(c.indicator_code, c.old, c.new, c.revision, c.kind) for c in decision.changes] == [
        ("HO_NGHEO", D(533), D(520), 2, ChangeKind.UPDATED)
    ]
    assert decision.unchanged == (("HO_TONG", ()),)
    new = decision.state
    assert new.values[("HO_NGHEO", ())].value == D(520)
    assert new.values[("HO_NGHEO", ())].recorded_by == "xa-ketoan"
    assert new.values[("HO_CAN_NGHEO", ())].value == D(700)  # not mentioned: kept
    record = new.history[-1]
    assert (record.submission_id, record.changed_by, record.changed_at, record.replaces) == (
        "S2",
        "xa-ketoan",
        at(6),
        "S1",
    )
    assert record.reason == "Rà soát lại danh sách hộ nghèo"
    assert [h.submission_id for h in new.history] == ["S1", "S2"]


def test_warnings_are_stored_with_the_values() -> None:
    history = [HistoricValue("HO_NGHEO", Period.parse("2024"), D(300))]
    result = validate(FIRST, CAT, RULES, history)  # 300 → 533 households: a jump of 77.7 %
    decision = decide_submission(PeriodState(UNIT, YEAR), FIRST, result)
    assert decision.accepted
    assert decision.state.values[("HO_NGHEO", ())].warnings == ("jump-over-50-percent",)
    assert decision.state.values[("HO_TONG", ())].warnings == ()
    assert [w.rule_id for w in decision.warnings] == ["jump-over-50-percent"]


def test_correcting_an_unknown_submission_is_rejected() -> None:
    decision = decide(accepted_state(), submission("S2", ("HO_NGHEO", 1), replaces="S9"))
    assert [v.rule_id for v in decision.violations] == ["unknown-replaced-submission"]


def locked_state() -> PeriodState:
    return lock_period(
        accepted_state(),
        approved_by="tinh-38-lanhdao",
        approver_unit="38",
        at=at(20),
        hierarchy=HIERARCHY,
    )


def test_only_the_level_above_locks_a_reported_period() -> None:
    state = locked_state()
    assert state.locked and state.lock is not None and state.lock.approver_unit == "38"
    with pytest.raises(LockRefused) as refused:
        lock_period(
            accepted_state(),
            approved_by="x",
            approver_unit="38.XA.HACTHANH",
            at=at(20),
            hierarchy=HIERARCHY,
        )
    assert refused.value.rule_id == "not-level-above"
    with pytest.raises(LockRefused) as again:
        lock_period(state, approved_by="x", approver_unit="38", at=at(21), hierarchy=HIERARCHY)
    assert again.value.rule_id == "already-locked"
    with pytest.raises(LockRefused) as empty:
        lock_period(
            PeriodState(UNIT, YEAR),
            approved_by="x",
            approver_unit="38",
            at=at(20),
            hierarchy=HIERARCHY,
        )
    assert empty.value.rule_id == "nothing-to-approve"


def test_a_locked_period_refuses_an_ordinary_submission() -> None:
    decision = decide(locked_state(), submission("S2", ("HO_NGHEO", 520)))
    assert decision.outcome is Outcome.REJECTED
    assert [v.rule_id for v in decision.violations] == ["period-locked"]


def test_a_locked_period_needs_a_reason_for_a_correction() -> None:
    decision = decide(
        locked_state(), submission("S2", ("HO_NGHEO", 520), replaces="S1", reason="  ")
    )
    assert [v.rule_id for v in decision.violations] == ["correction-reason-required"]


def test_a_correction_with_a_reason_is_accepted_after_lock() -> None:
    state = locked_state()
    decision = decide(
        state,
        submission("S2", ("HO_NGHEO", 520), when=at(25), replaces="S1", reason="Phúc tra của tỉnh"),
    )
    assert decision.outcome is Outcome.ACCEPTED
    assert decision.state.locked  # still approved; the correction is in the history
    assert decision.state.values[("HO_NGHEO", ())].revision == 2
    assert decision.state.history[-1].reason == "Phúc tra của tỉnh"


def test_lock_violations_and_rule_violations_are_listed_together() -> None:
    bad = submission("S2", ("HO_TONG", 100), ("HO_NGHEO", 150), ("HO_CAN_NGHEO", 0))
    decision = decide(locked_state(), bad)
    assert {v.rule_id for v in decision.violations} == {
        "poor-within-households",
        "poor-and-near-poor-within-households",
        "period-locked",
    }


def test_state_must_match_the_submission() -> None:
    with pytest.raises(ValueError):
        decide_submission(PeriodState("38", YEAR), FIRST)


def test_a_partial_correction_is_judged_with_the_recorded_values() -> None:
    state = accepted_state()  # 10,000 households of which 533 poor and 700 near-poor
    fine = decide(state, submission("S2", ("HO_NGHEO", 520), replaces="S1"))
    assert fine.outcome is Outcome.ACCEPTED  # the survey's other values are on record
    too_many = decide(state, submission("S3", ("HO_NGHEO", 9500), replaces="S1"))
    assert [v.rule_id for v in too_many.violations] == ["poor-and-near-poor-within-households"]
