"""One AsyncAPI 3.0 document for the whole system, and each service's part of it."""

from __future__ import annotations

from typing import Any

from egov_contracts.envelope import VN_TZ, all_event_types, dataschema_url, wire_data
from egov_contracts.examples import EXAMPLES
from egov_contracts.schemas import reader_schema_of
from egov_contracts.topics import ALL_TOPICS, Topic, dead_letter_topic

EXAMPLE_TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
SERVICES = ("admin-procedures", "indicators", "nominations", "notifier", "console")
DEAD_LETTER_TOPICS = tuple(dead_letter_topic(s) for s in SERVICES)

# Who produces and who consumes each topic: the services of egov-events, the reference import
# command (``egov reference``, run by an operator when the law changes the hierarchy) and
# "external" (other government systems: one-door systems, districts' statistics systems).
PRODUCES: dict[str, list[str]] = {
    # its own publishing: POST /v1/status-reports and the demo seed go through the topic, so
    # HTTP and Kafka reports are handled in one order
    "admin-procedures": [
        "egov.procedures.dossiers",
        "egov.procedures.rates",
        "egov.procedures.status-reports",
        "egov.reference.calendar",
        "egov.admin-procedures.dead-letters",
    ],
    "notifier": ["egov.notifications.deliveries", "egov.notifier.dead-letters"],
    "indicators": ["egov.indicators.results", "egov.indicators.dead-letters"],
    "nominations": ["egov.nominations.events", "egov.nominations.dead-letters"],
    "console": ["egov.console.dead-letters"],
    "reference-import": ["egov.reference.units"],
    "external": ["egov.procedures.status-reports", "egov.indicators.submissions"],
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
    "nominations": [
        "egov.procedures.rates",
        "egov.indicators.results",
        "egov.reference.units",
        "egov.reference.calendar",
    ],
    "console": [
        "egov.procedures.dossiers",
        "egov.notifications.deliveries",
        "egov.reference.units",
    ],
    "operators": [t.name for t in DEAD_LETTER_TOPICS],
}


def _channel_id(topic: str) -> str:
    return topic.replace(".", "-")


def _message_id(event_type: str) -> str:
    return event_type.removeprefix("vn.egov.").replace(".", "-")


HEADERS = {
    "type": "object",
    "title": "CloudEventKafkaHeaders",
    "properties": {
        "content-type": {"type": "string", "const": "application/cloudevents+json; charset=UTF-8"},
        "ce_type": {"type": "string", "description": "The CloudEvents type (for routing)"},
        "ce_id": {"type": "string", "description": "The CloudEvents id (idempotency key)"},
        "traceparent": {
            "type": "string",
            "description": "W3C trace context of the send, when the producing service traces"
            " (a child of the event's own `traceparent`); optional, readers may ignore it",
        },
        "tracestate": {
            "type": "string",
            "description": "W3C vendor trace state of the send, with `traceparent`; optional",
        },
    },
}

DEAD_LETTER_HEADERS = {
    "type": "object",
    "title": "DeadLetterHeaders",
    "description": "The original record's headers, copied (but a producer's credential, see"
    " `dlq_credential_withheld`), then these (all UTF-8 text).",
    "required": [
        "dlq_reason",
        "dlq_error",
        "dlq_service",
        "dlq_consumer",
        "dlq_original_topic",
        "dlq_original_partition",
        "dlq_original_offset",
        "dlq_failed_at",
    ],
    "properties": {
        "dlq_reason": {
            "type": "string",
            "description": "Why: not-a-cloudevent, undecodable, unknown-type, schema-violation,"
            " handler-failed (after the retries), too-large, limit-exceeded, or a service's own"
            " (e.g. implausible, unauthenticated)",
            "examples": ["schema-violation"],
        },
        "dlq_error": {"type": "string", "description": "The error, at most 2,000 characters"},
        "dlq_service": {"type": "string", "examples": ["admin-procedures"]},
        "dlq_consumer": {"type": "string", "description": "The consumer group that failed"},
        "dlq_original_topic": {"type": "string"},
        "dlq_original_partition": {"type": "string", "description": "A decimal integer"},
        "dlq_original_offset": {"type": "string", "description": "A decimal integer"},
        "dlq_original_key": {
            "type": "string",
            "description": "Absent when over a quarter of the size limit",
        },
        "dlq_failed_at": {"type": "string", "format": "date-time"},
        "dlq_value_omitted": {
            "type": "string",
            "description": "Set (to the original size in bytes) when the record was too big to"
            " copy: the value and original headers are then only in the service's"
            " dead_letters table",
        },
        "dlq_credential_withheld": {
            "type": "string",
            "description": "Set (to `authorization`) when the original record carried its"
            " producer's credential: the bearer token is not copied here; the service's"
            " dead_letters table keeps it for a replay",
        },
        "dlq_replayed_from": {
            "type": "string",
            "description": "On a replayed record (on its original topic): the dead letter's id",
        },
    },
}

DEAD_LETTER_MESSAGE = {
    "name": "dead-letter",
    "title": "DeadLetter",
    "summary": "A record a service could not process, as it was received, with why in headers.",
    "contentType": "application/octet-stream",
    "headers": {"$ref": "#/components/schemas/DeadLetterHeaders"},
    "payload": {
        "description": "The original record value, byte for byte (often a CloudEvent; maybe not"
        " even JSON); empty when dlq_value_omitted is set"
    },
    "bindings": {"kafka": {"key": {"type": "string", "description": "The original key"}}},
}


