"""tools/migration_check.py: new migrations only expand the schema unless marked as the contract
step of a recorded release, released migrations are never edited, and the repository's
migrations pass against the last release of deploy/releases.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from migration_check import Release, main, problems, releases  # noqa: E402

RECORDED = [Release("2026.11.0", "a" * 40), Release("2026.12.0", "b" * 40)]
OLD = "services/notifier/egov_notifier/migrations/0006_inbox.sql"
NEW = "services/notifier/egov_notifier/migrations/0007_next.sql"
RELEASED = {OLD: "CREATE TABLE inbox (id text PRIMARY KEY, body text);\n"}


def check(sql: str) -> list[str]:
    return problems(RELEASED, {**RELEASED, NEW: sql}, RECORDED)


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        ("ALTER TABLE inbox DROP COLUMN body;", "drops a column"),
        ("ALTER TABLE inbox RENAME COLUMN body TO text;", "renames a column"),
        ("ALTER TABLE inbox RENAME TO messages;", "renames a table"),
        ("ALTER TABLE inbox ALTER COLUMN body TYPE jsonb USING body::jsonb;", "type"),
        ("ALTER TABLE inbox ADD COLUMN read_at timestamptz NOT NULL;", "NOT NULL column"),
        ("ALTER TABLE inbox ALTER COLUMN body SET NOT NULL;", "makes a column NOT NULL"),
        ("DROP TABLE inbox;", "drops a table"),
    ],
)
def test_a_destructive_statement_is_refused(statement: str, why: str) -> None:
    (problem,) = check(f"-- a later step\n{statement}\n")
    assert problem.startswith(f"{NEW}:2: ") and why in problem
    assert "breaks release 2026.12.0" in problem


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE inbox ADD COLUMN read_at timestamptz;",
        "ALTER TABLE inbox ADD COLUMN kind text NOT NULL DEFAULT 'email';",
        "CREATE TABLE outbox_archive (id bigint PRIMARY KEY, payload jsonb NOT NULL);",
        "CREATE INDEX inbox_body ON inbox (body);",
    ],
)
def test_an_expand_step_passes(statement: str) -> None:
    assert check(statement + "\n") == []


def test_a_contract_step_of_a_recorded_release_passes() -> None:
    sql = "-- egov-migration: contract after 2026.11.0\nALTER TABLE inbox DROP COLUMN body;\n"
    assert check(sql) == []
    unknown = sql.replace("2026.11.0", "2027.01.0")
    (problem,) = check(unknown)
    assert "names 2027.01.0, not a recorded release" in problem


def test_squawk_ignore_cannot_hide_a_destructive_statement() -> None:
    found = check("-- squawk-ignore ban-drop-column\nALTER TABLE inbox DROP COLUMN body;\n")
    assert any("squawk-ignore in a migration" in p for p in found)


def test_a_released_migration_is_never_edited_or_removed() -> None:
    edited = problems(RELEASED, {OLD: RELEASED[OLD] + "-- later\n"}, RECORDED)
    assert edited == [f"{OLD}: a migration of release 2026.12.0 was edited (add a new one)"]
    removed = problems(RELEASED, {}, RECORDED)
    assert removed == [f"{OLD}: a migration of release 2026.12.0 was removed"]


def test_the_repository_is_backward_compatible_with_the_last_release(
    capsys: pytest.CaptureFixture[str],
) -> None:
    last = releases()[-1]
    known = subprocess.run(
        ["git", "cat-file", "-e", f"{last.commit}^{{commit}}"], cwd=ROOT, check=False
    )
    assert known.returncode == 0, f"release {last.name}'s commit is not in this clone's history"
    assert main(["migration_check.py"]) == 0, capsys.readouterr().out
