"""Every event type: an example that validates against its published JSON Schema and survives
model → CloudEvent → Kafka record (structured and binary, also via the CloudEvents SDK) →
model unchanged."""

from __future__ import annotations

import json

import pytest
from cloudevents.v1.http import CloudEvent as SdkEvent
from cloudevents.v1.kafka import KafkaMessage, from_binary, from_structured, to_binary
from egov_contracts.envelope import (
    EnvelopeError,
    SchemaViolation,
    UnknownEventType,
    all_event_types,
    decode,
    encode,
    model_for,
    new_event,
    parse_data,
)
from egov_contracts.examples import EXAMPLES, example_for
from egov_contracts.schemas import schema_of
from jsonschema import Draft202012Validator

TYPES = sorted(all_event_types())


def test_every_type_has_an_example():
    assert sorted(e.event_type for e in EXAMPLES) == TYPES


@pytest.mark.parametrize("event_type", TYPES)
def test_example_validates_against_its_schema(event_type):
    schema = schema_of(model_for(event_type))
    Draft202012Validator.check_schema(schema)
    data = example_for(event_type).model_dump(mode="json", exclude_none=True)
    Draft202012Validator(schema).validate(data)
    with pytest.raises(Exception, match="Additional properties"):
        Draft202012Validator(schema).validate({**data, "unexpected": 1})


@pytest.mark.parametrize("event_type", TYPES)
def test_round_trip_structured_and_binary(event_type):
    example = example_for(event_type)
    event = new_event(example, source="/vn/38/test", subject="S-1", sequence=7)
    value, headers = encode(event)
    assert dict(headers)["ce_type"] == event_type.encode()
    back = decode(value, headers)
    assert back == event and parse_data(back) == example
    assert back.sequence == "00000000000000000007"

    # the same event produced by the CloudEvents SDK in binary mode
    attrs = event.model_dump(mode="json", exclude_none=True)
    data = attrs.pop("data")
    sdk = SdkEvent(attrs, data)
    msg = to_binary(sdk, key_mapper=lambda e: e["subject"])
    from_sdk = decode(msg.value, list(msg.headers.items()))
    assert parse_data(from_sdk) == example and from_sdk.id == event.id

    # and our structured record read by the SDK
    read = from_structured(KafkaMessage(dict(headers), b"S-1", value))
    assert read["type"] == event_type and read["id"] == event.id
    assert read.get_data() == json.loads(value)["data"]
    again = from_binary(msg)
    assert again["subject"] == "S-1"


def test_consumers_read_tolerantly_but_reject_violations():
    example = example_for("vn.egov.procedures.dossier.overdue.v1")
    event = new_event(example, source="/x", subject="S")
    newer = event.model_copy(update={"data": {**event.data, "added_in_v1_1": "ok"}})
    assert parse_data(newer) == example
    broken = event.model_copy(update={"data": {**event.data, "minutes_late": -3}})
    with pytest.raises(SchemaViolation, match="minutes_late"):
        parse_data(broken)
    with pytest.raises(UnknownEventType):
        parse_data(event.model_copy(update={"type": "vn.egov.nothing.v1"}))


@pytest.mark.parametrize(
    ("value", "headers", "why"),
    [
        (b"{not json", [], "not JSON"),
        (b"[1]", [], "not an object"),
        (b'{"specversion": "1.0", "id": "1"}', [], "missing"),
        (None, [], "empty"),
        (
            b'{"specversion":"1.0","id":"1","source":"/x","type":"t","subject":"s",'
            b'"time":"2026-01-01T00:00:00Z","data":"text"}',
            [],
            "data must be",
        ),
    ],
)
def test_garbage_is_an_envelope_error(value, headers, why):
    with pytest.raises(EnvelopeError, match=why):
        decode(value, headers)


_ENVELOPE = (
    b'{"specversion":"1.0","id":"1","source":"/x","type":"t","subject":"s",'
    b'"time":"2026-01-01T00:00:00+07:00","data":%s}'
)


@pytest.mark.parametrize(
    ("value", "headers", "why"),
    [
        (b"{" * 1200, [], "nested deeper"),
        (_ENVELOPE % (b'{"a":' + b"[" * 1000 + b"]" * 1000 + b"}"), [], "nested deeper"),
        (b"[" * 200_000 + b"]" * 200_000, [], "nested deeper"),
        (_ENVELOPE % (b'{"n":' + b"9" * 4301 + b"}"), [], "number longer"),
        (_ENVELOPE % (b'{"n":-0.' + b"1" * 5000 + b"}"), [], "number longer"),
        (_ENVELOPE % b'{"n":NaN}', [], "not a JSON number"),
        (_ENVELOPE % b'{"n":[1,-Infinity]}', [], "not a JSON number"),
        (_ENVELOPE % (b'{"a":' + b'[{"b":' * 32 + b"1" + b"}]" * 32 + b"}"), [], "nested deeper"),
        (b"", [], "not JSON"),
        (bytes(range(256)) * 64, [], "not JSON"),
        (b'\xff\xfe{"a":1}', [], "not"),
        (b"{}", [("ce_specversion", b"1.0"), ("ce_id", b"\xff\xfe")], "not UTF-8"),
        (b"{}", [("ce_specversion", None), ("ce_id", None)], "missing"),
    ],
    ids=[
        "open-brackets",
        "deep-data",
        "deep-balanced",
        "int-4301-digits",
        "long-fraction",
        "nan",
        "infinity",
        "deep-mixed-65",
        "empty",
        "binary",
        "bom-garbage",
        "binary-mode-non-utf8-header",
        "null-headers",
    ],
)
def test_records_beyond_the_bounds_are_envelope_errors(value, headers, why):
    """Each shape that used to escape the decoder (RecursionError, the int-digits ValueError,
    UnicodeDecodeError) is an EnvelopeError, the one class the consumer dead-letters."""
    with pytest.raises(EnvelopeError, match=why):
        decode(value, headers)


def test_tolerated_record_shapes_still_decode():
    """A non-UTF-8 content type is not ours but does not stop a structured record; digits and
    brackets inside strings are text, not numbers or nesting."""
    event = new_event(EXAMPLES[0], source="/a", subject="S")
    value, headers = encode(event)
    odd = [("content-type", b"\xff\xfe\x00"), *headers[1:]]
    assert decode(value, odd).id == event.id
    noisy = new_event(EXAMPLES[0], source="/a", subject="1" * 200 + "[{" * 100)
    value, headers = encode(noisy)
    assert decode(value, headers).subject == noisy.subject
    words = new_event(EXAMPLES[0], source="/a", subject="NaN Infinity Nguyễn Ninh")
    value, headers = encode(words)
    assert decode(value, headers).subject == words.subject
    longest = _ENVELOPE % (
        b'{"n":' + b"1" * 64 + b',"f":-1.5e-3,"d":' + b"[" * 60 + b"]" * 60 + b"}"
    )
    assert decode(longest, []).data["n"] == int("1" * 64)


def test_causation_and_correlation_follow_the_cause():
    cause = new_event(EXAMPLES[0], source="/a", subject="S")
    effect = new_event(EXAMPLES[1], source="/b", subject="S", cause=cause)
    later = new_event(EXAMPLES[2], source="/b", subject="S", cause=effect)
    assert effect.causationid == cause.id and effect.correlationid == cause.correlationid
    assert later.correlationid == cause.correlationid and later.causationid == effect.id
    assert effect.time.utcoffset().total_seconds() == 7 * 3600
