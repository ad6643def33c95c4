"""The embedded PostgreSQL of the local stack (used when no server answers on 5432)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from egov_devkit.devstack.postgres import (
    accepts_connections,
    create_database,
    dsn_for,
    start_embedded,
)

pytestmark = pytest.mark.integration


async def test_embedded_server_listens_on_tcp_keeps_data_and_stops(tmp_path: Path) -> None:
    pgdata = tmp_path / "pgdata"
    server = start_embedded(pgdata)
    try:
        assert server.dsn == f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
        dsn = await create_database(server.dsn, "egov_kept")
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)")
        finally:
            await conn.close()
    finally:
        server.stop()
    assert not await accepts_connections(server.dsn, timeout=1)

    again = start_embedded(pgdata)  # the same data directory, started again
    try:
        conn = await asyncpg.connect(dsn_for(again.dsn, "egov_kept"))
        try:
            assert await conn.fetchval("SELECT x FROM kept") == 7
        finally:
            await conn.close()
    finally:
        again.stop()
