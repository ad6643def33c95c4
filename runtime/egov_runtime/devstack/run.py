"""``make run``: the whole system on this machine, with demo data.

Starts the local Kafka-protocol broker (unless ``KAFKA_BOOTSTRAP_SERVERS`` is set), resolves a
PostgreSQL server (``DATABASE_URL``, else 127.0.0.1:5432, else an embedded server), creates one
database per service, creates the topics, publishes the admin-unit hierarchy, migrates and
starts every registered service, waits for each ``/readyz``, loads the demo data, prints the
URLs and writes ``.run/stack.json`` (URLs, broker, database, a development token per role).
Ctrl-C (or SIGTERM) stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from egov_runtime.auth import ROLES, issue_token
from egov_runtime.devstack.broker import LocalBroker, start_broker
from egov_runtime.devstack.postgres import create_database, resolve_server

RUN_DIR = Path(".run")
DEFAULT_PORTS = {
    "admin-procedures": 8101,
    "indicators": 8102,
    "nominations": 8103,
    "notifier": 8104,
}
PREFIX = {
    "admin-procedures": "PROCEDURES",
    "indicators": "INDICATORS",
    "nominations": "NOMINATIONS",
    "notifier": "NOTIFIER",
}


def say(msg: str) -> None:
    print(f"[egov] {msg}", flush=True)


@dataclass
class Service:
    name: str
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=Path)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "egov_runtime.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`egov {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


async def wait_ready(svc: Service, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    async with httpx.AsyncClient(timeout=3) as client:
        while time.monotonic() < deadline:
            if svc.process is not None and svc.process.poll() is not None:
                raise RuntimeError(
                    f"{svc.name} exited ({svc.process.returncode}):\n{tail(svc.log)}"
                )
            try:
                r = await client.get(f"{svc.url}/readyz")
                if r.status_code == 200:
                    return
                last = r.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            await asyncio.sleep(0.5)
    raise RuntimeError(f"{svc.name} not ready after {timeout:.0f} s: {last}\n{tail(svc.log)}")


def stop_all(services: list[Service], broker: LocalBroker | None) -> None:
    for svc in services:
        if svc.process is not None and svc.process.poll() is None:
            os.killpg(svc.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for svc in services:
        if svc.process is None:
            continue
        try:
            svc.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(svc.process.pid, signal.SIGKILL)
            svc.process.wait()
    if broker is not None:
        broker.stop()


async def run(args: argparse.Namespace) -> int:
    from egov_runtime.cli import services as registered

    RUN_DIR.mkdir(exist_ok=True)
    logs = RUN_DIR / "logs"
    logs.mkdir(exist_ok=True)
    names = [n for n in DEFAULT_PORTS if n in registered()] + sorted(
        set(registered()) - set(DEFAULT_PORTS)
    )
    broker = None
    services: list[Service] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if not bootstrap:
            broker = start_broker(args.broker_port, log_file=logs / "broker.log")
            bootstrap = broker.bootstrap
            say(f"broker (tansu, in memory) on {bootstrap}")
        admin_dsn, pg_server = resolve_server(RUN_DIR / "pgdata")
        say(f"PostgreSQL: {admin_dsn.split('@')[-1]}" + (" (embedded)" if pg_server else ""))
        jwt_secret = os.environ.get("EGOV_JWT_SECRET") or secrets.token_urlsafe(32)
        base_env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "EGOV_JWT_SECRET": jwt_secret,
            "PYTHONUNBUFFERED": "1",
        }
        for name in names:
            short = name.split("-")[-1]
            dsn = await create_database(admin_dsn, f"egov_{short}", fresh=not args.keep_data)
            p = f"EGOV_{PREFIX.get(name, short.upper())}_"
            port = int(
                os.environ.get(
                    f"EGOV_RUN_{PREFIX.get(name, short.upper())}_PORT",
                    DEFAULT_PORTS.get(name, 8110 + len(services)),
                )
            )
            env = {
                **base_env,
                f"{p}DATABASE_URL": dsn,
                f"{p}KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                f"{p}HTTP_PORT": str(port),
                f"{p}JWT_SECRET": jwt_secret,
                f"{p}PROFILE": "local",
            }
            services.append(Service(name, port, env, log=logs / f"{name}.log"))
        say(cli("topics", env=base_env))
        say(cli("reference", env=base_env))
        for svc in services:
            say(cli(svc.name, "migrate", env=svc.env))
            out = svc.log.open("ab")
            svc.process = subprocess.Popen(
                [sys.executable, "-m", "egov_runtime.cli", svc.name, "serve"],
                env=svc.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        for svc in services:
            await wait_ready(svc, args.ready_timeout)
            say(f"{svc.name} ready on {svc.url}")
        if not args.no_demo:
            for svc in services:
                say(cli(svc.name, "seed", env=svc.env))
        tokens = {
            role: issue_token(
                jwt_secret,
                subject=f"dev-{role}",
                roles=[role],
                unit_code=os.environ.get("EGOV_PROVINCE_CODE", "38"),
                ttl_seconds=7 * 86_400,
            )
            for role in ROLES
        }
        stack = {
            "kafka_bootstrap": bootstrap,
            "database_url": admin_dsn,
            "services": {
                s.name: {
                    "url": s.url,
                    "docs": f"{s.url}/docs",
                    "metrics": f"{s.url}/metrics",
                    "asyncapi": f"{s.url}/asyncapi.json",
                    "log": str(s.log),
                }
                for s in services
            },
            "tokens": tokens,
        }
        (RUN_DIR / "stack.json").write_text(json.dumps(stack, indent=2))
        print()
        print(f"{'service':<18} {'API (OpenAPI docs at /docs)':<30} log")
        for s in services:
            print(f"{s.name:<18} {s.url:<30} {s.log}")
        print(f"\nbroker {bootstrap}; tokens and URLs in {RUN_DIR / 'stack.json'}")
        print(
            "try:  TOKEN=$(python3 -c \"import json;print(json.load(open('.run/stack.json'))"
            "['tokens']['operator'])\")"
        )
        print(
            '      curl -H "Authorization: Bearer $TOKEN" '
            '"http://127.0.0.1:8101/v1/reports/on-time?unit=38&period=2026"'
        )
        print("Ctrl-C stops everything.", flush=True)
        while not stop.is_set():
            for s in services:
                if s.process is not None and s.process.poll() is not None:
                    say(f"{s.name} exited ({s.process.returncode}); see {s.log}")
                    stop.set()
            try:
                await asyncio.wait_for(stop.wait(), timeout=1)
            except TimeoutError:
                pass
        return 0
    except RuntimeError as exc:
        say(f"failed: {exc}")
        return 1
    finally:
        say("stopping")
        stop_all(services, broker)
        say("stopped")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--broker-port", type=int, default=int(os.environ.get("EGOV_RUN_BROKER_PORT", "19092"))
    )
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="keep the databases of the previous run (default: start fresh)",
    )
    parser.add_argument("--no-demo", action="store_true", help="skip the demo data")
    parser.add_argument("--ready-timeout", type=float, default=90.0)
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
