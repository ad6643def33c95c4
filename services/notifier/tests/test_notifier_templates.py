"""Notification templates: errors with lines on save, Vietnamese rendering, HTML escaping."""

from __future__ import annotations

import pytest
from egov_notifier.demo.samples import sample_event
from egov_notifier.domain.rules import DEFAULT_RULES
from egov_notifier.domain.templates import (
    DEFAULT_TEMPLATES,
    Template,
    TemplateInvalid,
    check_template,
    context_for,
    render_event,
    validate_template,
    vn_date,
    vn_datetime,
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
    assert "phiếu xin lỗi" in out.body and out.html is None


def test_rejected_submission_lists_every_violation():
    event = sample_event("vn.egov.indicators.submission.rejected.v1")
    out = render_event(DEFAULT_TEMPLATES["submission-rejected"], event)
    assert out.subject == "[Trả lại] Báo cáo chỉ tiêu kỳ 2026-Q1 của 38.XA.SAMSON"
    assert "- Chỉ tiêu GN.01 = -3: Số hộ nghèo không được âm" in out.body


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
