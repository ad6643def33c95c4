"""The SQL-placement check (``tools/sql_placement.py``, run by ``make lint``): the code base
passes it, and it names file and line for SQL text or a driver call in a use case, an
entrypoint or a main module, while adapters and docstrings may say SELECT."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("sql_placement", ROOT / "tools/sql_placement.py")
assert _spec and _spec.loader
sql_placement = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sql_placement)


def _service(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "services/demo/egov_demo" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_code_base_keeps_sql_in_adapters(capsys):
    assert sql_placement.main([str(ROOT)]) == 0, capsys.readouterr().out


def test_sql_outside_adapters_is_named_by_file_and_line(tmp_path, capsys):
    root = _service(
        tmp_path,
        {
            "usecases/orders.py": (
                'async def f(tx):\n    await tx.conn.fetchrow(\n        "SELECT 1"\n    )\n'
            ),
            "entrypoints/http.py": 'Q = f"UPDATE items SET read_at = now() WHERE id = {1}"\n',
            "main.py": "async def g(conn):\n    return await conn.execute(q)\n",
            "usecases.py": 'X = "DELETE FROM t"\n',
            "adapters/store.py": 'Q = "SELECT * FROM orders"\n',
            "domain/model.py": 'Q = "SELECT nothing"\n',
        },
    )
    assert sql_placement.main([str(root)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] == [
        "services/demo/egov_demo/usecases.py:1: SQL text (DELETE …) outside adapters",
        "services/demo/egov_demo/main.py:2: database call .execute( outside adapters",
        "services/demo/egov_demo/usecases/orders.py:2: database call .fetchrow( outside adapters",
        "services/demo/egov_demo/usecases/orders.py:3: SQL text (SELECT …) outside adapters",
        "services/demo/egov_demo/entrypoints/http.py:1: SQL text (UPDATE …) outside adapters",
    ]
    assert out[-1].startswith("5 place(s)")


def test_docstrings_and_prose_pass(tmp_path):
    root = _service(
        tmp_path,
        {
            "usecases/orders.py": '"""SELECT the right order, then UPDATE it."""\n\n'
            'def f():\n    """Select and delete from the list."""\n'
            '    return "Select one of your units"\n',
        },
    )
    assert sql_placement.main([str(root)]) == 0
