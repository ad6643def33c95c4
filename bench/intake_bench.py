"""HTTP intake benchmark: status reports per second through admin-procedures, with a raw anchor.

In one run, on the local broker and PostgreSQL (or ``KAFKA_BOOTSTRAP_SERVERS`` /
``DATABASE_URL``), each server started as its own process on 127.0.0.1:

- admin-procedures served as in a deployment (``python -m egov_runtime.cli admin-procedures
  serve``: uvicorn, its consumers, relay and timers running), loaded with valid
  ``POST /v1/status-reports`` (bearer token of a one-door system, a fresh ``Idempotency-Key``
  and dossier per request; auth, scope, validation, idempotency record and outbox row each);
- the raw anchor: a bare ASGI app (``bench/raw_intake_app.py``) under the same uvicorn, one
  INSERT per POST and nothing else.

The load generator is an httpx async client with ``--concurrency`` connections sending a fixed
``--requests`` count. Printed: requests/s, latency p50/p95/p99, the error count (anything but
202; it should be 0), what the accepted reports became (outbox rows still unpublished, which
should be 0: the relay deletes what the broker acknowledged; dossiers made by the service's
consumer from the published reports) and the service's resident memory idle, at its peak
under the load and after it (Linux /proc).
Figures are printed, never asserted.

Usage: ``python bench/intake_bench.py [--requests 5000] [--concurrency 32]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx
from egov_contracts import procedures as c
from egov_contracts.reference import load_units
from egov_contracts.topics import ALL_TOPICS, dead_letter_topic
from egov_procedures.adapters import catalogue
from egov_procedures.main import DEMO, SPEC
from egov_runtime.auth import issue_token
from egov_runtime.db import all_migrations, connect, migrate
from egov_runtime.kafka import ensure_topics
from egov_runtime.units import upsert_units
from egov_workdays import VN_TZ
from localenv import local_env

HERE = Path(__file__).resolve().parent
UNIT, PROCEDURE = "38.XA.SAMSON", "2.000744"  # a commune of the demo province, a demo procedure


def progress(msg: str) -> None:
    print(f"  … {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rss_mib(pid: int) -> float:
    """Resident memory of a process (Linux: VmRSS in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def start_server(
    name: str, command: list[str], env: dict[str, str], port: int, ready_path: str
) -> asyncio.subprocess.Process:
    # the server's own lines (the consumers' group joins, uvicorn's) go to a log file, not
    # among the figures; a start that fails names it
    log = HERE.parent / ".run" / f"bench-intake-{name}.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *command,
            env={**os.environ, **env},
            cwd=HERE,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        while True:
            if proc.returncode is not None:
                raise RuntimeError(f"{command} exited with {proc.returncode} (see {log})")
            try:
                if (await client.get(ready_path)).status_code == 200:
                    return proc
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                proc.terminate()
                raise RuntimeError(f"{command} not ready on port {port} within 60 s (see {log})")
            await asyncio.sleep(0.2)


async def stop_server(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        await proc.wait()


def status_report(i: int, run: str) -> dict[str, object]:
    return c.StatusReported(
        dossier_code=f"000.00.38.H56-{run}-{i:07d}",
        procedure_code=PROCEDURE,
        unit_code=UNIT,
        status="received",
        occurred_at=datetime.now(VN_TZ),
        channel="online",
    ).model_dump(mode="json", exclude_none=True)


async def load(
    base_url: str,
    requests: int,
    concurrency: int,
    build: Callable[[int], tuple[str, dict[str, object], dict[str, str]]],
) -> tuple[float, list[float], dict[int | str, int]]:
    """``requests`` POSTs over ``concurrency`` connections, each worker sending its next one as
    soon as its previous answer is in. Returns (seconds, latencies in ms, errors by status)."""
    bodies = [build(i) for i in range(requests)]  # built before the clock starts
    latencies: list[float] = []
    errors: dict[int | str, int] = {}
    next_index = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        for i in next_index:
            path, body, headers = bodies[i]
            t0 = time.perf_counter()
            try:
                r = await client.post(path, json=body, headers=headers)
                if r.status_code != 202:
                    errors[r.status_code] = errors.get(r.status_code, 0) + 1
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            latencies.append((time.perf_counter() - t0) * 1000)

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return time.perf_counter() - t0, latencies, errors


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=1000)[int(p * 10) - 1] if len(values) > 1 else 0.0


def line(name: str, n: int, seconds: float, lat: list[float], errors: dict) -> str:
    shown = sum(errors.values())
    detail = f" {errors}" if errors else ""
    return (
        f"{name:<34}{n / seconds:>8,.0f} req/s  p50={pct(lat, 50):.1f} ms"
        f" p95={pct(lat, 95):.1f} ms p99={pct(lat, 99):.1f} ms  errors={shown}{detail}"
    )


async def sample_peak(pid: int, peak: list[float]) -> None:
    while True:
        await asyncio.sleep(0.2)
        peak.append(rss_mib(pid))


async def intake_rows(dsn: str, accepted: int, wait_s: float = 60) -> dict[str, int]:
    """What the accepted reports left in the service's database: their outbox rows not yet
    published (the relay deletes a row once the broker acknowledged it) and how many dossiers
    the consumer made of the published reports, waiting up to ``wait_s`` for the pipeline
    behind the route to catch up."""
    conn = await connect(dsn)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            row = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM outbox WHERE topic = $1) AS pending,"
                " (SELECT count(*) FROM dossiers) AS dossiers",
                c.StatusReported.topic,
            )
            if row["dossiers"] >= accepted or time.monotonic() > deadline:
                return {"accepted": accepted, **dict(row)}
            progress(f"pipeline behind the route: {row['dossiers']}/{accepted} dossiers")
            await asyncio.sleep(1)
    finally:
        await conn.close()


