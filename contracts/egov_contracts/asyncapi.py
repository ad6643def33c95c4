"""One AsyncAPI 3.0 document for the whole system, and each service's part of it."""

from __future__ import annotations

from typing import Any

from egov_contracts.envelope import all_event_types, wire_data
from egov_contracts.examples import EXAMPLES
from egov_contracts.schemas import schema_of
from egov_contracts.topics import ALL_TOPICS, Topic

# Who produces and who consumes each topic (services of egov-events; "external" = other
# government systems).
PRODUCES: dict[str, list[str]] = {
    "admin-procedures": ["egov.procedures.dossiers", "egov.procedures.rates"],
    "notifier": ["egov.notifications.deliveries"],
    "indicators": ["egov.indicators.results"],
    "nominations": ["egov.nominations.events"],
    "external": [
        "egov.procedures.status-reports",
        "egov.indicators.submissions",
        "egov.reference.units",
    ],
}
CONSUMES: dict[str, list[str]] = {
    "admin-procedures": ["egov.procedures.status-reports", "egov.reference.units"],
    "notifier": [
        "egov.procedures.dossiers",
        "egov.procedures.rates",
        "egov.indicators.results",
        "egov.nominations.events",
        "egov.reference.units",
    ],
    "indicators": ["egov.indicators.submissions", "egov.reference.units"],
    "nominations": ["egov.procedures.rates", "egov.indicators.results", "egov.reference.units"],
}


def _channel_id(topic: str) -> str:
    return topic.replace(".", "-")


def _message_id(event_type: str) -> str:
    return event_type.removeprefix("vn.egov.").replace(".", "-")


HEADERS = {
    "type": "object",
    "properties": {
        "content-type": {"type": "string", "const": "application/cloudevents+json; charset=UTF-8"},
        "ce_type": {"type": "string", "description": "The CloudEvents type (for routing)"},
        "ce_id": {"type": "string", "description": "The CloudEvents id (idempotency key)"},
    },
}


def _envelope(event_type: str) -> dict[str, Any]:
    """The structured-mode record value: the CloudEvent with this type's data."""
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "subject", "time", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "format": "uuid"},
            "source": {"type": "string", "examples": ["/vn/38/admin-procedures"]},
            "type": {"const": event_type},
            "subject": {"type": "string", "description": "Aggregate id; also the record key"},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"type": "string", "format": "uri"},
            "correlationid": {"type": "string"},
            "causationid": {"type": "string"},
            "traceparent": {"type": "string"},
            "sequence": {"type": "string", "description": "Per-subject, sorts as a string"},
            "data": {"$ref": f"#/components/schemas/{_message_id(event_type)}"},
        },
    }


def document(service: str | None = None) -> dict[str, Any]:
    """The whole system (``service=None``) or the channels a service produces or consumes."""
    types = all_event_types()
    topics: list[Topic] = list(ALL_TOPICS)
    if service is not None:
        wanted = set(PRODUCES.get(service, [])) | set(CONSUMES.get(service, []))
        topics = [t for t in topics if t.name in wanted]
    examples = {ex.event_type: wire_data(ex) for ex in EXAMPLES}
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for topic in topics:
        on_topic = sorted(t for t, m in types.items() if m.topic == topic.name)
        channels[_channel_id(topic.name)] = {
            "address": topic.name,
            "description": f"{topic.description} Key: {topic.key}.",
            "messages": {
                _message_id(t): {"$ref": f"#/components/messages/{_message_id(t)}"}
                for t in on_topic
            },
            "bindings": {
                "kafka": {
                    "partitions": topic.partitions,
                    "topicConfiguration": {
                        "cleanup.policy": ["compact" if topic.compacted else "delete"]
                    },
                }
            },
        }
        for t in on_topic:
            mid = _message_id(t)
            schema = schema_of(types[t])
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[mid] = {k: v for k, v in schema.items() if not k.startswith("$")}
            message: dict[str, Any] = {
                "name": t,
                "title": types[t].__name__,
                "summary": (types[t].__doc__ or "").strip().split("\n")[0],
                "contentType": "application/cloudevents+json",
                "headers": HEADERS,
                "payload": _envelope(t),
                "bindings": {"kafka": {"key": {"type": "string", "description": topic.key}}},
            }
            if t in examples:
                message["examples"] = [
                    {
                        "name": "example",
                        "payload": {
                            "specversion": "1.0",
                            "id": "2b0d3c1e-8f5a-4c7e-9d2b-1a3f5e7c9b0d",
                            "source": "/vn/38/example",
                            "type": t,
                            "subject": "example",
                            "time": "2026-03-02T08:00:00+07:00",
                            "data": examples[t],
                        },
                    }
                ]
            messages[mid] = message
    operations: dict[str, Any] = {}
    for svc in sorted(set(PRODUCES) | set(CONSUMES)):
        if service is not None and svc != service:
            continue
        for action, table in (("send", PRODUCES), ("receive", CONSUMES)):
            for name in table.get(svc, []):
                if _channel_id(name) in channels:
                    operations[f"{svc}-{action}-{_channel_id(name)}"] = {
                        "action": action,
                        "channel": {"$ref": f"#/channels/{_channel_id(name)}"},
                        "summary": f"{svc} {'publishes to' if action == 'send' else 'reads'}"
                        f" {name}",
                    }
    # schema references of pydantic point at #/$defs; rewrite them to components
    doc = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "egov-events" + (f" — {service}" if service else ""),
            "version": "1.0.0",
            "description": "Events of a provincial Department of Labour, Invalids and "
            "Social Affairs: CloudEvents 1.0 in structured mode on Kafka.",
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "production": {
                "host": "kafka:9092",
                "protocol": "kafka",
                "description": "Apache Kafka of the province",
            },
            "local": {
                "host": "127.0.0.1:19092",
                "protocol": "kafka",
                "description": "The local stack of `make run`",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
    return _rewrite_refs(doc)


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (
                v.replace("#/$defs/", "#/components/schemas/")
                if k == "$ref" and isinstance(v, str)
                else _rewrite_refs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node
