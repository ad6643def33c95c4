"""The compatibility gate: a published ``.vN`` type may only gain optional fields.

Compares the committed snapshot (``contracts/published/snapshot/``: every type ever published,
as last released) with the schemas the code produces now, and lists every breaking change: a
removed type, a removed field, a changed type, a new required field, a narrowed enum. Run
``python -m egov_contracts.compat``; the tests run it too.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from egov_contracts.schemas import all_schemas

ROOT = Path(__file__).resolve().parent.parent / "published"
PUBLISHED = ROOT / "schemas"
SNAPSHOT = ROOT / "snapshot"


@dataclass(frozen=True)
class Break:
    event_type: str
    field: str
    why: str

    def __str__(self) -> str:
        return f"{self.event_type}: {self.field or '(type)'}: {self.why}"


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref and ref.startswith("#/$defs/"):
        return _resolve(schema, schema.get("$defs", {})[ref.split("/")[-1]])
    return node


def _types(schema: dict[str, Any], node: dict[str, Any]) -> set[str]:
    node = _resolve(schema, node)
    if "anyOf" in node:
        return set().union(*(_types(schema, n) for n in node["anyOf"]))
    if "enum" in node:
        return {f"enum:{v}" for v in node["enum"]}
    if "const" in node:
        return {f"enum:{node['const']}"}
    t = node.get("type", "any")
    fmt = node.get("format")
    return {f"{t}:{fmt}" if fmt else str(t)}


def _compare_object(
    t: str,
    path: str,
    old_s: dict[str, Any],
    old: dict[str, Any],
    new_s: dict[str, Any],
    new: dict[str, Any],
) -> list[Break]:
    breaks: list[Break] = []
    old, new = _resolve(old_s, old), _resolve(new_s, new)
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
    for name, old_prop in old_props.items():
        field = f"{path}{name}"
        if name not in new_props:
            breaks.append(Break(t, field, "removed (or renamed)"))
            continue
        before, after = _types(old_s, old_prop), _types(new_s, new_props[name])
        old_enum = {x for x in before if x.startswith("enum:")}
        new_enum = {x for x in after if x.startswith("enum:")}
        if old_enum and not old_enum <= new_enum:
            lost = sorted(x[5:] for x in old_enum - new_enum)
            breaks.append(Break(t, field, f"enum narrowed: {', '.join(lost)} no longer allowed"))
        elif not (before - old_enum) <= (after - new_enum):
            breaks.append(Break(t, field, f"type changed from {sorted(before)} to {sorted(after)}"))
        if name not in old_req and name in new_req:
            breaks.append(Break(t, field, "became required"))
        sub_old, sub_new = _resolve(old_s, old_prop), _resolve(new_s, new_props[name])
        if "properties" in sub_old and "properties" in sub_new:
            breaks += _compare_object(t, f"{field}.", old_s, sub_old, new_s, sub_new)
    for name in sorted(new_req - old_req - set(old_props)):
        breaks.append(Break(t, f"{path}{name}", "new required field"))
    return breaks


def compare(
    published: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]
) -> list[Break]:
    breaks: list[Break] = []
    for t, old in sorted(published.items()):
        if t not in current:
            breaks.append(Break(t, "", "type removed: publish a new major beside it instead"))
            continue
        breaks += _compare_object(t, "", old, old, current[t], current[t])
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
