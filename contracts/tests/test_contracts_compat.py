"""The compatibility gate and the published artefacts."""

from __future__ import annotations

import copy

from egov_contracts.asyncapi import document
from egov_contracts.compat import compare, load_published
from egov_contracts.publish import stale
from egov_contracts.schemas import all_schemas

T = "vn.egov.procedures.dossier.resolved.v1"


def current():
    return all_schemas()


def mutate(fn):
    schemas = copy.deepcopy(current())
    fn(schemas[T])
    return compare(current(), schemas)


def test_published_files_are_current_and_compatible():
    assert stale() == [], "run `make contracts`"
    assert compare(load_published(), current()) == []


def test_removed_field_breaks():
    breaks = mutate(lambda s: s["properties"].pop("due_at"))
    assert [str(b) for b in breaks] == [f"{T}: due_at: removed (or renamed)"]


def test_changed_type_breaks():
    def change(s):
        s["properties"]["resolved_at"] = {"type": "integer"}

    assert "type changed" in str(mutate(change)[0])


def test_new_required_field_breaks_and_optional_field_passes():
    def required(s):
        s["properties"]["officer"] = {"type": "string"}
        s["required"].append("officer")

    def optional(s):
        s["properties"]["officer"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}

    assert [b.why for b in mutate(required)] == ["new required field"]
    assert mutate(optional) == []


def test_narrowed_enum_breaks():
    def narrow(s):
        s["$defs"]["Timeliness"]["enum"] = ["early", "on-time"]

    breaks = mutate(narrow)
    assert breaks and "enum narrowed: late" in breaks[0].why


def test_a_removed_type_breaks_and_a_new_major_beside_it_passes():
    schemas = copy.deepcopy(current())
    schemas[T.replace(".v1", ".v2")] = schemas[T]
    assert compare(current(), schemas) == []
    del schemas[T]
    assert "type removed" in str(compare(current(), schemas)[0])


def _refs(node, found):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                found.append(v)
            else:
                _refs(v, found)
    elif isinstance(node, list):
        for v in node:
            _refs(v, found)
    return found


def test_asyncapi_document_is_whole_and_services_get_their_part():
    doc = document()
    assert doc["asyncapi"] == "3.0.0"
    for ref in _refs(doc, []):
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
    assert "egov-procedures-status-reports" in doc["channels"]
    mine = document("notifier")
    assert "egov-notifications-deliveries" in mine["channels"]
    assert "egov-procedures-status-reports" not in mine["channels"]
    assert all(op.startswith("notifier-") for op in mine["operations"])
