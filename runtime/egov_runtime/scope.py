"""Unit scope: the one place where every service decides whether a principal may act on a unit.

A token's ``unit`` is the admin unit whose subtree its holder may see and change (itself and
every unit below it, from the service's read model of the hierarchy, :mod:`egov_runtime.units`).
Three rules, used by every route that touches something of a unit:

- :func:`check_scope` — the unit must lie in the caller's subtree, else 403; for a resource the
  caller may not see (another unit's dossier, nomination, delivery…) the route passes the same
  404 it answers for a missing one (``hidden=``), so existence does not leak;
- :func:`check_root` — province-wide configuration (procedure catalogue, calendar exceptions,
  indicator definitions and rules, notifier templates and rules) needs a principal scoped at
  the root of the hierarchy (the province);
- :func:`in_scope` — the same test as a boolean, for filtering.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from egov_runtime.auth import Principal
from egov_runtime.refusals import Forbidden
from egov_runtime.units import ancestry


def within(principal: Principal, unit_code: str, ancestry: Sequence[str]) -> bool:
    """The rule of :func:`in_scope` on the unit's ``ancestry`` (the unit answering for it
    today, then its parents), for a caller that holds the hierarchy already."""
    if not principal.unit_code:
        return False
    if principal.unit_code == unit_code:
        return True  # the caller's own unit, even one since merged away (its history)
    return principal.in_scope(list(ancestry))


def check_within(
    principal: Principal,
    unit_code: str,
    ancestry: Sequence[str],
    *,
    hidden: Exception | None = None,
) -> None:
    """The rule of :func:`check_scope` on the unit's ``ancestry``."""
    if within(principal, unit_code, ancestry):
        return
    if hidden is not None:
        raise hidden
    raise Forbidden("Outside your unit", f"Unit {unit_code} is not within {principal.unit_code}.")


async def in_scope(conn: asyncpg.Connection, principal: Principal, unit_code: str) -> bool:
    """True when ``unit_code`` is the caller's unit or lies below it (today: a unit merged away
    lies where its successor does)."""
    if not principal.unit_code:
        return False
    if principal.unit_code == unit_code:
        return True
    return within(principal, unit_code, await ancestry(conn, unit_code))


async def check_scope(
    conn: asyncpg.Connection,
    principal: Principal,
    unit_code: str,
    *,
    hidden: Exception | None = None,
) -> None:
    """Raise unless ``unit_code`` lies in the caller's subtree: ``hidden`` when given (the 404
    the route answers for a missing resource), else 403."""
    if await in_scope(conn, principal, unit_code):
        return
    if hidden is not None:
        raise hidden
    raise Forbidden("Outside your unit", f"Unit {unit_code} is not within {principal.unit_code}.")


async def roots(conn: asyncpg.Connection, province_code: str) -> set[str]:
    """The roots of the hierarchy (units without a parent) in this service's read model; the
    configured province code while the read model is still empty."""
    rows = await conn.fetch("SELECT unit_code FROM units WHERE parent_code IS NULL")
    return {r["unit_code"] for r in rows} or {province_code}


async def at_root(conn: asyncpg.Connection, principal: Principal, province_code: str) -> bool:
    return principal.unit_code in await roots(conn, province_code)


async def check_root(
    conn: asyncpg.Connection, principal: Principal, province_code: str, what: str
) -> None:
    """403 unless the caller is scoped at the root of the hierarchy (``what``: the province-wide
    configuration being changed, for the message)."""
    if not await at_root(conn, principal, province_code):
        raise Forbidden(
            "Province-wide configuration",
            f"{what} applies to the whole province; it needs a role scoped at the province"
            f" (your unit: {principal.unit_code}).",
        )
