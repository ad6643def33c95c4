"""``make run``: the whole system on this machine, with demo data.

Starts the local Kafka-protocol broker (unless ``KAFKA_BOOTSTRAP_SERVERS`` is set), resolves a
PostgreSQL server (``DATABASE_URL``, else 127.0.0.1:5432, else an embedded server in
``.run/pgdata``), creates one database per service, creates the topics, publishes the
admin-unit hierarchy, migrates and starts every service, waits for each ``/readyz``, loads the
demo data, prints the URLs (the console's first) and writes ``.run/stack.json`` (URLs, broker,
database, a development token per role, and the console's URL with a sign-in link per role).
A service that exits once the stack is up is restarted with backoff (1 s, doubling to 30 s),
and the orchestrator says so with the last lines of its log. Ctrl-C (or SIGTERM) stops
everything it started.

Ports (defaults; environment variable or flag to change them):
  broker 19092 (EGOV_RUN_BROKER_PORT, --broker-port),
  admin-procedures 8101 (EGOV_RUN_PROCEDURES_PORT), indicators 8102 (EGOV_RUN_INDICATORS_PORT),
  nominations 8103 (EGOV_RUN_NOMINATIONS_PORT), notifier 8104 (EGOV_RUN_NOTIFIER_PORT),
  console 8105 (EGOV_RUN_CONSOLE_PORT), or --port SERVICE=PORT.

Through make: ``make run ARGS="--keep-data --port notifier=9104 --broker-port 29092 --no-demo"``.
Databases are dropped and recreated each run (``--keep-data`` keeps them), but only those the
stack created itself (it marks them with a comment); another database of the same name on the
server is refused, never dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from pathlib import Path
from typing import IO, Any

import httpx
from egov_runtime.stackfile import write_stack

from egov_devkit.devstack.broker import (
    LOCAL_BROKER_FETCH_WAIT_MS,
    ExternalBroker,
    LocalBroker,
    resolve_broker,
)
from egov_devkit.devstack.postgres import (
    EmbeddedPostgres,
    NotOurDatabase,
    create_database,
    resolve_server,
)

STOP_GRACE_S = 8.0  # then SIGKILL; the whole stop stays within 15 s


@dataclass(frozen=True)
class ServiceDef:
    """One service of the stack: how it is configured and which commands run it."""

    name: str
    env_prefix: str  # e.g. "EGOV_PROCEDURES_"
    database: str
    port: int
    serve: Sequence[str]
    migrate: Sequence[str] | None = None
    seed: Sequence[str] | None = None


@dataclass
class StackConfig:
    """Everything the orchestrator does, as data (a test runs it with fake commands)."""

    services: Sequence[ServiceDef]
    setup: Sequence[tuple[str, Sequence[str]]] = ()  # (label, argv) run once before migrations
    run_dir: Path = Path(".run")
    broker_port: int = 19092
    ready_timeout: float = 90.0
    command_timeout: float = 600.0
    fresh: bool = True
    seed: bool = True
    jwt_secret: str | None = None
    unit_code: str = "38"
    # (code, name, level) of the units stack.json gives tokens for, besides the province's
    token_units: Sequence[tuple[str, str, str]] = ()
    echo_logs: bool = True
    # a service that exits once the stack is up is restarted after this delay, doubled at each
    # exit up to the maximum, back to the first after it ran `restart_stable_s` without exiting
    restart_delay_s: float = 1.0
    restart_delay_max_s: float = 30.0
    restart_stable_s: float = 60.0


# service name → (settings prefix, database, default port)
SERVICES: dict[str, tuple[str, str, int]] = {
    "admin-procedures": ("EGOV_PROCEDURES_", "egov_procedures", 8101),
    "indicators": ("EGOV_INDICATORS_", "egov_indicators", 8102),
    "nominations": ("EGOV_NOMINATIONS_", "egov_nominations", 8103),
    "notifier": ("EGOV_NOTIFIER_", "egov_notifier", 8104),
    "console": ("EGOV_CONSOLE_", "egov_console", 8105),
}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "egov_runtime.cli", *args]


def registered_services() -> list[str]:
    """Services installed in this environment (entry point group ``egov.services``)."""
    return sorted(ep.name for ep in entry_points(group="egov.services"))


def default_config(
    ports: Mapping[str, int] | None = None, names: Sequence[str] | None = None
) -> StackConfig:
    """The real stack: the four services started through ``python -m egov_runtime.cli``."""
    ports = dict(ports or {})
    services: list[ServiceDef] = []
    for name in names if names is not None else registered_services():
        prefix, database, port = SERVICES.get(
            name, (f"EGOV_{name.upper().replace('-', '_')}_", f"egov_{name.replace('-', '_')}", 0)
        )
        short = prefix.removeprefix("EGOV_").removesuffix("_")
        port = ports.get(name) or int(os.environ.get(f"EGOV_RUN_{short}_PORT", port or 0))
        if not port:
            port = 8110 + len(services)
        services.append(
            ServiceDef(
                name=name,
                env_prefix=prefix,
                database=database,
                port=port,
                serve=_cli(name, "serve"),
                migrate=_cli(name, "migrate"),
                seed=_cli(name, "seed"),
            )
        )
    return StackConfig(
        services=services,
        token_units=demo_token_units(),
        setup=[("topics", _cli("topics")), ("reference", _cli("reference"))],
        broker_port=int(os.environ.get("EGOV_RUN_BROKER_PORT", "19092")),
        jwt_secret=os.environ.get("EGOV_JWT_SECRET"),
        unit_code=os.environ.get("EGOV_PROVINCE_CODE", "38"),
    )


def demo_token_units() -> list[tuple[str, str, str]]:
    """The units of the demo hierarchy to give tokens for: the province, the department, a
    former district and the commune that succeeded it, another commune."""
    from egov_contracts.reference import UnitLevel, load_units

    units = load_units()
    by_code = {u.unit_code: u for u in units}
    province = next(u for u in units if u.level == UnitLevel.PROVINCE)
    chosen = [province]
    chosen += [
        u
        for u in units
        if u.level == UnitLevel.AGENCY
        and u.parent_code == province.unit_code
        and u.valid_to is None
    ][:1]
    district = next((u for u in units if u.level == UnitLevel.DISTRICT), None)
    if district is not None:
        chosen.append(district)
        if district.successor_code in by_code:
            chosen.append(by_code[district.successor_code])
    chosen += [u for u in units if u.level == UnitLevel.COMMUNE and u not in chosen][:1]
    return [(u.unit_code, u.name, u.level.value) for u in chosen]


def say(msg: str) -> None:
    print(f"[egov] {msg}", flush=True)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class StackError(RuntimeError):
    """The stack could not be brought up (the message says why, with the log tail)."""


@dataclass
class Running:
    svc: ServiceDef
    env: dict[str, str]
    log: Path
    process: asyncio.subprocess.Process | None = None
    pump: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.svc.port}"


async def _pump(stream: asyncio.StreamReader, log: IO[bytes], label: str, echo: bool) -> None:
    """Copy a child's output to its log file and, prefixed with its name, to our stdout."""
    while line := await stream.readline():
        log.write(line)
        log.flush()
        if echo:
            text = line.decode(errors="replace").rstrip("\n")
            print(f"{label:>16} | {text}", flush=True)


