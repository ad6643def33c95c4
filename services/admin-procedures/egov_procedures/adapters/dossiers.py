"""PostgreSQL store of dossiers: reports (timeline), derived state, timers, aggregates, PII."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
from egov_contracts.procedures import Applicant, StatusReported

from egov_procedures.domain.dossier import DeadlineWarning
from egov_procedures.domain.model import (
    Apology,
    Channel,
    Dossier,
    DossierState,
    Phase,
    Result,
    Status,
    StatusReport,
    Timeliness,
)
from egov_procedures.domain.report import ONLINE, DossierSnapshot
from egov_procedures.domain.service_index import IndexDossier


async def lock_dossier(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM dossiers WHERE dossier_code = $1 FOR UPDATE", code)


async def load_reports(conn: asyncpg.Connection, code: str) -> list[StatusReport]:
    rows = await conn.fetch(
        "SELECT report_id, status, occurred_at, payload FROM dossier_reports"
        " WHERE dossier_code = $1",
        code,
    )
    return [_report(code, r) for r in rows]


def _report(code: str, r: asyncpg.Record) -> StatusReport:
    p = r["payload"]
    return StatusReport(
        r["report_id"],
        code,
        Status(r["status"]),
        r["occurred_at"],
        result=Result(p["result"]) if p.get("result") else None,
        channel=Channel(p["channel"]) if p.get("channel") else None,
        note=p.get("note") or "",
    )


async def insert_reports(
    conn: asyncpg.Connection, rows: Sequence[tuple[StatusReport, dict[str, Any]]]
) -> None:
    await conn.executemany(
        "INSERT INTO dossier_reports (report_id, dossier_code, status, occurred_at, payload)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (report_id) DO NOTHING",
        [
            (r.report_id, r.dossier_code, str(r.status), r.occurred_at, payload)
            for r, payload in rows
        ],
    )


def _state_json(state: DossierState) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(state), default=str))


async def save_dossier(
    conn: asyncpg.Connection,
    state: DossierState,
    procedure_code: str,
    unit_code: str,
    applicant_ref: str | None,
    version: int,
) -> None:
    await conn.execute(
        "INSERT INTO dossiers (dossier_code, procedure_code, unit_code, channel, status,"
        " received_at, due_at, finished_at, resolved_at, result, timeliness, applicant_ref,"
        " version, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        " ON CONFLICT (dossier_code) DO UPDATE SET procedure_code = excluded.procedure_code,"
        " unit_code = excluded.unit_code, channel = excluded.channel, status = excluded.status,"
        " received_at = excluded.received_at, due_at = excluded.due_at,"
        " finished_at = excluded.finished_at, resolved_at = excluded.resolved_at,"
        " result = excluded.result, timeliness = excluded.timeliness,"
        " applicant_ref = COALESCE(excluded.applicant_ref, dossiers.applicant_ref),"
        " version = excluded.version, state = excluded.state, updated_at = now()",
        state.dossier_code,
        procedure_code,
        unit_code,
        str(state.channel) if state.channel else None,
        str(state.phase) if state.phase else "pending",
        state.received_at,
        state.due_at,
        state.finished_at,
        state.finished_at if state.counts_as_resolved else None,
        str(state.result) if state.result else None,
        str(state.timeliness) if state.timeliness else None,
        applicant_ref,
        version,
        _state_json(state),
    )


async def bump_version(conn: asyncpg.Connection, code: str, by: int) -> int:
    v: int = await conn.fetchval(
        "UPDATE dossiers SET version = version + $2 WHERE dossier_code = $1 RETURNING version",
        code,
        by,
    )
    return v


async def save_applicant(
    conn: asyncpg.Connection, code: str, ref: str, applicant: dict[str, Any]
) -> None:
    await conn.execute(
        "INSERT INTO applicants (dossier_code, applicant_ref, kind, national_id, name, phone,"
        " email) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dossier_code) DO NOTHING",
        code,
        ref,
        applicant.get("kind"),
        applicant.get("national_id"),
        applicant.get("name"),
        applicant.get("phone"),
        applicant.get("email"),
    )


# -- daily aggregates of the report form -------------------------------------------------

AGG_COLUMNS = (
    "received",
    "finished",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "withdrawn",
    "returned",
)


def contributions(state: DossierState | None, tz: Any) -> Counter[tuple[date, str, str]]:
    """What one dossier adds to the daily aggregates: (local day, channel, column) → 1."""
    out: Counter[tuple[date, str, str]] = Counter()
    if state is None or state.received_at is None:
        return out
    channel = str(state.channel or Channel.COUNTER)
    out[(state.received_at.astimezone(tz).date(), channel, "received")] += 1
    if state.finished_at is not None:
        day = state.finished_at.astimezone(tz).date()
        out[(day, channel, "finished")] += 1
        if state.counts_as_resolved and state.timeliness is not None:
            out[(day, channel, f"resolved_{state.timeliness.value.replace('-', '_')}")] += 1
        elif state.phase == Phase.WITHDRAWN:
            out[(day, channel, "withdrawn")] += 1
        elif state.phase == Phase.RETURNED:
            out[(day, channel, "returned")] += 1
    return out


async def apply_aggregate_delta(
    conn: asyncpg.Connection,
    unit_code: str,
    procedure_code: str,
    delta: dict[tuple[date, str, str], int],
) -> None:
    rows = []
    by_key: dict[tuple[date, str], dict[str, int]] = {}
    for (day, channel, column), n in delta.items():
        if n:
            by_key.setdefault((day, channel), dict.fromkeys(AGG_COLUMNS, 0))[column] += n
    for (day, channel), cols in sorted(by_key.items()):  # one lock order: no deadlocks
        rows.append((day, unit_code, procedure_code, channel, *(cols[c] for c in AGG_COLUMNS)))
    if not rows:
        return
    sets = ", ".join(f"{c} = dossier_daily.{c} + excluded.{c}" for c in AGG_COLUMNS)
    await conn.executemany(
        f"INSERT INTO dossier_daily (day, unit_code, procedure_code, channel,"
        f" {', '.join(AGG_COLUMNS)}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        f" ON CONFLICT (day, unit_code, procedure_code, channel) DO UPDATE SET {sets}",
        rows,
    )


# -- durable timers ----------------------------------------------------------------------


async def replace_timers(
    conn: asyncpg.Connection, code: str, schedule: Iterable[tuple[str, str, datetime]]
) -> None:
    """Unfired timers follow the current deadline; a fired one never fires again."""
    schedule = list(schedule)
    await conn.execute(
        "DELETE FROM dossier_timers WHERE dossier_code = $1 AND fired_at IS NULL", code
    )
    if schedule:
        await conn.executemany(
            "INSERT INTO dossier_timers (dossier_code, kind, threshold, fire_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (dossier_code, kind, threshold) DO NOTHING",
            [(code, kind, threshold, at) for kind, threshold, at in schedule],
        )


async def due_timer_dossiers(conn: asyncpg.Connection, now: datetime, limit: int) -> list[str]:
    rows = await conn.fetch(
        "SELECT DISTINCT dossier_code FROM (SELECT dossier_code FROM dossier_timers"
        " WHERE fired_at IS NULL AND fire_at <= $1 ORDER BY fire_at LIMIT $2) t",
        now,
        limit,
    )
    return [r["dossier_code"] for r in rows]


async def claim_due_timers(
    conn: asyncpg.Connection, code: str, now: datetime
) -> list[asyncpg.Record]:
    """Lock the dossier first (as the status-report handler does), then its due timers."""
    await conn.execute("SELECT 1 FROM dossiers WHERE dossier_code = $1 FOR UPDATE", code)
    return await conn.fetch(
        "UPDATE dossier_timers SET fired_at = $2 WHERE dossier_code = $1 AND fired_at IS NULL"
        " AND fire_at <= $2 RETURNING kind, threshold, fire_at",
        code,
        now,
    )


# -- apologies ---------------------------------------------------------------------------


async def get_apology(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM apologies WHERE dossier_code = $1", code)


async def insert_apology(
    conn: asyncpg.Connection,
    code: str,
    issued_at: datetime,
    new_due_at: datetime,
    reason: str,
    issued_by: str,
) -> None:
    await conn.execute(
        "INSERT INTO apologies (dossier_code, issued_at, new_due_at, reason, issued_by)"
        " VALUES ($1, $2, $3, $4, $5)",
        code,
        issued_at,
        new_due_at,
        reason,
        issued_by,
    )


# -- the repository of dossiers (domain objects in and out) --------------------------------


class PgDossiers:
    """:class:`~egov_procedures.domain.repositories.DossierRepository` on the transaction's
    connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, code: str, *, lock: bool = False) -> Dossier | None:
        row = await (lock_dossier if lock else get_dossier)(self.conn, code)
        if row is None:
            return None
        apology = await get_apology(self.conn, code)
        return Dossier(
            code,
            row["procedure_code"],
            row["unit_code"],
            version=row["version"],
            applicant_ref=row["applicant_ref"],
            due_at=row["due_at"],
            reports=tuple(await load_reports(self.conn, code)),
            apology=Apology(
                apology["issued_at"], apology["new_due_at"], apology["reason"], apology["issued_by"]
            )
            if apology
            else None,
        )

    async def add_reports(
        self, code: str, reports: Sequence[tuple[StatusReport, StatusReported]]
    ) -> None:
        await insert_reports(
            self.conn,
            [
                (r, d.model_dump(mode="json", exclude={"applicant"}, exclude_none=True))
                for r, d in reports
            ],
        )

    async def save(self, dossier: Dossier, state: DossierState | None = None) -> None:
        if state is not None:
            await save_dossier(
                self.conn,
                state,
                dossier.procedure_code,
                dossier.unit_code,
                dossier.applicant_ref,
                dossier.version,
            )
        else:
            await self.conn.execute(
                "UPDATE dossiers SET version = $2,"
                " applicant_ref = COALESCE($3, applicant_ref) WHERE dossier_code = $1",
                dossier.code,
                dossier.version,
                dossier.applicant_ref,
            )
        a = dossier.apology
        if a is not None:
            await self.conn.execute(
                "INSERT INTO apologies (dossier_code, issued_at, new_due_at, reason, issued_by)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dossier_code) DO NOTHING",
                dossier.code,
                a.issued_at,
                a.new_due_at,
                a.reason,
                a.issued_by,
            )

    async def save_applicant(self, code: str, ref: str, applicant: Applicant) -> None:
        await save_applicant(
            self.conn, code, ref, applicant.model_dump(mode="json", exclude_none=True)
        )

    async def add_to_daily(
        self, unit_code: str, procedure_code: str, delta: Mapping[tuple[date, str, str], int]
    ) -> None:
        await apply_aggregate_delta(self.conn, unit_code, procedure_code, dict(delta))

    async def daily(self, unit_code: str, procedure_code: str) -> dict[tuple[date, str, str], int]:
        rows = await self.conn.fetch(
            f"SELECT day, channel, {', '.join(AGG_COLUMNS)} FROM dossier_daily"
            " WHERE unit_code = $1 AND procedure_code = $2",
            unit_code,
            procedure_code,
        )
        return {(r["day"], r["channel"], c): r[c] for r in rows for c in AGG_COLUMNS if r[c]}

    async def schedule(self, code: str, warnings: Iterable[tuple[str, str, datetime]]) -> None:
        await replace_timers(self.conn, code, warnings)

    async def due(self, now: datetime, limit: int) -> list[str]:
        return await due_timer_dossiers(self.conn, now, limit)

    async def claim_due(self, code: str, now: datetime) -> list[DeadlineWarning]:
        return [
            DeadlineWarning(t["kind"], t["threshold"], t["fire_at"])
            for t in await claim_due_timers(self.conn, code, now)
        ]


