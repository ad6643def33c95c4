"""Rule sets as data: loading, validation, and the set in force for a period."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from egov_contracts import nominations as contract
from egov_nominations.domain import (
    AwardKind,
    AwardRecord,
    IndividualRecord,
    NomineeKind,
    NoRuleSetInForce,
    Person,
    RuleBook,
    TaskRating,
    UnitRecord,
    WorkYear,
    YearRating,
    assess,
    bundled_rule_book,
    parse_rule_set,
)
from egov_nominations.domain.rules import DecidingLevel, walk
from pydantic import ValidationError

BOOK = bundled_rule_book()


def test_bundled_rule_sets_load_and_cover_every_award() -> None:
    assert [s.id for s in BOOK.rule_sets] == ["2014-06-01", "2024-01-01", "2025-07-01"]
    for rs in BOOK.rule_sets:
        keys = {(r.award, r.nominee) for r in rs.rules}
        assert {k for k, _ in keys} == set(AwardKind)
        assert (AwardKind.BANG_KHEN_CHU_TICH_TINH, NomineeKind.COLLECTIVE) in keys
        for rule in rs.rules:
            assert rule.citation.document
            # Every rule can put a file on hold for a pending inspection.
            assert any(c.kind == "not_pending_inspection" for c in walk(rule.conditions))


def test_ballot_thresholds_are_data() -> None:
    rs = BOOK.ruleset_for(2025)
    cstd = rs.rule_for(AwardKind.CHIEN_SI_THI_DUA_CO_SO, NomineeKind.INDIVIDUAL)
    tinh = rs.rule_for(AwardKind.CHIEN_SI_THI_DUA_CAP_TINH, NomineeKind.INDIVIDUAL)
    ldtt = rs.rule_for(AwardKind.LAO_DONG_TIEN_TIEN, NomineeKind.INDIVIDUAL)
    assert cstd.ballot_threshold_pct == Decimal(80)
    assert tinh.ballot_threshold_pct == Decimal(90)
    assert ldtt.ballot_threshold_pct is None


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (date(2024, 1, 1), "2024-01-01"),
        (date(2025, 6, 30), "2024-01-01"),
        (date(2025, 7, 1), "2025-07-01"),
        (2024, "2024-01-01"),
        (2025, "2025-07-01"),
        (2030, "2025-07-01"),
    ],
)
def test_rule_set_in_force(when: date | int, expected: str) -> None:
    assert BOOK.ruleset_for(when).id == expected


def test_no_rule_set_before_the_2013_amendment() -> None:
    assert BOOK.ruleset_for(date(2023, 12, 31)).id == "2014-06-01"
    assert BOOK.ruleset_for(2014).id == "2014-06-01"
    with pytest.raises(NoRuleSetInForce):
        BOOK.ruleset_for(date(2014, 5, 31))
    with pytest.raises(NoRuleSetInForce):
        BOOK.ruleset_for(2013)


def test_commune_level_decides_after_the_2025_reform() -> None:
    old = BOOK.ruleset_for(date(2025, 6, 30))
    new = BOOK.ruleset_for(date(2025, 7, 1))
    key = (AwardKind.LAO_DONG_TIEN_TIEN, NomineeKind.INDIVIDUAL)
    assert "district" in old.rule_for(*key).deciding_levels
    assert "commune" not in old.rule_for(*key).deciding_levels
    assert "commune" in new.rule_for(*key).deciding_levels
    assert "district" not in new.rule_for(*key).deciding_levels


def test_assessment_cites_the_decree_of_the_set_in_force() -> None:
    p = IndividualRecord(
        person=Person(id="cb-9", name="Nguyễn Văn A", unit_id="u"),
        ratings=(YearRating(year=2024, rating=TaskRating.HOAN_THANH_TOT),),
        work_years=(WorkYear(year=2024, months_on_duty=Decimal(12)),),
    )
    old = assess(p, AwardKind.LAO_DONG_TIEN_TIEN, 2024, BOOK.ruleset_for(2024))
    assert old.rule_set_id == "2024-01-01"
    assert "98/2023" in old.criterion("khong-dang-bi-xem-xet").citation_text
    assert not old.criterion("khong-dang-bi-xem-xet").citation.needs_legal_check


def _raw(path_id: str) -> dict[str, Any]:
    rs = BOOK.ruleset_for(date.fromisoformat(path_id))
    return json.loads(rs.model_dump_json())


def test_a_new_rule_set_changes_the_answer_from_its_effective_date() -> None:
    raw = _raw("2025-07-01")
    raw["id"] = "2026-01-01"
    raw["effective_from"] = "2026-01-01"
    # the province raises the share of members with LĐTT (a setting of the rule set)
    raw["settings"]["ty-le-lao-dong-tien-tien-tap-the"]["value"] = 75
    book = RuleBook([*BOOK.rule_sets, parse_rule_set(json.dumps(raw))])

    def unit(year: int) -> UnitRecord:
        members = tuple(
            IndividualRecord(
                person=Person(id=f"m{i}", name=f"M{i}", unit_id="u"),
                awards=(
                    (
                        AwardRecord(
                            award=AwardKind.LAO_DONG_TIEN_TIEN, year=year, decision_number="1"
                        ),
                    )
                    if i < 14
                    else ()
                ),
            )
            for i in range(20)
        )
        return UnitRecord(
            id="u",
            name="Phòng",
            ratings=(YearRating(year=year, rating=TaskRating.HOAN_THANH_TOT),),
            members=members,
        )

    award = AwardKind.TAP_THE_LAO_DONG_TIEN_TIEN
    a2025 = assess(unit(2025), award, 2025, book.ruleset_for(2025))
    a2026 = assess(unit(2026), award, 2026, book.ruleset_for(2026))
    assert a2025.eligible is True and a2025.rule_set_id == "2025-07-01"
    assert a2026.eligible is False and a2026.rule_set_id == "2026-01-01"
    assert book.ruleset_for(date(2025, 12, 31)).id == "2025-07-01"
    assert book.ruleset_for(date(2026, 1, 1)).id == "2026-01-01"


def _minimal(**rule: Any) -> dict[str, Any]:
    base_rule = {
        "award": "lao-dong-tien-tien",
        "nominee": "individual",
        "name_vi": "Lao động tiên tiến",
        "citation": {"document": "Luật 06/2022/QH15", "article": 24},
        "deciding_levels": ["department"],
        "conditions": [{"id": "xep-loai", "kind": "rating_at_least", "level": "hoan-thanh-tot"}],
    }
    base_rule.update(rule)
    return {
        "id": "t",
        "effective_from": "2024-01-01",
        "title": "t",
        "legal_basis": ["x"],
        "rules": [base_rule],
    }


def test_minimal_rule_set_parses() -> None:
    rs = parse_rule_set(json.dumps(_minimal()))
    assert rs.rules[0].conditions[0].kind == "rating_at_least"


@pytest.mark.parametrize(
    "bad",
    [
        {"conditions": [{"id": "x", "kind": "no_such_condition"}]},
        {"conditions": [{"id": "x", "kind": "rating_at_least", "level": "gioi"}]},
        {
            "conditions": [
                {"id": "x", "kind": "member_share_with_title", "title": "giay-khen", "pct": 70}
            ]
        },
        {
            "conditions": [
                {"id": "x", "kind": "member_share_with_title", "title": "giay-khen", "pct": 170}
            ]
        },
        {
            "conditions": [
                {"id": "x", "kind": "not_pending_inspection"},
                {"id": "x", "kind": "no_discipline_in_year"},
            ]
        },
        {
            "conditions": [
                {"id": "a", "kind": "ballot_share_of_all_members_at_least", "pct": 80},
                {"id": "b", "kind": "ballot_share_of_all_members_at_least", "pct": 90},
            ]
        },
        {"conditions": []},
        {"unexpected": True},
    ],
)
def test_invalid_rule_sets_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_rule_set(json.dumps(_minimal(**bad)))


def test_two_rules_for_one_award_are_rejected() -> None:
    raw = _minimal()
    raw["rules"].append(raw["rules"][0])
    with pytest.raises(ValidationError):
        parse_rule_set(json.dumps(raw))


def test_two_sets_on_one_date_are_rejected() -> None:
    rs = parse_rule_set(json.dumps(_minimal()))
    with pytest.raises(ValueError, match="same date"):
        RuleBook([rs, rs])


def test_unverified_citations_are_marked() -> None:
    new = BOOK.ruleset_for(2025)
    pending = new.rule_for(AwardKind.LAO_DONG_TIEN_TIEN, NomineeKind.INDIVIDUAL).conditions[-1]
    assert pending.citation is not None
    assert pending.citation.needs_legal_check
    verified = new.rule_for(AwardKind.BANG_KHEN_THU_TUONG, NomineeKind.INDIVIDUAL).citation
    assert (verified.article, verified.clause, verified.point) == (73, 1, "b")
    assert not verified.needs_legal_check


def test_deciding_levels_leave_as_the_contracts_levels_a_district_as_its_department() -> None:
    """The domain keeps the pre-reform district; the published events know only the contract's
    levels, so every domain level maps onto one and every contract level is reached."""
    published = {level: level.published() for level in DecidingLevel}
    assert published[DecidingLevel.DISTRICT] is contract.DecidingLevel.DEPARTMENT
    for level, out in published.items():
        assert isinstance(out, contract.DecidingLevel)
        if level is not DecidingLevel.DISTRICT:
            assert out.value == level.value
    assert set(published.values()) == set(contract.DecidingLevel)