def _envelope_name(model_name: str) -> str:
    return f"{model_name}Event"


def _envelope(event_type: str, model_name: str) -> dict[str, Any]:
    """The structured-mode record value: the CloudEvent with this type's data."""
    return {
        "type": "object",
        "title": _envelope_name(model_name),
        "description": f"CloudEvents 1.0 envelope (structured mode) of {event_type}",
        "required": ["specversion", "id", "source", "type", "subject", "time", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "format": "uuid"},
            "source": {"type": "string", "examples": ["/vn/38/admin-procedures"]},
            "type": {"const": event_type},
            "subject": {"type": "string", "description": "Aggregate id; also the record key"},
            "time": {
                "type": "string",
                "format": "date-time",
                "description": "When the thing happened (RFC 3339, +07:00)",
            },
            "datacontenttype": {"const": "application/json"},
            "dataschema": {
                "type": "string",
                "format": "uri",
                "description": "The reader schema of the type, served by every service",
                "examples": [dataschema_url(event_type)],
            },
            "correlationid": {"type": "string"},
            "causationid": {"type": "string"},
            "traceparent": {
                "type": "string",
                "description": "W3C trace context of the span that produced the event"
                " (CloudEvents distributed-tracing extension)",
            },
            "tracestate": {
                "type": "string",
                "description": "W3C vendor trace state, with `traceparent` when there is one"
                " (CloudEvents distributed-tracing extension); readers may ignore both",
            },
            "sequence": {
                "type": "string",
                "description": "Per-subject version, strictly increasing, sorts as a string"
                " (where the contracts README says it is carried)",
            },
            "data": {"$ref": f"#/components/schemas/{_message_id(event_type)}"},
        },
    }


SECURITY_SCHEMES = {
    "saslScram": {
        "type": "scramSha512",
        "description": "Production: SASL/SCRAM-SHA-512 over TLS. Each consuming or producing"
        " system gets its own principal at onboarding, with ACLs on its topics and on consumer"
        " groups prefixed with its system name.",
    },
    "mutualTls": {
        "type": "X509",
        "description": "Production, alternative to SCRAM: a client certificate issued by the"
        " province's CA at onboarding.",
    },
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The HTTP APIs (and the webhook/feed management) of every service:"
        " Authorization: Bearer <JWT> with roles and an admin-unit scope.",
    },
}


def document(service: str | None = None) -> dict[str, Any]:
    """The whole system (``service=None``) or the channels a service produces or consumes."""
    types = all_event_types()
    topics: list[Topic] = [*ALL_TOPICS, *DEAD_LETTER_TOPICS]
    if service is not None:
        wanted = set(PRODUCES.get(service, [])) | set(CONSUMES.get(service, []))
        topics = [t for t in topics if t.name in wanted]
    examples = {ex.event_type: wire_data(ex) for ex in EXAMPLES}
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for topic in topics:
        if topic in DEAD_LETTER_TOPICS:
            channels[_channel_id(topic.name)] = {
                "address": topic.name,
                "description": f"{topic.description} Key: {topic.key}. For operators.",
                "messages": {"dead-letter": {"$ref": "#/components/messages/dead-letter"}},
                "bindings": {
                    "kafka": {
                        "partitions": topic.partitions,
                        "topicConfiguration": {
                            "cleanup.policy": ["delete"],
                            "retention.ms": topic.retention_ms,
                        },
                    }
                },
            }
            messages["dead-letter"] = DEAD_LETTER_MESSAGE
            schemas["DeadLetterHeaders"] = DEAD_LETTER_HEADERS
            continue
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
            envelope = _envelope_name(types[t].__name__)
            schemas[envelope] = _envelope(t, types[t].__name__)
            schemas["CloudEventKafkaHeaders"] = HEADERS
            schema = reader_schema_of(types[t])
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[mid] = {k: v for k, v in schema.items() if not k.startswith("$")}
            message: dict[str, Any] = {
                "name": t,
                "title": types[t].__name__,
                "summary": (types[t].__doc__ or "").strip().split("\n")[0],
                "contentType": "application/cloudevents+json",
                "headers": {"$ref": "#/components/schemas/CloudEventKafkaHeaders"},
                "payload": {"$ref": f"#/components/schemas/{envelope}"},
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
                            "time": _example_time(t),
                            "datacontenttype": "application/json",
                            "dataschema": dataschema_url(t),
                            "traceparent": EXAMPLE_TRACEPARENT,
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
                "host": "{bootstrap}",
                "protocol": "kafka-secure",
                "description": "Apache Kafka of the province: TLS only, SASL/SCRAM-SHA-512 (or a"
                " client certificate); the addresses and a principal are given at onboarding"
                " (see the contracts README).",
                "variables": {
                    "bootstrap": {
                        "description": "Bootstrap brokers given at onboarding (host:9093)",
                        "default": "kafka:9093",
                    }
                },
                "security": [
                    {"$ref": "#/components/securitySchemes/saslScram"},
                    {"$ref": "#/components/securitySchemes/mutualTls"},
                ],
            },
            "local": {
                "host": "127.0.0.1:19092",
                "protocol": "kafka",
                "description": "The local stack of `make run`",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": schemas,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
    return _rewrite_refs(doc)


def _example_time(event_type: str) -> str:
    happened = next((e.occurred() for e in EXAMPLES if e.event_type == event_type), None)
    return happened.astimezone(VN_TZ).isoformat() if happened else "2026-03-02T08:00:00+07:00"


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
