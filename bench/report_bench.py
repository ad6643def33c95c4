"""How fast the on-time report answers over a large dossier table.

Fills a fresh database with N dossiers (default 1,000,000) spread over 25 procedures, 26
units and one year — inserted in bulk with SQL, their daily aggregates built the way the
service maintains them — then times the report the API serves (province and all sub-units,
one year, total and grouped by procedure / unit / channel).

Usage: ``python bench/report_bench.py [--dossiers 1000000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date

from egov_contracts.reference import load_units
from egov_procedures.adapters.dossiers import report_counts
from egov_procedures.main import SPEC
from egov_runtime.db import all_migrations, create_pool, migrate
from egov_runtime.units import descendants, upsert_units
from egov_workdays import VN_TZ
from localenv import local_env

FILL = """
INSERT INTO dossiers (dossier_code, procedure_code, unit_code, channel, status, received_at,
                      due_at, finished_at, resolved_at, result, timeliness, version, state)
SELECT 'HS-' || g,
       'P' || (g % 25),
       (ARRAY[{units}])[1 + g % {n_units}],
       (ARRAY['online','counter','postal','public-service-portal'])[1 + g % 4],
       CASE WHEN g % 200 = 0 THEN 'processing' WHEN g % 97 = 0 THEN 'withdrawn' ELSE 'resolved' END,
       r.at, r.at + interval '10 days',
       CASE WHEN g % 200 = 0 THEN NULL ELSE r.at + interval '6 days' END,
       CASE WHEN g % 200 = 0 OR g % 97 = 0 THEN NULL ELSE r.at + interval '6 days' END,
       'granted',
       CASE WHEN g % 200 = 0 OR g % 97 = 0 THEN NULL
            WHEN g % 5000 = 1 THEN 'late' WHEN g % 7 = 0 THEN 'on-time' ELSE 'early' END,
       1, '{{}}'::jsonb
FROM generate_series(1, {n}) g,
     LATERAL (SELECT timestamptz '2025-12-15 08:00+07' + (g % 365) * interval '1 day'
                     + (g % 480) * interval '1 minute' AS at) r
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
        pool = await create_pool(dsn, min_size=1, max_size=2)
        units = [u.unit_code for u in load_units() if u.valid_to is None and u.level != "province"]
        async with pool.acquire() as conn:
            await upsert_units(conn, (u.model_dump() for u in load_units()))
            say(f"inserting {args.dossiers:,} dossiers")
            t0 = time.perf_counter()
            await conn.execute(
                FILL.format(
                    units=", ".join(f"'{u}'" for u in units), n_units=len(units), n=args.dossiers
                )
            )
            say(f"inserted in {time.perf_counter() - t0:.0f} s; building daily aggregates")
            await conn.execute(AGGREGATE)
            await conn.execute("ANALYZE")
            rows = await conn.fetchval("SELECT count(*) FROM dossier_daily")
            scope = await descendants(conn, "38")
        print(
            f"report over {args.dossiers:,} dossiers ({rows:,} daily aggregate rows),"
            f" province 38 with {len(scope)} units, 2026 (15/12/2025–14/12/2026)"
        )
        for group in (None, "procedure", "unit", "channel"):
            times = []
            for _ in range(args.runs):
                async with pool.acquire() as conn:
                    t0 = time.perf_counter()
                    out = await report_counts(
                        conn,
                        units=scope,
                        start=date(2025, 12, 15),
                        end=date(2026, 12, 14),
                        procedure=None,
                        group_by=group,
                        tz=VN_TZ,
                    )
                    times.append((time.perf_counter() - t0) * 1000)
            total = sum(
                r["resolved_early"] + r["resolved_on_time"] + r["resolved_late"] for r in out
            )
            print(
                f"  group_by={group or 'none':<10} median {statistics.median(times):7.1f} ms"
                f"  max {max(times):7.1f} ms  ({len(out)} rows, {total:,} resolved)"
            )
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
