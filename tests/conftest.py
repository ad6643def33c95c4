"""Cross-service tests: every event a service writes, on every topic, is checked as a consumer
outside would check it: the record decoded with the official CloudEvents SDK as
contracts/README.md shows, its data validated against the reader schema its ``dataschema``
names, and against the closed writer schema our producers are held to."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from egov_contracts.envelope import all_event_types, encode
from egov_runtime import outbox
from jsonschema import Draft202012Validator

CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"
SCHEMAS = CONTRACTS / "published" / "schemas"


@cache
def _validator(path: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMAS / path).read_text(encoding="utf-8")))


@cache
def _readme_decoder() -> Any:
    text = (CONTRACTS / "README.md").read_text(encoding="utf-8")
    namespace: dict[str, Any] = {}
    for body in re.findall(r"```python\n(.*?)```", text, re.S):
        if "def to_cloudevent" in body:
            exec(compile(body, "contracts/README.md", "exec"), namespace)
    return namespace["to_cloudevent"]


class _Record:
    def __init__(self, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        self.key, self.value, self.headers = key, value, headers


@pytest.fixture(autouse=True)
def every_event_written_validates(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    problems: list[str] = []
    published = set(all_event_types())
    append = outbox.append
    to_cloudevent = _readme_decoder()

    async def checked_append(conn, service, topic, events, extra_headers=()):  # type: ignore[no-untyped-def]
        for event in events:
            if event.type not in published:
                continue
            value, headers = encode(event)
            sdk = to_cloudevent(_Record(event.subject.encode(), value, headers))
            reader = sdk.get_dataschema().split("/schemas/", 1)[1]
            for path in (reader, f"{event.type}.json"):
                for error in _validator(path).iter_errors(sdk.get_data()):
                    problems.append(f"{service} → {topic}: {event.type} ({path}): {error.message}")
        await append(conn, service, topic, events, extra_headers)

    monkeypatch.setattr(outbox, "append", checked_append)
    yield
    assert problems == [], "\n".join(problems[:20])
