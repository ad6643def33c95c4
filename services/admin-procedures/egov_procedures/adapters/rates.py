"""Published on-time rates and the units the reports are made for."""

from __future__ import annotations

from typing import Any

import asyncpg

from egov_procedures.domain.report import Published, PublishedFigures


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


class PgPublished:
    """:class:`~egov_procedures.domain.repositories.PublishedValues` on a connection (the
    payload of ``published_rates`` is the figures with their ``revision``)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def last(self, unit_code: str, period: str, kind: Published) -> PublishedFigures | None:
        payload = await lock_published(self.conn, unit_code, period, kind.value)
        if payload is None:
            return None
        revision = payload.pop("revision", 0)
        return PublishedFigures(unit_code, period, kind, payload, revision)

    async def save(self, published: PublishedFigures) -> None:
        p = published
        payload = {**p.figures, "revision": p.revision}
        await save_published(self.conn, p.unit_code, p.period, payload, p.kind.value)
