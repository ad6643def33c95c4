"""PostgreSQL store of the register: people, ratings and time worked, discipline, pending
matters, initiatives, award history; and the nominee records the engine judges."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg

from egov_nominations.adapters.clusters import clusters_of_unit
from egov_nominations.domain.register import (
    AwardKind,
    AwardRecord,
    DisciplineLevel,
    DisciplineRecord,
    IndividualRecord,
    Initiative,
    InitiativeKind,
    Leave,
    LeaveKind,
    NomineeKind,
    PendingKind,
    PendingMatter,
    Person,
    Scope,
    TaskRating,
    UnitEvidence,
    UnitRecord,
    WorkYear,
    YearRating,
)

# -- people and their yearly records ----------------------------------------------------------


async def get_person(conn: asyncpg.Connection, person_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM people WHERE person_id = $1", person_id)


async def list_people(conn: asyncpg.Connection, units: Sequence[str]) -> list[asyncpg.Record]:
    """Person id, name and unit of the people of `units`, by unit and id."""
    return await conn.fetch(
        "SELECT person_id, name, unit_code FROM people WHERE unit_code = ANY($1)"
        " ORDER BY unit_code, person_id",
        list(units),
    )


async def upsert_person(
    conn: asyncpg.Connection, person_id: str, name: str, unit_code: str, female: bool | None
) -> bool:
    """Insert or update; True when the person was new."""
    row = await conn.fetchrow(
        "INSERT INTO people (person_id, name, unit_code, female) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (person_id) DO UPDATE SET name = excluded.name,"
        " unit_code = excluded.unit_code, female = COALESCE(excluded.female, people.female),"
        " updated_at = now() RETURNING (xmax = 0) AS inserted",
        person_id,
        name,
        unit_code,
        female,
    )
    return bool(row and row["inserted"])


async def upsert_rating(
    conn: asyncpg.Connection,
    person_id: str,
    year: int,
    unit_code: str,
    rating: str,
    months_on_duty: Decimal,
    leave: list[dict[str, Any]],
    source: str,
) -> bool:
    """Insert or update a year's rating; True when it was new."""
    row = await conn.fetchrow(
        "INSERT INTO ratings (person_id, year, unit_code, rating, months_on_duty, leave, source)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (person_id, year) DO UPDATE SET"
        " unit_code = excluded.unit_code, rating = excluded.rating,"
        " months_on_duty = excluded.months_on_duty, leave = excluded.leave,"
        " source = excluded.source, updated_at = now() RETURNING (xmax = 0) AS inserted",
        person_id,
        year,
        unit_code,
        rating,
        months_on_duty,
        leave,
        source,
    )
    return bool(row and row["inserted"])


async def get_rating(conn: asyncpg.Connection, person_id: str, year: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM ratings WHERE person_id = $1 AND year = $2", person_id, year
    )


async def upsert_unit_rating(
    conn: asyncpg.Connection, unit_code: str, year: int, rating: str
) -> None:
    await conn.execute(
        "INSERT INTO unit_ratings (unit_code, year, rating) VALUES ($1, $2, $3)"
        " ON CONFLICT (unit_code, year) DO UPDATE SET rating = excluded.rating,"
        " updated_at = now()",
        unit_code,
        year,
        rating,
    )


async def add_discipline(
    conn: asyncpg.Connection, person_id: str, year: int, level: str, decision_number: str
) -> None:
    await conn.execute(
        "INSERT INTO disciplines (person_id, year, level, decision_number) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (person_id, decision_number) DO UPDATE SET year = excluded.year,"
        " level = excluded.level",
        person_id,
        year,
        level,
        decision_number,
    )


