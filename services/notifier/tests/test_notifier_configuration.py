"""The notifier's configuration use cases on the fakes (``conftest.py``): templates and rules
are the province's to change and are checked before they are kept; people to notify are the
caller's unit's or its subtree's."""

from __future__ import annotations

from dataclasses import replace

import pytest
from egov_notifier.domain.rules import DEFAULT_RULES, Audience, Channel, Person
from egov_notifier.domain.templates import Template
from egov_notifier.usecases.configuration import (
    SavePerson,
    SaveRule,
    SaveTemplate,
    preview_template,
    save_person,
    save_rule,
    save_template,
)
from egov_runtime.auth import Principal
from egov_runtime.refusals import Forbidden, Invalid, NotFound

from .conftest import FAKE_NOW

PROVINCE = "38"
OVERDUE = "vn.egov.procedures.dossier.overdue.v1"
RULE = DEFAULT_RULES[0]


def staff(unit: str = PROVINCE) -> Principal:
    return Principal("qtv", frozenset({"admin"}), unit)


async def test_a_template_is_kept_once_it_renders_its_rules_event_types(fake_work):
    cmd = SaveTemplate(RULE.template_id, "Hồ sơ {{ data.dossier_code }}", "Sắp đến hạn.")
    template, types = await save_template(fake_work, staff(), PROVINCE, cmd)
    assert types == [RULE.event_type]  # the rule that uses it, though the command named none
    assert await fake_work.directory.template(RULE.template_id) == template
    assert template.subject == "Hồ sơ {{ data.dossier_code }}"


async def test_a_template_that_does_not_render_is_refused_with_its_lines(fake_work):
    cmd = SaveTemplate("moi", "Tiêu đề", "Dòng một\n{{ khong_co }}", sample_types=(OVERDUE,))
    with pytest.raises(Invalid) as refused:
        await save_template(fake_work, staff(), PROVINCE, cmd)
    assert refused.value.title == "Invalid template"
    assert [(e["field"], e["line"]) for e in refused.value.errors] == [("body", 2)]
    assert await fake_work.directory.template("moi") is None


async def test_templates_and_rules_are_changed_only_at_the_province(fake_work):
    template = SaveTemplate("moi", "Tiêu đề", "Nội dung")
    with pytest.raises(Forbidden) as refused:
        await save_template(fake_work, staff("38.SNV"), PROVINCE, template)
    assert refused.value.title == "Province-wide configuration"
    rule = SaveRule("moi", OVERDUE, (Channel.EMAIL,), RULE.template_id, roles=("head",))
    with pytest.raises(Forbidden):
        await save_rule(fake_work, staff("38.SNV"), PROVINCE, rule)
    assert await fake_work.directory.template("moi") is None
    assert "moi" not in [r.id for r in await fake_work.directory.rules()]


async def test_a_rule_is_kept_when_its_template_renders_its_event_type(fake_work):
    await fake_work.directory.save_template(
        Template("qua-han", "Quá hạn", "{{ data.dossier_code }}")
    )
    cmd = SaveRule("qua-han", OVERDUE, (Channel.EMAIL, Channel.SMS), "qua-han", roles=("head",))
    rule = await save_rule(fake_work, staff(), PROVINCE, cmd)
    assert rule.channels == (Channel.EMAIL, Channel.SMS) and rule.roles == ("head",)
    assert rule in await fake_work.directory.rules()


@pytest.mark.parametrize(
    ("cmd", "title"),
    [
        (SaveRule("r", OVERDUE, (Channel.EMAIL,), RULE.template_id), "Invalid rule"),  # no roles
        (
            SaveRule("r", OVERDUE, (Channel.EMAIL,), "khong-co", roles=("head",)),
            "Unknown template",
        ),
        (
            SaveRule("r", OVERDUE, (Channel.EMAIL,), "chi-tiet", roles=("head",)),
            "The template does not render this event type",
        ),
    ],
)
async def test_a_rule_that_cannot_work_is_refused(fake_work, cmd, title):
    await fake_work.directory.save_template(Template("chi-tiet", "{{ data.khong_co }}", "x"))
    with pytest.raises(Invalid) as refused:
        await save_rule(fake_work, staff(), PROVINCE, cmd)
    assert refused.value.title == title
    assert "r" not in [r.id for r in await fake_work.directory.rules()]


async def test_a_rule_for_a_prefix_is_not_checked_against_a_sample(fake_work):
    await fake_work.directory.save_template(Template("chi-tiet", "{{ data.khong_co }}", "x"))
    cmd = SaveRule(
        "r",
        "vn.egov.procedures.*",
        (Channel.EMAIL,),
        "chi-tiet",
        audience=Audience.UNIT,
        roles=("head",),
    )
    assert (await save_rule(fake_work, staff(), PROVINCE, cmd)).event_type.endswith("*")


async def test_a_preview_fills_the_template_in_or_says_why_not(fake_work):
    out = await preview_template(fake_work, RULE.template_id, RULE.event_type)
    assert out.subject.startswith("[Sắp đến hạn] Hồ sơ ") and "{{" not in out.subject
    with pytest.raises(NotFound) as missing:
        await preview_template(fake_work, "khong-co", RULE.event_type)
    assert missing.value.title == "No such template"
    await fake_work.directory.save_template(Template("chi-tiet", "{{ data.khong_co }}", "x"))
    with pytest.raises(Invalid) as refused:
        await preview_template(fake_work, "chi-tiet", OVERDUE)
    assert refused.value.title == "Template does not render this event"


async def test_a_person_to_notify_is_kept_within_the_callers_subtree(fake_work):
    cmd = SavePerson("nv-1", "38.SNV.NCC", "officer", "Nguyễn Văn A", "a@snv.vn")
    person = await save_person(fake_work, staff("38.SNV"), cmd, FAKE_NOW)
    assert await fake_work.directory.person("nv-1") == person
    moved = await save_person(
        fake_work, staff("38.SNV"), replace(cmd, unit_code="38.SNV"), FAKE_NOW
    )
    assert (await fake_work.directory.person("nv-1")) == moved
    assert moved.unit_code == "38.SNV"


async def test_a_person_of_another_unit_is_neither_added_nor_taken_over(fake_work):
    other = Person("nv-2", "38.380", "officer", "Trần Thị B", "b@ld.vn")
    await fake_work.directory.save_person(other)
    outside = SavePerson("nv-3", "38.380", "officer", "Lê Văn C")
    with pytest.raises(Forbidden) as refused:
        await save_person(fake_work, staff("38.SNV"), outside, FAKE_NOW)
    assert refused.value.title == "Outside your unit"
    take_over = SavePerson("nv-2", "38.SNV", "officer", "Trần Thị B")
    with pytest.raises(Forbidden):
        await save_person(fake_work, staff("38.SNV"), take_over, FAKE_NOW)
    assert await fake_work.directory.person("nv-2") == other
    assert await fake_work.directory.person("nv-3") is None
