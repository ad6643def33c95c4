"""The ``make run`` orchestrator with tiny stand-in services: real broker, real PostgreSQL, real
processes; stack.json, logs, readiness and a clean Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from egov_devkit.devstack.broker import free_port
from egov_devkit.devstack.postgres import create_database, drop_database, dsn_for
from egov_devkit.testing.fixtures import wait_for
from egov_runtime.auth import ROLES, decode_token

pytestmark = pytest.mark.integration

JWT_SECRET = "devstack-test-secret-of-at-least-32-bytes"
TOKEN_UNITS = [
    ["38.380", "Thành phố Thanh Hóa", "district"],
    ["38.XA.HACTHANH", "Phường Hạc Thành", "commune"],
]

# A stand-in service: answers /readyz on its port, and leaves a grandchild in its process group
# so the test sees that stopping the stack stops whole groups.
FAKE_SERVE = textwrap.dedent(
    """
    import http.server, os, subprocess, sys
    prefix, pids = sys.argv[1], sys.argv[2]
    if os.environ.get("FAKE_FAIL") == prefix:
        print("fake service cannot start: no configuration", flush=True)
        sys.exit(3)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(pids, "a") as f:
        f.write(f"{os.getpid()} {child.pid}\\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/readyz" else 404)
            self.end_headers()
            self.wfile.write(b"ok")

    port = int(os.environ[prefix + "HTTP_PORT"])
    print(f"fake service listening on {port}", flush=True)
    http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """
)

FAKE_SQL = textwrap.dedent(
    """
    import asyncio, os, sys
    import asyncpg
    prefix, sql = sys.argv[1], sys.argv[2]
    async def main():
        conn = await asyncpg.connect(os.environ[prefix + "DATABASE_URL"])
        await conn.execute(sql)
        await conn.close()
    asyncio.run(main())
    print("sql done:", sql, flush=True)
    """
)

FAKE_TOPICS = textwrap.dedent(
    """
    import asyncio, os, sys
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    async def main():
        admin = AIOKafkaAdminClient(bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"])
        await admin.start()
        await admin.create_topics([NewTopic(sys.argv[1], 2, 1)])
        await admin.close()
    asyncio.run(main())
    print("topic created", flush=True)
    """
)

DRIVER = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path
    from egov_devkit.devstack.run import ServiceDef, StackConfig, run_stack
    spec = json.loads(Path(sys.argv[1]).read_text())
    config = StackConfig(
        services=[ServiceDef(**s) for s in spec["services"]],
        setup=[tuple(x) for x in spec["setup"]],
        run_dir=Path(spec["run_dir"]),
        broker_port=spec["broker_port"],
        ready_timeout=spec["ready_timeout"],
        jwt_secret=spec["jwt_secret"],
        token_units=[tuple(u) for u in spec["token_units"]],
    )
    sys.exit(asyncio.run(run_stack(config)))
    """
)


