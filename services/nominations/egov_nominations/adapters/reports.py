"""PostgreSQL queries behind the reports: awards counted by kind, level and individual or
collective; the files before a council session."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg


async def award_counts(
    conn: asyncpg.Connection,
    units: Sequence[str],
    *,
    year: int | None,
    movement_id: str | None,
) -> list[asyncpg.Record]:
    """(award, level, nominee_kind, n) of the award history of `units` for a year and/or a
    movement (`None`: any)."""
    return await conn.fetch(
        "SELECT a.award, COALESCE(a.level, '') AS level, a.nominee_kind, count(*) AS n"
        " FROM award_history a LEFT JOIN nominations n ON n.nomination_id = a.nomination_id"
        " WHERE a.unit_code = ANY($1) AND ($2::int IS NULL OR a.year = $2)"
        " AND ($3::text IS NULL OR n.movement_id = $3)"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        units,
        year,
        movement_id,
    )


async def session_proposals(
    conn: asyncpg.Connection, session_id: str, unit_code: str, open_status: str
) -> list[asyncpg.Record]:
    """The files voted in a session, or still in `open_status` at its council's unit."""
    return await conn.fetch(
        "SELECT * FROM nominations WHERE session_id = $1 OR (deciding_unit_code = $2"
        " AND status = $3) ORDER BY award, nominee_kind, nominee_ref",
        session_id,
        unit_code,
        open_status,
    )
