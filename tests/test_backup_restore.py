"""deploy/backup: backup.sh dumps every service database and keeps only the retention window;
restore.sh restores a dump into a fresh database and refuses to call it good unless every
table's row count matches the dump and the source. Runs against the test PostgreSQL server
(``TEST_DATABASE_URL``, else 127.0.0.1:5432) on databases of its own, dropped afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
BACKUP = ROOT / "deploy" / "backup" / "backup.sh"
RESTORE = ROOT / "deploy" / "backup" / "restore.sh"
SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

pytestmark = pytest.mark.skipif(
    not (shutil.which("pg_dump") and shutil.which("psql")) and not os.environ.get("CI"),
    reason="PostgreSQL client tools (pg_dump, pg_restore, psql) are not installed",
)


def url(database: str) -> str:
    return urlsplit(SERVER)._replace(path=f"/{database}").geturl()


def psql(database: str, sql: str) -> str:
    done = subprocess.run(
        ["psql", url(database), "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def libpq_env() -> dict[str, str]:
    parts = urlsplit(SERVER)
    env = {"PATH": os.environ["PATH"], "PGHOST": parts.hostname or "127.0.0.1"}
    env["PGPORT"] = str(parts.port or 5432)
    env["PGUSER"] = parts.username or "postgres"
    if parts.password:
        env["PGPASSWORD"] = parts.password
    return env


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:10]
    source, target = f"egov_bk_src_{tag}", f"egov_bk_dst_{tag}"
    for name in (source, target):
        psql("postgres", f"CREATE DATABASE {name}")
    try:
        yield source, target
    finally:
        for name in (source, target):
            psql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def fill(database: str) -> None:
    psql(
        database,
        """
        CREATE SCHEMA app;
        CREATE TABLE app.dossier (id bigint PRIMARY KEY, note text, payload jsonb);
        CREATE TABLE public.outbox (id bigserial PRIMARY KEY, body text NOT NULL);
        CREATE TABLE public.empty_one (id int);
        INSERT INTO app.dossier
          SELECT g, 'hồ sơ ' || g || E'\\nline two\\t\\\\.', jsonb_build_object('n', g)
          FROM generate_series(1, 1234) g;
        INSERT INTO app.dossier VALUES (0, E'\\\\.', NULL);
        INSERT INTO public.outbox (body) SELECT 'e' || g FROM generate_series(1, 77) g;
        """,
    )


def test_backup_then_restore_into_a_fresh_database_checks_every_row_count(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    source, target = databases
    fill(source)
    env = {**libpq_env(), "BACKUP_DIR": str(tmp_path), "BACKUP_DATABASES": source}
    old = tmp_path / source / f"{source}-2026-01-01T013000+0700.dump"
    old.parent.mkdir()
    old.write_bytes(b"an old dump")
    month_ago = time.time() - 30 * 86400
    os.utime(old, (month_ago, month_ago))

    done = subprocess.run([str(BACKUP)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    dumps = sorted((tmp_path / source).glob("*.dump"))
    assert len(dumps) == 1 and dumps[0] != old, "the month-old dump outlived 14 days' retention"
    assert dumps[0].name.startswith(f"{source}-") and dumps[0].name.endswith("+0700.dump")

    done = subprocess.run(
        [str(RESTORE), str(dumps[0]), url(target), url(source)],
        env=libpq_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "3 tables, 1312 rows, counts agree" in done.stdout
    assert psql(target, "SELECT count(*) FROM app.dossier") == "1235"
    assert psql(target, "SELECT note FROM app.dossier WHERE id = 7") == "hồ sơ 7\nline two\t\\."

    # a second restore into the same (no longer empty) database is refused
    again = subprocess.run(
        [str(RESTORE), str(dumps[0]), url(target)], capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 1 and "already has 3 tables" in again.stderr

    # a source that moved on since the dump is reported, table by table
    psql(source, "INSERT INTO public.outbox (body) VALUES ('late')")
    psql(target, "DROP SCHEMA app CASCADE; DROP TABLE public.outbox, public.empty_one")
    moved = subprocess.run(
        [str(RESTORE), str(dumps[0]), url(target), url(source)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert moved.returncode == 1
    assert "differ from the source" in moved.stderr and "public.outbox\t78" in moved.stdout
