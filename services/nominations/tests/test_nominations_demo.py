"""The demo seed loads quickly, leaves files in every status, and a second run changes
nothing."""

from __future__ import annotations

import uuid

import pytest
from egov_devkit.devstack.postgres import create_database, drop_database
from egov_nominations.adapters.reports import award_counts
from egov_nominations.domain import AwardKind, NomineeKind
from egov_nominations.domain.summary import CountRow, count_vi, sentences
from egov_nominations.main import SPEC
from egov_nominations.settings import NominationsSettings
from egov_runtime.db import all_migrations, create_pool, migrate
from egov_runtime.service import Runtime

pytestmark = pytest.mark.integration


async def test_demo_seed_covers_every_status_and_is_idempotent(postgres_admin_dsn: str) -> None:
    name = f"nominations_demo_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(postgres_admin_dsn, name)
    try:
        await migrate(dsn, all_migrations(SPEC.migrations))
        settings = NominationsSettings(database_url=dsn)
        pool = await create_pool(dsn)
        try:
            rt = Runtime("nominations", settings, pool, producer=None)  # type: ignore[arg-type]
            assert SPEC.seed is not None
            first = await SPEC.seed(rt)
            async with pool.acquire() as conn:
                statuses = {
                    r["status"] for r in await conn.fetch("SELECT DISTINCT status FROM nominations")
                }
                counts = await conn.fetchrow(
                    "SELECT (SELECT count(*) FROM people) AS people,"
                    " (SELECT count(*) FROM outbox) AS events,"
                    " (SELECT count(*) FROM award_history) AS awards,"
                    " (SELECT count(*) FROM emulation_cluster_leaders) AS leaders,"
                    " (SELECT count(*) FROM emulation_cluster_log) AS cluster_log,"
                    " (SELECT count(*) FROM nominations WHERE award = 'co-thi-dua-cap-tinh')"
                    " AS flags"
                )
            assert statuses == {
                "draft",
                "submitted",
                "returned",
                "under-review",
                "approved",
                "forwarded",
                "decided",
                "rejected",
            }, first
            assert counts["people"] == 200
            assert (counts["leaders"], counts["flags"]) == (2, 1), first
            # the 2024 conference, as its report prints it
            async with pool.acquire() as conn:
                units = [r[0] for r in await conn.fetch("SELECT DISTINCT unit_code FROM people")]
                rows = await award_counts(conn, units, year=2024, movement_id=None)
                ldtt = await conn.fetchval(
                    "SELECT count(*) FROM award_history WHERE year = 2024"
                    " AND award = 'lao-dong-tien-tien'"
                )
            said = [
                s.text_vi
                for s in sentences(
                    CountRow(
                        AwardKind(r["award"]), r["level"], NomineeKind(r["nominee_kind"]), r["n"]
                    )
                    for r in rows
                )
            ]
            assert said[:2] == [
                "Tặng Bằng khen của Bộ Nội vụ cho 02 tập thể và 07 cá nhân",
                "Tặng Giấy khen của Giám đốc Sở Nội vụ cho 03 tập thể và 13 cá nhân",
            ], said
            assert f"Công nhận danh hiệu «Lao động tiên tiến» cho {count_vi(ldtt)} cá nhân" in said
            second = await SPEC.seed(rt)
            assert "already present" in second
            async with pool.acquire() as conn:
                assert await conn.fetchval("SELECT count(*) FROM outbox") == counts["events"]
                assert await conn.fetchval("SELECT count(*) FROM award_history") == counts["awards"]
                log = await conn.fetchval("SELECT count(*) FROM emulation_cluster_log")
                assert log == counts["cluster_log"]
        finally:
            await pool.close()
    finally:
        await drop_database(postgres_admin_dsn, name)
