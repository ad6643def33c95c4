"""JSON Schema (2020-12) of every event type, twice: a closed **writer** schema (unknown
properties forbidden at every level: what our producers, and producers of inbound types, must
write) and an open **reader** schema (the same, with unknown properties allowed at every level:
what consumers validate against, so a field added in a later minor never breaks them)."""

from __future__ import annotations

from typing import Any

from egov_contracts.envelope import EventData, all_event_types
from egov_contracts.topics import INBOUND_TOPICS

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _close(node: Any) -> None:
    """Every object schema forbids unknown properties (pydantic already does for models)."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)


def schema_of(model: type[EventData]) -> dict[str, Any]:
    """Outbound types: what we write (serialization); inbound types: what we accept."""
    mode = "validation" if model.topic in INBOUND_TOPICS else "serialization"
    schema = model.model_json_schema(mode=mode)
    _close(schema)
    return {
        "$schema": DIALECT,
        "$id": model.schema_uri(),
        "x-event-type": model.event_type,
        "x-topic": model.topic,
        **schema,
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """The writer schemas (the compatibility gate's subject)."""
    return {t: schema_of(m) for t, m in sorted(all_event_types().items())}


def _open(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _open(v) for k, v in node.items() if not (k == "additionalProperties" and v is False)
        }
    if isinstance(node, list):
        return [_open(v) for v in node]
    return node


def reader_schema_of(model: type[EventData]) -> dict[str, Any]:
    """The writer schema with unknown properties allowed at every level."""
    schema = _open(schema_of(model))
    schema["$id"] = model.schema_uri().replace(model.event_type, f"reader/{model.event_type}")
    schema["x-schema-role"] = "reader"
    return dict(schema)


def all_reader_schemas() -> dict[str, dict[str, Any]]:
    return {t: reader_schema_of(m) for t, m in sorted(all_event_types().items())}
