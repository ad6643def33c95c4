"""The producers' fast paths give what the model gives: :func:`new_event` assembles the event
without validating again what it made itself, and :func:`to_json` writes it with orjson; over
every contract example (and with every nullable field null) the event equals the validated
one and its bytes are pydantic's, and a caller's control character is still refused."""

from __future__ import annotations

import pytest
from egov_contracts.envelope import (
    CloudEvent,
    all_event_types,
    decode,
    encode,
    new_event,
    to_json,
)
from egov_contracts.examples import example_for
from pydantic import ValidationError

TYPES = sorted(all_event_types())


def _validated(event: CloudEvent) -> CloudEvent:
    """The same attributes through the model's validation, given as :func:`new_event` gave
    them before it assembled events (the defaulted ones left to their defaults)."""
    given = [n for n in CloudEvent.model_fields if n not in ("specversion", "datacontenttype")]
    return CloudEvent(**{name: getattr(event, name) for name in given})


@pytest.mark.parametrize("nulls", [False, True], ids=["example", "nulls"])
@pytest.mark.parametrize("event_type", TYPES)
def test_an_assembled_event_is_the_validated_event_and_writes_pydantics_bytes(
    event_type, nulls, nulled
):
    data = example_for(event_type)
    if nulls:
        data, _ = nulled(data)
    cause = new_event(example_for(TYPES[0]), source="/vn/38/cause", subject="C-1")
    event = new_event(data, source="/vn/38/test", subject="S-1", sequence=7, cause=cause)
    validated = _validated(event)
    assert event == validated
    assert event.model_fields_set == validated.model_fields_set
    assert event.model_dump() == validated.model_dump()
    assert to_json(event) == validated.model_dump_json(exclude_none=True).encode()
    value, headers = encode(event)
    assert decode(value, headers) == event


def test_an_event_with_extension_attributes_writes_pydantics_bytes():
    event = new_event(example_for(TYPES[0]), source="/vn/38/test", subject="S-1")
    value, _ = encode(event)
    extended = value.replace(
        b'{"specversion"', b'{"partitionkey":"k","comexampleextension1":1,"specversion"', 1
    )
    read = decode(extended, [])
    assert read.model_extra == {"partitionkey": "k", "comexampleextension1": 1}
    assert to_json(read) == read.model_dump_json(exclude_none=True).encode()


def test_a_value_orjson_does_not_write_falls_back_to_pydantic():
    event = new_event(example_for(TYPES[0]), source="/vn/38/test", subject="S-1")
    big = event.model_copy(update={"data": {**event.data, "n": 2**70}})
    assert to_json(big) == big.model_dump_json(exclude_none=True).encode()
    assert b'"n":1180591620717411303424' in to_json(big)


@pytest.mark.parametrize("given", ["source", "subject", "correlationid", "id"])
@pytest.mark.parametrize("char", ["\x00", "\x1f", "\x7f", "\x9f"])
def test_a_control_character_the_caller_gives_is_refused(given, char):
    with pytest.raises(ValidationError, match="should match pattern"):
        new_event(
            example_for(TYPES[0]),
            **{"source": "/vn/38/test", "subject": "S-1", given: f"a{char}b"},  # type: ignore[arg-type]
        )


def test_an_attribute_that_is_not_text_is_refused():
    with pytest.raises(ValidationError):
        new_event(example_for(TYPES[0]), source="/vn/38/test", subject=7)  # type: ignore[arg-type]


@pytest.mark.parametrize("char", ["\u00a0", "\u200b", "\u2028", "\ufeff"])
def test_a_character_that_is_not_printable_but_not_a_control_character_is_kept(char):
    # str.isprintable() is False for these too: the precise check then clears them
    event = new_event(example_for(TYPES[0]), source="/vn/38/test", subject=f"S{char}1")
    assert event.subject == f"S{char}1"
    assert event == _validated(event)
