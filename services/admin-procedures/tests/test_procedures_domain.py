"""The dossier lifecycle, deadlines, timeliness and warnings (domain.md §1), without I/O."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime

import pytest
from egov_procedures.domain.dossier import (
    ApologyRefused,
    colour,
    diff,
    fold,
    record_apology,
    timeliness,
    warning_schedule,
)
from egov_procedures.domain.model import (
    Apology,
    Channel,
    Phase,
    Procedure,
    Result,
    Status,
    StatusReport,
    SupplementRule,
    Timeliness,
    TimeUnit,
)
from egov_workdays import VN_TZ, WorkCalendar
from hypothesis import given, settings
from hypothesis import strategies as st

CAL = WorkCalendar()
TEN_DAYS = Procedure("P10", "Mười ngày", 10)
_ids = itertools.count()


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


def report(
    status: Status,
    at: datetime,
    result: Result | None = None,
    code: str = "HS-1",
    channel: Channel | None = Channel.COUNTER,
) -> StatusReport:
    return StatusReport(f"r{next(_ids)}", code, status, at, result=result, channel=channel)


def test_plain_deadline():
    s = fold("HS-1", TEN_DAYS, CAL, [report(Status.RECEIVED, vn(2026, 3, 2, 8))])
    assert s.due_at == vn(2026, 3, 16, 8) and s.phase == Phase.PROCESSING


@pytest.mark.parametrize(
    ("rule", "due"),
    [(SupplementRule.PAUSE, vn(2026, 3, 18, 14)), (SupplementRule.RESTART, vn(2026, 3, 23, 10))],
)
def test_supplement_pause_and_restart(rule, due):
    proc = Procedure("P10", "x", 10, supplement_rule=rule)
    s = fold(
        "HS-1",
        proc,
        CAL,
        [
            report(Status.RECEIVED, vn(2026, 3, 2, 8)),
            report(Status.SUPPLEMENT_REQUESTED, vn(2026, 3, 4, 15)),
            report(Status.SUPPLEMENT_RECEIVED, vn(2026, 3, 9, 10)),
        ],
    )
    assert s.pauses[0].used_minutes_before == 21 * 60 + 30
    assert s.due_at == due
    assert len(s.supplement_requests) == 1


def test_calendar_days_procedure():
    proc = Procedure("C15", "x", 15, TimeUnit.CALENDAR_DAYS)
    s = fold("HS-1", proc, CAL, [report(Status.RECEIVED, vn(2026, 4, 15, 10))])
    assert s.due_at == vn(2026, 5, 4, 17)


def test_working_hours_procedure():
    proc = Procedure("H12", "x", 12, TimeUnit.WORKING_HOURS)
    s = fold("HS-1", proc, CAL, [report(Status.RECEIVED, vn(2026, 3, 2, 8))])
    assert s.due_at == vn(2026, 3, 3, 13, 30)  # 7 h 30 on Monday from 08:00, 4 h 30 on Tuesday


def test_night_online_submission_before_a_holiday():
    proc = Procedure("P2", "x", 2)
    s = fold(
        "HS-1", proc, CAL, [report(Status.RECEIVED, vn(2026, 11, 23, 20), channel=Channel.ONLINE)]
    )
    assert s.due_at == vn(2026, 11, 26, 17)


@pytest.mark.parametrize(
    ("resolved", "expected"),
    [
        (vn(2026, 2, 25, 16), Timeliness.EARLY),
        (vn(2026, 2, 26, 8, 30), Timeliness.ON_TIME),
        (vn(2026, 2, 26, 9, 30), Timeliness.LATE),
        (vn(2026, 2, 26, 9), Timeliness.ON_TIME),
    ],
)
def test_timeliness_worked_example(resolved, expected):
    assert timeliness(resolved, vn(2026, 2, 26, 9), CAL) == expected
    proc = Procedure("P5", "x", 5)
    s = fold(
        "HS-1",
        proc,
        CAL,
        [
            report(Status.RECEIVED, vn(2026, 2, 12, 9)),
            report(Status.RESOLVED, resolved, Result.GRANTED),
        ],
    )
    assert s.timeliness == expected and s.phase == Phase.RESOLVED


def test_impossible_transitions_are_refused_with_a_reason_and_not_applied():
    s = fold(
        "HS-1",
        TEN_DAYS,
        CAL,
        [
            report(Status.SUPPLEMENT_RECEIVED, vn(2026, 3, 1, 8)),
            report(Status.RECEIVED, vn(2026, 3, 2, 8)),
            report(Status.RESUMED, vn(2026, 3, 3, 8)),
            report(Status.RESOLVED, vn(2026, 3, 4, 8)),  # no result
            report(Status.RESOLVED, vn(2026, 3, 5, 8), Result.REFUSED),
            report(Status.SUSPENDED, vn(2026, 3, 6, 8)),
        ],
    )
    reasons = [r.reason for r in s.refused]
    assert len(reasons) == 4
    assert "no `received`" in reasons[0]
    assert "no open a suspension" in reasons[1] or "suspension" in reasons[1]
    assert "result" in reasons[2]
    assert "already ended" in reasons[3]
    assert s.phase == Phase.RESOLVED and s.result == Result.REFUSED


def test_resolving_while_the_clock_is_stopped_is_refused():
    s = fold(
        "HS-1",
        TEN_DAYS,
        CAL,
        [
            report(Status.RECEIVED, vn(2026, 3, 2, 8)),
            report(Status.SUSPENDED, vn(2026, 3, 3, 8)),
            report(Status.RESOLVED, vn(2026, 3, 4, 8), Result.GRANTED),
        ],
    )
    assert s.phase == Phase.SUSPENDED and s.refused


def test_withdrawn_and_returned_are_not_results():
    s = fold(
        "HS-1",
        TEN_DAYS,
        CAL,
        [report(Status.RECEIVED, vn(2026, 3, 2, 8)), report(Status.WITHDRAWN, vn(2026, 3, 3, 8))],
    )
    assert s.phase == Phase.WITHDRAWN and not s.counts_as_resolved and s.timeliness is None


def lifecycle() -> list[StatusReport]:
    return [
        report(Status.RECEIVED, vn(2026, 3, 2, 8)),
        report(Status.SUPPLEMENT_REQUESTED, vn(2026, 3, 4, 15)),
        report(Status.SUPPLEMENT_RECEIVED, vn(2026, 3, 9, 10)),
        report(Status.SUSPENDED, vn(2026, 3, 10, 9)),
        report(Status.RESUMED, vn(2026, 3, 11, 9)),
        report(Status.RESOLVED, vn(2026, 3, 18, 16), Result.GRANTED),
    ]


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(6)), st.lists(st.integers(0, 5), max_size=4))
def test_any_order_and_duplicates_give_the_same_state(order, dups):
    reports = lifecycle()
    expected = fold("HS-1", TEN_DAYS, CAL, reports)
    shuffled = [reports[i] for i in order] + [reports[i] for i in dups]
    assert fold("HS-1", TEN_DAYS, CAL, shuffled) == expected


def test_a_resent_report_with_a_new_id_changes_nothing():
    reports = lifecycle()
    resent = StatusReport("other-id", "HS-1", reports[1].status, reports[1].occurred_at)
    with_resent = fold("HS-1", TEN_DAYS, CAL, [*reports, resent])
    plain = fold("HS-1", TEN_DAYS, CAL, reports)
    assert replace(with_resent, applied=()) == replace(plain, applied=())
    assert not with_resent.refused


def test_diff_emits_each_fact_once_and_corrections_when_history_changes():
    r = lifecycle()
    s1 = fold("HS-1", TEN_DAYS, CAL, r[:1])
    assert [f.kind for f in diff(None, s1)] == ["received"]
    s3 = fold("HS-1", TEN_DAYS, CAL, [r[0], r[2]])  # supplement-received before its request
    assert diff(s1, s3) == []  # nothing applied yet
    s4 = fold("HS-1", TEN_DAYS, CAL, [r[0], r[1], r[2]])  # the request arrives late
    assert [f.kind for f in diff(s3, s4)] == ["supplement-requested", "supplement-received"]
    assert diff(s4, s4) == []
    final = fold("HS-1", TEN_DAYS, CAL, r)
    kinds = [f.kind for f in diff(s4, final)]
    assert kinds == ["suspended", "resumed", "resolved"]
    resolved = diff(s4, final)[-1]
    # due 18/3 14:00 after the supplement, +8 h of suspension → 19/3 14:00; resolved 18/3
    assert resolved.attributes["due_at"] == vn(2026, 3, 19, 14)
    assert resolved.attributes["timeliness"] == Timeliness.EARLY


def test_warning_schedule_and_colours():
    s = fold("HS-1", TEN_DAYS, CAL, [report(Status.RECEIVED, vn(2026, 3, 2, 8))])
    w = warning_schedule(s, TEN_DAYS, CAL)
    assert w == [
        ("deadline-approaching", "used-75", vn(2026, 3, 11, 13, 30)),  # 60 of 80 working hours
        ("deadline-approaching", "days-left-1", vn(2026, 3, 13, 8)),
        ("overdue", "due", vn(2026, 3, 16, 8)),
    ]
    assert colour(s, w, vn(2026, 3, 10, 8)) == "green"
    assert colour(s, w, vn(2026, 3, 11, 14)) == "yellow"
    assert colour(s, w, vn(2026, 3, 16, 9)) == "red"
    paused = fold(
        "HS-1",
        TEN_DAYS,
        CAL,
        [report(Status.RECEIVED, vn(2026, 3, 2, 8)), report(Status.SUSPENDED, vn(2026, 3, 3, 8))],
    )
    assert warning_schedule(paused, TEN_DAYS, CAL) == []


def test_apology_rules():
    s = fold("HS-1", TEN_DAYS, CAL, [report(Status.RECEIVED, vn(2026, 3, 2, 8))])
    ok = Apology(vn(2026, 3, 12, 8), vn(2026, 3, 20, 17), "thiếu hồ sơ liên thông", "cb1")
    assert record_apology(s, ok, None, CAL) == ok
    with pytest.raises(ApologyRefused, match="only one"):
        record_apology(s, ok, ok, CAL)
    too_late = Apology(vn(2026, 3, 13, 9), vn(2026, 3, 20, 17), "x", "cb1")
    with pytest.raises(ApologyRefused, match="one working day before"):
        record_apology(s, too_late, None, CAL)
    earlier = Apology(vn(2026, 3, 12, 8), vn(2026, 3, 15, 17), "x", "cb1")
    with pytest.raises(ApologyRefused, match="after the current deadline"):
        record_apology(s, earlier, None, CAL)
