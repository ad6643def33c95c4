"""Published on-time rates and the units the reports are made for."""

from __future__ import annotations

from typing import Any

import asyncpg


async def lock_published(
    conn: asyncpg.Connection, unit_code: str, label: str, scope: str = "all"
) -> dict[str, Any] | None:
    """The form (``scope`` all) or the service index (``service-index``) last published for a
    unit's period (with its ``revision``), locked; None before the first."""
    row = await conn.fetchrow(
        "SELECT payload FROM published_rates WHERE unit_code = $1 AND period_label = $2"
        " AND scope = $3 FOR UPDATE",
        unit_code,
        label,
        scope,
    )
    return dict(row["payload"]) if row is not None else None


async def save_published(
    conn: asyncpg.Connection,
    unit_code: str,
    label: str,
    payload: dict[str, Any],
    scope: str = "all",
) -> None:
    await conn.execute(
        "INSERT INTO published_rates (unit_code, period_label, scope, payload)"
        " VALUES ($1, $2, $4, $3) ON CONFLICT (unit_code, period_label, scope)"
        " DO UPDATE SET payload = excluded.payload, published_at = now()",
        unit_code,
        label,
        payload,
        scope,
    )


async def top_units(conn: asyncpg.Connection) -> list[str]:
    """The roots of the hierarchy and the units directly below them."""
    rows = await conn.fetch(
        "SELECT unit_code FROM units WHERE parent_code IS NULL OR parent_code IN"
        " (SELECT unit_code FROM units WHERE parent_code IS NULL)"
    )
    return [r["unit_code"] for r in rows]


async def reporting_units(conn: asyncpg.Connection) -> list[str]:
    """Every unit with dossiers on record, and the roots of the hierarchy."""
    rows = await conn.fetch(
        "SELECT DISTINCT unit_code FROM dossier_daily UNION"
        " SELECT unit_code FROM units WHERE parent_code IS NULL"
    )
    return [r["unit_code"] for r in rows]
