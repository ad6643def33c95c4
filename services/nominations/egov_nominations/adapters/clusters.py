"""PostgreSQL store of the emulation clusters (cụm, khối thi đua) by year: member units, the
leading collective(s) each cluster proposed, and the log of every recording."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg

from egov_nominations.domain.register import EmulationCluster

_SELECT = (
    "SELECT c.cluster_id, c.year, c.name, c.unit_code, c.recorded_by, c.recorded_at,"
    " ARRAY(SELECT m.unit_code FROM emulation_cluster_members m"
    "  WHERE m.cluster_id = c.cluster_id AND m.year = c.year ORDER BY m.unit_code) AS members,"
    " ARRAY(SELECT l.unit_code FROM emulation_cluster_leaders l"
    "  WHERE l.cluster_id = c.cluster_id AND l.year = c.year ORDER BY l.unit_code) AS leaders,"
    " p.meeting_reference, p.meeting_on"
    " FROM emulation_clusters c LEFT JOIN emulation_cluster_proposals p"
    " ON p.cluster_id = c.cluster_id AND p.year = c.year"
)


async def get_cluster_year(
    conn: asyncpg.Connection, cluster_id: str, year: int, *, lock: bool = False
) -> asyncpg.Record | None:
    if lock:
        await conn.execute(
            "SELECT 1 FROM emulation_clusters WHERE cluster_id = $1 AND year = $2 FOR UPDATE",
            cluster_id,
            year,
        )
    return await conn.fetchrow(
        f"{_SELECT} WHERE c.cluster_id = $1 AND c.year = $2", cluster_id, year
    )


async def cluster_years(conn: asyncpg.Connection, cluster_id: str) -> list[asyncpg.Record]:
    """Every year of a cluster, latest first."""
    return await conn.fetch(f"{_SELECT} WHERE c.cluster_id = $1 ORDER BY c.year DESC", cluster_id)


async def list_clusters(
    conn: asyncpg.Connection, units: Sequence[str], year: int | None
) -> list[asyncpg.Record]:
    """Cluster-years run by one of `units` or with one of them as a member."""
    return await conn.fetch(
        f"{_SELECT} WHERE ($2::int IS NULL OR c.year = $2) AND (c.unit_code = ANY($1)"
        " OR EXISTS (SELECT 1 FROM emulation_cluster_members m WHERE m.cluster_id = c.cluster_id"
        " AND m.year = c.year AND m.unit_code = ANY($1)))"
        " ORDER BY c.year DESC, c.cluster_id",
        list(units),
        year,
    )


async def upsert_cluster_year(
    conn: asyncpg.Connection,
    cluster_id: str,
    year: int,
    name: str,
    unit_code: str,
    members: Sequence[str],
    recorded_by: str,
) -> bool:
    """Record a cluster's composition for a year (members not listed leave it); True when the
    cluster-year is new. The caller has checked that no leader leaves."""
    row = await conn.fetchrow(
        "INSERT INTO emulation_clusters (cluster_id, year, name, unit_code, recorded_by)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (cluster_id, year) DO UPDATE SET"
        " name = excluded.name, unit_code = excluded.unit_code,"
        " recorded_by = excluded.recorded_by, recorded_at = now()"
        " RETURNING (xmax = 0) AS inserted",
        cluster_id,
        year,
        name,
        unit_code,
        recorded_by,
    )
    await conn.execute(
        "DELETE FROM emulation_cluster_members WHERE cluster_id = $1 AND year = $2"
        " AND NOT (unit_code = ANY($3))",
        cluster_id,
        year,
        list(members),
    )
    await conn.execute(
        "INSERT INTO emulation_cluster_members (cluster_id, year, unit_code)"
        " SELECT $1, $2, u FROM unnest($3::text[]) AS u ON CONFLICT DO NOTHING",
        cluster_id,
        year,
        list(members),
    )
    await _log(
        conn,
        cluster_id,
        year,
        "composition",
        {"name": name, "unit_code": unit_code, "members": sorted(members)},
        recorded_by,
    )
    return bool(row and row["inserted"])


async def replace_leaders(
    conn: asyncpg.Connection,
    cluster_id: str,
    year: int,
    leaders: Sequence[str],
    meeting_reference: str,
    meeting_on: date,
    recorded_by: str,
) -> None:
    """The leading collective(s) the cluster's meeting proposed for the year (replacing an
    earlier recording)."""
    await conn.execute(
        "INSERT INTO emulation_cluster_proposals (cluster_id, year, meeting_reference,"
        " meeting_on, recorded_by) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (cluster_id, year) DO UPDATE SET"
        " meeting_reference = excluded.meeting_reference, meeting_on = excluded.meeting_on,"
        " recorded_by = excluded.recorded_by, recorded_at = now()",
        cluster_id,
        year,
        meeting_reference,
        meeting_on,
        recorded_by,
    )
    await conn.execute(
        "DELETE FROM emulation_cluster_leaders WHERE cluster_id = $1 AND year = $2",
        cluster_id,
        year,
    )
    await conn.execute(
        "INSERT INTO emulation_cluster_leaders (cluster_id, year, unit_code)"
        " SELECT $1, $2, u FROM unnest($3::text[]) AS u",
        cluster_id,
        year,
        list(leaders),
    )
    await _log(
        conn,
        cluster_id,
        year,
        "leaders",
        {
            "leaders": sorted(leaders),
            "meeting_reference": meeting_reference,
            "meeting_on": meeting_on.isoformat(),
        },
        recorded_by,
    )


async def _log(
    conn: asyncpg.Connection,
    cluster_id: str,
    year: int,
    what: str,
    recorded: dict[str, Any],
    recorded_by: str,
) -> None:
    await conn.execute(
        "INSERT INTO emulation_cluster_log (cluster_id, year, what, recorded, recorded_by)"
        " VALUES ($1, $2, $3, $4, $5)",
        cluster_id,
        year,
        what,
        recorded,
        recorded_by,
    )


async def cluster_log(conn: asyncpg.Connection, cluster_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT year, what, recorded, recorded_by, recorded_at FROM emulation_cluster_log"
        " WHERE cluster_id = $1 ORDER BY log_id",
        cluster_id,
    )
    return [
        {
            "year": r["year"],
            "what": r["what"],
            "recorded": json.loads(r["recorded"])
            if isinstance(r["recorded"], str)
            else r["recorded"],
            "recorded_by": r["recorded_by"],
            "recorded_at": r["recorded_at"].isoformat(),
        }
        for r in rows
    ]


def as_cluster(r: asyncpg.Record) -> EmulationCluster:
    return EmulationCluster(
        id=r["cluster_id"],
        name=r["name"],
        year=r["year"],
        unit_code=r["unit_code"],
        members=tuple(r["members"]),
        leaders=tuple(r["leaders"]),
        meeting_reference=r["meeting_reference"],
        meeting_on=r["meeting_on"],
    )


async def clusters_of_unit(conn: asyncpg.Connection, unit_code: str) -> list[EmulationCluster]:
    """Every cluster-year the unit belongs to or was proposed to lead."""
    rows = await conn.fetch(
        f"{_SELECT} WHERE EXISTS (SELECT 1 FROM emulation_cluster_members m"
        " WHERE m.cluster_id = c.cluster_id AND m.year = c.year AND m.unit_code = $1)"
        " OR EXISTS (SELECT 1 FROM emulation_cluster_leaders l"
        " WHERE l.cluster_id = c.cluster_id AND l.year = c.year AND l.unit_code = $1)"
        " ORDER BY c.year, c.cluster_id",
        unit_code,
    )
    return [as_cluster(r) for r in rows]