async def _spawn(argv: Sequence[str], env: Mapping[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *argv,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # own process group: Ctrl-C reaches us only; we stop it
    )


def _closer(log: IO[bytes]) -> Callable[[asyncio.Task[None]], None]:
    return lambda _task: log.close()


def _signal_group(process: asyncio.subprocess.Process, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


async def _stop_processes(processes: Sequence[asyncio.subprocess.Process], grace: float) -> None:
    """SIGTERM every process group, wait up to ``grace`` s, then SIGKILL what is left."""
    alive = [p for p in processes if p.returncode is None]
    for p in alive:
        _signal_group(p, signal.SIGTERM)
    if alive:
        _, pending = await asyncio.wait(
            [asyncio.create_task(p.wait()) for p in alive], timeout=grace
        )
        for p in alive:
            # the group too: a grandchild may outlive its parent
            _signal_group(p, signal.SIGKILL)
        if pending:
            await asyncio.wait(pending)


@dataclass
class Stack:
    config: StackConfig
    broker: LocalBroker | ExternalBroker | None = None
    embedded: EmbeddedPostgres | None = None
    running: list[Running] = field(default_factory=list)
    oneshots: list[asyncio.subprocess.Process] = field(default_factory=list)
    serving: bool = False
    described: dict[str, Any] | None = None

    @property
    def logs(self) -> Path:
        return self.config.run_dir / "logs"

    async def run_once(
        self, label: str, step: str, argv: Sequence[str], env: Mapping[str, str], log_path: Path
    ) -> None:
        """Run a one-shot command to completion; its output goes to the log and stdout."""
        say(f"{label}: {step}")
        with log_path.open("ab") as log:
            process = await _spawn(argv, env)
            self.oneshots.append(process)
            assert process.stdout is not None
            try:
                await asyncio.wait_for(
                    _pump(process.stdout, log, label, self.config.echo_logs),
                    timeout=self.config.command_timeout,
                )
                code = await process.wait()
            finally:
                await _stop_processes([process], grace=2)
                self.oneshots.remove(process)
        if code != 0:
            raise StackError(f"{label}: {step} failed (exit {code}):\n{tail(log_path)}")

    async def start_service(self, r: Running) -> None:
        r.process = await _spawn(r.svc.serve, r.env)
        assert r.process.stdout is not None
        log = r.log.open("ab")
        r.pump = asyncio.create_task(
            _pump(r.process.stdout, log, r.svc.name, self.config.echo_logs)
        )
        r.pump.add_done_callback(_closer(log))

    async def wait_ready(self, r: Running) -> None:
        deadline = time.monotonic() + self.config.ready_timeout
        last = ""
        async with httpx.AsyncClient(timeout=3) as client:
            while time.monotonic() < deadline:
                if r.process is not None and r.process.returncode is not None:
                    raise StackError(
                        f"{r.svc.name} exited ({r.process.returncode}) before it was ready;"
                        f" last lines of {r.log}:\n{tail(r.log)}"
                    )
                try:
                    answer = await client.get(f"{r.url}/readyz")
                    if answer.status_code == 200:
                        return
                    last = f"{answer.status_code} {answer.text[:300]}"
                except httpx.HTTPError as exc:
                    last = repr(exc)
                await asyncio.sleep(0.3)
        raise StackError(
            f"{r.svc.name} not ready after {self.config.ready_timeout:.0f} s ({last});"
            f" last lines of {r.log}:\n{tail(r.log)}"
        )

    @property
    def stack_file(self) -> Path:
        return self.config.run_dir / "stack.json"

    async def up(self) -> dict[str, Any]:
        cfg = self.config
        self.logs.mkdir(parents=True, exist_ok=True)
        # a previous run's file names a broker and a secret that are gone
        self.stack_file.unlink(missing_ok=True)
        broker = await asyncio.to_thread(resolve_broker, cfg.broker_port, self.logs / "broker.log")
        self.broker = broker
        kind = "tansu, in memory" if broker.local else "external"
        say(f"broker ({kind}) on {broker.bootstrap}")
        admin_dsn, self.embedded = await asyncio.to_thread(resolve_server, cfg.run_dir / "pgdata")
        where = admin_dsn.rsplit("@", 1)[-1]
        say(f"PostgreSQL {where}" + (" (embedded, .run/pgdata)" if self.embedded else ""))
        jwt_secret = cfg.jwt_secret or secrets.token_urlsafe(32)
        bootstrap = broker.bootstrap
        base_env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "EGOV_JWT_SECRET": jwt_secret,
            "PYTHONUNBUFFERED": "1",
        }
        for svc in cfg.services:
            dsn = await create_database(admin_dsn, svc.database, fresh=cfg.fresh)
            say(f"database {svc.database} ready" + (" (fresh)" if cfg.fresh else ""))
            p = svc.env_prefix
            env = {
                **base_env,
                f"{p}DATABASE_URL": dsn,
                f"{p}KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                f"{p}HTTP_HOST": "127.0.0.1",
                f"{p}HTTP_PORT": str(svc.port),
                f"{p}JWT_SECRET": jwt_secret,
                f"{p}PROFILE": "local",
            }
            if broker.local:  # unless set: the local broker holds fetches (see the constant)
                env.setdefault(f"{p}CONSUMER_FETCH_MAX_WAIT_MS", str(LOCAL_BROKER_FETCH_WAIT_MS))
            self.running.append(Running(svc, env, self.logs / f"{svc.name}.log"))
        # every service learns where the others answer (the console reads their APIs)
        urls = json.dumps({r.svc.name: r.url for r in self.running})
        for r in self.running:
            r.env[f"{r.svc.env_prefix}SERVICE_URLS"] = urls
        for label, argv in cfg.setup:
            await self.run_once(label, label, argv, base_env, self.logs / "setup.log")
        for r in self.running:
            if r.svc.migrate:
                await self.run_once(r.svc.name, "migrate", r.svc.migrate, r.env, r.log)
        for r in self.running:
            say(f"starting {r.svc.name} on {r.url}")
            await self.start_service(r)
        for r in self.running:
            await self.wait_ready(r)
            say(f"{r.svc.name} ready")
        if cfg.seed:
            for r in self.running:
                if r.svc.seed:
                    await self.run_once(r.svc.name, "seed (demo data)", r.svc.seed, r.env, r.log)
        stack = self.describe(bootstrap, admin_dsn, jwt_secret)
        self.described = stack
        write_stack(self.stack_file, stack)
        self.print_table(stack, self.stack_file)
        self.serving = True
        return stack

    def describe(self, bootstrap: str, admin_dsn: str, jwt_secret: str) -> dict[str, Any]:
        from egov_runtime.auth import ROLES, issue_token

        def tokens_of(unit_code: str) -> dict[str, str]:
            return {
                role: issue_token(
                    jwt_secret,
                    subject=f"dev-{role}-{unit_code}",
                    roles=[role],
                    unit_code=unit_code,
                    ttl_seconds=7 * 86_400,
                )
                for role in ROLES
            }

        units = {
            code: {"name": name, "level": level, "tokens": tokens_of(code)}
            for code, name, level in self.config.token_units
        }
        described: dict[str, Any] = {
            "kafka_bootstrap": bootstrap,
            "database_url": admin_dsn,
            "services": {
                r.svc.name: {
                    "url": r.url,
                    "docs": f"{r.url}/docs",
                    "metrics": f"{r.url}/metrics",
                    "asyncapi": f"{r.url}/asyncapi.json",
                    "database_url": r.env[f"{r.svc.env_prefix}DATABASE_URL"],
                    "log": str(r.log),
                    "pid": r.process.pid if r.process else None,
                }
                for r in self.running
            },
            "broker_pid": self.broker.pid if isinstance(self.broker, LocalBroker) else None,
            "jwt_secret": jwt_secret,
            "tokens": tokens_of(self.config.unit_code),
            "units": units,
            "note": "development tokens of the local stack only, signed with its own secret"
            " (jwt_secret, random per run); `tokens` are the province's, `units` gives a"
            " district's and a commune's for trying unit scope; python -m egov_runtime.cli"
            " token --role ROLE --unit CODE mints others",
        }
        console = next((r for r in self.running if r.svc.name == "console"), None)
        if console is not None:
            described["console"] = {
                "url": console.url,
                "sign_in": {
                    role: f"{console.url}/sign-in/token?token={token}"
                    for role, token in described["tokens"].items()
                    if role != "integration"
                },
            }
        return described

    def print_table(self, stack: dict[str, Any], path: Path) -> None:
        if "console" in stack:
            print(f"\nconsole (Bảng điều hành): {stack['console']['url']}", flush=True)
            print(f"  signed in as operator: {stack['console']['sign_in']['operator']}")
        rows = [("service", "API", "docs", "metrics", "asyncapi")]
        for name, s in stack["services"].items():
            rows.append((name, s["url"], s["docs"], s["metrics"], s["asyncapi"]))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        print(flush=True)
        for row in rows:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        print(f"\nbroker {stack['kafka_bootstrap']}; URLs and development tokens in {path}")
        print(
            'try:  TOKEN=$(python3 -c "import json;print(json.load(open('
            f"'{path}'))['tokens']['operator'])\")"
        )
        print('      curl -H "Authorization: Bearer $TOKEN" <API>/...')
        print(
            "a token of another unit or role, signed with this stack's secret:\n"
            "      .venv/bin/python -m egov_runtime.cli token --role officer --unit 38.XA.HACTHANH"
        )
        print("Ctrl-C stops everything.", flush=True)

    async def watch(self) -> None:
        """Keep every service running: one that exits is restarted with backoff."""
        await asyncio.gather(*(self.supervise(r) for r in self.running))

    async def supervise(self, r: Running) -> None:
        cfg = self.config
        delay = cfg.restart_delay_s
        restarts = 0
        while r.process is not None:
            started = time.monotonic()
            # Process.wait() also waits for the output pipe to close, which a grandchild left
            # in the group keeps open; the return code is there as soon as the process exits
            # (no event tells it: asyncio wakes wait() only once the pipes are closed).
            while (code := r.process.returncode) is None:  # noqa: ASYNC110
                await asyncio.sleep(0.25)
            _signal_group(r.process, signal.SIGKILL)  # what it left behind in its group
            if r.pump is not None:  # the log's last lines, before they are shown
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(r.pump, timeout=2)
            if time.monotonic() - started >= cfg.restart_stable_s:
                delay = cfg.restart_delay_s
            restarts += 1
            say(
                f"{r.svc.name} exited ({code}); restarting it in {delay:g} s"
                f" (restart {restarts}); last lines of {r.log}:\n{tail(r.log)}"
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, cfg.restart_delay_max_s)
            await self.start_service(r)
            assert r.process is not None
            say(f"{r.svc.name} restarted (pid {r.process.pid})")
            if self.described is not None:  # stack.json names the running process
                self.described["services"][r.svc.name]["pid"] = r.process.pid
                write_stack(self.stack_file, self.described)

    async def down(self) -> None:
        say("stopping")
        if self.serving:
            self.stack_file.unlink(missing_ok=True)  # it describes a stack that is running
        processes = [r.process for r in self.running if r.process is not None]
        await _stop_processes([*processes, *self.oneshots], grace=STOP_GRACE_S)
        for r in self.running:
            if r.pump is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(r.pump, timeout=2)
        if self.broker is not None:
            await asyncio.to_thread(self.broker.stop)  # SIGTERM, SIGKILL after 5 s
        if self.embedded is not None:
            await asyncio.to_thread(self.embedded.stop)
        say("stopped")


async def run_stack(config: StackConfig) -> int:
    """Bring the stack up, keep it (restarting a service that exits) until SIGINT/SIGTERM,
    bring it down."""
    stack = Stack(config)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    code = 0
    body = asyncio.create_task(_up_and_watch(stack))
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([body, stopper], return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set() and not body.done():
            say("interrupted")
            body.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            code = await body
    except (StackError, NotOurDatabase, TimeoutError, OSError) as exc:
        say(f"failed: {exc}")
        code = 1
    finally:
        stopper.cancel()
        await stack.down()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return code


async def _up_and_watch(stack: Stack) -> int:
    await stack.up()
    await stack.watch()  # until interrupted: services that exit are restarted
    return 0


def _parse_ports(values: Sequence[str]) -> dict[str, int]:
    ports = {}
    for value in values:
        name, sep, port = value.partition("=")
        if not sep or not port.isdigit():
            raise SystemExit(f"--port wants SERVICE=PORT, got {value!r}")
        ports[name] = int(port)
    return ports


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m egov_devkit.devstack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--broker-port", type=int, default=None)
    parser.add_argument("--port", action="append", default=[], metavar="SERVICE=PORT")
    parser.add_argument(
        "--services", default=None, help="comma-separated subset (default: every installed one)"
    )
    parser.add_argument(
        "--keep-data", action="store_true", help="keep the databases of the previous run"
    )
    parser.add_argument("--no-demo", action="store_true", help="skip the demo data")
    parser.add_argument(
        "--database-suffix",
        default="",
        help="appended to each database's name (two stacks on one PostgreSQL server)",
    )
    parser.add_argument("--ready-timeout", type=float, default=90.0)
    parser.add_argument("--quiet", action="store_true", help="service logs to files only")
    args = parser.parse_args(argv)
    names = args.services.split(",") if args.services else None
    config = default_config(_parse_ports(args.port), names)
    if args.database_suffix:
        suffix = args.database_suffix
        config.services = [replace(s, database=f"{s.database}_{suffix}") for s in config.services]
    if args.broker_port:
        config.broker_port = args.broker_port
    config.fresh = not args.keep_data
    config.seed = not args.no_demo
    config.ready_timeout = args.ready_timeout
    config.echo_logs = not args.quiet
    if not config.services:
        raise SystemExit("no service is installed (entry point group egov.services)")
    sys.exit(asyncio.run(run_stack(config)))


if __name__ == "__main__":
    main()
