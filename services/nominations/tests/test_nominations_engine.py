"""The eligibility engine on the worked examples of the domain rules and their boundaries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pytest
from egov_nominations.domain import (
    AwardKind,
    AwardRecord,
    DisciplineLevel,
    DisciplineRecord,
    EmulationCluster,
    IndividualRecord,
    Initiative,
    Leave,
    LeaveKind,
    Outcome,
    PendingKind,
    PendingMatter,
    Person,
    Scope,
    TaskRating,
    UnitEvidence,
    UnitRecord,
    UnknownAward,
    WorkYear,
    YearRating,
    assess,
    bundled_rule_book,
    meeting_date_problem,
    tally_result,
)
from hypothesis import given
from hypothesis import strategies as st

BOOK = bundled_rule_book()
XS = TaskRating.HOAN_THANH_XUAT_SAC
TOT = TaskRating.HOAN_THANH_TOT
HT = TaskRating.HOAN_THANH
LDTT = AwardKind.LAO_DONG_TIEN_TIEN
CSTD = AwardKind.CHIEN_SI_THI_DUA_CO_SO


def person(
    pid: str = "cb-001",
    ratings: dict[int, TaskRating] | None = None,
    titles: dict[int, list[AwardKind]] | None = None,
    initiatives: Sequence[Initiative] = (),
    months: dict[int, Decimal] | None = None,
    **extra: object,
) -> IndividualRecord:
    ratings = ratings or {}
    titles = titles or {}
    months = months if months is not None else {y: Decimal(12) for y in ratings}
    awards = [
        AwardRecord(award=k, year=y, decision_number=f"{y}/QĐ-{k.value}-{pid}")
        for y, kinds in titles.items()
        for k in kinds
    ]
    return IndividualRecord(
        person=Person(id=pid, name=f"Cán bộ {pid}", unit_id="phong-ldtbxh"),
        ratings=tuple(YearRating(year=y, rating=r) for y, r in ratings.items()),
        work_years=tuple(WorkYear(year=y, months_on_duty=m) for y, m in months.items()),
        initiatives=tuple(initiatives),
        awards=tuple(awards),
        **extra,
    )


def initiative(year: int, scope: Scope, iid: str = "sk-1", applied: bool = True) -> Initiative:
    return Initiative(
        id=iid,
        title="Số hoá hồ sơ người có công",
        year=year,
        recognised_by="Hội đồng sáng kiến Sở",
        scope=scope,
        accepted_and_applied=applied,
        decision_number=f"{year}/QĐ-SK",
    )


def unit(n_members: int, n_ldtt: int, rating: TaskRating = TOT, year: int = 2025) -> UnitRecord:
    members = [
        person(
            f"cb-{i:03}",
            ratings={year: TOT if i < n_ldtt else HT},
            titles={year: [LDTT]} if i < n_ldtt else {},
        )
        for i in range(n_members)
    ]
    return UnitRecord(
        id="phong-bao-tro-xa-hoi",
        name="Phòng Bảo trợ xã hội",
        ratings=(YearRating(year=year, rating=rating),),
        members=tuple(members),
        evidence=(
            UnitEvidence(
                year=year, on_time_rate_pct=Decimal("97.5"), target_achievement_pct=Decimal(104)
            ),
        ),
    )


def facts(result: object, key: str) -> list[object]:
    return [f.value for f in result.evidence if f.key == key]  # type: ignore[attr-defined]


# -- worked example 1: provincial Bằng khen ---------------------------------------------


def test_provincial_bang_khen_worked_example() -> None:
    p = person(
        ratings={2024: XS, 2025: XS},
        titles={2024: [LDTT, CSTD], 2025: [LDTT, CSTD]},
    )
    a = assess(p, AwardKind.BANG_KHEN_CHU_TICH_TINH, 2025, BOOK.ruleset_for(2025))

    assert a.eligible is True
    assert a.rule_set_id == "2025-07-01"
    two_cstd = a.criterion("hai-lan-cstd-co-so")
    assert two_cstd.outcome == Outcome.PASSED
    decisions = {(f.year, f.decision_number) for f in two_cstd.evidence if f.decision_number}
    assert decisions == {
        (2024, "2024/QĐ-chien-si-thi-dua-co-so-cb-001"),
        (2025, "2025/QĐ-chien-si-thi-dua-co-so-cb-001"),
    }
    assert facts(two_cstd, "consecutive_years") == [2]
    # The other branch (2 years xuất sắc + 2 initiatives) is shown too, and fails on initiatives.
    assert a.criterion("hai-nam-xuat-sac").passed
    assert a.criterion("hai-sang-kien").outcome == Outcome.FAILED
    assert a.criterion("thanh-tich-hai-nam").passed
    assert "Điều 74" in a.rule_citation.__str__()


def test_provincial_bang_khen_gap_year_breaks_consecutive() -> None:
    p = person(
        ratings={2023: XS, 2024: TOT, 2025: XS},
        titles={2023: [LDTT, CSTD], 2024: [LDTT], 2025: [LDTT, CSTD]},
    )
    a = assess(p, AwardKind.BANG_KHEN_CHU_TICH_TINH, 2025, BOOK.ruleset_for(2025))

    assert a.eligible is False
    c = a.criterion("hai-lan-cstd-co-so")
    assert not c.passed
    assert facts(c, "consecutive_years") == [1]
    assert "2024" in c.message_vi and "2024" in c.message_en
    assert a.criterion("hai-nam-xuat-sac").outcome == Outcome.FAILED


def test_provincial_bang_khen_by_ratings_and_two_initiatives() -> None:
    p = person(
        ratings={2024: XS, 2025: XS},
        titles={2024: [LDTT], 2025: [LDTT]},
        initiatives=[initiative(2024, Scope.UNIT, "sk-a"), initiative(2025, Scope.UNIT, "sk-b")],
    )
    a = assess(p, AwardKind.BANG_KHEN_CHU_TICH_TINH, 2025, BOOK.ruleset_for(2025))
    assert a.eligible is True
    c = a.criterion("hai-sang-kien")
    assert facts(c, "count") == [2]
    assert {f.key for f in c.evidence} >= {"sang-kien:sk-a", "sang-kien:sk-b"}


# -- worked example 2: CSTĐ cấp tỉnh and the 90 % ballot --------------------------------


def _cstd_three_years() -> IndividualRecord:
    return person(
        ratings={2023: XS, 2024: XS, 2025: XS},
        titles={y: [LDTT, CSTD] for y in (2023, 2024, 2025)},
        initiatives=[initiative(2025, Scope.PROVINCE)],
    )


def test_provincial_emulation_fighter_fails_with_9_of_11_votes() -> None:
    vote = tally_result(11, 11, 9, 90)
    a = assess(
        _cstd_three_years(), AwardKind.CHIEN_SI_THI_DUA_CAP_TINH, 2025, BOOK.ruleset_for(2025), vote
    )
    assert a.eligible is False
    ballot = a.criterion("phieu-bau")
    assert ballot.outcome == Outcome.FAILED
    assert facts(ballot, "share_of_all_pct") == [Decimal("81.8")]
    assert facts(ballot, "votes_for") == [9]
    assert facts(ballot, "members_total") == [11]
    assert facts(ballot, "required_pct") == [Decimal(90)]
    # Every other criterion passes, with its evidence.
    assert a.criterion("ba-lan-cstd-co-so").passed
    assert facts(a.criterion("ba-lan-cstd-co-so"), "consecutive_years") == [3]
    assert facts(a.criterion("sang-kien-cap-tinh"), "count") == [1]


def test_provincial_emulation_fighter_passes_with_10_of_11_votes() -> None:
    vote = tally_result(11, 11, 10, 90)
    a = assess(
        _cstd_three_years(), AwardKind.CHIEN_SI_THI_DUA_CAP_TINH, 2025, BOOK.ruleset_for(2025), vote
    )
    assert a.eligible is True
    assert facts(a.criterion("phieu-bau"), "share_of_all_pct") == [Decimal("90.9")]


def test_ballot_share_is_of_all_members_not_of_those_present() -> None:
    # 9 present of 11 (quorum met) and all 9 vote for: 100 % of present, 81.8 % of all.
    vote = tally_result(11, 9, 9, 90)
    a = assess(
        _cstd_three_years(), AwardKind.CHIEN_SI_THI_DUA_CAP_TINH, 2025, BOOK.ruleset_for(2025), vote
    )
    assert a.eligible is False
    assert facts(a.criterion("phieu-bau"), "share_of_all_pct") == [Decimal("81.8")]


def test_engine_judges_ballot_on_the_rules_threshold() -> None:
    # A tally taken against 80 % still has to reach the 90 % of CSTĐ cấp tỉnh.
    vote = tally_result(11, 11, 9, 80)
    assert vote.passed
    a = assess(
        _cstd_three_years(), AwardKind.CHIEN_SI_THI_DUA_CAP_TINH, 2025, BOOK.ruleset_for(2025), vote
    )
    assert a.criterion("phieu-bau").outcome == Outcome.FAILED


def test_without_a_vote_the_file_awaits_the_council() -> None:
    a = assess(
        _cstd_three_years(), AwardKind.CHIEN_SI_THI_DUA_CAP_TINH, 2025, BOOK.ruleset_for(2025)
    )
    assert a.eligible == "awaiting-vote"
    assert a.criterion("phieu-bau").outcome == Outcome.AWAITING_VOTE


def test_vote_without_quorum_is_no_valid_vote() -> None:
    vote = tally_result(11, 7, 7, 90)
    a = assess(
        _cstd_three_years(), AwardKind.CHIEN_SI_THI_DUA_CAP_TINH, 2025, BOOK.ruleset_for(2025), vote
    )
    assert a.eligible == "awaiting-vote"
    ballot = a.criterion("phieu-bau")
    assert facts(ballot, "quorum_met") == [False]
    assert facts(ballot, "members_present") == [7]


def test_provincial_fighter_needs_province_wide_initiative() -> None:
    p = _cstd_three_years().model_copy(update={"initiatives": (initiative(2025, Scope.UNIT),)})
    vote = tally_result(11, 11, 11, 90)
    a = assess(p, AwardKind.CHIEN_SI_THI_DUA_CAP_TINH, 2025, BOOK.ruleset_for(2025), vote)
    assert a.eligible is False
    assert a.criterion("sang-kien-cap-tinh").outcome == Outcome.FAILED
    assert facts(a.criterion("sang-kien-cap-tinh"), "count") == [0]


def test_a_failing_criterion_outweighs_a_missing_vote() -> None:
    p = _cstd_three_years().model_copy(update={"initiatives": ()})
    a = assess(p, AwardKind.CHIEN_SI_THI_DUA_CAP_TINH, 2025, BOOK.ruleset_for(2025))
    assert a.eligible is False


# -- worked example 3: Tập thể lao động tiên tiến, 70 % of members LĐTT -------------------


@pytest.mark.parametrize(
    ("n_ldtt", "eligible", "share"),
    [(13, False, Decimal("65.0")), (14, True, Decimal("70.0"))],
)
def test_advanced_collective_worked_example(n_ldtt: int, eligible: bool, share: Decimal) -> None:
    a = assess(unit(20, n_ldtt), AwardKind.TAP_THE_LAO_DONG_TIEN_TIEN, 2025, BOOK.ruleset_for(2025))
    assert a.eligible is eligible
    c = a.criterion("ty-le-lao-dong-tien-tien")
    assert c.passed is eligible
    assert facts(c, "members_total") == [20]
    assert facts(c, "members_lao-dong-tien-tien") == [n_ldtt]
    assert facts(c, "share_pct") == [share]
    assert facts(c, "required_pct") == [Decimal(70)]
    assert f"{n_ldtt}/20" in c.message_vi


@pytest.mark.parametrize(("n_ldtt", "eligible"), [(69, False), (70, True)])
def test_member_share_boundary_69_70(n_ldtt: int, eligible: bool) -> None:
    a = assess(
        unit(100, n_ldtt), AwardKind.TAP_THE_LAO_DONG_TIEN_TIEN, 2025, BOOK.ruleset_for(2025)
    )
    assert a.criterion("ty-le-lao-dong-tien-tien").passed is eligible


@given(total=st.integers(1, 60), data=st.data())
def test_member_share_property(total: int, data: st.DataObject) -> None:
    holders = data.draw(st.integers(0, total))
    a = assess(
        unit(total, holders), AwardKind.TAP_THE_LAO_DONG_TIEN_TIEN, 2025, BOOK.ruleset_for(2025)
    )
    assert a.criterion("ty-le-lao-dong-tien-tien").passed is (holders * 100 >= 70 * total)


def test_collective_shows_evidence_from_other_services() -> None:
    a = assess(unit(20, 14), AwardKind.TAP_THE_LAO_DONG_TIEN_TIEN, 2025, BOOK.ruleset_for(2025))
    ctx = {f.key: f.value for f in a.context}
    assert ctx == {"on_time_rate_pct": Decimal("97.5"), "target_achievement_pct": Decimal(104)}
    none = assess(unit(20, 14), AwardKind.TAP_THE_LAO_DONG_TIEN_TIEN, 2024, BOOK.ruleset_for(2024))
    assert {f.key: f.value for f in none.context} == {
        "on_time_rate_pct": None,
        "target_achievement_pct": None,
    }


def test_member_disciplined_with_warning_blocks_collective_title() -> None:
    u = unit(20, 20)
    bad = u.members[0].model_copy(
        update={
            "disciplines": (
                DisciplineRecord(
                    year=2025, level=DisciplineLevel.CANH_CAO, decision_number="12/QĐ-KL"
                ),
            )
        }
    )
    u = u.model_copy(update={"members": (bad, *u.members[1:])})
    a = assess(u, AwardKind.TAP_THE_LAO_DONG_TIEN_TIEN, 2025, BOOK.ruleset_for(2025))
    assert a.eligible is False
    c = a.criterion("khong-ky-luat-canh-cao")
    assert [(f.key, f.decision_number) for f in c.evidence] == [("member:cb-000", "12/QĐ-KL")]


def test_reprimand_does_not_block_collective_title() -> None:
    u = unit(20, 20)
    m = u.members[0].model_copy(
        update={
            "disciplines": (
                DisciplineRecord(
                    year=2025, level=DisciplineLevel.KHIEN_TRACH, decision_number="13/QĐ-KL"
                ),
            )
        }
    )
    u = u.model_copy(update={"members": (m, *u.members[1:])})
    assert assess(u, AwardKind.TAP_THE_LAO_DONG_TIEN_TIEN, 2025, BOOK.ruleset_for(2025)).eligible


def test_excellent_collective_needs_all_members_complete_and_one_cstd() -> None:
    u = unit(10, 10, rating=XS)
    a = assess(u, AwardKind.TAP_THE_LAO_DONG_XUAT_SAC, 2025, BOOK.ruleset_for(2025))
    assert a.eligible is False
    assert a.criterion("tat-ca-hoan-thanh").passed
    assert a.criterion("co-cstd-co-so").outcome == Outcome.FAILED

    star = u.members[0].model_copy(
        update={
            "awards": (
                *u.members[0].awards,
                AwardRecord(award=CSTD, year=2025, decision_number="7/QĐ"),
            )
        }
    )
    slacker = u.members[1].model_copy(
        update={"ratings": (YearRating(year=2025, rating=TaskRating.KHONG_HOAN_THANH),)}
    )
    u2 = u.model_copy(update={"members": (star, slacker, *u.members[2:])})
    a2 = assess(u2, AwardKind.TAP_THE_LAO_DONG_XUAT_SAC, 2025, BOOK.ruleset_for(2025))
    assert a2.criterion("co-cstd-co-so").passed
    assert a2.criterion("co-cstd-co-so").evidence[0].decision_number == "7/QĐ"
    incomplete = a2.criterion("tat-ca-hoan-thanh")
    assert not incomplete.passed
    assert facts(incomplete, "member:cb-001") == ["khong-hoan-thanh"]

    u3 = u2.model_copy(update={"members": (star, *u.members[1:])})
    assert assess(u3, AwardKind.TAP_THE_LAO_DONG_XUAT_SAC, 2025, BOOK.ruleset_for(2025)).eligible


# -- individual titles: LĐTT, time worked, discipline, pending matters -------------------


def test_advanced_worker_passes_with_evidence() -> None:
    a = assess(person(ratings={2025: TOT}), LDTT, 2025, BOOK.ruleset_for(2025))
    assert a.eligible is True
    assert facts(a.criterion("xep-loai"), "rating") == ["hoan-thanh-tot"]
    assert facts(a.criterion("thoi-gian-cong-tac"), "months_counted") == [Decimal(12)]


def test_less_than_six_months_worked_gets_no_title() -> None:
    p = person(ratings={2025: TOT}, months={2025: Decimal("5.5")})
    a = assess(p, LDTT, 2025, BOOK.ruleset_for(2025))
    assert a.eligible is False
    assert a.criterion("thoi-gian-cong-tac").outcome == Outcome.FAILED
    assert facts(a.criterion("thoi-gian-cong-tac"), "months_counted") == [Decimal("5.5")]


def test_maternity_leave_counts_as_worked_but_unpaid_leave_does_not() -> None:
    base = person(ratings={2025: TOT})
    maternity = base.model_copy(
        update={
            "work_years": (
                WorkYear(
                    year=2025,
                    months_on_duty=Decimal(6),
                    leave=(Leave(kind=LeaveKind.MATERNITY, months=Decimal(6)),),
                ),
            )
        }
    )
    a = assess(maternity, LDTT, 2025, BOOK.ruleset_for(2025))
    assert a.eligible is True
    assert facts(a.criterion("thoi-gian-cong-tac"), "leave:thai-san") == [Decimal(6)]

    unpaid = base.model_copy(
        update={
            "work_years": (
                WorkYear(
                    year=2025,
                    months_on_duty=Decimal(5),
                    leave=(Leave(kind=LeaveKind.UNPAID, months=Decimal(7)),),
                ),
            )
        }
    )
    assert assess(unpaid, LDTT, 2025, BOOK.ruleset_for(2025)).eligible is False


def test_no_record_of_time_worked_fails_clearly() -> None:
    p = person(ratings={2025: TOT}, months={})
    c = assess(p, LDTT, 2025, BOOK.ruleset_for(2025)).criterion("thoi-gian-cong-tac")
    assert c.outcome == Outcome.FAILED
    assert "2025" in c.message_en


def test_rating_below_good_gets_no_advanced_worker_title() -> None:
    a = assess(person(ratings={2025: HT}), LDTT, 2025, BOOK.ruleset_for(2025))
    assert a.eligible is False
    assert facts(a.criterion("xep-loai"), "rating") == ["hoan-thanh"]


def test_discipline_in_the_year_blocks_the_title() -> None:
    p = person(
        ratings={2025: TOT},
        disciplines=(
            DisciplineRecord(
                year=2025, level=DisciplineLevel.KHIEN_TRACH, decision_number="5/QĐ-KL"
            ),
        ),
    )
    a = assess(p, LDTT, 2025, BOOK.ruleset_for(2025))
    assert a.eligible is False
    assert a.criterion("khong-bi-ky-luat").evidence[0].decision_number == "5/QĐ-KL"
    # Discipline of an earlier year does not count against this year.
    assert assess(p, LDTT, 2026, BOOK.ruleset_for(2026)).criterion("khong-bi-ky-luat").passed


def test_pending_inspection_puts_the_file_on_hold() -> None:
    p = person(
        ratings={2025: TOT},
        pending=(
            PendingMatter(
                kind=PendingKind.INSPECTION, opened_on=date(2025, 11, 3), reference="KL-TTr-45"
            ),
        ),
    )
    a = assess(p, LDTT, 2025, BOOK.ruleset_for(2025))
    assert a.eligible == "on-hold"
    assert a.on_hold
    c = a.criterion("khong-dang-bi-xem-xet")
    assert c.outcome == Outcome.ON_HOLD
    assert facts(c, "pending_inspection") == ["KL-TTr-45"]
    assert "Nghị định 152/2025/NĐ-CP" in c.citation_text

    resolved = p.model_copy(
        update={"pending": (p.pending[0].model_copy(update={"resolved": True}),)}
    )
    assert assess(resolved, LDTT, 2025, BOOK.ruleset_for(2025)).eligible is True


def test_failure_outweighs_on_hold() -> None:
    p = person(
        ratings={2025: HT},
        pending=(
            PendingMatter(kind=PendingKind.DISCIPLINE, opened_on=date(2025, 12, 1), reference="X"),
        ),
    )
    assert assess(p, LDTT, 2025, BOOK.ruleset_for(2025)).eligible is False


def test_grassroots_fighter_by_excellent_rating_or_initiative() -> None:
    vote = tally_result(9, 9, 8, 80)
    by_rating = person(ratings={2025: XS}, titles={2025: [LDTT]})
    a = assess(by_rating, CSTD, 2025, BOOK.ruleset_for(2025), vote)
    assert a.eligible is True
    assert a.criterion("hoan-thanh-xuat-sac").passed
    assert not a.criterion("sang-kien-co-so").passed

    by_initiative = person(
        ratings={2025: TOT}, titles={2025: [LDTT]}, initiatives=[initiative(2025, Scope.UNIT)]
    )
    b = assess(by_initiative, CSTD, 2025, BOOK.ruleset_for(2025), vote)
    assert b.eligible is True
    assert b.criterion("sang-kien-co-so").passed

    not_applied = person(
        ratings={2025: TOT},
        titles={2025: [LDTT]},
        initiatives=[initiative(2025, Scope.UNIT, applied=False)],
    )
    c = assess(not_applied, CSTD, 2025, BOOK.ruleset_for(2025), vote)
    assert c.eligible is False
    assert c.criterion("thanh-tich").outcome == Outcome.FAILED

    without_ldtt = person(ratings={2025: XS})
    d = assess(without_ldtt, CSTD, 2025, BOOK.ruleset_for(2025), vote)
    assert d.criterion("lao-dong-tien-tien").outcome == Outcome.FAILED


def test_grassroots_fighter_ballot_80_pct_boundary() -> None:
    p = person(ratings={2025: XS}, titles={2025: [LDTT]})
    rs = BOOK.ruleset_for(2025)
    assert assess(p, CSTD, 2025, rs, tally_result(10, 10, 8, 80)).eligible is True
    assert assess(p, CSTD, 2025, rs, tally_result(10, 10, 7, 80)).eligible is False


def test_prime_minister_certificate_chains_on_earlier_awards() -> None:
    years = range(2021, 2026)
    base = person(
        ratings={y: TOT for y in years},
        titles={
            2021: [CSTD],
            2023: [CSTD],
            2025: [CSTD],
            2020: [AwardKind.BANG_KHEN_CHU_TICH_TINH],
        },
    )
    a = assess(base, AwardKind.BANG_KHEN_THU_TUONG, 2025, BOOK.ruleset_for(2025))
    assert a.eligible is True
    assert facts(a.criterion("ba-lan-cstd-co-so"), "count") == [3]
    assert [f.year for f in a.criterion("da-co-bang-khen-tinh").evidence if f.decision_number] == [
        2020
    ]
    gap = base.model_copy(update={"ratings": tuple(r for r in base.ratings if r.year != 2022)})
    g = assess(gap, AwardKind.BANG_KHEN_THU_TUONG, 2025, BOOK.ruleset_for(2025))
    assert g.eligible is False
    assert facts(g.criterion("nam-nam-hoan-thanh-tot"), "consecutive_years") == [3]


def test_rule_for_wrong_nominee_kind_is_a_clear_error() -> None:
    with pytest.raises(UnknownAward):
        assess(unit(5, 5), LDTT, 2025, BOOK.ruleset_for(2025))


def test_nested_conditions_cite_their_group() -> None:
    p = person(ratings={2025: XS}, titles={2025: [LDTT]})
    a = assess(p, CSTD, 2025, BOOK.ruleset_for(2025))
    assert a.criterion("thanh-tich").citation_text.startswith("điểm b khoản 1 Điều 23")
    assert a.criterion("hoan-thanh-xuat-sac").citation_text.startswith("điểm b khoản 1 Điều 23")
    assert a.criterion("lao-dong-tien-tien").citation_text.startswith("điểm a khoản 1 Điều 23")
    assert "phạm vi cơ sở" in a.criterion("sang-kien-co-so").message_vi


@given(years=st.sets(st.integers(2018, 2025)))
def test_consecutive_titles_property(years: set[int]) -> None:
    p = person(
        ratings={y: XS for y in range(2018, 2026)},
        titles={y: [LDTT, CSTD] for y in years},
        initiatives=[initiative(2025, Scope.PROVINCE)],
    )
    vote = tally_result(11, 11, 11, 90)
    a = assess(p, AwardKind.CHIEN_SI_THI_DUA_CAP_TINH, 2025, BOOK.ruleset_for(2025), vote)
    expected = {2023, 2024, 2025} <= years
    assert a.eligible is expected
    run = 0
    while 2025 - run in years:
        run += 1
    assert facts(a.criterion("ba-lan-cstd-co-so"), "consecutive_years") == [run]


# -- Cờ thi đua: the leading collective of an emulation cluster -------------------------

CO = AwardKind.CO_THI_DUA_CAP_TINH


def cluster(
    year: int = 2025,
    members: tuple[str, ...] = ("phong-bao-tro-xa-hoi", "phong-viec-lam"),
    leaders: tuple[str, ...] = ("phong-bao-tro-xa-hoi",),
) -> EmulationCluster:
    return EmulationCluster(
        id="cum-1",
        name="Cụm thi đua các phòng chuyên môn",
        year=year,
        unit_code="so-noi-vu",
        members=members,
        leaders=leaders,
        meeting_reference=f"BB-{year}/CTĐ1" if leaders else None,
        meeting_on=date(year, 12, 20) if leaders else None,
    )


def flag(*clusters: EmulationCluster, votes: int | None = None) -> object:
    record = unit(20, 20, rating=XS).model_copy(update={"clusters": clusters})
    vote = tally_result(11, 11, votes, Decimal(80)) if votes is not None else None
    return assess(record, CO, 2025, BOOK.ruleset_for(2025), vote)


def test_flag_passes_the_cluster_criterion_when_proposed_as_leader() -> None:
    a = flag(cluster(), votes=9)
    led = a.criterion("dan-dau-cum-khoi")  # type: ignore[attr-defined]
    assert led.outcome == Outcome.PASSED
    assert facts(led, "cluster:cum-1") == ["Cụm thi đua các phòng chuyên môn"]
    assert facts(led, "meeting_reference") == ["BB-2025/CTĐ1"]
    assert facts(led, "meeting_on") == ["2025-12-20"]
    assert "BB-2025/CTĐ1" in led.message_vi
    assert "Luật Thi đua, khen thưởng 06/2022/QH15" in str(led.citation)
    assert a.eligible is True  # type: ignore[attr-defined]


def test_flag_without_a_vote_awaits_the_council_after_the_cluster_proposal() -> None:
    a = flag(cluster())
    assert a.criterion("dan-dau-cum-khoi").passed  # type: ignore[attr-defined]
    assert a.eligible == "awaiting-vote"  # type: ignore[attr-defined]


def test_flag_fails_when_the_cluster_proposed_another_collective() -> None:
    led = flag(cluster(leaders=("phong-viec-lam",)), votes=11).criterion("dan-dau-cum-khoi")  # type: ignore[attr-defined]
    assert led.outcome == Outcome.FAILED
    assert "phong-viec-lam" in led.message_en
    assert facts(led, "member") == [True]


def test_flag_fails_when_the_cluster_has_not_met() -> None:
    led = flag(cluster(leaders=())).criterion("dan-dau-cum-khoi")  # type: ignore[attr-defined]
    assert led.outcome == Outcome.FAILED
    assert "has not proposed" in led.message_en


def test_flag_fails_when_the_lead_was_in_another_year() -> None:
    a = flag(cluster(year=2024), cluster(year=2025, leaders=("phong-viec-lam",)), votes=11)
    led = a.criterion("dan-dau-cum-khoi")  # type: ignore[attr-defined]
    assert led.outcome == Outcome.FAILED
    assert "only in 2024" in led.message_en
    assert facts(led, "led_in_years") == ["2024"]
    assert a.eligible is False  # type: ignore[attr-defined]


def test_flag_fails_for_a_unit_in_no_cluster() -> None:
    led = flag().criterion("dan-dau-cum-khoi")  # type: ignore[attr-defined]
    assert led.outcome == Outcome.FAILED
    assert "not a member of any emulation cluster in 2025" in led.message_en


def test_flag_fails_for_a_leader_that_is_not_a_member() -> None:
    odd = cluster(members=("phong-viec-lam", "phong-nguoi-co-cong"))
    led = flag(odd, votes=11).criterion("dan-dau-cum-khoi")  # type: ignore[attr-defined]
    assert led.outcome == Outcome.FAILED
    assert "not a member of it in 2025" in led.message_en
    assert facts(led, "member") == [False]


def test_cluster_meeting_date_must_review_its_year() -> None:
    assert meeting_date_problem(2025, date(2025, 12, 20)) is None
    assert meeting_date_problem(2025, date(2026, 1, 15)) is None
    assert meeting_date_problem(2025, date(2024, 12, 20)) is not None
    assert cluster().non_members(["phong-bao-tro-xa-hoi", "xa-a"]) == ["xa-a"]
