"""A field that is required but may be null (``passed: null`` of a criterion not decided yet)
stays on the wire as ``null``: every example, with every nullable field set to null, still
validates against its published schema and parses back to the same model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from egov_contracts import envelope
from egov_contracts.envelope import (
    all_event_types,
    decode,
    encode,
    new_event,
    parse_data,
    wire_data,
)
from egov_contracts.examples import example_for
from jsonschema import Draft202012Validator

PUBLISHED = Path(__file__).resolve().parent.parent / "published" / "schemas"


@pytest.mark.parametrize("event_type", sorted(all_event_types()))
def test_every_nullable_field_null_still_validates_against_the_published_schema(event_type, nulled):
    data, _ = nulled(example_for(event_type))
    event = new_event(data, source="/vn/38/test", subject="S-1")
    value, headers = encode(event)
    on_the_wire = json.loads(value)["data"]
    schema = json.loads((PUBLISHED / f"{event_type}.json").read_text(encoding="utf-8"))
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(on_the_wire)]
    assert errors == []
    assert parse_data(decode(value, headers)) == data


def test_an_undecided_criterion_keeps_passed_null_on_the_wire(nulled):
    assessed = example_for("vn.egov.nominations.nomination.assessed.v1")
    data, count = nulled(assessed)
    assert count >= 1
    event = new_event(data, source="/vn/38/nominations", subject="N-1")
    criteria = json.loads(encode(event)[0])["data"]["criteria"]
    assert all("passed" in c and c["passed"] is None for c in criteria)


def test_an_optional_field_left_empty_is_omitted():
    forwarded = example_for("vn.egov.nominations.nomination.forwarded.v1")
    data = forwarded.model_copy(update={"to_unit_code": None})
    event = new_event(data, source="/vn/38/nominations", subject="N-1")
    assert "to_unit_code" not in event.data


@pytest.mark.parametrize("event_type", sorted(all_event_types()))
def test_the_wire_data_shortcut_gives_what_the_field_walk_gives(event_type, nulled):
    """``wire_data`` lets pydantic-core drop the Nones of a type whose Nones can only be
    optional fields; for every type, filled and nulled, that is what the walk keeps."""
    for data in (example_for(event_type), nulled(example_for(event_type))[0]):
        walked = data.model_dump(mode="json")
        envelope._prune(data, walked)
        assert wire_data(data) == walked
