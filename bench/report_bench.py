"""How fast the on-time report answers over a large dossier table.

Fills a fresh database with N dossiers (default 1,000,000) spread over 25 procedures, 26
units and one year — inserted in bulk with SQL, their daily aggregates built the way the
service maintains them — then times the report use case the API, the published rates and the
SLA gauges share (province and all sub-units, one year, total and grouped by procedure / unit
/ channel), with the figures it gives.

Usage: ``python bench/report_bench.py [--dossiers 1000000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date, datetime, timedelta

import asyncpg
from egov_contracts.reference import load_units
from egov_procedures.adapters.dossiers import fold_monthly_changes
from egov_procedures.domain.report import ReturnedWithdrawn
from egov_procedures.main import SPEC
from egov_procedures.usecases import build_on_time_report
from egov_runtime.db import all_migrations, create_pool, migrate
from egov_runtime.units import descendants, upsert_units
from egov_workdays import VN_TZ
from localenv import local_env

# {first}: the first day of the year of dossiers (the year up to today, so none is in the
# future). One dossier in 200 still open (most of them past their 10-day deadline), one in 97
# withdrawn, one in 50 resolved late (12 days after receipt: after its deadline), the others
# resolved after 6 days, one in 7 of those on time and the rest early.
FILL = """
INSERT INTO dossiers (dossier_code, procedure_code, unit_code, channel, status, received_at,
                      due_at, finished_at, resolved_at, result, timeliness, version, state)
SELECT 'HS-' || g,
       'P' || (g % 25),
       (ARRAY[{units}])[1 + g % {n_units}],
       (ARRAY['online','counter','postal','public-service-portal'])[1 + g % 4],
       CASE WHEN g % 200 = 0 THEN 'processing' WHEN g % 97 = 0 THEN 'withdrawn' ELSE 'resolved' END,
       r.at, r.at + interval '10 days',
       CASE WHEN g % 200 = 0 THEN NULL ELSE r.at + r.took END,
       CASE WHEN g % 200 = 0 OR g % 97 = 0 THEN NULL ELSE r.at + r.took END,
       'granted',
       CASE WHEN g % 200 = 0 OR g % 97 = 0 THEN NULL
            WHEN g % 50 = 1 THEN 'late' WHEN g % 7 = 0 THEN 'on-time' ELSE 'early' END,
       1, '{{}}'::jsonb
FROM generate_series(1, {n}) g,
     LATERAL (SELECT timestamptz '{first} 08:00+07' + (g % 365) * interval '1 day'
                     + (g % 480) * interval '1 minute' AS at,
                     CASE WHEN g % 50 = 1 THEN interval '12 days' ELSE interval '6 days' END
                     AS took) r
"""
AGGREGATE = """
INSERT INTO dossier_daily (day, unit_code, procedure_code, channel, received, finished,
                           resolved_early, resolved_on_time, resolved_late, withdrawn, returned)
SELECT day, unit_code, procedure_code, channel, sum(received), sum(finished), sum(early),
       sum(on_time), sum(late), sum(withdrawn), 0
FROM (
  SELECT (received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day, unit_code, procedure_code,
         channel, 1 AS received, 0 AS finished, 0 AS early, 0 AS on_time, 0 AS late,
         0 AS withdrawn FROM dossiers
  UNION ALL
  SELECT (finished_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, unit_code, procedure_code, channel,
         0, 1, coalesce((timeliness = 'early')::int, 0),
         coalesce((timeliness = 'on-time')::int, 0), coalesce((timeliness = 'late')::int, 0),
         (status = 'withdrawn')::int
  FROM dossiers WHERE finished_at IS NOT NULL
) x GROUP BY 1, 2, 3, 4
"""


def say(msg: str) -> None:
    print(f"  … {msg}", file=sys.stderr, flush=True)


async def fill(conn: asyncpg.Connection, n: int) -> date:
    """``n`` dossiers received over the year that ended 12 days ago (every ending in the
    past), their daily aggregates and monthly sums, statistics; returns the first day of that
    year."""
    units = [u.unit_code for u in load_units() if u.valid_to is None and u.level != "province"]
    first = datetime.now(VN_TZ).date() - timedelta(days=365 + 12)
    say(f"inserting {n:,} dossiers")
    t0 = time.perf_counter()
    await conn.execute(
        FILL.format(units=", ".join(f"'{u}'" for u in units), n_units=len(units), n=n, first=first)
    )
    say(f"inserted in {time.perf_counter() - t0:.0f} s; building daily aggregates")
    await conn.execute(AGGREGATE)
    await fold_monthly_changes(conn)  # as the service's periodic job does
    await conn.execute("VACUUM ANALYZE")  # as autovacuum leaves a table: visibility map set
    return first


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    async with local_env(say) as env:
        dsn = await env.fresh_database("report_bench")
        await migrate(dsn, all_migrations(SPEC.migrations))
        # its own connection: the service pool's statement timeout is for requests, not fills
        conn = await asyncpg.connect(dsn)
        try:
            await upsert_units(conn, (u.model_dump() for u in load_units()))
            first = await fill(conn, args.dossiers)
            rows = await conn.fetchval("SELECT count(*) FROM dossier_daily")
            scope = await descendants(conn, "38")
        finally:
            await conn.close()
        pool = await create_pool(dsn, min_size=1, max_size=2)
        last = first + timedelta(days=364)
        now = datetime.now(VN_TZ)
        print(
            f"report over {args.dossiers:,} dossiers ({rows:,} daily aggregate rows),"
            f" province 38 with {len(scope)} units, {first:%d/%m/%Y}–{last:%d/%m/%Y}"
        )
        for group in (None, "procedure", "unit", "channel"):
            times = []
            for _ in range(args.runs):
                async with pool.acquire() as conn:
                    t0 = time.perf_counter()
                    report = await build_on_time_report(
                        conn,
                        ReturnedWithdrawn.EXCLUDED,
                        units=scope,
                        start=first,
                        end=last,
                        now=now,
                        group_by=group,
                    )
                    times.append((time.perf_counter() - t0) * 1000)
            print(
                f"  group_by={group or 'none':<10} median {statistics.median(times):7.1f} ms"
                f"  max {max(times):7.1f} ms  ({len(report.groups)} rows,"
                f" {report.total.resolved:,} resolved, rate {report.total.on_time_rate} %,"
                f" {report.total.in_progress_overdue:,} in progress overdue)"
            )
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
