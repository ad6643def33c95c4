"""The compatibility gate and the published artefacts."""

from __future__ import annotations

import copy
import json

from egov_contracts.asyncapi import document
from egov_contracts.compat import compare, load_published
from egov_contracts.compat import main as compat_main
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


def _snapshot_copy(tmp_path):
    for t, schema in current().items():
        (tmp_path / f"{t}.json").write_text(json.dumps(schema), encoding="utf-8")
    return tmp_path


def test_the_command_names_type_field_and_why(tmp_path, capsys):
    snap = _snapshot_copy(tmp_path)
    released = json.loads((snap / f"{T}.json").read_text(encoding="utf-8"))
    released["properties"]["officer_code"] = {"type": "string"}  # the code no longer has it
    released["$defs"]["Timeliness"]["enum"].append("very-late")  # the code narrowed the enum
    (snap / f"{T}.json").write_text(json.dumps(released), encoding="utf-8")
    assert compat_main(["--snapshot", str(snap)]) == 1
    err = capsys.readouterr().err
    assert f"INCOMPATIBLE {T}: officer_code: removed (or renamed)" in err
    assert f"INCOMPATIBLE {T}: timeliness: enum narrowed: very-late no longer allowed" in err


def _release_without(snap, event_type, field):
    path = snap / f"{event_type}.json"
    released = json.loads(path.read_text(encoding="utf-8"))
    del released["properties"][field]
    if field in released.get("required", []):
        released["required"].remove(field)
    path.write_text(json.dumps(released), encoding="utf-8")


def test_the_command_passes_when_the_code_only_added_an_optional_field(tmp_path, capsys):
    snap = _snapshot_copy(tmp_path)
    _release_without(snap, "vn.egov.procedures.dossier.rejected.v1", "note")  # optional now
    assert compat_main(["--snapshot", str(snap)]) == 0
    assert "compatible" in capsys.readouterr().out


def test_the_command_fails_when_the_code_added_a_required_field(tmp_path, capsys):
    snap = _snapshot_copy(tmp_path)
    _release_without(snap, T, "result")  # required now
    assert compat_main(["--snapshot", str(snap)]) == 1
    assert f"INCOMPATIBLE {T}: result: new required field" in capsys.readouterr().err


def test_the_snapshot_keeps_every_released_type():
    snapshot = load_published()
    assert set(current()) <= set(snapshot)
