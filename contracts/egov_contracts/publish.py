"""Write the published artefacts: every type's JSON Schema and the AsyncAPI document.

``python -m egov_contracts.publish`` writes ``contracts/published/`` (``schemas/``,
``asyncapi.json`` and the compatibility ``snapshot/``); ``--check`` writes nothing and fails
when the files are stale. Changing a published ``.vN`` type incompatibly is refused (see
:mod:`egov_contracts.compat`): publish a ``.vN+1`` beside it instead. A deliberate change that
no real reader or producer is hurt by is accepted with ``--accept "why"`` (``make contracts
ACCEPT="why"``): the snapshot is rewritten and every accepted break is appended, with the
reason and the day, to ``published/accepted-changes.json``. A type that was never released to
anyone may be reshaped by deleting its snapshot file in the same change.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path

from egov_contracts.asyncapi import document
from egov_contracts.compat import ACCEPTED, PUBLISHED, ROOT, SNAPSHOT, compare, load_published
from egov_contracts.envelope import VN_TZ
from egov_contracts.schemas import all_reader_schemas, all_schemas


def readers_dir() -> Path:
    return PUBLISHED / "reader"


def render(obj: object) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def artefacts() -> dict[Path, str]:
    """Every published file and its content; the snapshot keeps types no longer produced."""
    schemas = all_schemas()
    files = {PUBLISHED / f"{t}.json": render(s) for t, s in schemas.items()}
    files.update({readers_dir() / f"{t}.json": render(s) for t, s in all_reader_schemas().items()})
    files.update({SNAPSHOT / f"{t}.json": render(s) for t, s in schemas.items()})
    files.update(
        {p: p.read_text(encoding="utf-8") for p in SNAPSHOT.glob("*.json") if p.stem not in schemas}
    )
    files[ROOT / "asyncapi.json"] = render(document())
    return files


def stale() -> list[str]:
    wanted = artefacts()
    out = [
        str(p.relative_to(ROOT))
        for p, text in wanted.items()
        if not p.exists() or p.read_text(encoding="utf-8") != text
    ]
    out += [
        str(p.relative_to(ROOT))
        for p in (*PUBLISHED.glob("*.json"), *readers_dir().glob("*.json"))
        if p not in wanted
    ]
    return sorted(out)


def breaking() -> list[str]:
    return [str(b) for b in compare(load_published(), all_schemas())]


def record_acceptance(
    breaks: list[str], reason: str, day: date, path: Path | None = None
) -> list[dict[str, object]]:
    """Append the accepted breaks with their reason to the acceptance log (kept in review)."""
    path = path or ACCEPTED
    log: list[dict[str, object]] = (
        json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    )
    log.append({"date": day.isoformat(), "reason": reason, "breaks": breaks})
    path.write_text(render(log), encoding="utf-8")
    return log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; fail if stale")
    parser.add_argument(
        "--accept",
        metavar="REASON",
        help="accept the listed incompatible changes deliberately, for this reason",
    )
    args = parser.parse_args(argv)
    breaks = breaking()
    for b in breaks:
        print(f"{'ACCEPTED' if args.accept else 'INCOMPATIBLE'} {b}", file=sys.stderr)
    if breaks and args.check:
        return 1
    if breaks and not args.accept:
        print(
            "refused: publish a new major (.vN+1) beside the old type instead, or, if no"
            ' reader or producer is hurt, accept it: make contracts ACCEPT="why"',
            file=sys.stderr,
        )
        return 1
    if args.accept and not args.accept.strip():
        print("--accept needs a reason", file=sys.stderr)
        return 2
    if args.check:
        old = stale()
        for name in old:
            print(f"stale: contracts/published/{name} (run `make contracts`)", file=sys.stderr)
        return 1 if old else 0
    files = artefacts()
    PUBLISHED.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.mkdir(parents=True, exist_ok=True)
    readers_dir().mkdir(parents=True, exist_ok=True)
    for p in (*PUBLISHED.glob("*.json"), *readers_dir().glob("*.json")):
        if p not in files:
            p.unlink()
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    if breaks:
        record_acceptance(breaks, args.accept.strip(), datetime.now(VN_TZ).date())
    print(f"wrote {len(all_schemas())} schemas, the snapshot and asyncapi.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