async def upsert_pending(conn: asyncpg.Connection, m: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO pending_matters (matter_id, nominee_kind, nominee_ref, kind, opened_on,"
        " reference, resolved) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (matter_id) DO UPDATE SET resolved = excluded.resolved,"
        " reference = excluded.reference",
        m["matter_id"],
        m["nominee_kind"],
        m["nominee_ref"],
        m["kind"],
        m["opened_on"],
        m["reference"],
        m["resolved"],
    )


async def upsert_initiative(conn: asyncpg.Connection, i: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO initiatives (initiative_id, person_id, title, year, kind, recognised_by,"
        " scope, accepted_and_applied, decision_number) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
        " ON CONFLICT (initiative_id) DO UPDATE SET person_id = excluded.person_id,"
        " title = excluded.title, year = excluded.year, kind = excluded.kind,"
        " recognised_by = excluded.recognised_by, scope = excluded.scope,"
        " accepted_and_applied = excluded.accepted_and_applied,"
        " decision_number = excluded.decision_number",
        i["initiative_id"],
        i["person_id"],
        i["title"],
        i["year"],
        i["kind"],
        i["recognised_by"],
        i["scope"],
        i["accepted_and_applied"],
        i.get("decision_number"),
    )


async def add_award(conn: asyncpg.Connection, a: dict[str, Any]) -> bool:
    """Record an award; True when new, False when the same award was already recorded."""
    row = await conn.fetchrow(
        "INSERT INTO award_history (nominee_kind, nominee_ref, unit_code, award, year,"
        " decision_number, level, decided_on, nomination_id, source)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (nominee_kind, nominee_ref, award, year, decision_number) DO UPDATE SET"
        " unit_code = excluded.unit_code, level = excluded.level,"
        " decided_on = excluded.decided_on,"
        " nomination_id = COALESCE(excluded.nomination_id, award_history.nomination_id)"
        " RETURNING (xmax = 0) AS inserted",
        a["nominee_kind"],
        a["nominee_ref"],
        a["unit_code"],
        a["award"],
        a["year"],
        a["decision_number"],
        a.get("level"),
        a.get("decided_on"),
        a.get("nomination_id"),
        a.get("source", "import"),
    )
    return bool(row and row["inserted"])


async def list_awards(
    conn: asyncpg.Connection,
    *,
    units: Sequence[str] | None,
    nominee_ref: str | None = None,
    year: int | None = None,
    award: str | None = None,
    limit: int = 1000,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT a.*, COALESCE(p.name, u.name, a.nominee_ref) AS nominee_name"
        " FROM award_history a LEFT JOIN people p"
        " ON a.nominee_kind = 'individual' AND p.person_id = a.nominee_ref"
        " LEFT JOIN units u ON a.nominee_kind = 'collective' AND u.unit_code = a.nominee_ref"
        " WHERE ($1::text[] IS NULL OR a.unit_code = ANY($1))"
        " AND ($2::text IS NULL OR a.nominee_ref = $2) AND ($3::int IS NULL OR a.year = $3)"
        " AND ($4::text IS NULL OR a.award = $4)"
        " ORDER BY a.year DESC, a.award, a.nominee_ref LIMIT $5",
        list(units) if units is not None else None,
        nominee_ref,
        year,
        award,
        limit,
    )


# -- nominee records for the engine -----------------------------------------------------------


def _leave(raw: Any) -> tuple[Leave, ...]:
    items = json.loads(raw) if isinstance(raw, str) else (raw or [])
    return tuple(Leave(kind=LeaveKind(i["kind"]), months=Decimal(str(i["months"]))) for i in items)


def _award(r: asyncpg.Record) -> AwardRecord:
    return AwardRecord(
        award=AwardKind(r["award"]),
        year=r["year"],
        decision_number=r["decision_number"],
        level=r["level"],
        decided_on=r["decided_on"],
    )


def _pending(r: asyncpg.Record) -> PendingMatter:
    return PendingMatter(
        kind=PendingKind(r["kind"]),
        opened_on=r["opened_on"],
        reference=r["reference"],
        resolved=r["resolved"],
    )


async def individual_records(
    conn: asyncpg.Connection, person_ids: Sequence[str]
) -> dict[str, IndividualRecord]:
    """The full record of each person, in a handful of queries."""
    ids = list(person_ids)
    people = await conn.fetch("SELECT * FROM people WHERE person_id = ANY($1)", ids)
    ratings = await conn.fetch("SELECT * FROM ratings WHERE person_id = ANY($1)", ids)
    discs = await conn.fetch("SELECT * FROM disciplines WHERE person_id = ANY($1)", ids)
    pend = await conn.fetch(
        "SELECT * FROM pending_matters WHERE nominee_kind = 'individual' AND nominee_ref = ANY($1)",
        ids,
    )
    inits = await conn.fetch("SELECT * FROM initiatives WHERE person_id = ANY($1)", ids)
    awards = await conn.fetch(
        "SELECT * FROM award_history WHERE nominee_kind = 'individual' AND nominee_ref = ANY($1)",
        ids,
    )
    by: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for r in ratings:
        by[r["person_id"]]["ratings"].append(
            YearRating(year=r["year"], rating=TaskRating(r["rating"]))
        )
        by[r["person_id"]]["work"].append(
            WorkYear(year=r["year"], months_on_duty=r["months_on_duty"], leave=_leave(r["leave"]))
        )
    for r in discs:
        by[r["person_id"]]["disc"].append(
            DisciplineRecord(
                year=r["year"],
                level=DisciplineLevel(r["level"]),
                decision_number=r["decision_number"],
            )
        )
    for r in pend:
        by[r["nominee_ref"]]["pending"].append(_pending(r))
    for r in inits:
        by[r["person_id"]]["init"].append(
            Initiative(
                id=r["initiative_id"],
                title=r["title"],
                year=r["year"],
                kind=InitiativeKind(r["kind"]),
                recognised_by=r["recognised_by"],
                scope=Scope(r["scope"]),
                accepted_and_applied=r["accepted_and_applied"],
                decision_number=r["decision_number"],
            )
        )
    for r in awards:
        by[r["nominee_ref"]]["awards"].append(_award(r))
    out: dict[str, IndividualRecord] = {}
    for p in people:
        parts = by[p["person_id"]]
        out[p["person_id"]] = IndividualRecord(
            person=Person(
                id=p["person_id"], name=p["name"], unit_id=p["unit_code"], female=p["female"]
            ),
            ratings=tuple(sorted(parts["ratings"], key=lambda x: x.year)),
            work_years=tuple(sorted(parts["work"], key=lambda x: x.year)),
            disciplines=tuple(parts["disc"]),
            pending=tuple(parts["pending"]),
            initiatives=tuple(parts["init"]),
            awards=tuple(sorted(parts["awards"], key=lambda x: x.year)),
        )
    return out


async def member_ids(conn: asyncpg.Connection, unit_code: str, year: int) -> list[str]:
    """Members of a unit for a year: those rated in it that year, and those now in it who have
    no rating for that year (who then count as not rated)."""
    rows = await conn.fetch(
        "SELECT person_id FROM ratings WHERE unit_code = $1 AND year = $2"
        " UNION SELECT p.person_id FROM people p WHERE p.unit_code = $1 AND NOT EXISTS"
        " (SELECT 1 FROM ratings r WHERE r.person_id = p.person_id AND r.year = $2)"
        " ORDER BY 1",
        unit_code,
        year,
    )
    return [r["person_id"] for r in rows]


async def unit_record(
    conn: asyncpg.Connection, unit_code: str, unit_name: str, year: int
) -> tuple[UnitRecord, dict[str, Any]]:
    """A collective's record for `year` and the evidence details shown beside it."""
    members = await individual_records(conn, await member_ids(conn, unit_code, year))
    ratings = await conn.fetch("SELECT * FROM unit_ratings WHERE unit_code = $1", unit_code)
    pend = await conn.fetch(
        "SELECT * FROM pending_matters WHERE nominee_kind = 'collective' AND nominee_ref = $1",
        unit_code,
    )
    awards = await conn.fetch(
        "SELECT * FROM award_history WHERE nominee_kind = 'collective' AND nominee_ref = $1",
        unit_code,
    )
    details: dict[str, Any] = {}
    evidence = []
    for y in (year - 1, year):
        ev, detail = await unit_evidence(conn, unit_code, y)
        details[str(y)] = detail
        if ev is not None:
            evidence.append(ev)
    record = UnitRecord(
        id=unit_code,
        name=unit_name,
        ratings=tuple(YearRating(year=r["year"], rating=TaskRating(r["rating"])) for r in ratings),
        members=tuple(members[k] for k in sorted(members)),
        pending=tuple(_pending(r) for r in pend),
        awards=tuple(_award(r) for r in awards),
        evidence=tuple(evidence),
        clusters=tuple(await clusters_of_unit(conn, unit_code)),
    )
    return record, details


# -- evidence read from other services ---------------------------------------------------------


async def unit_evidence(
    conn: asyncpg.Connection, unit_code: str, year: int
) -> tuple[UnitEvidence | None, dict[str, Any]]:
    """The unit's on-time rate and target achievement for a year, and what they rest on.

    The on-time rate is the yearly period's if admin-procedures published one, else the latest
    period within the year. Target achievement is the share of the unit's evaluated targets of
    the year that are achieved; every target is listed.
    """
    rates = await conn.fetch(
        "SELECT * FROM evidence_on_time WHERE unit_code = $1 AND year = $2"
        " ORDER BY (period = $3) DESC, period_to DESC, period_from",
        unit_code,
        year,
        str(year),
    )
    rate = rates[0] if rates else None
    targets = await conn.fetch(
        "SELECT * FROM evidence_targets WHERE unit_code = $1 AND year = $2"
        " ORDER BY indicator_code, period",
        unit_code,
        year,
    )
    # one evaluation per indicator: the yearly period's, else the latest period of the year
    per_indicator: dict[str, asyncpg.Record] = {}
    for t in targets:
        held = per_indicator.get(t["indicator_code"])
        if (
            held is None
            or t["period"] == str(year)
            or (held["period"] != str(year) and t["evaluated_at"] > held["evaluated_at"])
        ):
            per_indicator[t["indicator_code"]] = t
    chosen = list(per_indicator.values())
    achieved = sum(t["status"] == "achieved" for t in chosen)
    share = (
        (Decimal(achieved) * 100 / Decimal(len(chosen))).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if chosen
        else None
    )
    detail: dict[str, Any] = {
        "on_time_rate": None
        if rate is None
        else {
            "period": rate["period"],
            "period_from": rate["period_from"].isoformat(),
            "period_to": rate["period_to"].isoformat(),
            "resolved": rate["resolved"],
            "early_or_on_time": rate["early_on_time"],
            "on_time_rate_pct": _num(rate["on_time_rate"]),
            "revision": rate["revision"],
            "source_event_id": rate["event_id"],
        },
        "targets": {
            "evaluated": len(chosen),
            "achieved": achieved,
            "achieved_share_pct": _num(share),
            "items": [
                {
                    "indicator_code": t["indicator_code"],
                    "period": t["period"],
                    "target": _num(t["target"]),
                    "actual": _num(t["actual"]),
                    "achievement_pct": _num(t["achievement_pct"]),
                    "status": t["status"],
                    "period_closed": t["period_closed"],
                    "source_event_id": t["event_id"],
                }
                for t in chosen
            ],
        },
    }
    on_time = rate["on_time_rate"] if rate is not None else None
    if on_time is None and share is None:
        return None, detail
    return UnitEvidence(year=year, on_time_rate_pct=on_time, target_achievement_pct=share), detail


def _num(v: Decimal | None) -> str | None:
    return None if v is None else format(v, "f")


async def record_on_time_rate(conn: asyncpg.Connection, r: dict[str, Any]) -> None:
    """Keep the latest revision of a period's rate (a late, lower revision changes nothing)."""
    await conn.execute(
        "INSERT INTO evidence_on_time (unit_code, period, year, period_from, period_to,"
        " resolved, early_on_time, on_time_rate, revision, event_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (unit_code, period) DO UPDATE SET year = excluded.year,"
        " period_from = excluded.period_from, period_to = excluded.period_to,"
        " resolved = excluded.resolved, early_on_time = excluded.early_on_time,"
        " on_time_rate = excluded.on_time_rate, revision = excluded.revision,"
        " event_id = excluded.event_id, updated_at = now()"
        " WHERE evidence_on_time.revision <= excluded.revision",
        r["unit_code"],
        r["period"],
        r["year"],
        r["period_from"],
        r["period_to"],
        r["resolved"],
        r["early_on_time"],
        r["on_time_rate"],
        r["revision"],
        r["event_id"],
    )


async def on_time_rate(
    conn: asyncpg.Connection, unit_code: str, period: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM evidence_on_time WHERE unit_code = $1 AND period = $2", unit_code, period
    )


async def target_evaluation(
    conn: asyncpg.Connection, indicator: str, unit_code: str, period: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM evidence_targets WHERE indicator_code = $1 AND unit_code = $2"
        " AND period = $3",
        indicator,
        unit_code,
        period,
    )


async def record_target(conn: asyncpg.Connection, t: dict[str, Any]) -> None:
    """Keep the latest evaluation of a target (an older one arriving late changes nothing)."""
    await conn.execute(
        "INSERT INTO evidence_targets (indicator_code, unit_code, period, year, target, actual,"
        " achievement_pct, status, period_closed, evaluated_at, event_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        " ON CONFLICT (indicator_code, unit_code, period) DO UPDATE SET target = excluded.target,"
        " actual = excluded.actual, achievement_pct = excluded.achievement_pct,"
        " status = excluded.status, period_closed = excluded.period_closed,"
        " evaluated_at = excluded.evaluated_at, event_id = excluded.event_id"
        " WHERE evidence_targets.evaluated_at <= excluded.evaluated_at",
        t["indicator_code"],
        t["unit_code"],
        t["period"],
        t["year"],
        t["target"],
        t["actual"],
        t["achievement_pct"],
        t["status"],
        t["period_closed"],
        t["evaluated_at"],
        t["event_id"],
    )


def nominee_kind(value: str) -> NomineeKind:
    return NomineeKind(value)


def as_date(v: Any) -> date | None:
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v))
