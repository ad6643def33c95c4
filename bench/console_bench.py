"""How fast the console answers its two busiest pages: Tổng quan (the province, this month) and
the overdue queue (first page), over HTTP as a signed-in operator, with admin-procedures and the
console served on ports of 127.0.0.1 as in production.

For each size (default: 3,000 dossiers, about the demo's, then 1,000,000) a fresh stack is filled
in bulk with SQL (the fill of ``report_bench.py``: 25 procedures, 26 units, the year that ended
12 days ago; one dossier in 200 still open, all of those past their deadline, one in 50 resolved
late) and each page is timed ``--runs`` times after one warm-up request. The time is the
server's: request sent → last byte received on the loopback, no browser.

Beside the pages, their raw anchors in the same run: a bare ``GET /healthz`` of the console (the
floor of one loopback HTTP request), one of the overview's report requests and the queue's
request to admin-procedures alone, the report's statements alone (the use case on one
connection, no HTTP) and the open-overdue count as it was written before its partial index (it
read every dossier received before the period's end), so a change can be placed.

Usage: ``python bench/console_bench.py [--sizes 3000,1000000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import asyncpg
import httpx
import uvicorn
from egov_console.main import SPEC as CONSOLE
from egov_devkit.devstack.broker import free_port
from egov_devkit.testing.service import running_stack
from egov_procedures.domain.report import PeriodScheme, ReturnedWithdrawn, period_bounds
from egov_procedures.main import SPEC as PROCEDURES
from egov_procedures.usecases import build_on_time_report
from egov_runtime.auth import issue_token
from egov_runtime.units import descendants
from egov_workdays import VN_TZ
from localenv import local_env
from report_bench import fill


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


PREVIOUS_OVERDUE_COUNT = (
    "SELECT count(*) FROM dossiers WHERE unit_code = ANY($1::text[]) AND received_at < $2"
    " AND due_at < $2 AND (finished_at IS NULL OR finished_at >= $2)"
)


async def timed(call: Callable[[], Awaitable[object]], runs: int) -> tuple[float, float]:
    """Median and max milliseconds of ``runs`` calls after one warm-up call."""
    await call()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await call()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def show(size: int, label: str, figures: tuple[float, float]) -> None:
    median, worst = figures
    print(
        f"  {size:>9,} dossiers  {label:<52} median {median:7.1f} ms  max {worst:7.1f} ms",
        flush=True,
    )


async def one_size(bootstrap: str, admin_dsn: str, size: int, runs: int) -> None:
    ports = {"admin-procedures": free_port(), "console": free_port()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    quiet = {"timer_interval_s": 3600, "rates_interval_s": 3600, "sla_metrics_interval_s": 3600}
    services = {
        "admin-procedures": (PROCEDURES, quiet),
        "console": (CONSOLE, {"service_urls": urls}),
    }
    async with running_stack(bootstrap, admin_dsn, services) as stack:
        procedures = stack["admin-procedures"]
        # its own connection: the service pool's statement timeout is for requests, not fills
        conn = await asyncpg.connect(procedures.settings.database_url)
        try:
            await fill(conn, size)
        finally:
            await conn.close()
        async with contextlib.AsyncExitStack() as http:
            for name, port in ports.items():
                await http.enter_async_context(serving(stack[name].app, port))
            secret = stack["console"].settings.jwt_secret.get_secret_value()
            token = issue_token(secret, subject="bench", roles=["operator"], unit_code="38")
            now = datetime.now(VN_TZ)
            month = f"{now:%Y-%m}"
            console = await http.enter_async_context(
                httpx.AsyncClient(
                    base_url=urls["console"], cookies={"egov_console_session": token}, timeout=120
                )
            )
            api = await http.enter_async_context(
                httpx.AsyncClient(
                    base_url=urls["admin-procedures"],
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=120,
                )
            )

            def page(client: httpx.AsyncClient, path: str) -> Callable[[], Awaitable[object]]:
                async def call() -> object:
                    r = await client.get(path)
                    assert r.status_code == 200, r.text[:300]
                    return r

                return call

            show(
                size,
                f"Tổng quan (38, {month})",
                await timed(page(console, f"/?period={month}"), runs),
            )
            show(size, "Quá hạn, trang 1", await timed(page(console, "/queues/overdue"), runs))
            print("  raw anchors:", flush=True)
            show(
                size,
                "  GET /healthz of the console (HTTP floor)",
                await timed(page(console, "/healthz"), runs),
            )
            report_path = f"/v1/reports/on-time?unit=38&period={month}"
            show(
                size,
                "  GET /v1/reports/on-time (38, this month)",
                await timed(page(api, report_path), runs),
            )
            queue_path = "/v1/dossiers?unit=38&overdue=true&limit=50"
            show(
                size,
                "  GET /v1/dossiers?overdue=true (the queue's)",
                await timed(page(api, queue_path), runs),
            )
            scheme = PeriodScheme(getattr(procedures.settings, "period_scheme", "cutoff"))
            start, end = period_bounds(month, scheme)
            async with procedures.runtime.pool.acquire() as db:
                scope = await descendants(db, "38")

                async def report() -> object:
                    return await build_on_time_report(
                        db, ReturnedWithdrawn.EXCLUDED, units=scope, start=start, end=end, now=now
                    )

                async def previous_count() -> object:
                    return await db.fetchval(PREVIOUS_OVERDUE_COUNT, scope, now)

                show(
                    size, "  the report's statements alone (this month)", await timed(report, runs)
                )
                show(
                    size,
                    "  its overdue count as before the partial index",
                    await timed(previous_count, runs),
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
