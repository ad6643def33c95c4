"""The previous release's services run against the new schema: the rolling upgrade's middle,
when the migration job has applied main's migrations and the old pods still serve.

The previous release is the last of deploy/releases.toml; its packages (contracts, runtime,
workdays, units, services) are taken from git at its commit into a temporary directory and put
first on ``PYTHONPATH``, so ``python -m egov_runtime.cli`` runs the old code. Third-party
libraries are this checkout's (the old lock file is not installed): the test is about the
schema, not the dependencies. For each service both releases have, on a database migrated with
*main's* migrations (runtime and service) and a broker of its own:
- the old ``serve`` reaches ``/readyz`` (its migrations applied, consumers running);
- the old ``seed`` writes its demo data (the old code's inserts on the new tables);
- every GET route of the old OpenAPI without path parameters answers without a 5xx, for an
  administrator (the old code's reads).

tools/migration_check.py refuses destructive migrations statically; this catches the rest.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from egov_devkit.devstack.broker import free_port, start_broker
from egov_devkit.devstack.postgres import create_database, drop_database
from egov_devkit.testing.fixtures import wait_for
from egov_runtime.cli import services
from egov_runtime.db import all_migrations, migrate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from migration_check import releases  # noqa: E402

PACKAGES = ("contracts", "runtime", "workdays", "units", "services")
SECRET = "upgrade-compatibility-test-secret-0123456789"
READY_TIMEOUT_S = 90.0

pytestmark = pytest.mark.integration


def previous_release_tree(commit: str, into: Path) -> list[Path]:
    """The release's package roots, extracted from git (``PYTHONPATH`` entries)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, *PACKAGES],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    roots = [into / name for name in PACKAGES if name != "services"]
    return roots + sorted(p for p in (into / "services").iterdir() if p.is_dir())


def old_cli(
    env: dict[str, str], *args: str, cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "egov_runtime.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def old_release(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """(release name, the environment that runs its code)."""
    last = releases()[-1]
    tree = tmp_path_factory.mktemp("previous-release")
    roots = previous_release_tree(last.commit, tree)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tree),
        "PYTHONPATH": os.pathsep.join(str(r) for r in roots),
        "PYTHONDONTWRITEBYTECODE": "1",
        "EGOV_STACK_FILE": str(tree / "no-stack.json"),  # never a developer's .run/stack.json
    }
    yield last.name, env


def shared_services(old_env: dict[str, str], cwd: Path) -> list[str]:
    program = "from egov_runtime.cli import service_names; print(*service_names())"
    listing = subprocess.run(
        [sys.executable, "-c", program],
        env=old_env, cwd=cwd, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return sorted(set(listing.stdout.split()) & set(services()))


async def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    last = "no answer"

    async def ready() -> bool:
        nonlocal last
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode}: {tail(log)}")
        try:
            answer = await client.get(f"{url}/readyz")
        except httpx.TransportError as exc:
            last = repr(exc)
            return False
        last = f"{answer.status_code} {answer.text[:500]}"
        return answer.status_code == 200

    async with httpx.AsyncClient(timeout=5) as client:
        try:
            await wait_for(ready, timeout=READY_TIMEOUT_S, interval=0.5, message=f"{url}/readyz")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {last}") from None


def parameterless_gets(openapi: dict[str, Any]) -> list[str]:
    return sorted(
        path
        for path, operations in openapi["paths"].items()
        if "get" in operations and "{" not in path and path not in ("/metrics",)
    )


async def test_the_previous_release_runs_against_the_new_schema(
    old_release: tuple[str, dict[str, str]],
    postgres_admin_dsn: str,
    tmp_path: Path,
) -> None:
    name, old_env = old_release
    names = shared_services(old_env, tmp_path)
    assert names, "no service in both releases"
    specs = services()
    databases: dict[str, str] = {}
    created: list[str] = []
    try:
        for service in names:
            database = f"upgrade_{service.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
            created.append(database)
            databases[service] = await create_database(postgres_admin_dsn, database)
            # main's schema: this checkout's migrations, applied by this checkout's code
            await migrate(databases[service], all_migrations(specs[service].migrations))
        with ExitStack() as stack:
            broker = start_broker()
            stack.callback(broker.stop)
            env = {**old_env, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap}
            for command in ("topics", "reference"):
                done = old_cli(env, command, cwd=tmp_path)
                assert done.returncode == 0, f"{command}: {done.stderr}"
            running: dict[str, tuple[str, dict[str, str], subprocess.Popen[bytes], Path]] = {}
            for service in names:
                prefix = str(specs[service].settings_cls.model_config["env_prefix"])
                port = free_port()
                log = tmp_path / f"{service}.log"
                service_env = {
                    **env,
                    f"{prefix}PROFILE": "local",
                    f"{prefix}DATABASE_URL": databases[service],
                    f"{prefix}KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
                    f"{prefix}HTTP_PORT": str(port),
                    f"{prefix}JWT_SECRET": SECRET,
                    f"{prefix}DEMO_DOSSIERS": "60",
                    f"{prefix}DEMO_PEOPLE": "20",
                }
                process = start_serving(service, service_env, tmp_path, log)
                stack.callback(stop, process)
                running[service] = (f"http://127.0.0.1:{port}", service_env, process, log)
            began = time.monotonic()
            for url, _, process, log in running.values():
                await wait_ready(url, process, log)
            print(f"old services ready in {time.monotonic() - began:.1f} s")
            token = old_cli(env, "token", "--role", "admin", "--secret", SECRET, cwd=tmp_path)
            assert token.returncode == 0, token.stderr
            headers = {"Authorization": f"Bearer {token.stdout.strip().split()[-1]}"}
            failures: list[str] = []
            began = time.monotonic()
            seeds = await asyncio.gather(
                *(old_seed(service, env_, tmp_path) for service, (_, env_, _, _) in running.items())
            )
            print(f"old seeds in {time.monotonic() - began:.1f} s")
            failures += [problem for problem in seeds if problem]
            async with httpx.AsyncClient(timeout=30) as client:
                for service, (url, _, process, log) in running.items():
                    openapi = (await client.get(f"{url}/openapi.json")).json()
                    paths = parameterless_gets(openapi)
                    assert paths, f"{service}: no GET route to try"
                    for path in paths:
                        try:
                            answer = await client.get(f"{url}{path}", headers=headers)
                        except httpx.TransportError as exc:  # the server dropped the request
                            failures.append(f"{service} GET {path}: {exc!r}")
                            continue
                        if answer.status_code >= 500:
                            failures.append(
                                f"{service} GET {path}: {answer.status_code} {answer.text[:300]}"
                            )
                    if process.poll() is not None:
                        failures.append(f"{service} exited: {tail(log)}")
            assert not failures, f"release {name} on the new schema:\n" + "\n".join(failures)
    finally:
        for database in created:
            await drop_database(postgres_admin_dsn, database)


async def old_seed(service: str, env: dict[str, str], cwd: Path) -> str | None:
    """The old release's ``<service> seed``; what went wrong, or None."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "egov_runtime.cli", service, "seed",
        env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), timeout=300)
    if process.returncode != 0:
        return f"{service} seed: {err.decode(errors='replace').strip()[-1500:]}"
    return None


def start_serving(
    service: str, env: dict[str, str], cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    """The old release's ``<service> serve``, its output in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "egov_runtime.cli", service, "serve"],
            env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip


def tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-3000:]


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
