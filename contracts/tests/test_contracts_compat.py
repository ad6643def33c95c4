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


T_IN = "vn.egov.procedures.dossier.status-reported.v1"  # inbound: other systems write it
T_ASSESSED = "vn.egov.nominations.nomination.assessed.v1"  # outbound, with array items


def changed(event_type, fn):
    """The breaks when the code changes ``event_type`` by ``fn`` after its release."""
    schemas = copy.deepcopy(current())
    fn(schemas[event_type])
    return [str(b) for b in compare(current(), schemas)]


def released_with(event_type, fn):
    """The breaks when the released schema differed by ``fn`` from what the code makes now."""
    released = copy.deepcopy(current())
    fn(released[event_type])
    return [str(b) for b in compare(released, current())]


# --- outbound types: FORWARD (existing readers must read what we write now) ---------------


def test_enum_widened_on_an_outbound_type_breaks():
    def widen(s):
        s["$defs"]["Timeliness"]["enum"].append("very-late")

    assert changed(T, widen) == [
        f"{T}: timeliness: enum widened: very-late unknown to existing readers"
    ]


def test_enum_narrowed_on_an_outbound_type_passes():
    def narrow(s):
        s["$defs"]["Timeliness"]["enum"] = ["early", "on-time"]

    assert changed(T, narrow) == []


def test_required_to_optional_on_an_outbound_type_breaks():
    assert changed(T, lambda s: s["required"].remove("due_at")) == [
        f"{T}: due_at: required → optional (existing readers expect it)"
    ]


def test_a_field_made_nullable_on_an_outbound_type_breaks():
    def nullable(s):
        s["properties"]["resolved_at"] = {
            "anyOf": [s["properties"]["resolved_at"], {"type": "null"}]
        }

    assert changed(T, nullable) == [
        f"{T}: resolved_at: type widened: may now be null (was ['string'])"
    ]


def test_a_field_removed_inside_array_items_breaks():
    def remove(s):
        del s["$defs"]["CriterionResult"]["properties"]["evidence"]
        s["$defs"]["CriterionResult"]["required"].remove("evidence")

    assert changed(T_ASSESSED, remove) == [
        f"{T_ASSESSED}: criteria[].evidence: removed (or renamed)"
    ]


def test_a_field_retyped_inside_array_items_breaks():
    def retype(s):
        s["$defs"]["CriterionResult"]["properties"]["passed"] = {"type": "string"}

    assert changed(T_ASSESSED, retype) == [
        f"{T_ASSESSED}: criteria[].passed: type changed from ['boolean', 'null'] to ['string']"
    ]


def test_array_items_retyped_from_objects_to_strings_breaks():
    def retype(s):
        s["properties"]["criteria"]["items"] = {"type": "string"}

    assert changed(T_ASSESSED, retype) == [
        f"{T_ASSESSED}: criteria[]: type changed from ['object'] to ['string']"
    ]


def _with_officer(schema, fields):
    """An optional nested object ``officer`` with ``fields`` (strings)."""
    schema.setdefault("$defs", {})["Officer"] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {f: {"type": "string"} for f in fields},
        "required": [fields[0]],
    }
    schema["properties"]["officer"] = {"anyOf": [{"$ref": "#/$defs/Officer"}, {"type": "null"}]}


def test_a_field_removed_inside_an_optional_nested_object_breaks():
    old = copy.deepcopy(current())
    new = copy.deepcopy(current())
    _with_officer(old[T], ["code", "title"])
    _with_officer(new[T], ["code"])
    assert [str(b) for b in compare(old, new)] == [f"{T}: officer.title: removed (or renamed)"]
    _with_officer(new[T], ["code", "title", "unit_code"])  # an added optional field
    assert compare(old, new) == []


def test_a_loosened_constraint_on_an_outbound_type_breaks():
    def loosen(s):
        s["properties"]["dossier_code"]["maxLength"] = 128

    assert changed(T, loosen) == [
        f"{T}: dossier_code: constraint loosened: maxLength 64 → 128 (existing readers reject more)"
    ]


# --- inbound types: BACKWARD (we must still accept what existing producers send) ----------