# -- queries for the API -----------------------------------------------------------------


async def count(conn: asyncpg.Connection) -> int:
    """How many dossiers are on record."""
    return int(await conn.fetchval("SELECT count(*) FROM dossiers"))


async def get_dossier(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM dossiers WHERE dossier_code = $1", code)


async def timeline(conn: asyncpg.Connection, code: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT report_id, status, occurred_at, payload, received_at FROM dossier_reports"
        " WHERE dossier_code = $1 ORDER BY occurred_at, received_at",
        code,
    )


# Phases (the status column) of an open dossier whose clock is paused (the citizen supplements
# papers, or the procedure is suspended): the paused queue, not the overdue or due-soon ones.
PAUSED_STATUSES = ("awaiting-supplement", "suspended")
QUEUE_ORDER = {
    None: "received_at DESC NULLS LAST, dossier_code",
    "due": "due_at ASC NULLS LAST, dossier_code",
    "paused": "updated_at ASC, dossier_code",
}


async def search(
    conn: asyncpg.Connection,
    *,
    units: list[str],
    procedure: str | None,
    state: str | None,
    due_before: datetime | None,
    limit: int,
    offset: int,
    channel: str | None = None,
    open_only: bool = False,
    due_after: datetime | None = None,
    paused: bool | None = None,
    order: str | None = None,
) -> tuple[list[asyncpg.Record], int]:
    """One page of dossiers matching the filters, and how many match in all.

    ``paused``: True keeps only paused dossiers, False leaves them out, None either way."""
    # "open only" and "paused" are written into the statement (the paused statuses are this
    # module's constants), not passed as parameters: a prepared statement's generic plan could
    # not use the index of open dossiers otherwise
    where = (
        " FROM dossiers WHERE unit_code = ANY($1::text[])"
        " AND ($2::text IS NULL OR procedure_code = $2) AND ($3::text IS NULL OR status = $3)"
        " AND ($4::timestamptz IS NULL OR due_at < $4)"
        " AND ($5::text IS NULL OR channel = $5)"
        " AND ($6::timestamptz IS NULL OR due_at >= $6)"
    )
    if open_only:
        where += " AND finished_at IS NULL"
    if paused is not None:
        listed = ", ".join(f"'{s}'" for s in PAUSED_STATUSES)
        where += f" AND {'' if paused else 'NOT '}status IN ({listed})"
    args = [units, procedure, state, due_before, channel, due_after]
    rows = await conn.fetch(
        "SELECT dossier_code, procedure_code, unit_code, channel, status, received_at, due_at,"
        f" finished_at, timeliness, updated_at{where} ORDER BY {QUEUE_ORDER[order]}"
        " LIMIT $7 OFFSET $8",
        *args,
        limit,
        offset,
    )
    total = await conn.fetchval(f"SELECT count(*){where}", *args)
    return rows, int(total)


async def open_counts(
    conn: asyncpg.Connection, now: datetime, soon: datetime
) -> list[asyncpg.Record]:
    """Open dossiers per unit: within the deadline, due before ``soon``, overdue, paused."""
    return await conn.fetch(
        "SELECT unit_code,"
        " count(*) FILTER (WHERE status = ANY($3::text[])) AS paused,"
        " count(*) FILTER (WHERE NOT status = ANY($3::text[]) AND due_at < $1) AS overdue,"
        " count(*) FILTER (WHERE NOT status = ANY($3::text[]) AND due_at >= $1"
        "  AND due_at < $2) AS due_soon,"
        " count(*) FILTER (WHERE NOT status = ANY($3::text[])"
        "  AND (due_at IS NULL OR due_at >= $2)) AS within"
        " FROM dossiers WHERE finished_at IS NULL GROUP BY unit_code",
        now,
        soon,
        list(PAUSED_STATUSES),
    )


GROUPS = {"procedure": "procedure_code", "unit": "unit_code", "channel": "channel"}
# counts of the form summed as they are from the daily aggregates' columns of the same name
# (the others: carried over, received by channel, in progress, are computed below)
SUMMED_IN_PERIOD = ("resolved_early", "resolved_on_time", "resolved_late", "withdrawn", "returned")


async def report_counts(
    conn: asyncpg.Connection,
    *,
    units: list[str],
    start: date,
    end: date,
    procedure: str | None,
    group_by: str | None,
    now: datetime,
    tz: Any,
) -> list[dict[str, Any]]:
    """The report form's counts (the contract's ``REPORT_COUNTS``) per group of the days
    ``start``..``end``: from the daily aggregates, and the open dossiers overdue at the end of
    the period (or ``now`` for a period not over yet)."""
    col = GROUPS[group_by] if group_by else "NULL::text"
    online = [str(c) for c in ONLINE]
    summed = "".join(
        f" coalesce(sum({c}) FILTER (WHERE day >= $2), 0) AS {c}," for c in SUMMED_IN_PERIOD
    )
    # Before the period's month, the monthly sums (folded, and the changes not folded yet) as
    # rows dated the month's first day, with nothing resolved: they count only in "carried
    # over" and "in progress"; from that month on, the daily rows. One statement, one
    # snapshot: a fold committing meanwhile is seen whole or not at all.
    month = start.replace(day=1)
    sources = (
        "(SELECT day, unit_code, procedure_code, channel, received, finished, resolved_early,"
        " resolved_on_time, resolved_late, withdrawn, returned FROM dossier_daily"
        " WHERE unit_code = ANY($1::text[]) AND day >= $6 AND day <= $3"
        " UNION ALL SELECT month, unit_code, procedure_code, channel, received, finished,"
        " 0, 0, 0, 0, 0 FROM dossier_monthly WHERE unit_code = ANY($1::text[]) AND month < $6"
        " UNION ALL SELECT month, unit_code, procedure_code, channel, received, finished,"
        " 0, 0, 0, 0, 0 FROM dossier_monthly_changes"
        " WHERE unit_code = ANY($1::text[]) AND month < $6) AS counted"
    )
    rows = await conn.fetch(
        f"SELECT {col} AS grp,"
        " coalesce(sum(received) FILTER (WHERE day < $2), 0)"
        "  - coalesce(sum(finished) FILTER (WHERE day < $2), 0) AS carried_over,"
        " coalesce(sum(received) FILTER (WHERE day >= $2 AND channel = ANY($5)), 0)"
        "  AS received_online,"
        " coalesce(sum(received) FILTER (WHERE day >= $2 AND NOT channel = ANY($5)), 0)"
        f"  AS received_counter_postal,{summed}"
        " coalesce(sum(received), 0) - coalesce(sum(finished), 0) AS in_progress"
        f" FROM {sources} WHERE ($4::text IS NULL OR procedure_code = $4)"
        " GROUP BY 1 ORDER BY 1",
        units,
        start,
        end,
        procedure,
        online,
        month,
    )
    # "in progress at `to`": for a period not over yet, as of now
    end_instant = min(datetime.combine(end + timedelta(days=1), datetime.min.time(), tz), now)
    # In progress and overdue at E: received before E, due before E, not finished before E.
    # Such a dossier is still open, or was finished at or after E, after its deadline: two
    # disjoint parts, each read from its partial index (dossiers_open_due,
    # dossiers_finished_late) instead of every dossier received before E. The second part's
    # condition finished_at > due_at is implied by the others: the count is the same.
    where = (
        " unit_code = ANY($1::text[]) AND received_at < $2 AND due_at < $2"
        " AND ($3::text IS NULL OR procedure_code = $3)"
    )
    overdue = await conn.fetch(
        f"SELECT grp, sum(n) AS n FROM (SELECT {col} AS grp, count(*) AS n FROM dossiers"
        f" WHERE finished_at IS NULL AND{where} GROUP BY 1"
        f" UNION ALL SELECT {col}, count(*) FROM dossiers"
        f" WHERE finished_at > due_at AND finished_at >= $2 AND{where} GROUP BY 1) parts"
        " GROUP BY 1",
        units,
        end_instant,
        procedure,
    )
    late_open = {r["grp"]: r["n"] for r in overdue}
    out = []
    for r in rows:
        d = dict(r)
        in_progress = int(d.pop("in_progress"))
        d["in_progress_overdue"] = int(late_open.get(d["grp"], 0))
        d["in_progress_within_deadline"] = in_progress - d["in_progress_overdue"]
        out.append({k: (int(v) if k != "grp" else v) for k, v in d.items()})
    return out


async def fold_monthly_changes(conn: asyncpg.Connection) -> int:
    """Fold the changes of the daily aggregates into the monthly sums (in one statement: the
    report sees them before or after, the same totals); returns how many changes were
    folded. Rows are written in key order, so two folds at once cannot deadlock."""
    folded: int = await conn.fetchval(
        "WITH moved AS (DELETE FROM dossier_monthly_changes RETURNING *),"
        " summed AS (INSERT INTO dossier_monthly (unit_code, month, procedure_code, channel,"
        " received, finished) SELECT unit_code, month, procedure_code, channel, sum(received),"
        " sum(finished) FROM moved GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        " ON CONFLICT (unit_code, month, procedure_code, channel) DO UPDATE"
        " SET received = dossier_monthly.received + excluded.received,"
        " finished = dossier_monthly.finished + excluded.finished RETURNING 1)"
        " SELECT count(*) FROM moved"
    )
    return folded


REPORTED_FACTS = ("digitised", "electronic_result", "paid_online", "satisfaction")


async def index_dossiers(
    conn: asyncpg.Connection, *, units: list[str], start: datetime, end: datetime
) -> list[IndexDossier]:
    """The dossiers of ``units`` the service index of [start, end) reads: received before the
    end and not finished before the start, with their supplement requests."""
    # the optional facts of the status reports (digitised, …): the latest applied report that
    # states each one
    latest = ", ".join(
        f"(array_agg(r.payload -> '{k}' ORDER BY r.occurred_at DESC)"
        f" FILTER (WHERE r.payload ? '{k}'))[1] AS {k}"
        for k in REPORTED_FACTS
    )
    rows = await conn.fetch(
        "SELECT d.dossier_code, d.procedure_code, d.unit_code, d.channel, d.status,"
        " d.received_at, d.due_at, d.finished_at, d.timeliness, d.state -> 'pauses' AS pauses,"
        f" f.* FROM dossiers d LEFT JOIN LATERAL (SELECT {latest} FROM dossier_reports r"
        " WHERE r.dossier_code = d.dossier_code AND NOT coalesce(d.state -> 'refused', '[]')"
        " @> jsonb_build_array(jsonb_build_object('report_id', r.report_id))) f ON true"
        " WHERE d.unit_code = ANY($1::text[]) AND d.received_at < $3"
        " AND (d.finished_at IS NULL OR d.finished_at >= $2) ORDER BY d.dossier_code",
        units,
        start,
        end,
    )
    out = []
    for r in rows:
        pauses = r["pauses"] or []
        out.append(
            IndexDossier(
                dossier_code=r["dossier_code"],
                procedure_code=r["procedure_code"],
                unit_code=r["unit_code"],
                snapshot=DossierSnapshot(
                    r["received_at"],
                    Channel(r["channel"]) if r["channel"] else None,
                    Phase(r["status"]),
                    r["finished_at"],
                    Timeliness(r["timeliness"]) if r["timeliness"] else None,
                    r["due_at"],
                ),
                supplements=tuple(
                    (
                        datetime.fromisoformat(p["started_at"]),
                        datetime.fromisoformat(p["ended_at"]) if p.get("ended_at") else None,
                    )
                    for p in pauses
                    if p.get("kind") == str(Status.SUPPLEMENT_REQUESTED)
                ),
                **{k: r[k] for k in REPORTED_FACTS},
            )
        )
    return out
