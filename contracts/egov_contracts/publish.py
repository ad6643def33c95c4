"""Write the published artefacts: every type's JSON Schema and the AsyncAPI document.

``python -m egov_contracts.publish`` writes ``contracts/published/``; ``--check`` writes
nothing and fails when the files are stale. Changing a published ``.vN`` type incompatibly is
refused (see :mod:`egov_contracts.compat`) unless ``--allow-breaking`` is given for a type that
was never released.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from egov_contracts.asyncapi import document
from egov_contracts.compat import PUBLISHED, compare, load_published
from egov_contracts.schemas import all_schemas

ROOT = PUBLISHED.parent


def render(obj: object) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def artefacts() -> dict[Path, str]:
    files = {PUBLISHED / f"{t}.json": render(s) for t, s in all_schemas().items()}
    files[ROOT / "asyncapi.json"] = render(document())
    return files


def stale() -> list[str]:
    wanted = artefacts()
    out = [
        str(p.relative_to(ROOT))
        for p, text in wanted.items()
        if not p.exists() or p.read_text(encoding="utf-8") != text
    ]
    out += [str(p.relative_to(ROOT)) for p in PUBLISHED.glob("*.json") if p not in wanted]
    return sorted(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--allow-breaking", action="store_true")
    args = parser.parse_args()
    if args.check:
        old = stale()
        for name in old:
            print(f"stale: contracts/published/{name} (run `make contracts`)", file=sys.stderr)
        return 1 if old else 0
    breaks = compare(load_published(), all_schemas()) if PUBLISHED.exists() else []
    if breaks and not args.allow_breaking:
        for b in breaks:
            print(f"INCOMPATIBLE {b}", file=sys.stderr)
        print("refused: publish a new major (.vN+1) beside the old type instead", file=sys.stderr)
        return 1
    PUBLISHED.mkdir(parents=True, exist_ok=True)
    for p in PUBLISHED.glob("*.json"):
        p.unlink()
    for path, text in artefacts().items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(all_schemas())} schemas and asyncapi.json to {ROOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
