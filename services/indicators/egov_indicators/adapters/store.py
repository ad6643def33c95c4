"""PostgreSQL store of indicators (asyncpg): definitions and rules, targets, submissions,
reported values with their history, derived values, evaluations and period locks.

Every function takes the caller's connection, so a use case's reads and writes share its
transaction. Values are ``numeric`` in the database and ``Decimal`` here; a disaggregation is
its CSV text (``sex=female``), ``''`` for the total.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

Row = dict[str, Any]


def _rows(records: Iterable[asyncpg.Record]) -> list[Row]:
    return [dict(r) for r in records]


# -- catalogue --------------------------------------------------------------------------------


async def definitions(conn: asyncpg.Connection) -> list[Row]:
    return _rows(await conn.fetch("SELECT definition FROM indicator_definitions ORDER BY code"))


async def rules(conn: asyncpg.Connection) -> list[Row]:
    return _rows(await conn.fetch("SELECT rule FROM validation_rules ORDER BY rule_id"))


async def install_catalogue(
    conn: asyncpg.Connection, defs: Sequence[Row], rule_list: Sequence[Row]
) -> None:
    """Add the bundled definitions and rules that are not there yet (edits are kept)."""
    await conn.executemany(
        "INSERT INTO indicator_definitions (code, definition) VALUES ($1, $2)"
        " ON CONFLICT (code) DO NOTHING",
        [(d["code"], d) for d in defs],
    )
    await conn.executemany(
        "INSERT INTO validation_rules (rule_id, rule) VALUES ($1, $2)"
        " ON CONFLICT (rule_id) DO NOTHING",
        [(r["id"], r) for r in rule_list],
    )


async def put_definition(conn: asyncpg.Connection, code: str, definition: Row, by: str) -> None:
    await conn.execute(
        "INSERT INTO indicator_definitions (code, definition, updated_by) VALUES ($1, $2, $3)"
        " ON CONFLICT (code) DO UPDATE SET definition = excluded.definition,"
        " updated_by = excluded.updated_by, updated_at = now()",
        code,
        definition,
        by,
    )


async def put_rule(conn: asyncpg.Connection, rule_id: str, rule: Row, by: str) -> None:
    await conn.execute(
        "INSERT INTO validation_rules (rule_id, rule, updated_by) VALUES ($1, $2, $3)"
        " ON CONFLICT (rule_id) DO UPDATE SET rule = excluded.rule,"
        " updated_by = excluded.updated_by, updated_at = now()",
        rule_id,
        rule,
        by,
    )


async def delete_rule(conn: asyncpg.Connection, rule_id: str) -> bool:
    done = await conn.execute("DELETE FROM validation_rules WHERE rule_id = $1", rule_id)
    return bool(done.endswith(" 1"))


# -- units ------------------------------------------------------------------------------------


async def lock_periods(conn: asyncpg.Connection, periods: Iterable[str]) -> None:
    """Serialise work on a period (its values and its roll-up) across processes; taken in one
    order so concurrent batches cannot deadlock."""
    for period in sorted(set(periods)):
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", f"indicators/{period}"
        )


async def get_submission(conn: asyncpg.Connection, submission_id: str) -> Row | None:
    row = await conn.fetchrow("SELECT * FROM submissions WHERE submission_id = $1", submission_id)
    return dict(row) if row else None


async def insert_submission(conn: asyncpg.Connection, row: Row) -> None:
    cols = list(row)
    await conn.execute(
        f"INSERT INTO submissions ({', '.join(cols)})"
        f" VALUES ({', '.join(f'${i + 1}' for i in range(len(cols)))})",
        *row.values(),
    )


async def accepted_submissions(conn: asyncpg.Connection, unit: str, period: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT submission_id FROM submissions WHERE unit_code = $1 AND period = $2"
        " AND status = 'accepted' ORDER BY received_at, submission_id",
        unit,
        period,
    )
    return [r["submission_id"] for r in rows]


async def submissions_of(conn: asyncpg.Connection, unit: str, period: str) -> list[Row]:
    return _rows(
        await conn.fetch(
            "SELECT submission_id, status, submitted_by, submitted_at, replaces, reason, channel,"
            " violations, warnings, received_at FROM submissions"
            " WHERE unit_code = $1 AND period = $2 ORDER BY received_at, submission_id",
            unit,
            period,
        )
    )


# -- reported values --------------------------------------------------------------------------


async def cell_values(conn: asyncpg.Connection, unit: str, period: str) -> list[Row]:
    return _rows(
        await conn.fetch(
            "SELECT * FROM indicator_values WHERE unit_code = $1 AND period = $2",
            unit,
            period,
        )
    )


async def unit_history(conn: asyncpg.Connection, unit: str, codes: Sequence[str]) -> list[Row]:
    """Every recorded value of the unit for these indicators (all periods)."""
    return _rows(
        await conn.fetch(
            "SELECT period, indicator_code, disaggregation, value FROM indicator_values"
            " WHERE unit_code = $1 AND indicator_code = ANY($2::text[])",
            unit,
            list(codes),
        )
    )


async def period_values(conn: asyncpg.Connection, period: str) -> list[Row]:
    return _rows(
        await conn.fetch(
            "SELECT unit_code, indicator_code, disaggregation, value FROM indicator_values"
            " WHERE period = $1",
            period,
        )
    )


async def values_of_periods(conn: asyncpg.Connection, periods: Sequence[str]) -> list[Row]:
    """The reported values of every unit for these periods (a year and its parts)."""
    return _rows(
        await conn.fetch(
            "SELECT unit_code, period, indicator_code, disaggregation, value FROM indicator_values"
            " WHERE period = ANY($1::text[])",
            list(periods),
        )
    )


async def upsert_values(conn: asyncpg.Connection, rows: Sequence[Row]) -> None:
    await conn.executemany(
        "INSERT INTO indicator_values (unit_code, period, indicator_code, disaggregation, value,"
        " submission_id, recorded_by, recorded_at, revision, warnings)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (unit_code, period, indicator_code, disaggregation) DO UPDATE SET"
        " value = excluded.value, submission_id = excluded.submission_id,"
        " recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at,"
        " revision = excluded.revision, warnings = excluded.warnings",
        [
            (
                r["unit_code"],
                r["period"],
                r["indicator_code"],
                r["disaggregation"],
                r["value"],
                r["submission_id"],
                r["recorded_by"],
                r["recorded_at"],
                r["revision"],
                r["warnings"],
            )
            for r in rows
        ],
    )


async def insert_history(conn: asyncpg.Connection, rows: Sequence[Row]) -> None:
    await conn.executemany(
        "INSERT INTO value_history (unit_code, period, indicator_code, disaggregation, old_value,"
        " new_value, revision, submission_id, replaces, reason, changed_by, changed_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        [
            (
                r["unit_code"],
                r["period"],
                r["indicator_code"],
                r["disaggregation"],
                r["old_value"],
                r["new_value"],
                r["revision"],
                r["submission_id"],
                r["replaces"],
                r["reason"],
                r["changed_by"],
                r["changed_at"],
            )
            for r in rows
        ],
    )


async def history(conn: asyncpg.Connection, unit: str, period: str) -> list[Row]:
    return _rows(
        await conn.fetch(
            "SELECT indicator_code, disaggregation, old_value, new_value, revision,"
            " submission_id, replaces, reason, changed_by, changed_at FROM value_history"
            " WHERE unit_code = $1 AND period = $2 ORDER BY id",
            unit,
            period,
        )
    )


# -- derived values ---------------------------------------------------------------------------


async def derived_of_period(conn: asyncpg.Connection, period: str) -> list[Row]:
    return _rows(await conn.fetch("SELECT * FROM derived_values WHERE period = $1", period))


async def upsert_derived(conn: asyncpg.Connection, rows: Sequence[Row]) -> None:
    await conn.executemany(
        "INSERT INTO derived_values (unit_code, period, indicator_code, disaggregation, value,"
        " numerator, denominator, sources, revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (unit_code, period, indicator_code, disaggregation) DO UPDATE SET"
        " value = excluded.value, numerator = excluded.numerator,"
        " denominator = excluded.denominator, sources = excluded.sources,"
        " revision = excluded.revision, updated_at = now()",
        [
            (
                r["unit_code"],
                r["period"],
                r["indicator_code"],
                r["disaggregation"],
                r["value"],
                r["numerator"],
                r["denominator"],
                list(r["sources"]),
                r["revision"],
            )
            for r in rows
        ],
    )


async def delete_derived(conn: asyncpg.Connection, period: str, keys: Sequence[Row]) -> None:
    await conn.executemany(
        "DELETE FROM derived_values WHERE period = $1 AND unit_code = $2 AND indicator_code = $3"
        " AND disaggregation = $4",
        [(period, k["unit_code"], k["indicator_code"], k["disaggregation"]) for k in keys],
    )


# -- reading values ---------------------------------------------------------------------------

_VALUES = (
    "SELECT unit_code, period, indicator_code, disaggregation, value, false AS derived,"
    " revision, submission_id, recorded_at AS updated_at, warnings, NULL::text[] AS sources,"
    " NULL::numeric AS numerator, NULL::numeric AS denominator FROM indicator_values"
    " WHERE unit_code = ANY($1::text[]) AND ($2::text IS NULL OR period = $2)"
    " AND ($3::text IS NULL OR indicator_code = $3)"
    " UNION ALL "
    "SELECT unit_code, period, indicator_code, disaggregation, value, true AS derived, revision,"
    " NULL, updated_at, '[]'::jsonb, sources, numerator, denominator FROM derived_values"
    " WHERE unit_code = ANY($1::text[]) AND ($2::text IS NULL OR period = $2)"
    " AND ($3::text IS NULL OR indicator_code = $3)"
)


async def find_values(
    conn: asyncpg.Connection,
    units: Sequence[str],
    period: str | None,
    indicator: str | None,
    limit: int = 5000,
) -> list[Row]:
    return _rows(
        await conn.fetch(
            f"{_VALUES} ORDER BY period, unit_code, indicator_code, disaggregation LIMIT $4",
            list(units),
            period,
            indicator,
            limit,
        )
    )


async def totals_of(
    conn: asyncpg.Connection, pairs: Sequence[tuple[str, str]], period: str
) -> dict[tuple[str, str], Decimal]:
    """The total (undisaggregated) value of each (indicator, unit) for a period: the unit's
    reported value, else its derived one."""
    if not pairs:
        return {}
    rows = await conn.fetch(
        "WITH wanted AS (SELECT * FROM unnest($1::text[], $2::text[]) AS w(code, unit))"
        " SELECT w.code, w.unit, coalesce(v.value, d.value) AS value FROM wanted w"
        " LEFT JOIN indicator_values v ON v.unit_code = w.unit AND v.indicator_code = w.code"
        "  AND v.period = $3 AND v.disaggregation = ''"
        " LEFT JOIN derived_values d ON d.unit_code = w.unit AND d.indicator_code = w.code"
        "  AND d.period = $3 AND d.disaggregation = ''",
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        period,
    )
    return {(r["code"], r["unit"]): r["value"] for r in rows if r["value"] is not None}


# -- targets and evaluations ------------------------------------------------------------------


async def put_target(
    conn: asyncpg.Connection,
    indicator: str,
    unit: str,
    period: str,
    target: Decimal,
    note: str,
    by: str,
) -> None:
    await conn.execute(
        "INSERT INTO targets (indicator_code, unit_code, period, target, note, set_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (indicator_code, unit_code, period)"
        " DO UPDATE SET target = excluded.target, note = excluded.note,"
        " set_by = excluded.set_by, set_at = now()",
        indicator,
        unit,
        period,
        target,
        note,
        by,
    )


async def find_targets(
    conn: asyncpg.Connection, units: Sequence[str], period: str | None, indicator: str | None
) -> list[Row]:
    return _rows(
        await conn.fetch(
            "SELECT * FROM targets WHERE unit_code = ANY($1::text[])"
            " AND ($2::text IS NULL OR period = $2) AND ($3::text IS NULL OR indicator_code = $3)"
            " ORDER BY period, unit_code, indicator_code",
            list(units),
            period,
            indicator,
        )
    )


async def targets_for(
    conn: asyncpg.Connection, pairs: Sequence[tuple[str, str]], period: str
) -> list[Row]:
    if not pairs:
        return []
    return _rows(
        await conn.fetch(
            "SELECT t.* FROM targets t JOIN unnest($1::text[], $2::text[]) AS w(code, unit)"
            " ON t.indicator_code = w.code AND t.unit_code = w.unit WHERE t.period = $3"
            " ORDER BY t.indicator_code, t.unit_code",
            [p[0] for p in pairs],
            [p[1] for p in pairs],
            period,
        )
    )


async def targets_not_closed(conn: asyncpg.Connection) -> list[Row]:
    """Every target whose last evaluation did not see its period closed (or that has none
    yet), with ``last_closed`` (None without an evaluation): the candidates for re-evaluation
    as days pass."""
    return _rows(
        await conn.fetch(
            "SELECT t.indicator_code, t.unit_code, t.period, t.target, t.note, t.set_by,"
            " (e.evaluation ->> 'period_closed')::boolean AS last_closed"
            " FROM targets t LEFT JOIN evaluations e USING (indicator_code, unit_code, period)"
            " WHERE e.evaluation IS NULL"
            " OR NOT coalesce((e.evaluation ->> 'period_closed')::boolean, false)"
            " ORDER BY t.period, t.indicator_code, t.unit_code"
        )
    )


async def get_evaluation(
    conn: asyncpg.Connection, indicator: str, unit: str, period: str
) -> Row | None:
    value = await conn.fetchval(
        "SELECT evaluation FROM evaluations WHERE indicator_code = $1 AND unit_code = $2"
        " AND period = $3",
        indicator,
        unit,
        period,
    )
    return dict(value) if value is not None else None


async def put_evaluation(
    conn: asyncpg.Connection, indicator: str, unit: str, period: str, evaluation: Row, at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO evaluations (indicator_code, unit_code, period, evaluation, evaluated_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (indicator_code, unit_code, period)"
        " DO UPDATE SET evaluation = excluded.evaluation, evaluated_at = excluded.evaluated_at",
        indicator,
        unit,
        period,
        evaluation,
        at,
    )


# -- locks ------------------------------------------------------------------------------------


async def get_lock(conn: asyncpg.Connection, unit: str, period: str) -> Row | None:
    row = await conn.fetchrow(
        "SELECT * FROM period_locks WHERE unit_code = $1 AND period = $2", unit, period
    )
    return dict(row) if row else None


async def insert_lock(
    conn: asyncpg.Connection, unit: str, period: str, by: str, approver_unit: str, at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO period_locks (unit_code, period, approved_by, approver_unit, locked_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        unit,
        period,
        by,
        approver_unit,
        at,
    )


# -- reporting completeness and timeliness ----------------------------------------------------


async def data_sets(conn: asyncpg.Connection, code: str | None = None) -> list[Row]:
    return _rows(
        await conn.fetch(
            "SELECT d.*, coalesce(array_agg(u.unit_code ORDER BY u.unit_code)"
            "   FILTER (WHERE u.unit_code IS NOT NULL), '{}') AS units"
            " FROM data_sets d LEFT JOIN data_set_units u ON u.data_set = d.code"
            " WHERE $1::text IS NULL OR d.code = $1 GROUP BY d.code ORDER BY d.code",
            code,
        )
    )


async def put_data_set(conn: asyncpg.Connection, row: Row, units: Sequence[str], by: str) -> None:
    await conn.execute(
        "INSERT INTO data_sets (code, name_vi, period_kind, indicators, due_day,"
        " due_months_after, remind_days_before, first_period, updated_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (code) DO UPDATE SET"
        " name_vi = EXCLUDED.name_vi, period_kind = EXCLUDED.period_kind,"
        " indicators = EXCLUDED.indicators, due_day = EXCLUDED.due_day,"
        " due_months_after = EXCLUDED.due_months_after,"
        " remind_days_before = EXCLUDED.remind_days_before,"
        " first_period = EXCLUDED.first_period,"
        " updated_by = EXCLUDED.updated_by, updated_at = now()",
        row["code"],
        row["name_vi"],
        row["period_kind"],
        list(row["indicators"]),
        row["due_day"],
        row["due_months_after"],
        row["remind_days_before"],
        row["first_period"],
        by,
    )
    await conn.execute("DELETE FROM data_set_units WHERE data_set = $1", row["code"])
    await conn.executemany(
        "INSERT INTO data_set_units (data_set, unit_code) VALUES ($1, $2)",
        [(row["code"], u) for u in sorted(set(units))],
    )


async def first_reports(
    conn: asyncpg.Connection,
    units: Sequence[str],
    periods: Sequence[str],
    indicators: Sequence[str],
) -> list[Row]:
    """When each unit first sent, for each period, an accepted submission carrying one of the
    indicators (``submitted_at``)."""
    return _rows(
        await conn.fetch(
            "SELECT unit_code, period, min(submitted_at) AS submitted_at FROM submissions s"
            " WHERE status = 'accepted' AND period = ANY($2::text[])"
            " AND unit_code = ANY($1::text[]) AND EXISTS ("
            "   SELECT 1 FROM jsonb_array_elements(s.payload -> 'values') v"
            "   WHERE v ->> 'indicator_code' = ANY($3::text[]))"
            " GROUP BY unit_code, period",
            list(units),
            list(periods),
            list(indicators),
        )
    )


async def notices_sent(
    conn: asyncpg.Connection, data_set: str, periods: Sequence[str]
) -> list[Row]:
    return _rows(
        await conn.fetch(
            "SELECT kind, unit_code, period FROM reporting_notices"
            " WHERE data_set = $1 AND period = ANY($2::text[])",
            data_set,
            list(periods),
        )
    )


async def insert_notice(conn: asyncpg.Connection, row: Row) -> bool:
    """Record a notice; False when it was sent before (so it is not sent twice)."""
    status = await conn.execute(
        "INSERT INTO reporting_notices (data_set, unit_code, period, kind, due_date, sent_at,"
        " event_id) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        row["data_set"],
        row["unit_code"],
        row["period"],
        row["kind"],
        row["due_date"],
        row["sent_at"],
        row["event_id"],
    )
    return bool(status.endswith(" 1"))


# -- multi-year plan periods ------------------------------------------------------------------


async def put_plan_target(conn: asyncpg.Connection, row: Row) -> None:
    await conn.execute(
        "INSERT INTO plan_targets (indicator_code, unit_code, plan_period, basis, target_low,"
        " target_high, note, set_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (indicator_code, unit_code, plan_period, basis) DO UPDATE SET"
        " target_low = excluded.target_low, target_high = excluded.target_high,"
        " note = excluded.note, set_by = excluded.set_by, set_at = now()",
        row["indicator_code"],
        row["unit_code"],
        row["plan_period"],
        row["basis"],
        row["target_low"],
        row["target_high"],
        row["note"],
        row["set_by"],
    )


async def plan_targets(
    conn: asyncpg.Connection, indicator: str, unit: str, plan_period: str
) -> list[Row]:
    return _rows(
        await conn.fetch(
            "SELECT * FROM plan_targets WHERE indicator_code = $1 AND unit_code = $2"
            " AND plan_period = $3 ORDER BY basis",
            indicator,
            unit,
            plan_period,
        )
    )
