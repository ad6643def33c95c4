"""The applicant on the status-report topic and in its dead letters (pure, no broker)."""

from __future__ import annotations

import json

import pytest
from egov_contracts import procedures as c
from egov_contracts.personal_data import SealError, seal, unseal
from egov_procedures.entrypoints.sealing import dead_letter_protector, opened, sealed
from hypothesis import given
from hypothesis import strategies as st

KEY = b"the personal-data key"
APPLICANT = {"national_id": "038095001234", "name": "Nguyễn Văn An", "phone": "0912348912"}
REPORT = c.StatusReported(
    dossier_code="HS-1",
    procedure_code="1.001865",
    unit_code="38.XA.SAMSON",
    status="received",
    occurred_at="2026-03-02T08:00:00+07:00",
    applicant=APPLICANT,
)


def clear(raw: bytes) -> bool:
    return any(v.encode() in raw or json.dumps(v).encode() in raw for v in APPLICANT.values())


def test_a_sealed_report_opens_to_the_same_applicant():
    out = sealed(REPORT, KEY)
    assert out.applicant is None and out.applicant_sealed
    assert not clear(out.model_dump_json().encode())
    assert opened(out, KEY).applicant == REPORT.applicant
    with pytest.raises(SealError):
        opened(out, b"another key")
    assert sealed(REPORT.model_copy(update={"applicant": None}), KEY).applicant_sealed is None


@pytest.mark.parametrize(
    "value",
    [
        json.dumps({"specversion": "1.0", "data": REPORT.model_dump(mode="json")}).encode(),
        json.dumps(REPORT.model_dump(mode="json")).encode(),  # binary mode: the data itself
        json.dumps({"data": {"applicant": "Nguyễn Văn An 038095001234"}}).encode(),
        b'{"data": {"applicant": {"name": "Nguy\\u1ec5n V\\u0103n An"}, "z": "\\ud800"}}',
        ("[" * 5000 + "]" * 5000).encode() + b"Nguy\xe1\xbb\x85n V\xc4\x83n An",
        "Nguyễn Văn An;038095001234;0912348912".encode(),
        b"\xff\xfe Nguy\xe1\xbb\x85n V\xc4\x83n An",
    ],
    ids=["structured", "binary", "malformed", "surrogate", "deep", "csv", "not-utf8"],
)
def test_dead_letter_copies_never_carry_the_applicant_in_clear(value):
    protected = dead_letter_protector(KEY)(value)
    assert protected is not None and not clear(protected)
    assert b"Nguy\\u1ec5n" not in protected and "Nguyễn".encode() not in protected
    doc = json.loads(protected)
    if "sealed_record" in doc:  # sealed whole: opens to the very bytes
        assert unseal(doc["sealed_record"], KEY).encode("latin-1") == value


def test_a_record_without_an_applicant_is_left_alone():
    value = json.dumps({"data": {"dossier_code": "HS-1"}}).encode()
    assert dead_letter_protector(KEY)(value) == value
    assert dead_letter_protector(KEY)(None) is None


@given(st.binary(max_size=300))
def test_any_bytes_give_a_json_copy(value):
    protected = dead_letter_protector(KEY)(value)
    assert isinstance(json.loads(protected), dict | list) or protected == value


def test_the_seal_is_bound_to_the_key():
    assert unseal(seal(APPLICANT, KEY), KEY) == APPLICANT