async def prepare_procedures_db(dsn: str) -> None:
    await migrate(dsn, all_migrations(SPEC.migrations))
    conn = await connect(dsn)  # the services' codecs (jsonb)
    try:
        async with conn.transaction():
            await upsert_units(conn, (u.model_dump() for u in load_units()))
            procs = json.loads(DEMO.read_text(encoding="utf-8"))["procedures"]
            await catalogue.upsert_procedures(conn, procs)
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    n, conc = args.requests, args.concurrency
    run = uuid.uuid4().hex[:6].upper()
    async with local_env(progress) as env:
        bootstrap = env.kafka_bootstrap
        await ensure_topics(bootstrap, [*ALL_TOPICS, dead_letter_topic(SPEC.name)], partitions=3)

        progress("raw ASGI endpoint (one INSERT)")
        raw_dsn = await env.fresh_database("intake_raw")
        raw_port = free_port()
        raw = await start_server(
            "raw",
            [
                *("-m", "uvicorn", "raw_intake_app:app", "--host", "127.0.0.1"),
                *("--port", str(raw_port), "--log-level", "warning", "--no-access-log"),
            ],
            {"RAW_INTAKE_DSN": raw_dsn},
            raw_port,
            "/healthz",
        )
        try:

            def raw_request(i: int) -> tuple[str, dict[str, object], dict[str, str]]:
                return "/raw", status_report(i, f"R{run}"), {}

            # warm-up on other dossiers (numbered after the measured ones)
            await load(f"http://127.0.0.1:{raw_port}", conc, conc, lambda i: raw_request(n + i))
            raw_result = await load(f"http://127.0.0.1:{raw_port}", n, conc, raw_request)
        finally:
            await stop_server(raw)

        progress("admin-procedures")
        dsn = await env.fresh_database("intake_procedures")
        await prepare_procedures_db(dsn)
        port = free_port()
        secret = secrets.token_urlsafe(48)
        service = await start_server(
            "admin-procedures",
            ["-m", "egov_runtime.cli", "admin-procedures", "serve"],
            {
                "EGOV_PROCEDURES_PROFILE": "local",
                "EGOV_PROCEDURES_DATABASE_URL": dsn,
                "EGOV_PROCEDURES_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                "EGOV_PROCEDURES_HTTP_HOST": "127.0.0.1",
                "EGOV_PROCEDURES_HTTP_PORT": str(port),
                "EGOV_PROCEDURES_JWT_SECRET": secret,
            },
            port,
            "/readyz",
        )
        try:
            await asyncio.sleep(2)  # let start-up settle (group joins, first polls) before idle
            rss_idle = rss_mib(service.pid)
            token = issue_token(secret, subject="mot-cua", roles=["integration"], unit_code="38")

            def service_request(i: int) -> tuple[str, dict[str, object], dict[str, str]]:
                headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
                return "/v1/status-reports", status_report(i, f"S{run}"), headers

            base = f"http://127.0.0.1:{port}"
            warm = await load(base, conc, conc, lambda i: service_request(n + i))
            peak = [rss_mib(service.pid)]
            sampling = asyncio.create_task(sample_peak(service.pid, peak))
            service_result = await load(base, n, conc, service_request)
            sampling.cancel()
            rss_loaded = rss_mib(service.pid)
            refused = sum(warm[2].values()) + sum(service_result[2].values())
            rows = await intake_rows(dsn, conc + n - refused)
        finally:
            await stop_server(service)

    when = datetime.now(VN_TZ).isoformat(timespec="seconds")
    print(f"egov-events HTTP intake benchmark ({when}, {n} requests, {conc} connections)")
    print(line("raw ASGI route (one INSERT)", n, *raw_result))
    print(line("admin-procedures status reports", n, *service_result))
    print(
        f"{'admin-procedures pipeline':<34}{rows['accepted']} reports accepted,"
        f" {rows['pending']} unpublished; {rows['dossiers']} dossiers made of them"
    )
    print(f"{'ratio service / raw':<34}{raw_result[0] / service_result[0]:>8.2f}")
    print(
        f"{'admin-procedures resident memory':<34}idle {rss_idle:.0f} MiB,"
        f" peak under load {max(peak):.0f} MiB, after the load {rss_loaded:.0f} MiB"
    )


if __name__ == "__main__":
    asyncio.run(main())
