"""The envelope's attributes say what the README promises: ``time`` is when the thing happened,
``sequence`` sorts as a string, ``traceparent`` (W3C) is on every event and follows the trace."""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import UTC, datetime

import pytest
from egov_contracts.envelope import (
    EnvelopeError,
    all_event_types,
    configure_trace_context,
    decode,
    encode,
    format_sequence,
    new_event,
    new_event_id,
    next_traceparent,
)
from egov_contracts.examples import example_for

TYPES = sorted(all_event_types())
W3C = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


@pytest.mark.parametrize("event_type", TYPES)
def test_time_is_when_the_thing_happened_where_the_data_says(event_type):
    example = example_for(event_type)
    event = new_event(example, source="/vn/38/test", subject="S")
    assert event.time.utcoffset().total_seconds() == 7 * 3600
    happened = example.occurred()
    if type(example).occurred_field is not None:
        assert happened is not None and event.time == happened
    explicit = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)
    assert new_event(example, source="/x", subject="S", time=explicit).time == explicit


def test_a_dossier_resolved_in_june_carries_a_june_time():
    resolved = example_for("vn.egov.procedures.dossier.resolved.v1")
    june = datetime(2026, 6, 12, 9, 30, tzinfo=UTC)
    data = resolved.model_copy(update={"occurred_at": june, "resolved_at": june})
    event = new_event(data, source="/vn/38/admin-procedures", subject="HS-1", sequence=4)
    assert event.time == june and event.time.isoformat() == "2026-06-12T16:30:00+07:00"
    assert event.sequence == "00000000000000000004"


def test_sequence_sorts_as_a_string():
    numbers = [1, 2, 9, 10, 11, 100, 12345678901]
    assert sorted(map(format_sequence, numbers)) == list(map(format_sequence, numbers))
    with pytest.raises(ValueError):
        format_sequence(-1)


def test_every_event_carries_a_traceparent_that_follows_the_trace():
    first = new_event(example_for(TYPES[0]), source="/a", subject="S")
    assert W3C.match(first.traceparent)
    effect = new_event(example_for(TYPES[1]), source="/b", subject="S", cause=first)
    assert W3C.match(effect.traceparent)
    assert effect.traceparent.split("-")[1] == first.traceparent.split("-")[1]  # same trace
    assert effect.traceparent.split("-")[2] != first.traceparent.split("-")[2]  # new span

    request = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    from_http = new_event(example_for(TYPES[0]), source="/a", subject="S", traceparent=request)
    assert from_http.traceparent.startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
    assert from_http.traceparent != request


def test_tracestate_follows_its_traceparent_and_readers_may_ignore_both():
    state = "congo=t61rcWkgMzE"
    request = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    first = new_event(
        example_for(TYPES[0]), source="/a", subject="S", traceparent=request, tracestate=state
    )
    effect = new_event(example_for(TYPES[1]), source="/b", subject="S", cause=first)
    assert first.tracestate == effect.tracestate == state
    assert (
        new_event(example_for(TYPES[0]), source="/a", subject="S", tracestate=state).tracestate
        is None
    )
    value, headers = encode(effect)
    assert json.loads(value)["tracestate"] == state
    assert decode(value, headers).tracestate == state
    # a record of a producer that knows no tracing is read as before
    bare = {k: v for k, v in json.loads(value).items() if k not in ("traceparent", "tracestate")}
    assert decode(json.dumps(bare).encode(), headers).traceparent is None


def test_with_a_trace_context_source_events_carry_the_span_in_progress():
    span = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    configure_trace_context(lambda: (span, "congo=1"))
    try:
        event = new_event(example_for(TYPES[0]), source="/a", subject="S")
        assert (event.traceparent, event.tracestate) == (span, "congo=1")
        other = new_event(
            example_for(TYPES[0]), source="/a", subject="S", traceparent=next_traceparent()
        )
        effect = new_event(example_for(TYPES[1]), source="/b", subject="S", cause=other)
        assert effect.traceparent.split("-")[1] == other.traceparent.split("-")[1]
    finally:
        configure_trace_context(None)
    assert new_event(example_for(TYPES[0]), source="/a", subject="S").traceparent != span


def test_event_ids_are_random_version_4_uuids():
    ids = {new_event_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    for text in list(ids)[:500]:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == text
    assert new_event(example_for(TYPES[0]), source="/a", subject="S").id not in ids


def test_a_forked_child_draws_other_ids_than_its_parent():
    new_event_id()  # the parent holds unused random bytes
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, new_event_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 100).decode() != new_event_id()


@pytest.mark.parametrize("garbage", [None, "", "01-xyz", "00-" + "0" * 32 + "-00f067aa0ba902b7-01"])
def test_a_missing_or_invalid_parent_starts_a_new_trace(garbage):
    fresh = next_traceparent(garbage)
    assert W3C.match(fresh) and fresh.split("-")[1] != "0" * 32


@pytest.mark.parametrize("attr", ["id", "source", "subject", "type"])
@pytest.mark.parametrize("char", ["\x00", "\x1f", "\x7f", "\x9f"])
def test_a_control_character_in_an_attribute_is_not_a_cloudevent(attr, char):
    """CloudEvents 1.0 forbids U+0000-U+001F and U+007F-U+009F in String attributes; a NUL
    in an id could never be stored in the inbox, whatever the event's type."""
    event = new_event(example_for(TYPES[0]), source="/vn/38/test", subject="S")
    value, headers = encode(event)
    assert decode(value, headers).id == event.id  # the clean event is read
    bad = json.loads(value)
    bad[attr] = f"a{char}b"
    with pytest.raises(EnvelopeError, match="control character"):
        decode(json.dumps(bad).encode(), headers)  # structured mode
    binary = [(f"ce_{k}", str(v).encode()) for k, v in bad.items() if k != "data"]
    with pytest.raises(EnvelopeError, match="control character"):
        decode(json.dumps(bad["data"]).encode(), [("content-type", b"application/json"), *binary])
