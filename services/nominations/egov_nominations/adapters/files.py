"""PostgreSQL store of movements, registrations, nomination files, councils, sessions, tallies
and decisions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from egov_nominations.domain.workflow import NominationFile

# -- movements and registrations ---------------------------------------------------------------


async def insert_movement(conn: asyncpg.Connection, m: dict[str, Any]) -> bool:
    row = await conn.fetchrow(
        "INSERT INTO movements (movement_id, title, unit_code, year, starts_on, ends_on, awards,"
        " launched_by, launched_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (movement_id) DO NOTHING RETURNING movement_id",
        m["movement_id"],
        m["title"],
        m["unit_code"],
        m["year"],
        m["starts_on"],
        m.get("ends_on"),
        list(m.get("awards", [])),
        m["launched_by"],
        m["launched_at"],
    )
    return row is not None


async def get_movement(conn: asyncpg.Connection, movement_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM movements WHERE movement_id = $1", movement_id)


async def list_movements(conn: asyncpg.Connection, year: int | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM movements WHERE $1::int IS NULL OR year = $1 ORDER BY year DESC, title",
        year,
    )


async def insert_registration(conn: asyncpg.Connection, r: dict[str, Any]) -> asyncpg.Record:
    """Insert; returns the stored row (the existing one for the same nominee, award, year)."""
    row = await conn.fetchrow(
        "INSERT INTO registrations (registration_id, movement_id, year, nominee_kind,"
        " nominee_ref, unit_code, award, submitted_by, submitted_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (year, nominee_kind, nominee_ref, award) DO NOTHING RETURNING *",
        r["registration_id"],
        r.get("movement_id"),
        r["year"],
        r["nominee_kind"],
        r["nominee_ref"],
        r["unit_code"],
        r["award"],
        r["submitted_by"],
        r["submitted_at"],
    )
    if row is not None:
        return row
    existing = await conn.fetchrow(
        "SELECT * FROM registrations WHERE year = $1 AND nominee_kind = $2 AND nominee_ref = $3"
        " AND award = $4",
        r["year"],
        r["nominee_kind"],
        r["nominee_ref"],
        r["award"],
    )
    assert existing is not None
    return existing


async def list_registrations(
    conn: asyncpg.Connection, units: Sequence[str], year: int | None, movement_id: str | None
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM registrations WHERE unit_code = ANY($1) AND ($2::int IS NULL OR year = $2)"
        " AND ($3::text IS NULL OR movement_id = $3) ORDER BY year DESC, unit_code, nominee_ref",
        list(units),
        year,
        movement_id,
    )


async def registered(
    conn: asyncpg.Connection, year: int, kind: str, ref: str, award: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM registrations WHERE year = $1 AND nominee_kind = $2 AND nominee_ref = $3"
        " AND award = $4",
        year,
        kind,
        ref,
        award,
    )


# -- nomination files ----------------------------------------------------------------------------


def file_of(row: asyncpg.Record) -> NominationFile:
    return NominationFile.model_validate(row["file"])


async def insert_nomination(conn: asyncpg.Connection, n: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO nominations (nomination_id, movement_id, nominee_kind, nominee_ref,"
        " nominee_name, unit_code, award, achievement_year, occasion, deciding_level,"
        " deciding_unit_code, status, documents, summary, file, version, created_by)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)",
        n["nomination_id"],
        n.get("movement_id"),
        n["nominee_kind"],
        n["nominee_ref"],
        n["nominee_name"],
        n["unit_code"],
        n["award"],
        n["achievement_year"],
        n["occasion"],
        n["deciding_level"],
        n["deciding_unit_code"],
        n["status"],
        list(n["documents"]),
        n["summary"],
        n["file"],
        n["version"],
        n["created_by"],
    )


async def get_nomination(
    conn: asyncpg.Connection, nomination_id: str, *, lock: bool = False
) -> asyncpg.Record | None:
    sql = "SELECT * FROM nominations WHERE nomination_id = $1"
    return await conn.fetchrow(sql + (" FOR UPDATE" if lock else ""), nomination_id)


async def approved_awaiting_decision(
    conn: asyncpg.Connection, kind: str, refs: Sequence[str], year: int, deciding_unit_code: str
) -> list[asyncpg.Record]:
    """Files of these nominees approved for `year` by the same deciding unit and not yet
    decided: titles the same year-end decision may confer together."""
    return list(
        await conn.fetch(
            "SELECT * FROM nominations"
            " WHERE status = 'approved' AND nominee_kind = $1 AND nominee_ref = ANY($2)"
            " AND achievement_year = $3 AND deciding_unit_code = $4 ORDER BY nomination_id",
            kind,
            list(refs),
            year,
            deciding_unit_code,
        )
    )


async def save_file(
    conn: asyncpg.Connection,
    nomination_id: str,
    file: NominationFile,
    version: int,
    *,
    documents: Sequence[str] | None = None,
    session_id: str | None = None,
) -> None:
    await conn.execute(
        "UPDATE nominations SET status = $2, file = $3, version = $4,"
        " documents = COALESCE($5, documents), session_id = COALESCE($6, session_id),"
        " updated_at = now() WHERE nomination_id = $1",
        nomination_id,
        file.status.value,
        file.model_dump(mode="json"),
        version,
        list(documents) if documents is not None else None,
        session_id,
    )


async def list_nominations(
    conn: asyncpg.Connection,
    *,
    units: Sequence[str],
    year: int | None = None,
    status: str | None = None,
    movement_id: str | None = None,
    session_id: str | None = None,
    limit: int = 500,
) -> list[asyncpg.Record]:
    """Files whose nominee's unit or deciding unit is within `units`."""
    return await conn.fetch(
        "SELECT * FROM nominations WHERE (unit_code = ANY($1) OR deciding_unit_code = ANY($1))"
        " AND ($2::int IS NULL OR achievement_year = $2) AND ($3::text IS NULL OR status = $3)"
        " AND ($4::text IS NULL OR movement_id = $4) AND ($5::text IS NULL OR session_id = $5)"
        " ORDER BY achievement_year DESC, award, nominee_ref LIMIT $6",
        list(units),
        year,
        status,
        movement_id,
        session_id,
        limit,
    )


