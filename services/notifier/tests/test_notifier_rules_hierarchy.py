"""Notification rules as data and recipients through the admin-unit hierarchy (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest
from egov_contracts.reference import load_units
from egov_notifier.domain.recipients import Person, Selector, resolve
from egov_notifier.domain.rules import (
    DEFAULT_RULES,
    Audience,
    Channel,
    Priority,
    Rule,
    RuleInvalid,
    match,
    pluck,
    validate_rule,
)
from egov_units import AdminUnit, Hierarchy

PROC = "vn.egov.procedures"
OVERDUE = f"{PROC}.dossier.overdue.v1"

TREE = Hierarchy(AdminUnit.from_record(u.model_dump()) for u in load_units())
TODAY = date(2026, 3, 2)
PEOPLE = [
    Person("samson-officer", "38.XA.SAMSON", "officer", "Cán bộ Sầm Sơn", "cb@samson.vn"),
    Person("samson-head", "38.XA.SAMSON", "head", "Lãnh đạo Sầm Sơn", "ld@samson.vn"),
    Person("province-operator", "38", "operator", "Theo dõi tỉnh", "td@38.vn"),
    Person("province-head", "38", "head", "Lãnh đạo tỉnh", "ld@38.vn"),
    Person("snv-head", "38.SNV", "head", "Giám đốc Sở", "gd@snv.vn"),
    Person("snv-operator", "38.SNV", "operator", "Theo dõi Sở", "td@snv.vn"),
    Person("ncc-officer", "38.SNV.NCC", "officer", "Cán bộ NCC", "cb@ncc.vn"),
    Person("hacthanh-head", "38.XA.HACTHANH", "head", "Lãnh đạo Hạc Thành", "ld@hac.vn"),
]


def test_ancestry_follows_the_hierarchy_from_data():
    assert TREE.ancestry("38.SNV.NCC", TODAY) == ["38.SNV.NCC", "38.SNV", "38"]
    assert TREE.ancestry("38.XA.SAMSON", TODAY) == ["38.XA.SAMSON", "38"]
    assert TREE.ancestry("99.UNKNOWN", TODAY) == ["99.UNKNOWN"]


def test_a_merged_unit_is_answered_for_by_its_successor():
    # Thành phố Thanh Hóa (38.380) was merged into Phường Hạc Thành on 2025-07-01
    assert TREE.ancestry("38.380", date(2025, 6, 1)) == ["38.380", "38"]
    chain = TREE.ancestry("38.380", TODAY)
    assert chain == ["38.XA.HACTHANH", "38"]
    assert [p.id for p in resolve(chain, PEOPLE, Selector(roles=("head",)))] == ["hacthanh-head"]


def test_roles_at_the_unit_and_above_and_nearest_only():
    chain = TREE.ancestry("38.SNV.NCC", TODAY)
    everyone_above = resolve(chain, PEOPLE, Selector(("officer",), ("operator",)))
    assert [p.id for p in everyone_above] == ["ncc-officer", "province-operator", "snv-operator"]
    nearest = resolve(chain, PEOPLE, Selector(("officer",), ("operator",), nearest_only=True))
    assert [p.id for p in nearest] == ["ncc-officer", "snv-operator"]
    # a role at the unit itself is not picked up by ancestor_roles, and vice versa
    assert resolve(chain, PEOPLE, Selector((), ("officer",))) == []
    assert resolve([], PEOPLE, Selector(("head",))) == []


def test_pluck_walks_dotted_paths_and_lists():
    data = {"a": {"b": 1}, "recipients": [{"unit_code": "38"}, {"unit_code": "38.SNV"}, {}]}
    assert pluck(data, "a.b") == [1]
    assert pluck(data, "recipients[].unit_code") == ["38", "38.SNV"]
    assert pluck(data, "missing.path") == []
    assert pluck({"a": 5}, "a.b") == []


def test_match_uses_type_data_and_enabled_flag():
    rules = [
        Rule("b-prefix", f"{PROC}.*", (Channel.IN_APP,), roles=("head",)),
        Rule("a-exact", OVERDUE, (Channel.EMAIL,), roles=("head",)),
        Rule("off", OVERDUE, (Channel.EMAIL,), roles=("head",), enabled=False),
        Rule("sms", OVERDUE, (Channel.SMS,), audience=Audience.APPLICANT),
        Rule("hooks", f"{PROC}.*", (Channel.WEBHOOK,), audience=Audience.SUBSCRIBERS),
    ]
    data = {"unit_code": "38.XA.SAMSON"}
    assert [r.id for r in match(rules, OVERDUE, data)] == ["a-exact", "b-prefix", "hooks"]
    # no unit in the event: unit rules reach no one, subscribers still do
    assert [r.id for r in match(rules, OVERDUE, {})] == ["hooks"]
    with_contact = {**data, "applicant_ref": "sms:0***8912#a1b2"}
    assert "sms" in [r.id for r in match(rules, OVERDUE, with_contact)]
    assert match(rules, "vn.egov.indicators.submission.rejected.v1", data) == []


def test_rule_requires_fields():
    rule = Rule("r", OVERDUE, (Channel.EMAIL,), roles=("head",), requires=("minutes_late",))
    assert match([rule], OVERDUE, {"unit_code": "38", "minutes_late": 5}) == [rule]
    assert match([rule], OVERDUE, {"unit_code": "38"}) == []


def test_rule_values_are_normalised_and_checked():
    rule = Rule("r", OVERDUE, ("email",), roles=("head",), priority="low")
    assert rule.channels == (Channel.EMAIL,) and rule.priority is Priority.LOW
    with pytest.raises(RuleInvalid):
        Rule("r", OVERDUE, ("fax",), roles=("head",))
    with pytest.raises(RuleInvalid, match="cannot reach the applicant"):
        validate_rule(Rule("r", OVERDUE, (Channel.EMAIL,), audience=Audience.APPLICANT))
    with pytest.raises(RuleInvalid, match="webhook cannot reach the unit"):
        validate_rule(Rule("r", OVERDUE, (Channel.WEBHOOK,), roles=("head",)))
    with pytest.raises(RuleInvalid, match="needs roles"):
        validate_rule(Rule("r", OVERDUE, (Channel.EMAIL,)))
    with pytest.raises(RuleInvalid, match=r"'\*' only at the end"):
        validate_rule(Rule("r", "vn.*.overdue", (Channel.EMAIL,), roles=("head",)))


def _by_id(rule_id: str) -> Rule:
    return next(r for r in DEFAULT_RULES if r.id == rule_id)


def test_default_rules_reach_the_people_the_issue_names():
    for rule in DEFAULT_RULES:
        validate_rule(rule)
    samson = {"unit_code": "38.XA.SAMSON", "dossier_code": "X"}

    def reached(rule_id: str, data: Mapping[str, Any], event_type: str) -> list[str]:
        rule = _by_id(rule_id)
        assert match([rule], event_type, data) == [rule]
        found = {
            p.id
            for u in rule.units(data)
            for p in resolve(TREE.ancestry(u, TODAY), PEOPLE, rule.selector)
        }
        return sorted(found)

    approaching = f"{PROC}.dossier.deadline-approaching.v1"
    assert reached("dossier-deadline-approaching", samson, approaching) == ["samson-officer"]
    assert reached("dossier-overdue", samson, OVERDUE) == ["province-operator", "samson-head"]
    rejected = "vn.egov.indicators.submission.rejected.v1"
    assert reached("submission-rejected", samson, rejected) == ["samson-head", "samson-officer"]
    for kind in ("due-soon", "overdue"):
        report = f"vn.egov.indicators.report.{kind}.v1"
        assert reached(f"report-{kind}", samson, report) == ["samson-head", "samson-officer"]
    award = {"recipients": [{"unit_code": "38.SNV"}, {"unit_code": "38.XA.SAMSON"}]}
    assert reached("award-conferred", award, "vn.egov.nominations.award.conferred.v1") == [
        "samson-head",
        "snv-head",
    ]


def test_applicant_sms_only_when_the_event_carries_a_contact_reference():
    rule = _by_id("dossier-resolved-applicant")
    resolved = f"{PROC}.dossier.resolved.v1"
    assert rule.channels == (Channel.SMS,) and rule.audience is Audience.APPLICANT
    assert match([rule], resolved, {"unit_code": "38", "dossier_code": "X"}) == []
    data = {"unit_code": "38", "applicant_ref": "ref-7f3a"}
    assert match([rule], resolved, data) == [rule]
    assert rule.contact(data) == "ref-7f3a"


def test_low_priority_default_rule_goes_to_the_digest():
    lows = [r.id for r in DEFAULT_RULES if r.priority is Priority.LOW]
    assert lows == ["on-time-rate-digest"]
