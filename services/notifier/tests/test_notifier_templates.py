"""Notification templates: errors with lines on save, Vietnamese rendering, HTML escaping."""

from __future__ import annotations

import re

import pytest
from egov_contracts.reference import load_units
from egov_notifier.demo.samples import sample_event
from egov_notifier.domain.rules import DEFAULT_RULES
from egov_notifier.domain.templates import (
    DEFAULT_TEMPLATES,
    Template,
    TemplateInvalid,
    check_template,
    context_for,
    render_context,
    render_event,
    validate_template,
    vn_date,
    vn_datetime,
    vn_duration,
)

OVERDUE = "vn.egov.procedures.dossier.overdue.v1"
SAMPLE = context_for(sample_event(OVERDUE))


def test_syntax_error_is_reported_with_its_line():
    with pytest.raises(TemplateInvalid) as err:
        validate_template("Hồ sơ {{ data.dossier_code }}\n\n{% for x in %}", SAMPLE)
    (e,) = err.value.errors
    assert e["field"] == "body" and e["line"] == 3 and "line 3" in e["message"]


def test_unknown_top_level_name_is_found_even_in_a_branch_not_taken():
    source = "{% if false %}\nxin chào\n{{ nguoi_nhan }}\n{% endif %}"
    with pytest.raises(TemplateInvalid) as err:
        validate_template(source, SAMPLE, field="subject")
    (e,) = err.value.errors
    assert e["field"] == "subject" and e["line"] == 3 and "nguoi_nhan" in e["message"]


def test_missing_attribute_of_the_sample_event_is_reported_with_its_line():
    with pytest.raises(TemplateInvalid) as err:
        validate_template("Kính gửi,\n{{ data.dossier_code }}\n{{ data.so_ngay_tre }}", SAMPLE)
    (e,) = err.value.errors
    assert e["line"] == 3 and "so_ngay_tre" in e["message"]


def test_runtime_errors_and_sandbox_escapes_are_template_errors():
    with pytest.raises(TemplateInvalid):
        validate_template("{{ data.minutes_late / 0 }}", SAMPLE)
    with pytest.raises(TemplateInvalid):
        validate_template("{{ data.__class__.__mro__[1].__subclasses__() }}", SAMPLE)
    with pytest.raises(TemplateInvalid, match="longer than"):
        validate_template("x" * 20_001, SAMPLE)


def test_check_template_reports_every_part_at_once():
    bad = Template("t", "{{ khong_co }}", "ok", html="<p>{% if %}</p>")
    with pytest.raises(TemplateInvalid) as err:
        check_template(bad, [SAMPLE])
    assert [e["field"] for e in err.value.errors] == ["subject", "html"]
    check_template(Template("t", "{{ data.dossier_code }}", "{{ type }}"), [SAMPLE])


def test_every_default_rule_has_a_template_that_renders_its_sample():
    for rule in DEFAULT_RULES:
        template = DEFAULT_TEMPLATES[rule.template_id or ""]
        check_template(template, [context_for(sample_event(rule.event_type))])


def test_overdue_renders_vietnamese_text_with_vietnam_dates():
    out = render_event(DEFAULT_TEMPLATES["dossier-overdue"], sample_event(OVERDUE))
    assert out.subject == "[Quá hạn] Hồ sơ 000.00.38.H12-260302-000123"
    assert "đã quá hạn trả kết quả từ 08:00 ngày 16/03/2026" in out.body
    # past the deadline an apology letter is refused: the overdue message does not ask for it
    assert "phiếu xin lỗi" not in out.body and out.html is None
    assert "khẩn trương giải quyết" in out.body


def test_rejected_submission_lists_every_violation():
    event = sample_event("vn.egov.indicators.submission.rejected.v1")
    names = {"38.XA.SAMSON": "Phường Sầm Sơn"}
    out = render_context(DEFAULT_TEMPLATES["submission-rejected"], context_for(event, names))
    assert out.subject == "[Trả lại] Báo cáo chỉ tiêu kỳ 2026-Q1 của Phường Sầm Sơn (38.XA.SAMSON)"
    assert "- Chỉ tiêu Số hộ nghèo (GN.01) = -3: Số hộ nghèo không được âm" in out.body


def test_report_reminder_and_overdue_notice_name_the_unit_and_the_due_date():
    soon = render_event(
        DEFAULT_TEMPLATES["report-due-soon"],
        sample_event("vn.egov.indicators.report.due-soon.v1"),
    )
    assert soon.subject == (
        "[Sắp đến hạn] Báo cáo tháng lao động - việc làm kỳ 2026-07 — Phường Sầm Sơn"
    )
    assert soon.body.startswith("Kính gửi Phường Sầm Sơn (38.XA.SAMSON),")
    assert "(BC-LDVL-THANG) kỳ 2026-07" in soon.body
    assert "hạn gửi là ngày 20/08/2026" in soon.body
    late = render_event(
        DEFAULT_TEMPLATES["report-overdue"], sample_event("vn.egov.indicators.report.overdue.v1")
    )
    assert late.subject.startswith("[Quá hạn] Báo cáo tháng lao động - việc làm kỳ 2026-07")
    assert "đã quá hạn gửi (hạn ngày 20/08/2026) mà chưa nhận được" in late.body


