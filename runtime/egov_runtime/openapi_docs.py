"""What every service's OpenAPI document says about its errors and downloads, said once.

The routes declare their success; what the runtime kit and the edge add to each of them is
written here into the generated document, so it matches what the services really answer:

- every error is RFC 9457 ``application/problem+json`` (:mod:`egov_runtime.problems`), with
  the field-level ``errors`` list: 422 (validation, FastAPI's own schema replaced) and 503
  with ``Retry-After`` (the database away) on every operation; 401 and 403 on every operation
  that needs a bearer token; 404 on every ``/v1`` operation (an unknown or hidden resource);
  409 on every write (a conflicting state, an ``Idempotency-Key`` reused with another body);
  400 (a body that is not UTF-8 or not JSON) and 413 (the body caps) on every operation with
  a body;
- an operation with a ``format`` query parameter offering ``csv`` or ``xlsx`` answers those
  content types too (:func:`egov_runtime.tables.table_download`);
- a body that is an event's payload (a status report, an indicator submission) carries the
  contract's example (``egov_contracts.examples``): readers see a real one, and the fuzzing
  tests start from a request that goes all the way through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from egov_runtime.problems import MEDIA_TYPE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLE_TYPES = {"csv": "text/csv", "xlsx": XLSX}
WRITES = ("post", "put", "patch", "delete")
METHODS = ("get", *WRITES)

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details, with the fields at fault in `errors`.",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "required": ["type", "title", "status"],
}
DESCRIPTIONS = {
    "400": "The body cannot be read (not UTF-8, not JSON)",
    "401": "No valid bearer token",
    "403": "The token's roles or unit do not reach this",
    "404": "Not found (or not visible to the caller)",
    "409": "Conflicts with the current state or an earlier request with the same key",
    "413": "Body larger than the service accepts",
    "422": "Invalid request: the fields at fault are listed",
    "503": "A dependency (the database) is unavailable; retry after Retry-After seconds",
}


def _problem(status: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status == "503":
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        }
    return response


def _table_formats(op: dict[str, Any]) -> list[str]:
    for param in op.get("parameters", []):
        if param.get("in") == "query" and param.get("name") == "format":
            schema = param.get("schema", {})
            options = [*schema.get("enum", [])]
            for alternative in schema.get("anyOf", []):
                options += alternative.get("enum", [])
            return [TABLE_TYPES[o] for o in options if o in TABLE_TYPES]
    return []


def _event_examples() -> dict[str, Any]:
    """Component name → the example of the event payload model of that name."""
    from egov_contracts.envelope import all_event_types
    from egov_contracts.examples import example_for

    out = {}
    for event_type, model in all_event_types().items():
        try:
            out[model.__name__] = example_for(event_type).model_dump(mode="json", exclude_none=True)
        except (KeyError, LookupError, ValueError):
            continue
    return out


def _add_example(op: dict[str, Any], examples: dict[str, Any]) -> None:
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    ref = (content or {}).get("schema", {}).get("$ref", "")
    name = ref.rsplit("/", 1)[-1]
    if content is not None and name in examples and "example" not in content:
        content["example"] = examples[name]


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the problem responses and table content types to an OpenAPI document (in place)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    examples = _event_examples()
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            if method not in METHODS or not isinstance(op, dict):
                continue
            _add_example(op, examples)
            responses = op.setdefault("responses", {})
            wanted = ["422", "503"]
            if op.get("security"):
                wanted += ["401", "403"]
            if path.startswith("/v1/") or "{" in path:
                wanted.append("404")
            if method in WRITES:
                wanted.append("409")
            if "requestBody" in op:
                wanted += ["400", "413"]
            for status in wanted:
                current = responses.get(status)
                if current is None or MEDIA_TYPE not in current.get("content", {}):
                    responses[status] = _problem(status)
            types = _table_formats(op)
            if types:
                for status, response in responses.items():
                    if status.startswith("2"):
                        content = response.setdefault("content", {})
                        for media in types:
                            content.setdefault(
                                media, {"schema": {"type": "string", "format": "binary"}}
                            )
    return schema


def install(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so the document it serves carries what :func:`document` adds."""
    generate: Callable[[], dict[str, Any]] = app.openapi
    done: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if not done:
            done.append(document(generate()))
            app.openapi_schema = done[0]
        return done[0]

    app.openapi = openapi  # type: ignore[method-assign]