async def page_nominations(
    conn: asyncpg.Connection,
    *,
    units: Sequence[str],
    year: int | None,
    status: str | None,
    movement_id: str | None,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    """One page of the files whose nominee's unit or deciding unit is within `units`, and how
    many match in all."""
    where = (
        " FROM nominations WHERE (unit_code = ANY($1) OR deciding_unit_code = ANY($1))"
        " AND ($2::int IS NULL OR achievement_year = $2) AND ($3::text IS NULL OR status = $3)"
        " AND ($4::text IS NULL OR movement_id = $4)"
    )
    args = [list(units), year, status, movement_id]
    rows = await conn.fetch(
        f"SELECT *{where} ORDER BY achievement_year DESC, award, nominee_ref, nomination_id"
        " LIMIT $5 OFFSET $6",
        *args,
        limit,
        offset,
    )
    return rows, int(await conn.fetchval(f"SELECT count(*){where}", *args))


async def count_nominations(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM nominations"))


async def open_nomination_for(
    conn: asyncpg.Connection, kind: str, ref: str, award: str, year: int, occasion: str
) -> asyncpg.Record | None:
    """A file for the same nominee, award and year that is not finally rejected."""
    return await conn.fetchrow(
        "SELECT * FROM nominations WHERE nominee_kind = $1 AND nominee_ref = $2 AND award = $3"
        " AND achievement_year = $4 AND occasion = $5 AND status <> 'rejected'",
        kind,
        ref,
        award,
        year,
        occasion,
    )


# -- councils, sessions, tallies ----------------------------------------------------------------


async def upsert_council(conn: asyncpg.Connection, c: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO councils (council_id, unit_code, name, level, members, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (council_id) DO UPDATE SET"
        " name = excluded.name, members = excluded.members",
        c["council_id"],
        c["unit_code"],
        c["name"],
        c["level"],
        c["members"],
        c["created_by"],
    )


async def get_council(conn: asyncpg.Connection, council_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM councils WHERE council_id = $1", council_id)


async def list_councils(conn: asyncpg.Connection, units: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM councils WHERE unit_code = ANY($1) ORDER BY council_id", list(units)
    )


async def insert_session(conn: asyncpg.Connection, s: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO council_sessions (session_id, council_id, held_on, members_total, present,"
        " quorum_met, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        s["session_id"],
        s["council_id"],
        s["held_on"],
        s["members_total"],
        list(s["present"]),
        s["quorum_met"],
        s["recorded_by"],
    )


async def get_session(conn: asyncpg.Connection, session_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT s.*, c.unit_code, c.name AS council_name, c.members"
        " FROM council_sessions s JOIN councils c USING (council_id) WHERE s.session_id = $1",
        session_id,
    )


async def insert_tally(conn: asyncpg.Connection, t: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO tallies (session_id, nomination_id, members_total, present, votes_for,"
        " threshold_pct, share_pct, quorum_met, passed, recorded_by, recorded_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, now()))",
        t["session_id"],
        t["nomination_id"],
        t["members_total"],
        t["present"],
        t["votes_for"],
        t["threshold_pct"],
        t["share_pct"],
        t["quorum_met"],
        t["passed"],
        t["recorded_by"],
        t.get("recorded_at"),
    )


async def get_tally(
    conn: asyncpg.Connection, session_id: str, nomination_id: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM tallies WHERE session_id = $1 AND nomination_id = $2",
        session_id,
        nomination_id,
    )


async def latest_tally(conn: asyncpg.Connection, nomination_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM tallies WHERE nomination_id = $1 ORDER BY recorded_at DESC LIMIT 1",
        nomination_id,
    )


async def session_tallies(conn: asyncpg.Connection, session_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM tallies WHERE session_id = $1 ORDER BY nomination_id", session_id
    )


# -- decisions --------------------------------------------------------------------------------


async def lock_decision_number(
    conn: asyncpg.Connection, deciding_unit_code: str, number: str
) -> None:
    """Serialise the recording of one decision number of a unit until the transaction ends."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        f"decision\x1f{deciding_unit_code}\x1f{number}",
    )


async def get_decision(
    conn: asyncpg.Connection, deciding_unit_code: str, number: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM decisions WHERE deciding_unit_code = $1 AND number = $2",
        deciding_unit_code,
        number,
    )


async def get_decision_by_id(conn: asyncpg.Connection, decision_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM decisions WHERE decision_id = $1", decision_id)


async def insert_decision(conn: asyncpg.Connection, d: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO decisions (decision_id, deciding_unit_code, number, decided_on, signer,"
        " nomination_ids, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        d["decision_id"],
        d["deciding_unit_code"],
        d["number"],
        d["decided_on"],
        d["signer"],
        list(d["nomination_ids"]),
        d["recorded_by"],
    )


async def list_decisions(conn: asyncpg.Connection, units: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM decisions WHERE deciding_unit_code = ANY($1) ORDER BY decided_on DESC",
        list(units),
    )


async def nominations_by_ids(conn: asyncpg.Connection, ids: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM nominations WHERE nomination_id = ANY($1) ORDER BY award, nominee_kind,"
        " nominee_ref",
        list(ids),
    )
