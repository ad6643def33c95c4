"""deploy/postgres/init-databases.sql gives each service its own role owning only its database,
with a connection limit, and no other role may connect to it. Run against the test PostgreSQL
server under names of its own (``egov_`` becomes ``egov_rt<random>_``), dropped afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from egov_devkit.devstack.run import SERVICES
from egov_runtime.cli import services

ROOT = Path(__file__).resolve().parent.parent
SQL = ROOT / "deploy" / "postgres" / "init-databases.sql"
SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASES = sorted(SERVICES[name][1] for name in services())

pytestmark = pytest.mark.skipif(
    not shutil.which("psql") and not os.environ.get("CI"), reason="psql is not installed"
)


def url(database: str, user: str | None = None) -> str:
    parts = urlsplit(SERVER)
    netloc = parts.netloc if user is None else f"{user}@{parts.hostname}:{parts.port or 5432}"
    return parts._replace(path=f"/{database}", netloc=netloc).geturl()


def psql(target: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["psql", target, "-XAtq", "-v", "ON_ERROR_STOP=1", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], **(env or {})},
    )


@pytest.fixture
def prefix(tmp_path: Path) -> Iterator[str]:
    name = f"egov_rt{uuid.uuid4().hex[:8]}_"
    try:
        yield name
    finally:
        for database in DATABASES:
            psql(
                url("postgres"),
                "-c",
                f"DROP DATABASE IF EXISTS {database.replace('egov_', name)} WITH (FORCE)",
            )
        for database in DATABASES:
            psql(url("postgres"), "-c", f"DROP ROLE IF EXISTS {database.replace('egov_', name)}")


def passwords() -> dict[str, str]:
    return {f"{SERVICES[n][0]}DB_PASSWORD": f"pw-{n}" for n in services()}


def test_every_service_database_is_owned_by_its_own_role_and_closed_to_others(
    prefix: str, tmp_path: Path
) -> None:
    text = SQL.read_text()
    for database in DATABASES:
        assert f"CREATE DATABASE {database} OWNER {database};" in text
    script = tmp_path / "init.sql"
    script.write_text(text.replace("egov_", prefix))
    done = psql(url("postgres"), "-f", str(script), env=passwords())
    assert done.returncode == 0, done.stderr

    names = [d.replace("egov_", prefix) for d in DATABASES]
    for name in names:
        owner = psql(
            url("postgres"),
            "-c",
            f"SELECT pg_get_userbyid(datdba), r.rolconnlimit, r.rolcanlogin, r.rolsuper "
            f"FROM pg_database, pg_roles r WHERE datname = '{name}' AND r.rolname = '{name}'",
        ).stdout.strip()
        assert owner.split("|")[0] == name and owner.split("|")[2:] == ["t", "f"]
        assert 0 < int(owner.split("|")[1]) <= 30
        # its own role connects and can create tables in its database's public schema
        mine = psql(url(name, user=name), "-c", "CREATE TABLE t (id int); SELECT current_user")
        assert mine.returncode == 0 and mine.stdout.strip() == name, mine.stderr
    # another service's role is refused
    other = psql(url(names[0], user=names[1]), "-c", "SELECT 1")
    assert other.returncode != 0 and "permission denied for database" in other.stderr


def test_an_unset_service_password_stops_the_script(prefix: str, tmp_path: Path) -> None:
    script = tmp_path / "init.sql"
    script.write_text(SQL.read_text().replace("egov_", prefix))
    missing = {k: v for k, v in passwords().items() if "NOTIFIER" not in k}
    done = psql(url("postgres"), "-f", str(script), env=missing)
    assert done.returncode != 0
    exists = psql(
        url("postgres"), "-c", f"SELECT count(*) FROM pg_database WHERE datname LIKE '{prefix}%'"
    )
    assert exists.stdout.strip() == "0", "databases were created though a password was missing"
