"""The AsyncAPI document lists everything on the wire: every topic with its real producers
and consumers, the dead-letter topics and the headers the runtime really writes there, the
security of the production broker and of the HTTP APIs, and named (titled) envelopes."""

from __future__ import annotations

from aiokafka import ConsumerRecord
from egov_contracts.asyncapi import DEAD_LETTER_HEADERS, SERVICES, document
from egov_runtime.deadletters import DeadLetter, _dead_letter_record


def _ops(doc, svc, action):
    return {
        op["channel"]["$ref"].split("/")[-1]
        for name, op in doc["operations"].items()
        if name.startswith(f"{svc}-{action}-")
    }


def test_the_four_dead_letter_topics_with_their_headers():
    doc = document()
    for svc in SERVICES:
        channel = doc["channels"][f"egov-{svc}-dead-letters"]
        assert channel["address"] == f"egov.{svc}.dead-letters"
        assert f"egov-{svc}-dead-letters" in _ops(doc, svc, "send")
        assert f"egov-{svc}-dead-letters" in _ops(doc, "operators", "receive")
        assert f"egov-{svc}-dead-letters" in document(svc)["channels"]
    message = doc["components"]["messages"]["dead-letter"]
    assert message["headers"] == {"$ref": "#/components/schemas/DeadLetterHeaders"}


def test_the_documented_dead_letter_headers_are_the_ones_the_runtime_writes():
    record = ConsumerRecord(
        topic="egov.procedures.status-reports",
        partition=2,
        offset=41,
        timestamp=0,
        timestamp_type=0,
        key=b"HS-1",
        value=b"{not json",
        checksum=None,
        serialized_key_size=4,
        serialized_value_size=9,
        headers=[("content-type", b"application/json")],
    )
    dead = DeadLetter(record, "not-a-cloudevent", "not JSON")
    _value, headers = _dead_letter_record(
        dead,
        "admin-procedures",
        "admin-procedures.status-reports",
        "2026-03-02T08:00:00+07:00",
        1 << 20,
    )
    written = {k for k, _ in headers if k.startswith("dlq_")}
    documented = set(DEAD_LETTER_HEADERS["properties"])
    assert written <= documented
    assert set(DEAD_LETTER_HEADERS["required"]) <= written


def test_real_producers_admin_procedures_status_reports_and_the_reference_import():
    doc = document()
    assert "egov-procedures-status-reports" in _ops(doc, "admin-procedures", "send")
    assert "egov-procedures-status-reports" in _ops(doc, "admin-procedures", "receive")
    assert _ops(doc, "reference-import", "send") == {"egov-reference-units"}
    assert "egov-reference-units" not in _ops(doc, "external", "send")


def test_security_schemes_of_the_production_broker_and_the_http_apis():
    doc = document()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["saslScram"]["type"] == "scramSha512"
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    production = doc["servers"]["production"]
    assert production["protocol"] == "kafka-secure"
    assert {"$ref": "#/components/securitySchemes/saslScram"} in production["security"]


def test_every_message_payload_is_a_named_schema():
    doc = document()
    schemas = doc["components"]["schemas"]
    for name, message in doc["components"]["messages"].items():
        ref = message["payload"].get("$ref")
        if name == "dead-letter":
            continue
        target = schemas[ref.split("/")[-1]]
        assert target["title"].endswith("Event"), name
        data = target["properties"]["data"]["$ref"].split("/")[-1]
        assert schemas[data]["title"]
        assert "additionalProperties" not in schemas[data]  # the reader schema
        example = message["examples"][0]["payload"]
        assert example["dataschema"].endswith(f"/reader/{example['type']}.json")
