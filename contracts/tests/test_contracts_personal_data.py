"""Personal data never travels in clear in outbound events."""

from __future__ import annotations

import re

import pytest
from egov_contracts.envelope import all_event_types
from egov_contracts.personal_data import (
    FORBIDDEN_OUTBOUND_FIELDS,
    SEALED_PATTERN,
    applicant_ref,
    mask_email,
    mask_national_id,
    mask_phone,
)
from egov_contracts.schemas import schema_of
from egov_contracts.topics import INBOUND_TOPICS
from hypothesis import given
from hypothesis import strategies as st

INBOUND = INBOUND_TOPICS


def _property_names(node, out):
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            out.add(name)
            _property_names(sub, out)
        for value in node.values():
            if isinstance(value, dict | list):
                _property_names(value, out)
    elif isinstance(node, list):
        for v in node:
            _property_names(v, out)
    return out


def test_no_outbound_schema_can_hold_clear_personal_data():
    for event_type, model in all_event_types().items():
        if model.topic in INBOUND:
            continue
        names = _property_names(schema_of(model), set())
        assert not names & FORBIDDEN_OUTBOUND_FIELDS, event_type


def test_the_inbound_report_is_the_only_holder():
    holders = [
        t
        for t, m in all_event_types().items()
        if _property_names(schema_of(m), set()) & FORBIDDEN_OUTBOUND_FIELDS
    ]
    assert holders == ["vn.egov.procedures.dossier.status-reported.v1"]


def test_masks():
    assert mask_phone("0912 348 912") == "0***8912"
    assert mask_email("nguyen.van.a@example.vn") == "n***@example.vn"
    assert mask_national_id("038095001234") == "********1234"


@given(st.text(alphabet="0123456789", min_size=9, max_size=12))
def test_applicant_ref_is_stable_keyed_and_hides_the_id(national_id):
    a = applicant_ref(national_id, b"key-1")
    assert a == applicant_ref(national_id, b"key-1")
    assert a != applicant_ref(national_id, b"key-2")
    assert national_id not in a and a.startswith("ar_")


@given(st.text(alphabet="0123456789+ ", min_size=5, max_size=20))
def test_masked_phone_never_shows_more_than_five_digits(phone):
    masked = mask_phone(phone)
    assert sum(ch.isdigit() for ch in masked) <= 5


@given(
    st.dictionaries(
        st.sampled_from(["national_id", "name", "phone", "email"]), st.text(max_size=60)
    )
)
def test_sealed_personal_data_opens_only_with_its_key(applicant):
    from egov_contracts.personal_data import SealError, seal, unseal

    token = seal(applicant, b"the service's key")
    assert re.fullmatch(SEALED_PATTERN, token)
    assert unseal(token, b"the service's key") == applicant
    with pytest.raises(SealError):
        unseal(token, b"another key")
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(SealError):
        unseal(tampered, b"the service's key")


def test_a_sealed_applicant_shows_nothing_of_it():
    from egov_contracts.personal_data import seal

    applicant = {"national_id": "038095001234", "name": "Nguyễn Văn An", "phone": "0912348912"}
    token = seal(applicant, b"k")
    assert not any(v in token for v in applicant.values())
    assert seal(applicant, b"k") != token  # a fresh nonce each time: equal data, unlinkable
