"""More dossier rules: end-of-day mode, corrections, conflicts, apology, replay of any set."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta

from egov_procedures.domain.dossier import (
    DeadlineWarning,
    colour,
    diff,
    fold,
    record_apology,
    warning_schedule,
)
from egov_procedures.domain.model import (
    Apology,
    Channel,
    DeadlineMode,
    Phase,
    Procedure,
    Result,
    Status,
    StatusReport,
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


def report(status: Status, at: datetime, result: Result | None = None) -> StatusReport:
    return StatusReport(f"m{next(_ids)}", "HS-1", status, at, result=result, channel=Channel.ONLINE)


def test_end_of_day_mode_with_intake_cutoff():
    proc = Procedure("E2", "x", 2, deadline_mode=DeadlineMode.END_OF_DAY, intake_cutoff=time(16))
    early = fold("HS-1", proc, CAL, [report(Status.RECEIVED, vn(2026, 3, 2, 10))])
    assert early.due_at == vn(2026, 3, 4, 17)
    late = fold("HS-1", proc, CAL, [report(Status.RECEIVED, vn(2026, 3, 2, 16, 30))])
    assert late.due_at == vn(2026, 3, 5, 17)


def test_end_of_day_mode_after_a_supplement_ends_at_closing_time():
    proc = Procedure("E10", "x", 10, deadline_mode=DeadlineMode.END_OF_DAY)
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
    assert s.due_at == vn(2026, 3, 18, 17)  # the working-time due 18/3 14:00, at closing time


def test_a_late_supplement_request_corrects_the_published_resolution():
    received = report(Status.RECEIVED, vn(2026, 3, 2, 8))
    resolved = report(Status.RESOLVED, vn(2026, 3, 17, 9), Result.GRANTED)
    before = fold("HS-1", TEN_DAYS, CAL, [received, resolved])
    assert before.due_at == vn(2026, 3, 16, 8) and before.timeliness == Timeliness.LATE
    asked = report(Status.SUPPLEMENT_REQUESTED, vn(2026, 3, 4, 15))
    answered = report(Status.SUPPLEMENT_RECEIVED, vn(2026, 3, 9, 10))
    after = fold("HS-1", TEN_DAYS, CAL, [received, resolved, asked, answered])
    facts = diff(before, after)
    assert [f.kind for f in facts] == ["supplement-requested", "supplement-received", "resolved"]
    assert facts[1].attributes["due_at"] == vn(2026, 3, 18, 14)
    assert facts[2].attributes["due_at"] == vn(2026, 3, 18, 14)
    assert facts[2].attributes["timeliness"] == Timeliness.EARLY


def test_conflicting_reports_at_the_same_instant_are_judged_not_dropped():
    at = vn(2026, 3, 5, 9)
    s = fold(
        "HS-1",
        TEN_DAYS,
        CAL,
        [
            report(Status.RECEIVED, vn(2026, 3, 2, 8)),
            StatusReport("a", "HS-1", Status.RESOLVED, at, result=Result.GRANTED),
            StatusReport("b", "HS-1", Status.RESOLVED, at, result=Result.REFUSED),
        ],
    )
    assert s.result == Result.GRANTED  # the lower report id wins, whatever the arrival order
    assert [(r.report_id, "already ended" in r.reason) for r in s.refused] == [("b", True)]


def test_rejected_counts_as_a_refused_result():
    s = fold(
        "HS-1",
        TEN_DAYS,
        CAL,
        [report(Status.RECEIVED, vn(2026, 3, 2, 8)), report(Status.REJECTED, vn(2026, 3, 3, 8))],
    )
    assert s.phase == Phase.REJECTED and s.result == Result.REFUSED
    assert s.counts_as_resolved and s.timeliness == Timeliness.EARLY
    assert warning_schedule(s, TEN_DAYS, CAL) == []
    assert colour(s, [], vn(2026, 4, 1, 8)) == "grey"


def test_an_apology_does_not_move_the_deadline():
    received = report(Status.RECEIVED, vn(2026, 3, 2, 8))
    s = fold("HS-1", TEN_DAYS, CAL, [received])
    record_apology(s, Apology(vn(2026, 3, 12, 8), vn(2026, 3, 20, 17), "x", "cb"), None, CAL)
    done = fold(
        "HS-1", TEN_DAYS, CAL, [received, report(Status.RESOLVED, vn(2026, 3, 19), Result.GRANTED)]
    )
    assert done.timeliness == Timeliness.LATE  # before the promised date, after due_at


def test_calendar_days_warnings():
    proc = Procedure("C15", "x", 15, TimeUnit.CALENDAR_DAYS)
    s = fold("HS-1", proc, CAL, [report(Status.RECEIVED, vn(2026, 4, 15, 10))])
    w = warning_schedule(s, proc, CAL)
    assert [(x.kind, x.threshold) for x in w] == [
        ("deadline-approaching", "used-75"),
        ("deadline-approaching", "days-left-1"),
        ("overdue", "due"),
    ]
    assert isinstance(w[0], DeadlineWarning)
    assert s.received_at is not None and s.received_at < w[0].at < w[1].at < w[2].at
    # one working day before Mon 4/5 17:00: 30/4–3/5 hold no working time → Mon 07:30
    assert w[1].at == vn(2026, 5, 4, 7, 30)
    assert w[2].at == vn(2026, 5, 4, 17)


def test_warnings_follow_the_remaining_time_after_a_pause():
    s = fold(
        "HS-1",
        TEN_DAYS,
        CAL,
        [
            report(Status.RECEIVED, vn(2026, 3, 2, 8)),
            report(Status.SUPPLEMENT_REQUESTED, vn(2026, 3, 4, 15)),
            report(Status.SUPPLEMENT_RECEIVED, vn(2026, 3, 9, 10)),
        ],
    )
    w = warning_schedule(s, TEN_DAYS, CAL)
    # 60 of 80 hours: 21 h 30 used before; 38 h 30 more from Mon 9/3 10:00 = 5 h 30 on Monday,
    # 32 h Tuesday to Friday, 1 h on Mon 16/3 → 08:30
    assert w[0] == ("deadline-approaching", "used-75", vn(2026, 3, 16, 8, 30))
    assert w[-1] == ("overdue", "due", vn(2026, 3, 18, 14))


BASE = vn(2026, 3, 2, 8)
some_reports = st.lists(
    st.tuples(
        st.sampled_from(list(Status)),
        st.integers(0, 12),  # few instants, so that ties occur
        st.sampled_from([None, Result.GRANTED, Result.REFUSED]),
    ),
    max_size=10,
).map(
    lambda items: [
        StatusReport(f"x{i}", "HS-1", s, BASE + timedelta(hours=9 * h), result=r)
        for i, (s, h, r) in enumerate(items)
    ]
)


@settings(max_examples=150, deadline=None)
@given(some_reports, st.randoms(use_true_random=False), st.lists(st.integers(0, 9), max_size=5))
def test_any_set_of_reports_folds_the_same_in_any_order(reports, rnd, dups):
    expected = fold("HS-1", TEN_DAYS, CAL, reports)
    shuffled = list(reports) + [reports[i] for i in dups if i < len(reports)]
    rnd.shuffle(shuffled)
    got = fold("HS-1", TEN_DAYS, CAL, shuffled)
    assert got == expected
    assert diff(expected, got) == []
    # every distinct report is either applied or refused with a reason
    assert len(got.applied) + len(got.refused) == len({r.content_key for r in reports})


def test_warnings_falling_due_together_are_announced_once():
    from egov_procedures.domain.dossier import DeadlineWarning, announced

    used = DeadlineWarning("deadline-approaching", "used-75", vn(2026, 3, 10, 8))
    left = DeadlineWarning("deadline-approaching", "days-left-1", vn(2026, 3, 12, 8))
    due = DeadlineWarning("overdue", "due", vn(2026, 3, 13, 8))
    assert announced([left, used]) == [left]  # the more urgent
    assert announced([used, due, left]) == [due]  # past the deadline: only that
    assert announced([used]) == [used]
    assert announced([]) == []


def test_the_apology_is_offered_until_one_working_day_before_the_deadline():
    from egov_procedures.domain.dossier import apology_deadline

    cal = WorkCalendar()
    due = vn(2026, 3, 13, 10)  # a Friday
    latest = vn(2026, 3, 12, 10)
    assert apology_deadline(due, cal, vn(2026, 3, 11, 9), already_issued=False) == latest
    assert apology_deadline(due, cal, vn(2026, 3, 12, 11), already_issued=False) is None
    assert apology_deadline(due, cal, vn(2026, 3, 11, 9), already_issued=True) is None
