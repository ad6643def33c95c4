"""How fast the console answers its two busiest pages: Tổng quan (the province, this month) and
the overdue queue (first page), over HTTP as a signed-in operator, with admin-procedures and the
console served on ports of 127.0.0.1 as in production.

For each size (default: 3,000 dossiers, about the demo's, then 1,000,000) a fresh stack is filled
in bulk with SQL (the same fill as ``report_bench.py``: 25 procedures, 26 units, one year; one
dossier in 200 still open, most of those past their deadline) and each page is timed ``--runs``
times after one warm-up request. The time is the server's: request sent → last byte received on
the loopback, no browser.

Usage: ``python bench/console_bench.py [--sizes 3000,1000000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg
import httpx
import uvicorn
from egov_console.main import SPEC as CONSOLE
from egov_contracts.reference import load_units
from egov_devkit.devstack.broker import free_port
from egov_devkit.testing.service import running_stack
from egov_procedures.main import SPEC as PROCEDURES
from egov_runtime.auth import issue_token
from egov_workdays import VN_TZ
from localenv import local_env
from report_bench import AGGREGATE, FILL


def say(msg: str) -> None:
    print(f"  … {msg}", file=sys.stderr, flush=True)


@contextlib.asynccontextmanager
async def serving(app: object, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")  # type: ignore[arg-type]
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # uvicorn offers a flag, not an event
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def one_size(bootstrap: str, admin_dsn: str, size: int, runs: int) -> None:
    ports = {"admin-procedures": free_port(), "console": free_port()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    quiet = {"timer_interval_s": 3600, "rates_interval_s": 3600, "sla_metrics_interval_s": 3600}
    services = {
        "admin-procedures": (PROCEDURES, quiet),
        "console": (CONSOLE, {"service_urls": urls}),
    }
    async with running_stack(bootstrap, admin_dsn, services) as stack:
        units = [u.unit_code for u in load_units() if u.valid_to is None and u.level != "province"]
        say(f"inserting {size:,} dossiers")
        # its own connection: the service pool's statement timeout is for requests, not bulk fills
        conn = await asyncpg.connect(stack["admin-procedures"].settings.database_url)
        try:
            await conn.execute(
                FILL.format(units=", ".join(f"'{u}'" for u in units), n_units=len(units), n=size)
            )
            await conn.execute(AGGREGATE)
            await conn.execute("ANALYZE")
        finally:
            await conn.close()
        async with contextlib.AsyncExitStack() as http:
            for name, port in ports.items():
                await http.enter_async_context(serving(stack[name].app, port))
            secret = stack["console"].settings.jwt_secret.get_secret_value()
            token = issue_token(secret, subject="bench", roles=["operator"], unit_code="38")
            month = f"{datetime.now(VN_TZ):%Y-%m}"
            async with httpx.AsyncClient(
                base_url=urls["console"], cookies={"egov_console_session": token}, timeout=120
            ) as client:
                for label, path in (
                    (f"Tổng quan (38, {month})", f"/?period={month}"),
                    ("Quá hạn, trang 1", "/queues/overdue"),
                ):
                    warm = await client.get(path)
                    assert warm.status_code == 200, warm.text[:300]
                    times = []
                    for _ in range(runs):
                        t0 = time.perf_counter()
                        r = await client.get(path)
                        times.append((time.perf_counter() - t0) * 1000)
                        assert r.status_code == 200
                    print(
                        f"  {size:>9,} dossiers  {label:<26} median"
                        f" {statistics.median(times):7.1f} ms  max {max(times):7.1f} ms",
                        flush=True,
                    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="3000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print("console server time per page (operator of the province, loopback HTTP):")
    async with local_env(say) as env:
        for size in sizes:
            await one_size(env.kafka_bootstrap, env.admin_dsn, size, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
