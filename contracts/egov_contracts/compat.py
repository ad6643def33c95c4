"""The compatibility gate: a released ``.vN`` type changes only in ways its readers survive.

Compares the committed snapshot (``contracts/published/snapshot/``: every type ever released,
as last released; the closed writer schemas) with the schemas the code produces now, walks the
whole tree (nested objects, optional nested objects, array items, ``$ref``s, ``anyOf``
branches) and judges each type by who reads it:

- **types we publish** (outbound) are checked FORWARD-transitive, as Schema Registry calls it:
  a consumer built against any released version must read what we write now. Breaking: a
  removed field, a widened enum (a value old readers do not know), required → optional, a
  widened type (e.g. a field that may now be ``null``), a loosened constraint (longer
  ``maxLength``, lower ``minimum``, a dropped or changed ``pattern``).
- **inbound types** (``dossier.status-reported``, ``submission.received``: other systems write,
  we read) are checked BACKWARD-transitive: we must still accept what existing producers send.
  Breaking: a narrowed enum, optional → required, a narrowed or changed type, a tightened
  constraint (shorter ``maxLength``, higher ``minimum``, a new or changed ``pattern``, fewer
  ``maxItems``), a removed field.
- in both directions, by the house rule that a major only grows by optional fields: a removed
  field, a new required field, a removed type.

Against the snapshot the check is transitive: the snapshot is the union of what was released
(a type's schema there only moves by compatible steps, or by a recorded acceptance below).

A deliberate incompatible change (e.g. plausibility limits on an inbound type that no real
producer ever exceeds) is accepted explicitly: ``make contracts ACCEPT="why"`` (i.e.
``python -m egov_contracts.publish --accept "why"``) rewrites the snapshot and appends each
accepted break with the reason and the day to ``published/accepted-changes.json``, where a
reviewer sees it. Run ``python -m egov_contracts.compat`` to list breaks; the tests run it too.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from egov_contracts.schemas import all_schemas
from egov_contracts.topics import INBOUND_TOPICS

ROOT = Path(__file__).resolve().parent.parent / "published"
PUBLISHED = ROOT / "schemas"
SNAPSHOT = ROOT / "snapshot"
ACCEPTED = ROOT / "accepted-changes.json"

Direction = Literal["outbound", "inbound"]

# Upper bounds: a smaller (or new) value tightens; lower bounds: a larger (or new) one does.
UPPER = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")
LOWER = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")


@dataclass(frozen=True)
class Break:
    event_type: str
    field: str
    why: str

    def __str__(self) -> str:
        return f"{self.event_type}: {self.field or '(type)'}: {self.why}"


def direction_of(schema: dict[str, Any]) -> Direction:
    return "inbound" if schema.get("x-topic") in INBOUND_TOPICS else "outbound"


class _Walk:
    """Compares one type's released schema (``old``) with the current one (``new``)."""

    def __init__(self, t: str, old: dict[str, Any], new: dict[str, Any], d: Direction) -> None:
        self.t, self.old, self.new, self.d = t, old, new, d
        self.breaks: list[Break] = []

    def add(self, path: str, why: str) -> None:
        self.breaks.append(Break(self.t, path, why))

    # --- schema navigation -------------------------------------------------------------
    def resolve(self, root: dict[str, Any], node: Any, seen: int = 0) -> dict[str, Any]:
        if not isinstance(node, dict):
            return {}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and seen < 32:
            target = root.get("$defs", {}).get(ref.split("/")[-1], {})
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return self.resolve(root, merged, seen + 1)
        return node

    def branches(self, root: dict[str, Any], node: Any) -> dict[str, dict[str, Any]]:
        """The alternatives of ``node`` by kind: object, array, enum, null, string, ..."""
        node = self.resolve(root, node)
        out: dict[str, dict[str, Any]] = {}
        alternatives = node.get("anyOf") or node.get("oneOf")
        if alternatives:
            for alt in alternatives:
                for kind, sub in self.branches(root, alt).items():
                    out.setdefault(kind, sub)
            return out
        if "enum" in node or "const" in node:
            out["enum"] = node
            return out
        types = node.get("type", "any")
        for kind in types if isinstance(types, list) else [types]:
            if kind == "object" or "properties" in node:
                out["object"] = node
            else:
                out[str(kind)] = node
        return out

    @staticmethod
    def enum_values(node: dict[str, Any]) -> list[Any]:
        return list(node["enum"]) if "enum" in node else [node.get("const")]

    # --- the comparison ----------------------------------------------------------------
    def node(self, path: str, old: Any, new: Any) -> None:
        ob, nb = self.branches(self.old, old), self.branches(self.new, new)
        if "any" in nb and "any" not in ob and self.d == "outbound":
            self.add(path, f"type widened from {sorted(ob)} to anything")
        gone = sorted(k for k in ob if k not in nb and "any" not in nb and not self._covers(k, nb))
        added = sorted(k for k in nb if k not in ob and "any" not in ob and not self._covers(k, ob))
        if gone and added:
            self.add(path, f"type changed from {sorted(ob)} to {sorted(nb)}")
        elif self.d == "inbound" and gone:
            self.add(
                path, f"type narrowed: {', '.join(gone)} no longer accepted (now {sorted(nb)})"
            )
        elif self.d == "outbound" and added:
            self.add(path, f"type widened: may now be {', '.join(added)} (was {sorted(ob)})")
        for kind in sorted(set(ob) & set(nb)):
            o, n = ob[kind], nb[kind]
            if kind == "object":
                self.obj(path, o, n)
            elif kind == "array":
                self.constraints(path, o, n)
                if "items" in o or "items" in n:
                    self.node(f"{path}[]", o.get("items", {}), n.get("items", {}))
            elif kind == "enum":
                self.enum(path, o, n)
            else:
                self.constraints(path, o, n)

    @staticmethod
    def _covers(kind: str, others: dict[str, dict[str, Any]]) -> bool:
        """An enum of strings is a kind of string, an integer a kind of number."""
        if kind == "enum" and "string" in others:
            return True
        return kind == "integer" and "number" in others

    def enum(self, path: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        before, after = self.enum_values(old), self.enum_values(new)
        if self.d == "outbound":
            extra = [v for v in after if v not in before]
            if extra:
                self.add(
                    path,
                    f"enum widened: {', '.join(map(str, extra))} unknown to existing readers",
                )
        else:
            lost = [v for v in before if v not in after]
            if lost:
                self.add(path, f"enum narrowed: {', '.join(map(str, lost))} no longer allowed")

    def constraints(self, path: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        for key in (*UPPER, *LOWER):
            a, b = old.get(key), new.get(key)
            if a == b:
                continue
            upper = key in UPPER
            tighter = (a is None) or (b is not None and (b < a if upper else b > a))
            shown = f"{key} {'none' if a is None else a} → {'none' if b is None else b}"
            if tighter and self.d == "inbound":
                self.add(path, f"constraint tightened: {shown} (existing producers may exceed it)")
            elif not tighter and self.d == "outbound":
                self.add(path, f"constraint loosened: {shown} (existing readers reject more)")
        a, b = old.get("pattern"), new.get("pattern")
        if a != b:
            if a is None and self.d == "inbound":
                self.add(path, f"constraint tightened: new pattern {b}")
            elif b is None and self.d == "outbound":
                self.add(path, f"constraint loosened: pattern {a} dropped")
            elif a is not None and b is not None:
                self.add(path, f"pattern changed from {a} to {b}")
        fa, fb = old.get("format"), new.get("format")
        if fa != fb and not (fa is None and self.d == "outbound"):
            if not (fb is None and self.d == "inbound"):
                self.add(path, f"format changed from {fa or 'none'} to {fb or 'none'}")

    def obj(self, path: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
        prefix = f"{path}." if path else ""
        for name, old_prop in old_props.items():
            field = f"{prefix}{name}"
            if name not in new_props:
                self.add(field, "removed (or renamed)")
                continue
            if name in old_req and name not in new_req and self.d == "outbound":
                self.add(field, "required → optional (existing readers expect it)")
            if name not in old_req and name in new_req and self.d == "inbound":
                self.add(field, "optional → required (existing producers may omit it)")
            self.node(field, old_prop, new_props[name])
        for name in sorted(new_req - set(old_props)):
            self.add(f"{prefix}{name}", "new required field")


def compare(
    published: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]
) -> list[Break]:
    breaks: list[Break] = []
    for t, old in sorted(published.items()):
        if t not in current:
            breaks.append(Break(t, "", "type removed: publish a new major beside it instead"))
            continue
        walk = _Walk(t, old, current[t], direction_of(old))
        walk.node("", old, current[t])
        breaks += walk.breaks
    return breaks


def load_published(directory: Path = SNAPSHOT) -> dict[str, dict[str, Any]]:
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT, help="released schemas")
    args = parser.parse_args(argv)
    breaks = compare(load_published(args.snapshot), all_schemas())
    for b in breaks:
        print(f"INCOMPATIBLE {b}", file=sys.stderr)
    if not breaks:
        print(f"compatible: {len(all_schemas())} event types checked against the snapshot")
    return 1 if breaks else 0


if __name__ == "__main__":
    sys.exit(main())
