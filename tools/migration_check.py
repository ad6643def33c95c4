"""Migrations stay backward compatible for one release (expand, then contract).

During a rolling upgrade the migration job applies the new release's migrations while the
previous release's pods still run, so a new migration may only *expand* the schema (new tables,
new nullable columns or columns with a default, new indexes). Dropping, renaming or retyping
what the previous release reads or writes, or making a column it does not fill required, breaks
those pods. Such a *contract* step is allowed only once the code that used the object is gone
from a recorded release; the file then says so on a line of its own:

    -- egov-migration: contract after 2026.12.0

(the release that stopped using it, one of deploy/releases.toml), so the previous release,
which is that one or a later one, no longer needs what the step removes.

The check, against the last release of deploy/releases.toml (its files read with git):
- a migration of that release was edited or removed: refused (the runtime refuses to start on a
  changed checksum too);
- a new migration holding a destructive statement, found by squawk (the maintained PostgreSQL
  migration linter; its rules listed in :data:`BREAKING`), without the contract line naming a
  recorded release: refused. ``squawk-ignore`` comments are refused in migrations: the contract
  line is the only way to allow one.

    .venv/bin/python tools/migration_check.py   # exit 1 and one line per problem

tests/test_upgrade_compatibility.py runs the previous release's services against the new
schema, which catches what a linter cannot (a query of the old code on a changed view...).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT / "deploy" / "releases.toml"
MIGRATIONS = re.compile(
    r"^(runtime/egov_runtime/sql|services/[^/]+/egov_[^/]+/migrations)/[^/]+\.sql$"
)
CONTRACT = re.compile(r"^--\s*egov-migration:\s*contract after\s+(\S+)\s*$", re.MULTILINE)

# squawk rules whose statements break the previous release's code on the new schema
BREAKING = {
    "ban-drop-column": "drops a column",
    "ban-drop-table": "drops a table",
    "ban-drop-view": "drops a view",
    "ban-drop-function": "drops a function",
    "ban-drop-type": "drops a type",
    "ban-drop-database": "drops a database",
    "ban-drop-default": "drops a default the previous release's inserts may rely on",
    "renaming-column": "renames a column",
    "renaming-table": "renames a table",
    "renaming-object": "renames an object",
    "changing-column-type": "changes a column's type",
    "adding-required-field": "adds a NOT NULL column without a default",
    "adding-not-nullable-field": "makes a column NOT NULL",
}


@dataclass(frozen=True)
class Release:
    name: str
    commit: str


def releases(path: Path = RELEASES) -> list[Release]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Release(r["name"], r["commit"]) for r in data["release"]]


def migration_paths(paths: Iterable[str]) -> list[str]:
    return sorted(p for p in paths if MIGRATIONS.match(p))


def current_migrations(root: Path = ROOT) -> dict[str, str]:
    found = [
        p.relative_to(root).as_posix() for p in root.glob("**/*.sql") if ".venv" not in p.parts
    ]
    return {p: (root / p).read_text(encoding="utf-8") for p in migration_paths(found)}


def released_migrations(commit: str, root: Path = ROOT) -> dict[str, str]:
    """The migration files of a commit, read from git (a clone has the full history)."""
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", commit],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return {
        path: subprocess.run(
            ["git", "show", f"{commit}:{path}"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for path in migration_paths(listed)
    }


def squawk(files: dict[str, str]) -> list[tuple[str, int, str]]:
    """(file, line, rule) of every squawk finding in the files."""
    if not files:
        return []
    exe = shutil.which("squawk") or str(Path(sys.executable).parent / "squawk")
    findings: list[tuple[str, int, str]] = []
    for path, text in files.items():
        done = subprocess.run(
            [exe, "--pg-version=16", "--assume-in-transaction", "--reporter", "json",
             "--stdin-filepath", path],
            input=text, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode not in (0, 1) or not done.stdout.strip():
            raise RuntimeError(f"squawk failed on {path}: {done.stderr.strip()}")
        for item in json.loads(done.stdout):
            findings.append((path, int(item["line"]) + 1, str(item["rule_name"])))
    return findings


def problems(
    released: dict[str, str], current: dict[str, str], recorded: list[Release]
) -> list[str]:
    previous = recorded[-1].name
    names = {r.name for r in recorded}
    found: list[str] = []
    for path, text in sorted(released.items()):
        if path not in current:
            found.append(f"{path}: a migration of release {previous} was removed")
        elif current[path] != text:
            found.append(f"{path}: a migration of release {previous} was edited (add a new one)")
    new = {path: text for path, text in current.items() if path not in released}
    for path, text in sorted(new.items()):
        if "squawk-ignore" in text:
            found.append(
                f"{path}: squawk-ignore in a migration; a contract step says "
                "'-- egov-migration: contract after <release>' instead"
            )
    for path, line, rule in squawk(new):
        if rule not in BREAKING:
            continue
        marked = CONTRACT.findall(new[path])
        if marked and all(name in names for name in marked):
            continue
        why = (
            f"names {', '.join(m for m in marked if m not in names)}, not a recorded release"
            if marked
            else f"breaks release {previous} while it still runs"
        )
        found.append(
            f"{path}:{line}: {BREAKING[rule]} ({rule}): {why}; expand now and contract in a "
            "later release with '-- egov-migration: contract after <release>' "
            "(deploy/README.md, Upgrades)"
        )
    return found


def main(argv: list[str]) -> int:
    recorded = releases()
    found = problems(released_migrations(recorded[-1].commit), current_migrations(), recorded)
    for line in found:
        print(line)
    if not found:
        print(f"migrations: backward compatible with release {recorded[-1].name}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
