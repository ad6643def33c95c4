"""contracts/README.md is what outsiders build from: its JSON blocks are valid and validate
against the schemas it names, and its Python blocks decode real records from the broker with
the official CloudEvents SDK and validate them against the reader schemas the events name."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka, to_binary_event
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent
from egov_contracts.asyncapi import DEAD_LETTER_HEADERS
from egov_contracts.envelope import (
    all_event_types,
    dataschema_url,
    decode,
    encode,
    model_for,
    new_event,
    wire_data,
)
from egov_contracts.examples import example_for
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCHEMAS = ROOT / "published" / "schemas"
BLOCK = re.compile(r"(?:<!-- (writer|reader): (\S+) -->\n)?```(\w*)\n(.*?)```", re.S)


def blocks(language: str) -> list[tuple[str | None, str | None, str]]:
    return [(role, t, body) for role, t, lang, body in BLOCK.findall(README) if lang == language]


def schema_at(url: str) -> dict[str, Any]:
    """The published file a ``dataschema`` URL (of any base) names."""
    rest = url.split("/schemas/", 1)[1]
    return json.loads((SCHEMAS / rest).read_text(encoding="utf-8"))


def readme_namespace() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    for _, _, body in blocks("python"):
        exec(compile(body, "contracts/README.md", "exec"), namespace)
    namespace["load_schema"] = schema_at  # the served file, without an HTTP server
    return namespace


def test_every_json_block_is_valid_and_validates_against_what_the_readme_names():
    found = blocks("json")
    assert len(found) >= 4
    events = 0
    for role, event_type, body in found:
        value = json.loads(body)
        if role:
            path = SCHEMAS / ("reader/" if role == "reader" else "") / f"{event_type}.json"
            schema = json.loads(path.read_text(encoding="utf-8"))
            Draft202012Validator(schema).validate(value)
        elif isinstance(value, dict) and value.get("specversion") == "1.0":
            events += 1
            event = decode(json.dumps(value).encode(), [])
            assert event.dataschema == dataschema_url(event.type)
            Draft202012Validator(schema_at(event.dataschema)).validate(event.data)
            data = model_for(event.type).model_validate(event.data)
            assert data.occurred() in (None, event.time)  # time is when it happened
            assert event.time.utcoffset().total_seconds() == 7 * 3600
    assert events >= 2


def test_the_readme_names_every_dead_letter_header_and_every_type():
    for header in DEAD_LETTER_HEADERS["properties"]:
        assert f"`{header}`" in README, header
    for event_type in all_event_types():
        domain, rest = event_type.removeprefix("vn.egov.").split(".", 1)
        assert f"vn.egov.{domain}." in README
        assert rest.removesuffix(".v1").split(".")[-1] in README, event_type


def test_the_auto_detecting_decoder_misreads_our_structured_records_as_the_readme_says():
    event = new_event(
        example_for("vn.egov.procedures.dossier.overdue.v1"), source="/x", subject="S"
    )
    value, headers = encode(event)
    with pytest.raises(Exception, match="source"):
        from_kafka(KafkaMessage(headers=dict(headers), key=b"S", value=value), JSONFormat())


@pytest.mark.integration
async def test_real_records_decoded_with_the_sdk_as_the_readme_shows_validate(
    kafka_bootstrap, make_topic
):
    topic = await make_topic("readme", partitions=1)
    ns = readme_namespace()
    sent: dict[str, str] = {}
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for event_type in sorted(all_event_types()):  # structured, as we produce
            event = new_event(example_for(event_type), source="/vn/38/test", subject="S-1")
            value, headers = encode(event)
            await producer.send_and_wait(topic, value=value, key=b"S-1", headers=headers)
            sent[event.id] = event_type
        # binary mode, as a one-door system with a CloudEvents SDK may send
        report = example_for("vn.egov.procedures.dossier.status-reported.v1")
        binary = to_binary_event(
            SdkEvent(
                {
                    "id": str(uuid.uuid4()),
                    "source": "/vn/38/mot-cua",
                    "type": report.event_type,
                    "subject": report.dossier_code,
                    "time": report.occurred_at,
                    "datacontenttype": "application/json",
                    "dataschema": dataschema_url(report.event_type),
                },
                wire_data(report),
            )
        )
        await producer.send_and_wait(
            topic, value=binary.value, key=b"S-1", headers=list(binary.headers.items())
        )
        sent[binary.headers["ce_id"].decode()] = report.event_type
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"so-test.readme-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
    )
    await consumer.start()
    seen: dict[str, str] = {}
    try:
        while len(seen) < len(sent):
            batch = await consumer.getmany(timeout_ms=5000)
            assert batch, f"only {len(seen)} of {len(sent)} records arrived"
            for records in batch.values():
                for record in records:
                    event = ns["to_cloudevent"](record)
                    ns["check"](event)  # the reader schema the event names
                    assert record.key.decode("utf-8") == "S-1"
                    seen[event.get_id()] = event.get_type()
    finally:
        await consumer.stop()
    assert seen == sent