def _alive(pid: int) -> bool:
    """True for a live process (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline and _alive(int(entry.name)):
            found.append(int(entry.name))
    return found


class FakeStack:
    def __init__(
        self, tmp: Path, admin_dsn: str, names: list[str], serve: list[str] | None = None
    ) -> None:
        self.tmp = tmp
        self.admin_dsn = admin_dsn
        self.run_dir = tmp / "run"
        self.pids_file = tmp / "pids.txt"
        self.topic = f"devstack.fake.{uuid.uuid4().hex[:8]}"
        self.broker_port = free_port()
        tag = uuid.uuid4().hex[:8]
        self.services: list[dict[str, Any]] = []
        for name in names:
            prefix = f"FAKE_{name.upper()}_"
            self.services.append(
                {
                    "name": name,
                    "env_prefix": prefix,
                    "database": f"t{tag}_{name}",
                    "port": free_port(),
                    "serve": serve
                    or [sys.executable, "-c", FAKE_SERVE, prefix, str(self.pids_file)],
                    "migrate": [
                        sys.executable,
                        "-c",
                        FAKE_SQL,
                        prefix,
                        "CREATE TABLE migrated (note text)",
                    ],
                    "seed": [
                        sys.executable,
                        "-c",
                        FAKE_SQL,
                        prefix,
                        "INSERT INTO migrated VALUES ('seeded')",
                    ],
                }
            )
        spec = {
            "services": self.services,
            "setup": [["topics", [sys.executable, "-c", FAKE_TOPICS, self.topic]]],
            "run_dir": str(self.run_dir),
            "broker_port": self.broker_port,
            "ready_timeout": 30,
            "jwt_secret": JWT_SECRET,
            "token_units": [["38", "Tỉnh Thanh Hóa", "province"], *TOKEN_UNITS],
        }
        (tmp / "stack-spec.json").write_text(json.dumps(spec))
        (tmp / "driver.py").write_text(DRIVER)
        self.output = tmp / "orchestrator.out"

    def start(self, **extra_env: str) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
        env.update(DATABASE_URL=self.admin_dsn, PYTHONUNBUFFERED="1", **extra_env)
        with self.output.open("wb") as out:
            return subprocess.Popen(
                [sys.executable, str(self.tmp / "driver.py"), str(self.tmp / "stack-spec.json")],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.tmp,
            )

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def recorded_pids(self) -> list[int]:
        if not self.pids_file.exists():
            return []
        return [int(p) for p in self.pids_file.read_text().split()]

    async def drop(self) -> None:
        for s in self.services:
            await drop_database(self.admin_dsn, s["database"])


@pytest.fixture
async def fake_stack(tmp_path: Path, postgres_admin_dsn: str):
    stacks: list[FakeStack] = []

    def make(names: list[str], serve: list[str] | None = None) -> FakeStack:
        stacks.append(FakeStack(tmp_path, postgres_admin_dsn, names, serve))
        return stacks[-1]

    yield make
    for s in stacks:
        await s.drop()


async def test_stack_comes_up_writes_stack_json_and_stops_on_ctrl_c(fake_stack) -> None:
    stack = fake_stack(["alpha", "beta"])
    process = stack.start()
    try:
        stack_json = stack.run_dir / "stack.json"

        def written() -> bool:
            assert process.poll() is None, f"orchestrator exited:\n{stack.text()}"
            return stack_json.exists()

        await wait_for(written, timeout=90, interval=0.2, message="stack.json written")
        info = json.loads(stack_json.read_text())

        assert info["kafka_bootstrap"] == f"127.0.0.1:{stack.broker_port}"
        assert info["database_url"] == stack.admin_dsn
        assert set(info["services"]) == {"alpha", "beta"}
        async with httpx.AsyncClient(timeout=5) as client:
            for s in stack.services:
                url = info["services"][s["name"]]["url"]
                assert url == f"http://127.0.0.1:{s['port']}"
                assert (await client.get(f"{url}/readyz")).status_code == 200
        assert set(info["tokens"]) == set(ROLES)
        for role, token in info["tokens"].items():
            assert decode_token(JWT_SECRET, token).roles == frozenset({role})
        # the secret is there for the command line; a district's and a commune's tokens too
        assert info["jwt_secret"] == JWT_SECRET
        assert stack_json.stat().st_mode & 0o077 == 0  # readable by its owner only
        for code, name, level in TOKEN_UNITS:
            unit = info["units"][code]
            assert (unit["name"], unit["level"]) == (name, level)
            assert set(unit["tokens"]) == set(ROLES)
            principal = decode_token(JWT_SECRET, unit["tokens"]["officer"])
            assert (principal.unit_code, principal.roles) == (code, frozenset({"officer"}))

        admin = AIOKafkaAdminClient(bootstrap_servers=info["kafka_bootstrap"])
        await admin.start()
        try:
            assert stack.topic in await admin.list_topics()
        finally:
            await admin.close()
        for s in stack.services:  # migrate then seed ran against each service's own database
            conn = await asyncpg.connect(info["services"][s["name"]]["database_url"])
            try:
                assert await conn.fetchval("SELECT current_database()") == s["database"]
                assert await conn.fetch("SELECT note FROM migrated") == [("seeded",)]
            finally:
                await conn.close()

        logs = stack.run_dir / "logs"
        assert "fake service listening" in (logs / "alpha.log").read_text()
        assert "topic created" in (logs / "setup.log").read_text()
        out = stack.text()
        assert "[egov] alpha ready" in out
        assert any(
            line.strip().startswith("beta |") and "fake service listening" in line
            for line in out.splitlines()
        ), out

        pids = stack.recorded_pids()
        assert len(pids) == 4 and all(_alive(p) for p in pids)
        assert info["broker_pid"] and _alive(info["broker_pid"])
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=15)

    assert code == 0, stack.text()
    assert "[egov] stopped" in stack.text()
    assert not stack_json.exists()  # it describes a running stack only
    left = [p for p in [*stack.recorded_pids(), info["broker_pid"]] if _alive(p)]
    assert left == [], f"processes left running: {left}"
    assert _processes_mentioning(f"127.0.0.1:{stack.broker_port}") == []


async def test_a_service_that_dies_at_start_fails_the_stack_with_its_log(fake_stack) -> None:
    stack = fake_stack(["gamma", "delta"])
    process = stack.start(FAKE_FAIL="FAKE_DELTA_")
    code = await wait_for(process.poll, timeout=90, interval=0.2, message="orchestrator exit")

    out = stack.text()
    assert code == 1, out
    assert "delta exited (3) before it was ready" in out
    assert "fake service cannot start: no configuration" in out  # the log tail is shown
    assert not (stack.run_dir / "stack.json").exists()
    left = [p for p in stack.recorded_pids() if _alive(p)]  # gamma and its grandchild
    assert left == [], f"processes left running: {left}"
    assert _processes_mentioning(f"127.0.0.1:{stack.broker_port}") == []


async def test_sigterm_while_starting_stops_what_was_started(fake_stack) -> None:
    never_ready = f"import time; time.sleep(600)  # {uuid.uuid4().hex}"
    stack = fake_stack(["epsilon"], serve=[sys.executable, "-c", never_ready])
    process = stack.start()
    await wait_for(
        lambda: "starting epsilon" in stack.text() or process.poll() is not None,
        timeout=90,
        interval=0.2,
        message="the service started",
    )
    assert process.poll() is None, stack.text()
    sleepers = await wait_for(lambda: _processes_mentioning(never_ready), timeout=10)
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=15)

    assert code == 0, stack.text()
    assert "interrupted" in stack.text()
    assert [p for p in sleepers if _alive(p)] == []
    assert _processes_mentioning(f"127.0.0.1:{stack.broker_port}") == []


async def test_a_database_the_stack_did_not_create_is_never_dropped(
    fake_stack, postgres_admin_dsn: str
) -> None:
    stack = fake_stack(["zeta"])
    name = stack.services[0]["database"]
    conn = await asyncpg.connect(postgres_admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')  # somebody's database, same name
    finally:
        await conn.close()
    mine = await asyncpg.connect(dsn_for(postgres_admin_dsn, name))
    try:
        await mine.execute("CREATE TABLE precious (x int); INSERT INTO precious VALUES (1)")
    finally:
        await mine.close()

    process = stack.start()
    code = await wait_for(process.poll, timeout=90, interval=0.2, message="orchestrator exit")

    out = stack.text()
    assert code == 1, out
    assert f"database {name} on " in out and "was not created by the dev stack" in out
    assert "--keep-data" in out and "DATABASE_URL" in out  # what to do about it
    mine = await asyncpg.connect(dsn_for(postgres_admin_dsn, name))
    try:
        assert await mine.fetchval("SELECT x FROM precious") == 1
    finally:
        await mine.close()


async def test_the_stack_drops_and_recreates_only_its_own_databases(
    postgres_admin_dsn: str,
) -> None:
    name = f"t{uuid.uuid4().hex[:8]}_marked"
    try:
        dsn = await create_database(postgres_admin_dsn, name, fresh=True)
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("CREATE TABLE old_run (x int)")
        finally:
            await conn.close()
        await create_database(postgres_admin_dsn, name, fresh=True)  # marked: dropped
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("SELECT to_regclass('old_run')") is None
        finally:
            await conn.close()
    finally:
        await drop_database(postgres_admin_dsn, name)


async def test_a_service_killed_under_make_run_is_restarted_and_the_stack_stays(
    fake_stack,
) -> None:
    stack = fake_stack(["eta", "theta"])
    process = stack.start()
    try:
        stack_json = stack.run_dir / "stack.json"

        def written() -> bool:
            assert process.poll() is None, f"orchestrator exited:\n{stack.text()}"
            return stack_json.exists()

        await wait_for(written, timeout=90, interval=0.2, message="stack.json written")
        info = json.loads(stack_json.read_text())
        first = info["services"]["eta"]["pid"]
        os.kill(first, signal.SIGKILL)  # the service crashes

        def restarted() -> bool:
            assert process.poll() is None, f"the stack stopped:\n{stack.text()}"
            return "eta restarted (pid" in stack.text()

        await wait_for(restarted, timeout=60, interval=0.2, message="eta restarted")
        out = stack.text()
        assert "[egov] eta exited (-9); restarting it in 1 s (restart 1)" in out
        shown = out.split("(restart 1); last lines of", 1)[1].split("[egov]", 1)[0]
        assert "fake service listening on" in shown  # the log tail is shown with it
        url = info["services"]["eta"]["url"]

        async def serving_again() -> bool:
            async with httpx.AsyncClient(timeout=2) as client:
                try:
                    return (await client.get(f"{url}/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

        await wait_for(serving_again, timeout=30, interval=0.2, message="eta answers again")
        second = json.loads(stack_json.read_text())["services"]["eta"]["pid"]
        assert second != first and _alive(second)
        assert process.poll() is None and "theta exited" not in stack.text()
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=15)
    assert code == 0, stack.text()
    left = [p for p in stack.recorded_pids() if _alive(p)]  # both generations of eta too
    assert left == [], f"processes left running: {left}"


def test_stack_json_opens_the_console_signed_in_per_role() -> None:
    """With a console in the stack, stack.json lists its URL and a sign-in link per role whose
    token is the role's development token (so a script opens the console signed in)."""
    from urllib.parse import parse_qs, urlsplit

    from egov_devkit.devstack.run import Running, ServiceDef, Stack, StackConfig

    svc = ServiceDef("console", "EGOV_CONSOLE_", "egov_console", 8105, serve=["true"])
    stack = Stack(StackConfig(services=[svc]))
    stack.running.append(Running(svc, {"EGOV_CONSOLE_DATABASE_URL": "postgresql://x"}, Path("x")))
    described = stack.describe("127.0.0.1:1", "postgresql://x", JWT_SECRET)
    console = described["console"]
    assert console["url"] == "http://127.0.0.1:8105"
    assert set(console["sign_in"]) == set(ROLES) - {"integration"}
    link = urlsplit(console["sign_in"]["operator"])
    assert link.path == "/sign-in/token"
    principal = decode_token(JWT_SECRET, parse_qs(link.query)["token"][0])
    assert principal.roles == {"operator"}
