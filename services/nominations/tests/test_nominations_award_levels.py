"""Awards of every level: ministry and Government awards, collectives, classes of Huân chương
and the thresholds a rule set leaves to the province (pure domain, no I/O)."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources

import pytest
from egov_nominations.domain import (
    AwardKind,
    AwardRecord,
    IndividualRecord,
    NomineeKind,
    Outcome,
    Person,
    RuleBook,
    TaskRating,
    UnitRecord,
    UnknownAward,
    YearRating,
    assess,
    bundled_rule_book,
    parse_rule_set,
    tally_result,
)

BOOK = bundled_rule_book()
RS = BOOK.ruleset_for(2025)
XS = TaskRating.HOAN_THANH_XUAT_SAC
TOT = TaskRating.HOAN_THANH_TOT
A = AwardKind


def _awards(titles: dict[int, list[AwardKind]], ref: str) -> tuple[AwardRecord, ...]:
    return tuple(
        AwardRecord(award=k, year=y, decision_number=f"{y}/QĐ-{k.value}-{ref}")
        for y, kinds in titles.items()
        for k in kinds
    )


def person(ratings: dict[int, TaskRating], titles: dict[int, list[AwardKind]]) -> IndividualRecord:
    return IndividualRecord(
        person=Person(id="cb-1", name="Nguyễn Văn An", unit_id="38.SNV.VL"),
        ratings=tuple(YearRating(year=y, rating=r) for y, r in ratings.items()),
        awards=_awards(titles, "cb-1"),
    )


def unit(
    ratings: dict[int, TaskRating],
    titles: dict[int, list[AwardKind]],
    members: tuple[IndividualRecord, ...] = (),
) -> UnitRecord:
    return UnitRecord(
        id="38.SNV.VL",
        name="Phòng Việc làm",
        ratings=tuple(YearRating(year=y, rating=r) for y, r in ratings.items()),
        awards=_awards(titles, "vl"),
        members=members,
    )


def five_years(level: TaskRating = XS, last: int = 2025) -> dict[int, TaskRating]:
    return {y: level for y in range(last - 4, last + 1)}


# -- prerequisites naming «Bằng khen cấp bộ, ban, ngành, tỉnh» count any of them ----------------


@pytest.mark.parametrize("held", [A.BANG_KHEN_BO, A.BANG_KHEN_CHU_TICH_TINH])
def test_a_ministry_or_provincial_bang_khen_leads_to_the_prime_ministers(held: AwardKind) -> None:
    cstd = A.CHIEN_SI_THI_DUA_CO_SO
    p = person(five_years(TOT), {2020: [held], 2023: [cstd], 2024: [cstd], 2025: [cstd]})
    a = assess(p, A.BANG_KHEN_THU_TUONG, 2025, RS)
    assert a.eligible is True
    pre = a.criterion("da-co-bang-khen-tinh")
    assert [f.key for f in pre.evidence if f.decision_number] == [held.value]
    assert "Bằng khen của Bộ trưởng" in pre.message_vi  # the prerequisite names both


def test_without_any_bang_khen_the_prime_ministers_is_refused() -> None:
    cstd = A.CHIEN_SI_THI_DUA_CO_SO
    p = person(five_years(TOT), {2020: [A.GIAY_KHEN], 2023: [cstd], 2024: [cstd], 2025: [cstd]})
    a = assess(p, A.BANG_KHEN_THU_TUONG, 2025, RS)
    assert a.eligible is False
    assert a.criterion("da-co-bang-khen-tinh").outcome == Outcome.FAILED


def test_cstd_of_a_ministry_is_the_provincial_title_decided_centrally() -> None:
    rule = RS.rule_for(A.CHIEN_SI_THI_DUA_CAP_TINH, NomineeKind.INDIVIDUAL)
    assert rule.name_vi == "Chiến sĩ thi đua cấp bộ, ban, ngành, tỉnh"
    assert {"province", "central"} <= set(rule.deciding_levels)


def test_ministry_bang_khen_has_the_provincial_criteria_and_is_granted_centrally() -> None:
    for kind in NomineeKind:
        bo = RS.rule_for(A.BANG_KHEN_BO, kind)
        tinh = RS.rule_for(A.BANG_KHEN_CHU_TICH_TINH, kind)
        assert bo.conditions == tinh.conditions
        assert bo.deciding_levels == ["central"]


# -- nominee kinds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("award", "kind"),
    [
        (A.CO_THI_DUA_BO, NomineeKind.INDIVIDUAL),
        (A.CO_THI_DUA_CHINH_PHU, NomineeKind.INDIVIDUAL),
        (A.TAP_THE_LAO_DONG_XUAT_SAC, NomineeKind.INDIVIDUAL),
        (A.LAO_DONG_TIEN_TIEN, NomineeKind.COLLECTIVE),
    ],
)
def test_the_wrong_nominee_kind_has_no_rule(award: AwardKind, kind: NomineeKind) -> None:
    with pytest.raises(UnknownAward, match=f"no rule for {award.value} \\({kind.value}\\)"):
        RS.rule_for(award, kind)


@pytest.mark.parametrize(
    "award",
    [
        A.GIAY_KHEN,
        A.BANG_KHEN_THU_TUONG,
        A.BANG_KHEN_BO,
        A.HUAN_CHUONG_LAO_DONG_HANG_BA,
        A.HUAN_CHUONG_LAO_DONG_HANG_NHI,
        A.HUAN_CHUONG_LAO_DONG_HANG_NHAT,
    ],
)
def test_collective_awards_exist_with_their_citations(award: AwardKind) -> None:
    for rs in BOOK.rule_sets:
        rule = rs.rule_for(award, NomineeKind.COLLECTIVE)
        assert rule.citation.document.startswith("Luật Thi đua, khen thưởng")


# -- collectives ----------------------------------------------------------------------------


def test_giay_khen_for_a_collective_rests_on_its_rating() -> None:
    assert assess(unit({2025: TOT}, {}), A.GIAY_KHEN, 2025, RS).eligible is True
    refused = assess(unit({2025: TaskRating.HOAN_THANH}, {}), A.GIAY_KHEN, 2025, RS)
    assert refused.eligible is False
    assert refused.criterion("xep-loai").outcome == Outcome.FAILED


def test_prime_ministers_bang_khen_for_a_collective() -> None:
    u = unit(five_years(), {2022: [A.BANG_KHEN_BO], 2024: [A.BANG_KHEN_CHU_TICH_TINH]})
    a = assess(u, A.BANG_KHEN_THU_TUONG, 2025, RS)
    assert a.eligible is True
    assert a.criterion("hai-bang-khen").outcome == Outcome.PASSED
    one = assess(unit(five_years(), {2024: [A.BANG_KHEN_BO]}), A.BANG_KHEN_THU_TUONG, 2025, RS)
    assert one.eligible is False
    broken = {**five_years(), 2023: TOT}
    flag = {2024: [A.CO_THI_DUA_BO]}
    assert assess(unit(broken, flag), A.BANG_KHEN_THU_TUONG, 2025, RS).eligible is False
    assert assess(unit(five_years(), flag), A.BANG_KHEN_THU_TUONG, 2025, RS).eligible is True


# -- classes of Huân chương -----------------------------------------------------------------


def test_each_class_needs_the_class_below() -> None:
    cstd = A.CHIEN_SI_THI_DUA_CO_SO
    base = {2021: [cstd], 2023: [cstd], 2025: [cstd]}
    ba = person(five_years(), {2019: [A.HUAN_CHUONG_LAO_DONG_HANG_BA], **base})
    assert assess(ba, A.HUAN_CHUONG_LAO_DONG_HANG_NHI, 2025, RS).eligible is True
    # the unclassed history entry and the Prime Minister's Bằng khen do not stand for hạng Ba
    old = person(five_years(), {2019: [A.HUAN_CHUONG_LAO_DONG, A.BANG_KHEN_THU_TUONG], **base})
    a = assess(old, A.HUAN_CHUONG_LAO_DONG_HANG_NHI, 2025, RS)
    assert a.eligible is False
    assert a.criterion("da-co-hang-ba").outcome == Outcome.FAILED
    # hạng Ba itself chains on the Prime Minister's Bằng khen
    bktt = person(five_years(), {2019: [A.BANG_KHEN_THU_TUONG], **base})
    assert assess(bktt, A.HUAN_CHUONG_LAO_DONG_HANG_BA, 2025, RS).eligible is True
    nhat = person(
        five_years(),
        {2018: [A.HUAN_CHUONG_LAO_DONG_HANG_NHI], 2024: [A.CHIEN_SI_THI_DUA_CAP_TINH]},
    )
    assert assess(nhat, A.HUAN_CHUONG_LAO_DONG_HANG_NHAT, 2025, RS).eligible is True
    assert assess(nhat, A.HUAN_CHUONG_LAO_DONG_HANG_NHI, 2025, RS).eligible is False


def test_collective_classes_count_emulation_flags() -> None:
    flags = {2019: [A.HUAN_CHUONG_LAO_DONG_HANG_BA], 2023: [A.CO_THI_DUA_CAP_TINH]}
    one_flag = unit(five_years(), flags)
    assert assess(one_flag, A.HUAN_CHUONG_LAO_DONG_HANG_NHI, 2025, RS).eligible is False
    two = unit(five_years(), {**flags, 2024: [A.CO_THI_DUA_BO]})
    assert assess(two, A.HUAN_CHUONG_LAO_DONG_HANG_NHI, 2025, RS).eligible is True
    gov = unit(
        five_years(), {2019: [A.HUAN_CHUONG_LAO_DONG_HANG_BA], 2022: [A.CO_THI_DUA_CHINH_PHU]}
    )
    assert assess(gov, A.HUAN_CHUONG_LAO_DONG_HANG_NHI, 2025, RS).eligible is True


def test_government_flag_goes_to_a_leading_collective_of_the_year() -> None:
    led = unit({2025: XS}, {2025: [A.CO_THI_DUA_BO]})
    assert assess(led, A.CO_THI_DUA_CHINH_PHU, 2025, RS).eligible is True
    earlier = unit({2025: XS}, {2024: [A.CO_THI_DUA_CAP_TINH]})
    assert assess(earlier, A.CO_THI_DUA_CHINH_PHU, 2025, RS).eligible is False


# -- thresholds left to the province --------------------------------------------------------


def _raw(set_id: str) -> dict:  # type: ignore[type-arg]
    folder = resources.files("egov_nominations.domain").joinpath("rulesets")
    return json.loads(folder.joinpath(f"{set_id}.json").read_text(encoding="utf-8"))


def test_settings_state_the_default_and_the_article() -> None:
    for rs in BOOK.rule_sets:
        share = rs.settings["ty-le-lao-dong-tien-tien-tap-the"]
        assert (
            share.value
            == share.default
            == Decimal("70" if rs.effective_from.year >= 2024 else "50.01")
        )
        assert share.citation.article == 28
        for name in ("phieu-lao-dong-tien-tien", "phieu-danh-hieu-tap-the", "phieu-bang-khen"):
            s = rs.settings[name]
            assert s.default is None and s.citation.needs_legal_check
        # no ballot unless the province sets a share
        ldtt = rs.rule_for(A.LAO_DONG_TIEN_TIEN, NomineeKind.INDIVIDUAL)
        assert ldtt.ballot_threshold_pct is None


def test_a_province_that_votes_on_ldtt_sets_its_share() -> None:
    raw = _raw("2025-07-01")
    raw["id"] = "2025-07-01-tinh"
    raw["settings"]["phieu-lao-dong-tien-tien"]["value"] = 50
    raw["settings"]["phieu-bang-khen"]["value"] = 70
    rs = parse_rule_set(json.dumps(raw))
    ldtt = rs.rule_for(A.LAO_DONG_TIEN_TIEN, NomineeKind.INDIVIDUAL)
    assert ldtt.ballot_threshold_pct == 50
    assert rs.rule_for(A.BANG_KHEN_BO, NomineeKind.COLLECTIVE).ballot_threshold_pct == 70
    p = IndividualRecord(
        person=Person(id="cb-2", name="Trần Thị Bình", unit_id="38.SNV.VL"),
        ratings=(YearRating(year=2025, rating=TOT),),
        work_years=({"year": 2025, "months_on_duty": 12},),  # type: ignore[arg-type]
    )
    assert assess(p, A.LAO_DONG_TIEN_TIEN, 2025, rs).eligible == "awaiting-vote"
    assert assess(p, A.LAO_DONG_TIEN_TIEN, 2025, rs, tally_result(11, 11, 6, 50)).eligible is True
    assert assess(p, A.LAO_DONG_TIEN_TIEN, 2025, rs, tally_result(11, 11, 5, 50)).eligible is False
    assert assess(p, A.LAO_DONG_TIEN_TIEN, 2025, BOOK.ruleset_for(2025)).eligible is True
    RuleBook([rs])  # a province's set loads like a bundled one


def test_a_setting_a_condition_names_must_exist() -> None:
    raw = _raw("2025-07-01")
    del raw["settings"]["phieu-bang-khen"]
    with pytest.raises(ValueError, match="unknown setting 'phieu-bang-khen'"):
        parse_rule_set(json.dumps(raw))


# -- one year-end decision ------------------------------------------------------------------


def _awaiting(kind: AwardKind, year: int, nid: str) -> AwardRecord:
    return AwardRecord(award=kind, year=year, awaiting_decision=nid)


def test_an_award_is_decided_or_awaits_a_decision() -> None:
    with pytest.raises(ValueError, match="not both"):
        AwardRecord(award=A.LAO_DONG_TIEN_TIEN, year=2025)
    with pytest.raises(ValueError, match="not both"):
        AwardRecord(
            award=A.LAO_DONG_TIEN_TIEN, year=2025, decision_number="1", awaiting_decision="x"
        )


def test_cstd_passes_on_ldtt_approved_for_the_same_decision() -> None:
    base = person({2025: XS}, {})
    alone = assess(base, A.CHIEN_SI_THI_DUA_CO_SO, 2025, RS, tally_result(11, 11, 9, 80))
    assert alone.criterion("lao-dong-tien-tien").outcome == Outcome.FAILED
    same = base.model_copy(
        update={"awards": (_awaiting(A.LAO_DONG_TIEN_TIEN, 2025, "HS-2025-ldtt"),)}
    )
    a = assess(same, A.CHIEN_SI_THI_DUA_CO_SO, 2025, RS, tally_result(11, 11, 9, 80))
    assert a.eligible is True
    ev = a.criterion("lao-dong-tien-tien").evidence
    assert any("chờ quyết định (hồ sơ HS-2025-ldtt)" in str(f.value) for f in ev)


def test_collective_excellence_counts_members_ldtt_approved_for_the_same_decision() -> None:
    def member(i: int, awaiting: bool) -> IndividualRecord:
        m = IndividualRecord(
            person=Person(id=f"m{i}", name=f"Thành viên {i}", unit_id="38.SNV.VL"),
            ratings=(YearRating(year=2025, rating=TOT),),
        )
        titles = [_awaiting(A.LAO_DONG_TIEN_TIEN, 2025, f"HS-m{i}")] if awaiting else []
        if i == 0:
            titles.append(_awaiting(A.CHIEN_SI_THI_DUA_CO_SO, 2025, "HS-m0-cstd"))
        return m.model_copy(update={"awards": tuple(titles)})

    members = tuple(member(i, i < 8) for i in range(10))
    a = assess(unit({2025: XS}, {}, members), A.TAP_THE_LAO_DONG_XUAT_SAC, 2025, RS)
    assert a.eligible is True
    share = a.criterion("ty-le-lao-dong-tien-tien")
    assert any(f.key == "awaiting_decision" and "HS-m7" in str(f.value) for f in share.evidence)
    few = tuple(member(i, i < 6) for i in range(10))
    assert (
        assess(unit({2025: XS}, {}, few), A.TAP_THE_LAO_DONG_XUAT_SAC, 2025, RS).eligible is False
    )


# -- the rules before 2024 ------------------------------------------------------------------


def test_a_2019_cstd_is_judged_by_the_rules_then_in_force() -> None:
    from egov_nominations.domain import Initiative, Scope

    titles = {2019: [A.LAO_DONG_TIEN_TIEN], 2024: [A.LAO_DONG_TIEN_TIEN]}
    p = person({2019: XS, 2024: XS}, titles)
    vote = tally_result(11, 11, 9, 80)
    old = assess(p, A.CHIEN_SI_THI_DUA_CO_SO, 2019, BOOK.ruleset_for(2019), vote)
    assert old.rule_set_id == "2014-06-01"
    assert old.rule_citation.document.startswith("Luật Thi đua, khen thưởng 2003")
    # before 2024 «hoàn thành xuất sắc» alone did not make a CSTĐ cơ sở: an initiative did
    assert old.eligible is False
    assert old.criterion("sang-kien-co-so").outcome == Outcome.FAILED
    new = assess(p, A.CHIEN_SI_THI_DUA_CO_SO, 2024, BOOK.ruleset_for(2024), vote)
    assert new.rule_set_id == "2024-01-01" and new.eligible is True
    sk = Initiative(
        id="sk-2019",
        title="Số hoá hồ sơ chính sách",
        year=2019,
        recognised_by="Hội đồng sáng kiến Sở",
        scope=Scope.UNIT,
        accepted_and_applied=True,
    )
    with_sk = p.model_copy(update={"initiatives": (sk,)})
    assert assess(with_sk, A.CHIEN_SI_THI_DUA_CO_SO, 2019, BOOK.ruleset_for(2019), vote).eligible


def test_before_2024_more_than_half_the_members_made_a_collective_ldtt() -> None:
    def members(holders: int) -> tuple[IndividualRecord, ...]:
        return tuple(
            IndividualRecord(
                person=Person(id=f"m{i}", name=f"Thành viên {i}", unit_id="38.SNV.VL"),
                awards=_awards({2019: [A.LAO_DONG_TIEN_TIEN]}, f"m{i}") if i < holders else (),
            )
            for i in range(20)
        )

    rs = BOOK.ruleset_for(2019)
    assert rs.settings["ty-le-lao-dong-tien-tien-tap-the"].citation.article == 28
    award = A.TAP_THE_LAO_DONG_TIEN_TIEN
    assert assess(unit({2019: TOT}, {}, members(11)), award, 2019, rs).eligible is True
    assert assess(unit({2019: TOT}, {}, members(10)), award, 2019, rs).eligible is False  # 50 %
    assert (
        assess(unit({2024: TOT}, {}, members(11)), award, 2024, BOOK.ruleset_for(2024)) is not None
    )


def test_before_2024_the_provincial_bang_khen_needed_two_years_of_excellence() -> None:
    p = person({2018: XS, 2019: XS}, {})
    a = assess(p, A.BANG_KHEN_CHU_TICH_TINH, 2019, BOOK.ruleset_for(2019))
    assert a.eligible is True and a.rule_set_id == "2014-06-01"
    later = person({2024: XS, 2025: XS}, {})
    assert assess(later, A.BANG_KHEN_CHU_TICH_TINH, 2025, RS).eligible is False