def test_a_tightened_constraint_on_an_inbound_type_breaks():
    def tighten(s):
        s["properties"]["dossier_code"]["maxLength"] = 32

    assert changed(T_IN, tighten) == [
        f"{T_IN}: dossier_code: constraint tightened: maxLength 64 → 32 (existing producers"
        " may exceed it)"
    ]


def test_a_tightened_constraint_inside_inbound_array_items_breaks():
    t = "vn.egov.indicators.submission.received.v1"

    def tighten(s):
        s["$defs"]["ReportedValue"]["properties"]["indicator_code"]["minLength"] = 3

    assert changed(t, tighten) == [
        f"{t}: values[].indicator_code: constraint tightened: minLength 1 → 3 (existing"
        " producers may exceed it)"
    ]


def test_a_new_pattern_and_a_narrowed_type_on_an_inbound_type_break():
    def tighten(s):
        applicant = s["$defs"]["Applicant"]["properties"]
        applicant["phone"]["anyOf"][0]["pattern"] = "^[0-9]+$"
        applicant["name"] = {"type": "string", "maxLength": 200}

    assert changed(T_IN, tighten) == [
        f"{T_IN}: applicant.name: type narrowed: null no longer accepted (now ['string'])",
        # the phone already has a pattern (digits, spaces, + ( ) . -): changing it is a break
        f"{T_IN}: applicant.phone: pattern changed from ^\\+?[0-9][0-9 ().\\-]*$ to ^[0-9]+$",
    ]


def test_inbound_enum_narrowed_or_optional_made_required_breaks_and_widening_passes():
    def narrow(s):
        s["$defs"]["Channel"]["enum"].remove("postal")

    def widen(s):
        s["$defs"]["Channel"]["enum"].append("zalo")
        s["$defs"]["Applicant"]["properties"]["name"]["anyOf"][0]["maxLength"] = 400
        s["required"].remove("occurred_at")

    def require(s):
        s["required"].append("channel")

    assert changed(T_IN, narrow) == [f"{T_IN}: channel: enum narrowed: postal no longer allowed"]
    assert changed(T_IN, widen) == []
    assert changed(T_IN, require) == [
        f"{T_IN}: channel: optional → required (existing producers may omit it)"
    ]


def test_a_loosened_constraint_on_an_inbound_type_passes_and_tightened_outbound_passes():
    def loosen(s):
        s["properties"]["dossier_code"]["maxLength"] = 128

    def tighten(s):
        s["properties"]["dossier_code"]["maxLength"] = 32

    assert changed(T_IN, loosen) == []
    assert changed(T, tighten) == []
    assert released_with(T, loosen) == []  # the release allowed more than we write now


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
    released["$defs"]["Timeliness"]["enum"].remove("late")  # the code widened the enum
    (snap / f"{T}.json").write_text(json.dumps(released), encoding="utf-8")
    assert compat_main(["--snapshot", str(snap)]) == 1
    err = capsys.readouterr().err
    assert f"INCOMPATIBLE {T}: officer_code: removed (or renamed)" in err
    assert f"INCOMPATIBLE {T}: timeliness: enum widened: late unknown to existing readers" in err


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


def test_a_deliberate_change_is_refused_unless_accepted_with_a_reason(
    tmp_path, monkeypatch, capsys
):
    from egov_contracts import publish

    monkeypatch.setattr(publish, "breaking", lambda: [f"{T_IN}: note: constraint tightened"])
    monkeypatch.setattr(publish, "artefacts", lambda: {})
    monkeypatch.setattr(publish, "PUBLISHED", tmp_path / "schemas")
    monkeypatch.setattr(publish, "SNAPSHOT", tmp_path / "snapshot")
    monkeypatch.setattr(publish, "ACCEPTED", tmp_path / "accepted-changes.json")
    assert publish.main([]) == 1
    assert 'make contracts ACCEPT="why"' in capsys.readouterr().err
    assert not (tmp_path / "accepted-changes.json").exists()
    assert publish.main(["--accept", "  "]) == 2
    assert publish.main(["--accept", "plausibility limits no one-door system exceeds"]) == 0
    log = json.loads((tmp_path / "accepted-changes.json").read_text(encoding="utf-8"))
    assert log[0]["reason"] == "plausibility limits no one-door system exceeds"
    assert log[0]["breaks"] == [f"{T_IN}: note: constraint tightened"]
    assert publish.main(["--check"]) == 1  # --check never accepts
