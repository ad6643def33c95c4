"""Resident memory of each service, idle and under load, as ``make run`` starts them.

The whole stack (admin-procedures, indicators, nominations, notifier, console: one process
each, ``python -m egov_runtime.cli <service> serve``) is started by the dev stack with its demo
data, on the local broker and PostgreSQL (or ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL``),
in databases of its own (a random suffix, dropped afterwards). Then, per service (Linux
/proc VmRSS, MiB):

- idle: once the demo data has flowed through (the dossier count stands still for 5 s), the
  median of 5 samples a second apart;
- under load: the peak of samples taken every 0.2 s while, at once, ``--requests`` status
  reports are posted to admin-procedures over ``--concurrency`` connections (the intake
  benchmark's request: token, Idempotency-Key, validation, outbox; their dossier events then
  reach the notifier and the console), the console's Tổng quan and overdue queue are read by
  4 signed-in operators, and the indicators', nominations' and notifier's lists by 2 readers
  each, until the reports are all answered;
- after: once the reports have become dossiers (at most 60 s), 5 samples as for idle.

Printed: the table, what the load was (requests/s per stream, errors) and the machine's load
average. Figures are printed, never asserted.

Usage: ``python bench/memory_bench.py [--requests 3000] [--concurrency 16]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from egov_devkit.devstack.broker import free_port
from intake_bench import rss_mib, status_report
from localenv import local_env

SERVICES = ("admin-procedures", "indicators", "nominations", "notifier", "console")
DATABASES = {
    "admin-procedures": "egov_procedures",
    "indicators": "egov_indicators",
    "nominations": "egov_nominations",
    "notifier": "egov_notifier",
    "console": "egov_console",
}
# what the readers ask for (operator of the province), per service
READS = {
    "indicators": ["/v1/achievement?unit=38&period=2025", "/v1/values?unit=38&period=2025"],
    "nominations": ["/v1/awards?limit=50", "/v1/nominations?limit=50"],
    "notifier": ["/v1/deliveries?limit=50", "/v1/subscriptions?limit=50"],
}


def say(msg: str) -> None:
    print(f"  … {msg}", file=sys.stderr, flush=True)


async def started_stack(
    env: dict[str, str], workdir: Path, suffix: str
) -> tuple[asyncio.subprocess.Process, dict[str, Any]]:
    """The dev stack with its demo data, in ``workdir`` (its .run/stack.json), once up."""
    ports = [f"--port={name}={free_port()}" for name in SERVICES]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "egov_devkit.devstack", "--quiet", f"--database-suffix={suffix}", *ports),
        env=env,
        cwd=workdir,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,  # its own process group: stopped whole at the end
    )
    stack_file = workdir / ".run" / "stack.json"
    deadline = time.monotonic() + 900
    while not stack_file.exists():
        if proc.returncode is not None:
            raise RuntimeError(f"the dev stack exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError("the dev stack was not up within 15 minutes")
        await asyncio.sleep(1)
    await asyncio.sleep(0.5)  # written whole
    return proc, json.loads(stack_file.read_text(encoding="utf-8"))


def memory(pids: dict[str, int]) -> dict[str, float]:
    return {name: rss_mib(pid) for name, pid in pids.items()}


async def settled(samples: int, pids: dict[str, int]) -> dict[str, float]:
    """The median of ``samples`` readings a second apart, per service."""
    seen: dict[str, list[float]] = {name: [] for name in pids}
    for _ in range(samples):
        for name, mib in memory(pids).items():
            seen[name].append(mib)
        await asyncio.sleep(1)
    return {name: statistics.median(values) for name, values in seen.items()}


async def dossier_total(client: httpx.AsyncClient) -> int:
    r = await client.get("/v1/dossiers", params={"unit": "38", "limit": 1})
    r.raise_for_status()
    return int(r.json()["total"])


async def quiet(client: httpx.AsyncClient, limit_s: float = 300) -> int:
    """Wait until admin-procedures' dossier count stands still for 5 s."""
    deadline = time.monotonic() + limit_s
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        total = await dossier_total(client)
        if total != last:
            last, since = total, time.monotonic()
        elif time.monotonic() - since >= 5:
            break
        await asyncio.sleep(1)
    return last


