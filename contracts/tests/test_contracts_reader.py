"""Open or closed: each type is published twice. The closed writer schema is what producers
validate against; the open reader schema (unknown properties allowed at every level) is what
consumers validate against, and our own models read tolerantly at every depth. So a field added
in a later minor, anywhere in the tree, breaks no reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
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
from pydantic import BaseModel

SCHEMAS = Path(__file__).resolve().parent.parent / "published" / "schemas"
TYPES = sorted(all_event_types())
ADDED = {"added_in_a_later_minor": {"anything": [1, "two"]}}


def with_unknown_fields(model: BaseModel, dumped: dict[str, Any]) -> int:
    """Add an unknown field to every object of ``dumped`` that is a model; how many."""
    dumped.update(ADDED)
    count = 1
    for name in type(model).model_fields:
        value, out = getattr(model, name), dumped.get(name)
        if isinstance(value, BaseModel) and isinstance(out, dict):
            count += with_unknown_fields(value, out)
        elif isinstance(value, list) and isinstance(out, list):
            for item, o in zip(value, out, strict=True):
                if isinstance(item, BaseModel) and isinstance(o, dict):
                    count += with_unknown_fields(item, o)
    return count


def _closed(node: Any) -> bool:
    if isinstance(node, dict):
        return node.get("additionalProperties") is False or any(map(_closed, node.values()))
    return isinstance(node, list) and any(map(_closed, node))


def _schema(role: str, event_type: str) -> dict[str, Any]:
    path = SCHEMAS / (f"reader/{event_type}.json" if role == "reader" else f"{event_type}.json")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("event_type", TYPES)
def test_unknown_fields_at_every_depth_pass_the_reader_schema_and_our_models(event_type):
    example = example_for(event_type)
    data = wire_data(example)
    added = with_unknown_fields(example, data)
    event = new_event(example, source="/vn/38/newer-producer", subject="S-1")
    newer = event.model_copy(update={"data": data})
    value, headers = encode(newer)

    reader = Draft202012Validator(_schema("reader", event_type))
    assert [e.message for e in reader.iter_errors(json.loads(value)["data"])] == []
    writer_errors = list(Draft202012Validator(_schema("writer", event_type)).iter_errors(data))
    assert writer_errors  # the writer schema is closed: producers must not send them
    assert added >= 1

    assert parse_data(decode(value, headers)) == example


@pytest.mark.parametrize("event_type", TYPES)
def test_the_reader_schema_is_the_writer_schema_opened(event_type):
    writer, reader = _schema("writer", event_type), _schema("reader", event_type)
    assert _closed(writer) and not _closed(reader)
    assert reader["x-schema-role"] == "reader" and reader["$id"].endswith(
        f"/reader/{event_type}.json"
    )
    assert reader["required"] == writer["required"]
    assert set(reader["properties"]) == set(writer["properties"])


def test_nested_unknown_fields_reach_the_nested_models():
    t = "vn.egov.nominations.nomination.assessed.v1"
    example = example_for(t)
    data = wire_data(example)
    assert with_unknown_fields(example, data) >= 3  # the event, the nominee, each criterion
    assert (
        "added_in_a_later_minor" in data["criteria"][0]
        and "added_in_a_later_minor" in (data["nominee"])
    )
    assert type(example).model_validate(data) == example
