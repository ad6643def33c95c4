"""Emulation clusters and blocs (cụm, khối thi đua) in the register: a cluster's member units
for a year and the leading collective(s) its meeting proposed — the evidence the province's
Cờ thi đua rests on. Recorded by the officer of the unit that runs the cluster; a request that
is refused stores nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from egov_runtime.auth import Principal
from egov_runtime.consumer import Tx
from egov_runtime.refusals import conflict, invalid, not_found
from egov_runtime.units import descendants

from egov_nominations.adapters import clusters as store
from egov_nominations.domain.clusters import RecordedCluster
from egov_nominations.domain.register import EmulationCluster, meeting_date_problem
from egov_nominations.usecases.common import Context, Work, check_scope, check_scope_in, in_scope


def cluster_json(r: Any) -> dict[str, Any]:
    return {
        "cluster_id": r["cluster_id"],
        "year": r["year"],
        "name": r["name"],
        "unit_code": r["unit_code"],
        "members": list(r["members"]),
        "leaders": list(r["leaders"]),
        "meeting_reference": r["meeting_reference"],
        "meeting_on": r["meeting_on"].isoformat() if r["meeting_on"] else None,
        "recorded_by": r["recorded_by"],
        "recorded_at": r["recorded_at"].isoformat(),
    }


def recorded_json(r: RecordedCluster) -> dict[str, Any]:
    c = r.cluster
    return cluster_json(
        {
            "cluster_id": c.id,
            "year": c.year,
            "name": c.name,
            "unit_code": c.unit_code,
            "members": c.members,
            "leaders": c.leaders,
            "meeting_reference": c.meeting_reference,
            "meeting_on": c.meeting_on,
            "recorded_by": r.recorded_by,
            "recorded_at": r.recorded_at,
        }
    )


@dataclass(frozen=True)
class RecordCluster:
    """The officer of the unit that runs a cluster records its members for a year."""

    cluster_id: str
    year: int
    name: str
    unit_code: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class RecordLeaders:
    """The leading collective(s) the cluster's meeting proposed for a year."""

    cluster_id: str
    year: int
    leaders: tuple[str, ...]
    meeting_reference: str
    meeting_on: date


def _duplicates(field: str, units: Sequence[str]) -> None:
    twice = sorted({u for u in units if list(units).count(u) > 1})
    if twice:
        raise invalid(
            f"{', '.join(twice)} listed twice.",
            [{"field": field, "message": f"{u} is listed twice"} for u in twice],
        )


async def _known_units(w: Work, field: str, units: Sequence[str]) -> None:
    hierarchy = await w.units.hierarchy()
    unknown = [u for u in units if u not in hierarchy]
    if unknown:
        raise invalid(
            f"Unknown unit {', '.join(unknown)}.",
            [{"field": field, "message": f"unknown unit {u}"} for u in unknown],
        )


async def put_cluster(
    w: Work, ctx: Context, principal: Principal, command: RecordCluster
) -> dict[str, Any]:
    """Record a cluster's composition for a year (a correction replaces the member list; a
    unit the cluster proposed as leader cannot leave it)."""
    cluster_id, year, members = command.cluster_id, command.year, command.members
    _duplicates("members", members)
    if command.unit_code not in await w.units.hierarchy():
        raise invalid(
            f"Unknown unit {command.unit_code}.",
            [{"field": "unit_code", "message": "unknown unit"}],
        )
    await _known_units(w, "members", members)
    await check_scope_in(w, ctx, principal, command.unit_code)
    for m in members:
        await check_scope_in(w, ctx, principal, m)
    existing = await w.clusters.get(cluster_id, year, lock=True)
    if existing is not None:
        await check_scope_in(w, ctx, principal, existing.cluster.unit_code)
        leaving = [u for u in existing.cluster.leaders if u not in members]
        if leaving:
            raise conflict(
                "Leader would leave the cluster",
                f"{', '.join(leaving)} was proposed as the leading collective of {cluster_id}"
                f" for {year}; record the cluster's leaders again before it leaves.",
                members=f"{', '.join(leaving)} must stay a member",
            )
    cluster = EmulationCluster(
        id=cluster_id, name=command.name, year=year, unit_code=command.unit_code, members=members
    )
    created = await w.clusters.keep_composition(cluster, principal.subject)
    kept = await w.clusters.get(cluster_id, year)
    assert kept is not None
    return {**recorded_json(kept), "created": created}


async def put_leaders(
    w: Work, ctx: Context, principal: Principal, command: RecordLeaders
) -> dict[str, Any]:
    """The leading collective(s) the cluster's meeting proposed for the year (suy tôn dẫn
    đầu); each must be a member of the cluster that year."""
    cluster_id, year, leaders = command.cluster_id, command.year, command.leaders
    recorded = await w.clusters.get(cluster_id, year, lock=True)
    if recorded is None:
        raise not_found("Emulation cluster", f"{cluster_id} for {year}")
    cluster = recorded.cluster
    await check_scope_in(w, ctx, principal, cluster.unit_code)
    _duplicates("leaders", leaders)
    await _known_units(w, "leaders", leaders)
    outside = cluster.non_members(leaders)
    if outside:
        raise invalid(
            f"{', '.join(outside)} is not a member of {cluster_id} in {year}.",
            [
                {"field": "leaders", "message": f"{u} is not a member of the cluster"}
                for u in outside
            ],
        )
    problem = meeting_date_problem(year, command.meeting_on)
    if problem:
        raise invalid(
            f"The meeting date is wrong: {problem}.", [{"field": "meeting_on", "message": problem}]
        )
    for u in leaders:
        await check_scope_in(w, ctx, principal, u)
    led = cluster.model_copy(
        update={
            "leaders": leaders,
            "meeting_reference": command.meeting_reference,
            "meeting_on": command.meeting_on,
        }
    )
    await w.clusters.keep_leaders(led, principal.subject)
    kept = await w.clusters.get(cluster_id, year)
    assert kept is not None
    return recorded_json(kept)


async def cluster_history(tx: Tx, principal: Principal, cluster_id: str) -> dict[str, Any]:
    """Every year of a cluster with its members and leaders, and who recorded what when."""
    years = await store.cluster_years(tx.conn, cluster_id)
    if not years:
        raise not_found("Emulation cluster", cluster_id)
    units = {r["unit_code"] for r in years} | {m for r in years for m in r["members"]}
    if not any([await in_scope(tx, principal, u) for u in sorted(units)]):
        raise not_found("Emulation cluster", cluster_id)  # as if missing: existence does not leak
    return {
        "cluster_id": cluster_id,
        "years": [cluster_json(r) for r in years],
        "history": await store.cluster_log(tx.conn, cluster_id),
    }


async def list_clusters(
    tx: Tx, principal: Principal, unit: str | None, year: int | None
) -> list[dict[str, Any]]:
    """Clusters run by, or with a member in, the unit's subtree (default: the caller's)."""
    u = unit or principal.unit_code
    await check_scope(tx, principal, u)
    rows = await store.list_clusters(tx.conn, await descendants(tx.conn, u), year)
    return [cluster_json(r) for r in rows]