class Stream:
    """One kind of request of the load: how many were sent, how many failed, for how long."""

    def __init__(self, label: str) -> None:
        self.label, self.sent, self.errors, self.seconds = label, 0, 0, 0.0

    async def run(
        self, workers: int, call: Callable[[int], Awaitable[int]], until: Callable[[], bool]
    ) -> None:
        started = time.perf_counter()
        counter = iter(range(10**9))

        async def worker() -> None:
            while not until():
                i = next(counter)
                try:
                    status = await call(i)
                except httpx.HTTPError:
                    status = 0
                if status < 0:  # nothing left to send
                    continue
                self.sent += 1
                self.errors += status >= 400 or status == 0

        await asyncio.gather(*(worker() for _ in range(workers)))
        self.seconds = time.perf_counter() - started

    def line(self) -> str:
        rate = self.sent / self.seconds if self.seconds else 0.0
        return f"  {self.label:<52}{self.sent:>7} requests {rate:>7.0f}/s  errors={self.errors}"


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    suffix = f"mem{uuid.uuid4().hex[:6]}"
    run = uuid.uuid4().hex[:6].upper()
    async with local_env(say) as local:
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": local.kafka_bootstrap,
            "DATABASE_URL": local.admin_dsn,
        }
        with tempfile.TemporaryDirectory(prefix="egov-memory-") as tmp:
            say("starting the stack with its demo data (a few minutes on a loaded machine)")
            proc, stack = await started_stack(env, Path(tmp), suffix)
            try:
                await measure(stack, args.requests, args.concurrency, run)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGINT)  # the stack stops its services
                try:
                    await asyncio.wait_for(proc.wait(), 60)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    await proc.wait()
                conn = await asyncpg.connect(local.admin_dsn)
                try:
                    for database in DATABASES.values():
                        name = f"{database}_{suffix}"
                        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                finally:
                    await conn.close()


async def measure(stack: dict[str, Any], requests: int, concurrency: int, run: str) -> None:
    services = stack["services"]
    pids = {name: int(services[name]["pid"]) for name in SERVICES if name in services}
    tokens = stack["tokens"]
    operator = {"Authorization": f"Bearer {tokens['operator']}"}
    integration = {"Authorization": f"Bearer {tokens['integration']}"}
    url = {name: s["url"] for name, s in services.items()}
    async with contextlib.AsyncExitStack() as clients:

        async def client(name: str, **kw: Any) -> httpx.AsyncClient:
            limits = httpx.Limits(
                max_connections=concurrency, max_keepalive_connections=concurrency
            )
            return await clients.enter_async_context(
                httpx.AsyncClient(base_url=url[name], timeout=120, limits=limits, **kw)
            )

        procedures = await client("admin-procedures", headers=operator)
        say("waiting for the demo data to flow through")
        before = await quiet(procedures)
        idle = await settled(5, pids)

        intake = await client("admin-procedures", headers=integration)
        console = await client("console", cookies={"egov_console_session": tokens["operator"]})
        readers = {name: await client(name, headers=operator) for name in READS}
        posted = iter(range(requests))
        done = asyncio.Event()

        async def post(_i: int) -> int:
            i = next(posted, None)
            if i is None:
                done.set()
                return -1
            headers = {"Idempotency-Key": str(uuid.uuid4())}
            body = status_report(i, f"M{run}")
            return (await intake.post("/v1/status-reports", json=body, headers=headers)).status_code

        pages = ["/", "/queues/overdue"]

        async def read_console(i: int) -> int:
            return (await console.get(pages[i % len(pages)])).status_code

        def reader(name: str) -> Callable[[int], Awaitable[int]]:
            async def call(i: int) -> int:
                paths = READS[name]
                return (await readers[name].get(paths[i % len(paths)])).status_code

            return call

        peak = memory(pids)

        async def sample() -> None:
            while not done.is_set():
                for name, mib in memory(pids).items():
                    peak[name] = max(peak[name], mib)
                await asyncio.sleep(0.2)

        streams = {
            "intake": Stream(f"POST /v1/status-reports ({concurrency} connections)"),
            "console": Stream("console Tổng quan + Quá hạn (4 operators)"),
            **{name: Stream(f"{name} lists (2 readers)") for name in READS},
        }
        say(f"load: {requests} status reports with the console and the lists read meanwhile")
        await asyncio.gather(
            sample(),
            streams["intake"].run(concurrency, post, done.is_set),
            streams["console"].run(4, read_console, done.is_set),
            *(streams[name].run(2, reader(name), done.is_set) for name in READS),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # polling another process: no event to wait on
            if await dossier_total(procedures) >= before + requests:
                break
            await asyncio.sleep(1)
        after = await settled(5, pids)
        made = await dossier_total(procedures) - before

    load = os.getloadavg()
    print(f"resident memory per service (MiB; the machine's load average {load[0]:.1f})")
    print(f"  {'service':<20}{'idle':>8}{'peak under load':>18}{'after':>8}")
    for name in pids:
        print(f"  {name:<20}{idle[name]:>8.0f}{peak[name]:>18.0f}{after[name]:>8.0f}")
    print(
        f"  {'all five':<20}{sum(idle.values()):>8.0f}{sum(peak.values()):>18.0f}"
        f"{sum(after.values()):>8.0f}"
    )
    print("the load (at once):")
    for stream in streams.values():
        print(stream.line())
    print(f"  {requests} status reports became {made} new dossiers ({before} demo dossiers before)")


if __name__ == "__main__":
    asyncio.run(main())
