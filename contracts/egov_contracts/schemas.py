"""JSON Schema (2020-12) of every event type, closed for producers."""

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
    return {t: schema_of(m) for t, m in sorted(all_event_types().items())}
