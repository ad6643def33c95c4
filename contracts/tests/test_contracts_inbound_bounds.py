"""The inbound models refuse what never could be valid: instants outside 2000–2099, control
characters in text, overlong or malformed personal data, absurd numbers and breakdowns."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from egov_contracts import indicators as ci
from egov_contracts import procedures as cp
from pydantic import ValidationError

VN = timezone(timedelta(hours=7))
REPORT = {
    "dossier_code": "G22.38-260301-0001",
    "procedure_code": "2.000744",
    "unit_code": "38.XA.SAMSON",
    "status": "received",
    "occurred_at": "2026-03-02T08:00:00+07:00",
    "applicant": {"national_id": "038095001234", "name": "Nguyễn Văn An", "phone": "0912 348 912"},
    "note": "Hồ sơ đủ.\nĐã kiểm tra.",
}
SUBMISSION = {
    "submission_id": "S-1",
    "unit_code": "38.HUYEN.NGASON",
    "period": "2026-03",
    "values": [{"indicator_code": "LD-01", "value": "12.5", "disaggregation": {"giới tính": "nữ"}}],
    "submitted_by": "thongke-ngason",
    "submitted_at": "2026-04-05T10:30:00+07:00",
}


def refused_fields(model, data) -> list[str]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [".".join(str(p) for p in e["loc"]) for e in info.value.errors()]


def test_plausible_reports_and_submissions_pass():
    assert cp.StatusReported.model_validate(REPORT).applicant.name == "Nguyễn Văn An"
    assert ci.SubmissionReceived.model_validate(SUBMISSION).values[0].value == 12.5


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00Z", "1999-12-31T23:59:59+00:00", "9999-12-31T23:59:59Z"]
)
def test_instants_outside_2000_to_2099_are_refused(when):
    assert refused_fields(cp.StatusReported, {**REPORT, "occurred_at": when}) == ["occurred_at"]
    got = refused_fields(ci.SubmissionReceived, {**SUBMISSION, "submitted_at": when})
    assert got == ["submitted_at"]


def test_control_characters_are_refused_in_every_text_field():
    assert refused_fields(cp.StatusReported, {**REPORT, "note": "a\x00b"}) == ["note"]
    applicant = REPORT["applicant"]
    for field in ("name", "national_id", "phone"):
        data = {**REPORT, "applicant": {**applicant, field: "038\x00"}}
        assert refused_fields(cp.StatusReported, data) == [f"applicant.{field}"]
    data = {**REPORT, "applicant": {**applicant, "email": "a\x00@b.vn"}}
    assert refused_fields(cp.StatusReported, data) == ["applicant.email"]
    assert refused_fields(ci.SubmissionReceived, {**SUBMISSION, "reason": "\x1b[31m"}) == ["reason"]


def test_lengths_and_shapes_are_bounded():
    long_name = {**REPORT, "applicant": {"name": "A" * 201}}
    assert refused_fields(cp.StatusReported, long_name) == ["applicant.name"]
    assert refused_fields(cp.StatusReported, {**REPORT, "note": "x" * 2001}) == ["note"]
    assert refused_fields(cp.StatusReported, {**REPORT, "dossier_code": "HS\x00"}) == [
        "dossier_code"
    ]
    big = {**SUBMISSION, "values": [{"indicator_code": "LD-01", "value": "9" * 4301}]}
    assert refused_fields(ci.SubmissionReceived, big) == ["values.0.value"]
    wide = {f"k{i}": "v" for i in range(21)}
    many = {
        **SUBMISSION,
        "values": [{"indicator_code": "LD-01", "value": 1, "disaggregation": wide}],
    }
    assert refused_fields(ci.SubmissionReceived, many) == ["values.0.disaggregation"]
    nul_key = {"indicator_code": "LD-01", "value": 1, "disaggregation": {"a\x00": "b"}}
    assert refused_fields(ci.SubmissionReceived, {**SUBMISSION, "values": [nul_key]})
