"""A sample CloudEvent per event type, for checking and previewing templates: the contract's
own examples (``egov_contracts.examples``) wrapped in an envelope."""

from __future__ import annotations

from typing import Any

from egov_contracts.envelope import new_event
from egov_contracts.examples import example_for


def sample_event(event_type: str) -> dict[str, Any]:
    try:
        data = example_for(event_type)
    except LookupError:
        return {"type": event_type, "subject": "sample", "data": {}}
    return new_event(data, source="/vn/38/sample", subject="sample").model_dump(mode="json")