def test_html_part_is_autoescaped_and_text_is_not():
    event = sample_event(OVERDUE)
    event["data"]["dossier_code"] = "<script>x</script> & Co"
    tpl = Template(
        "t", "{{ data.dossier_code }}", "{{ data.dossier_code }}", "<b>{{ data.dossier_code }}</b>"
    )
    out = render_event(tpl, event)
    assert out.html == "<b>&lt;script&gt;x&lt;/script&gt; &amp; Co</b>"
    assert out.body == "<script>x</script> & Co"


def test_subject_is_one_line():
    tpl = Template("t", "Hồ sơ\n{{ data.dossier_code }}\n", "x")
    assert render_event(tpl, sample_event(OVERDUE)).subject == "Hồ sơ 000.00.38.H12-260302-000123"


def test_render_of_a_broken_template_fails_that_message_only():
    with pytest.raises(TemplateInvalid):
        render_event(Template("t", "ok", "{{ data.khong_co }}"), sample_event(OVERDUE))


def test_vietnamese_date_filters_convert_to_vietnam_time():
    assert vn_datetime("2026-03-16T01:00:00+00:00") == "08:00 ngày 16/03/2026"
    assert vn_date("2026-03-16T20:00:00+00:00") == "17/03/2026"
    assert vn_date("2026-01-20") == "20/01/2026"
    assert vn_date(None) == ""


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (6, "6 phút"),
        (0, "dưới 1 phút"),
        (150, "2 giờ 30 phút"),
        (480, "1 ngày làm việc"),
        (600, "1 ngày làm việc 2 giờ"),
        (1200, "2 ngày làm việc 4 giờ"),
    ],
)
def test_durations_read_as_people_say_them(minutes, text):
    assert vn_duration(minutes) == text


def test_the_approaching_warning_asks_for_an_apology_only_while_it_is_possible():
    event = sample_event("vn.egov.procedures.dossier.deadline-approaching.v1")
    tpl = DEFAULT_TEMPLATES["dossier-deadline-approaching"]
    assert "phiếu xin lỗi và hẹn lại ngày trả kết quả trước 08:00 ngày 13/03/2026" in (
        render_event(tpl, event).body
    )
    del event["data"]["apology_deadline"]
    assert "phiếu xin lỗi" not in render_event(tpl, event).body


# -- what a person reads -----------------------------------------------------------------------

SLUG = re.compile(r"\b[a-z][a-z0-9]*(?:-[a-z0-9]+)+\b")  # lao-dong-tien-tien, used-75, in-app
PLACEHOLDER = re.compile(r"#\{|\{\{|\{%|\}\}")
DECIMAL_DURATION = re.compile(r"\d+[.,]\d+ (?:giờ|phút|ngày)")


def _codes(data: object) -> set[str]:
    """The codes of things that have a name: units, procedures, indicators."""
    found: set[str] = set()
    if isinstance(data, dict):
        for k, v in data.items():
            if k.endswith(("unit_code", "procedure_code", "indicator_code")) and v:
                found.add(str(v))
            else:
                found |= _codes(v)
    elif isinstance(data, list):
        for v in data:
            found |= _codes(v)
    return found


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=[r.id for r in DEFAULT_RULES])
def test_every_default_message_names_what_it_is_about(rule):
    """Rendered with the contract's example of its event type (and the unit names of the
    reference hierarchy, as the notifier's read model holds them): no placeholder, no slug, no
    decimal duration, and every unit, procedure or indicator code beside its name."""
    names = {u.unit_code: u.name for u in load_units()}
    event = sample_event(rule.event_type)
    out = render_context(DEFAULT_TEMPLATES[rule.template_id or ""], context_for(event, names))
    for part in (out.subject, out.body, out.html or ""):
        assert not PLACEHOLDER.search(part), part
        assert not SLUG.findall(part), (SLUG.findall(part), part)
        assert not DECIMAL_DURATION.search(part), part
        for code in _codes(event["data"]):
            # the code, where it stands alone (not inside an identifier such as a report's
            # id), appears only as "Name (code)"
            alone = re.findall(rf"(?<![\w.\-])(.?){re.escape(code)}(?![\w.\-])(.?)", part)
            assert all(found == ("(", ")") for found in alone), (code, part)
            for m in re.finditer(re.escape(f" ({code})"), part):
                assert part[: m.start()].strip(), (code, part)  # a name before it
    assert out.subject.strip() and out.body.strip()


def _without(data: object, keys: set[str]) -> object:
    if isinstance(data, dict):
        return {k: _without(v, keys) for k, v in data.items() if k not in keys}
    if isinstance(data, list):
        return [_without(v, keys) for v in data]
    return data


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=[r.id for r in DEFAULT_RULES])
def test_every_default_message_renders_without_the_optional_fields(rule):
    """Events of producers that do not (yet) send the names, nor an apology deadline."""
    event = sample_event(rule.event_type)
    event["data"] = _without(
        event["data"], {"procedure_name", "indicator_name", "apology_deadline"}
    )
    out = render_context(DEFAULT_TEMPLATES[rule.template_id or ""], context_for(event))
    assert out.subject.strip() and out.body.strip()
