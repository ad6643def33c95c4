"""The national service index's progress indicator (QĐ 766/QĐ-TTg) from a handful of dossiers,
folded as the service folds them, and its difference with the report form's rate."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from egov_procedures.domain.dossier import fold
from egov_procedures.domain.model import (
    Channel,
    Procedure,
    Result,
    Status,
    StatusReport,
    Timeliness,
)
from egov_procedures.domain.report import ReturnedWithdrawn, period_bounds, period_instants
from egov_procedures.domain.service_index import (
    DIGITISED,
    ELECTRONIC_RESULT,
    ONLINE_SHARE,
    PAID_ONLINE,
    PROGRESS,
    RULE_SETS,
    SATISFACTION,
    Verdict,
    index_dossier,
    rule_set_for,
    score,
    service_index,
)
from egov_workdays import VN_TZ, WorkCalendar

CAL = WorkCalendar()
TEN_DAYS = Procedure("P10", "Mười ngày", 10)
_ids = itertools.count()


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


def dossier(code: str, *steps: tuple[Status, datetime], channel=Channel.COUNTER):
    reports = [
        StatusReport(
            f"r{next(_ids)}",
            code,
            status,
            at,
            result=Result.GRANTED if status == Status.RESOLVED else None,
            channel=channel if status == Status.RECEIVED else None,
        )
        for status, at in steps
    ]
    return fold(code, TEN_DAYS, CAL, reports)


R, SQ, SR, OK, WD = (
    Status.RECEIVED,
    Status.SUPPLEMENT_REQUESTED,
    Status.SUPPLEMENT_RECEIVED,
    Status.RESOLVED,
    Status.WITHDRAWN,
)
MON = vn(2026, 2, 23, 8)  # the first working day after Tết 2026; 10 working days: due 09/03 08:00

# March 2026 by the ND 09/2019 cut-off: 15/02 to 14/03
STATES = {
    "early": dossier("early", (R, MON), (OK, vn(2026, 3, 5, 10)), channel=Channel.ONLINE),
    "on-time": dossier("on-time", (R, MON), (OK, vn(2026, 3, 9, 7, 50))),
    "late": dossier("late", (R, MON), (OK, vn(2026, 3, 10, 9))),
    # due 10/03 08:00, still open on 14/03: overdue at the end of the period
    "open-overdue": dossier("open-overdue", (R, vn(2026, 2, 24, 8))),
    "open-within": dossier("open-within", (R, vn(2026, 3, 9, 8)), channel=Channel.ONLINE),
    # 2 working days used, 3 working days waiting for the citizen: the deadline moves to 12/03
    "one-supplement": dossier(
        "one-supplement",
        (R, MON),
        (SQ, vn(2026, 2, 25, 8)),
        (SR, vn(2026, 3, 2, 8)),
        (OK, vn(2026, 3, 11, 10)),
    ),
    # early by the deadline, late for the index: supplements asked twice
    "two-supplements": dossier(
        "two-supplements",
        (R, MON),
        (SQ, vn(2026, 2, 24, 8)),
        (SR, vn(2026, 2, 25, 8)),
        (SQ, vn(2026, 2, 26, 8)),
        (SR, vn(2026, 2, 27, 8)),
        (OK, vn(2026, 3, 4, 10)),
    ),
    "withdrawn": dossier("withdrawn", (R, MON), (WD, vn(2026, 2, 24, 8))),
}
DOSSIERS = [index_dossier(s, "P10", "38.SNV.NCC") for s in STATES.values()]
START, END = period_instants(*period_bounds("2026-03"))
RULES = rule_set_for(date(2026, 3, 14))


def test_the_dossiers_are_what_their_names_say():
    t = {k: s.timeliness for k, s in STATES.items()}
    assert t["early"] == Timeliness.EARLY and t["on-time"] == Timeliness.ON_TIME
    assert t["late"] == Timeliness.LATE and t["two-supplements"] == Timeliness.EARLY
    # the supplement's 3 working days are not counted: due 12/03, resolved 11/03 is early
    assert STATES["one-supplement"].due_at == vn(2026, 3, 12, 8)
    assert t["one-supplement"] == Timeliness.EARLY
    assert STATES["open-overdue"].due_at == vn(2026, 3, 10, 8)


def test_progress_indicator_and_score_reproduced():
    index = service_index(DOSSIERS, START, END, RULES)
    p = index.progress
    verdicts = {j.dossier.dossier_code: j.verdict for j in p.dossiers}
    assert verdicts == {
        "early": Verdict.IN_TIME,
        "on-time": Verdict.IN_TIME,
        "late": Verdict.LATE,
        "open-overdue": Verdict.LATE,
        "open-within": Verdict.IN_TIME,
        "one-supplement": Verdict.IN_TIME,
        "two-supplements": Verdict.LATE,
    }  # the withdrawn dossier is outside the index
    assert (p.denominator, p.in_time, p.late) == (7, 4, 3)
    assert p.rate == Decimal("57.14")  # 4 / 7, truncated
    assert p.score == Decimal("11.43")  # 20 points × 57.14 / 100
    judged = {j.dossier.dossier_code: j for j in p.dossiers}
    assert judged["two-supplements"].supplement_requests == 2
    assert "bổ sung 2 lần: tính là quá hạn" in judged["two-supplements"].reason
    one = judged["one-supplement"]
    assert one.supplement_requests == 1 and one.supplement_minutes == 5 * 24 * 60
    assert "không tính vào thời hạn" in one.reason


def test_difference_with_the_form_rate_and_the_dossiers_that_explain_it():
    index = service_index(DOSSIERS, START, END, RULES)
    c = index.comparison
    # the form: 5 resolved, 4 of them early or on time (two supplements do not matter there)
    assert c.form_rate == Decimal("80.00") and c.index_rate == Decimal("57.14")
    assert c.difference_pp == Decimal("-22.86")
    assert {j.dossier.dossier_code for j in c.explained_by} == {
        "open-overdue",
        "open-within",
        "two-supplements",
    }
    on_time_policy = service_index(DOSSIERS, START, END, RULES, ReturnedWithdrawn.ON_TIME)
    assert on_time_policy.comparison.form_rate == Decimal("83.33")  # 5 / 6
    assert on_time_policy.progress.rate == Decimal("57.14")  # the index ignores the policy
    outside = on_time_policy.comparison.outside_index
    assert [(d.dossier_code, why.split(":")[0]) for d, why in outside] == [
        ("withdrawn", "rút hồ sơ")
    ]
    assert c.outside_index == ()  # excluded by the form too under the default policy


def test_online_share_and_indicators_lacking_data():
    index = service_index(DOSSIERS, START, END, RULES)
    online = index.shares[ONLINE_SHARE]
    assert (online.numerator, online.denominator) == (2, 8)
    assert online.rate == Decimal("25.00") and online.score == Decimal("3.00")  # 12 × 25%
    assert {i.code for i in index.lacking_data} == {
        "cong-khai-minh-bach",
        "thanh-toan-truc-tuyen",
        "so-hoa-ho-so",
        "ket-qua-dien-tu",
        "muc-do-hai-long",
    }


def test_optional_status_report_facts_feed_their_indicators():
    facts = {
        "early": {"digitised": True, "electronic_result": True, "satisfaction": "satisfied"},
        "on-time": {"digitised": True, "electronic_result": False, "paid_online": True},
        "late": {"digitised": False, "satisfaction": "dissatisfied"},
        "one-supplement": {"satisfaction": "very-satisfied"},
    }
    dossiers = [replace(d, **facts.get(d.dossier_code, {})) for d in DOSSIERS]
    index = service_index(dossiers, START, END, RULES)
    rates = {code: (s.numerator, s.denominator, s.rate) for code, s in index.shares.items()}
    assert rates[DIGITISED] == (2, 3, Decimal("66.66"))  # of the dossiers that said
    assert rates[ELECTRONIC_RESULT] == (1, 2, Decimal("50.00"))
    assert rates[PAID_ONLINE] == (1, 1, Decimal("100.00"))
    assert rates[SATISFACTION] == (2, 3, Decimal("66.66"))
    assert index.shares[SATISFACTION].score == Decimal("12.00")  # 18 × 66.66%
    assert {i.code for i in index.lacking_data} == {"cong-khai-minh-bach"}


def test_scoring_full_at_the_threshold_proportional_below():
    progress = replace(RULES.indicator(PROGRESS), threshold_pct=Decimal(95))
    assert score(progress, Decimal("95.00")) == Decimal("20.00")
    assert score(progress, Decimal("99.98")) == Decimal("20.00")
    assert score(progress, Decimal("47.50")) == Decimal("10.00")
    assert score(progress, None) is None


def test_rule_sets_are_dated_cited_and_flagged():
    assert sum(i.points for i in RULES.indicators) == 100
    assert all("766/QĐ-TTg" in i.source for i in RULES.indicators)
    assert RULES.needs_legal_check  # thresholds not checked against the decision's text
    with pytest.raises(LookupError):
        rule_set_for(date(2022, 1, 1))
    assert rule_set_for(date(2030, 1, 1), RULE_SETS) is RULES
