"""SQL only in adapters: fail, naming file and line, when a service's use cases, entrypoints or
main hold SQL text or call the database driver directly.

Import-linter sees imports, not strings, so this reads the modules' syntax trees instead: a
string literal (f-strings included, docstrings excluded) that reads as a statement (``SELECT``,
``INSERT INTO``, ``UPDATE … SET``, ``DELETE FROM``, upper case as the code base writes SQL),
or a call of a driver method (``execute``, ``executemany``, ``fetch``, ``fetchrow``,
``fetchval``). Such code belongs in the service's ``adapters`` (functions returning domain
objects or plain values) or in the runtime kit.

    .venv/bin/python tools/sql_placement.py [ROOT]   # exit 1 and one line per finding
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

SQL = re.compile(r"\b(SELECT\b|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b)")
DRIVER_CALLS = frozenset({"execute", "executemany", "fetch", "fetchrow", "fetchval"})


def layer_files(root: Path) -> Iterator[Path]:
    """Each service's use cases, entrypoints and main module."""
    for package in sorted(root.glob("services/*/egov_*")):
        yield from (p for p in (package / "usecases.py", package / "main.py") if p.is_file())
        for layer in ("usecases", "entrypoints"):
            yield from sorted((package / layer).rglob("*.py"))


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            ids.add(id(node.value))
    return ids


def findings(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if match := SQL.search(node.value):
                yield node.lineno, f"SQL text ({match.group(1).split()[0]} …)"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in DRIVER_CALLS
        ):
            yield node.lineno, f"database call .{node.func.attr}("


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    found = [
        f"{path.relative_to(root)}:{line}: {what} outside adapters"
        for path in layer_files(root)
        for line, what in sorted(set(findings(path)))
    ]
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} place(s): move the statements into the service's adapters.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
