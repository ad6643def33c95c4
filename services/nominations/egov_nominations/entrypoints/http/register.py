"""The register: people and their ratings, disciplines, initiatives and pending matters, units'
ratings, emulation clusters, and imports of register rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from egov_contracts.types import Code, UnitCode
from egov_runtime.consumer import Tx
from egov_runtime.edge import OptionalYear
from egov_runtime.pagination import Page, PageQuery
from egov_runtime.refusals import invalid
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from egov_nominations.adapters import register as store
from egov_nominations.adapters.spreadsheets import UnreadableFile, read_rows
from egov_nominations.domain.register import (
    DisciplineLevel,
    DisciplineRecord,
    Initiative,
    InitiativeKind,
    Leave,
    LeaveKind,
    NomineeKind,
    PendingKind,
    PendingMatter,
    Scope,
    TaskRating,
    YearRating,
)
from egov_nominations.entrypoints.http.common import (
    BodyIn,
    IdemKey,
    Reader,
    Writer,
    ctx_of,
    read_tx,
    subtree_of,
    write_once,
)
from egov_nominations.usecases import clusters
from egov_nominations.usecases import register as reg
from egov_nominations.usecases.common import Work

router = APIRouter(prefix="/v1")


# the year of a rating, a cluster or its leaders, as a path parameter
RecordYear = Annotated[int, Field(ge=1975, le=2100)]


class PersonIn(BodyIn):
    name: str = Field(min_length=1, max_length=200)
    unit_code: UnitCode
    female: bool | None = None


class LeaveIn(BodyIn):
    kind: LeaveKind
    months: Decimal = Field(ge=0, le=12)


class RatingIn(BodyIn):
    rating: TaskRating
    months_on_duty: Decimal = Field(Decimal(12), ge=0, le=12)
    leave: list[LeaveIn] = Field([])
    unit_code: UnitCode | None = Field(None, description="Unit rated in (default: current)")


class DisciplineIn(BodyIn):
    year: int = Field(ge=1975, le=2100)
    level: DisciplineLevel
    decision_number: str = Field(min_length=1, max_length=64)


class PendingIn(BodyIn):
    matter_id: Code
    nominee_kind: NomineeKind = NomineeKind.INDIVIDUAL
    nominee_ref: Code
    kind: PendingKind
    opened_on: date
    reference: str = Field(min_length=1, max_length=200)
    resolved: bool = False


class InitiativeIn(BodyIn):
    initiative_id: Code
    title: str = Field(min_length=1, max_length=300)
    year: int = Field(ge=1975, le=2100)
    kind: InitiativeKind = InitiativeKind.INITIATIVE
    recognised_by: str = Field(min_length=1, max_length=200)
    scope: Scope
    accepted_and_applied: bool = True
    decision_number: str | None = Field(None, max_length=64)


class UnitRatingIn(BodyIn):
    rating: TaskRating


@router.put("/register/people/{person_id}", tags=["register"])
async def put_person(
    person_id: Code, body: PersonIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    """Add or update a person (personnel reference and name only)."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        command = reg.PutPerson(person_id, body.name, body.unit_code, body.female)
        out = await reg.put_person(Work.on(tx), ctx_of(request), principal, command)
        return (201 if out["created"] else 200), out

    return await write_once(request, principal, key, act)


@router.get("/register/people/{person_id}", tags=["register"])
async def get_person(person_id: str, request: Request, principal: Reader) -> dict[str, Any]:
    """A person's record with its history: ratings, time worked, discipline, pending matters,
    initiatives, awards."""
    ctx = ctx_of(request)
    return await read_tx(request, lambda tx: reg.person_profile(tx, ctx, principal, person_id))


@router.get("/register/people", tags=["register"])
async def list_people(
    request: Request, principal: Reader, page: PageQuery, unit: str | None = None
) -> Page:
    async def act(tx: Tx) -> Page:
        units = await subtree_of(tx, principal, unit)
        rows = await store.list_people(tx.conn, units)
        return page.slice([dict(r) for r in rows])

    return await read_tx(request, act)


@router.put("/register/people/{person_id}/ratings/{year}", tags=["register"])
async def put_rating(
    person_id: str,
    year: RecordYear,
    body: RatingIn,
    request: Request,
    principal: Writer,
    key: IdemKey = None,
) -> JSONResponse:
    """A year's task rating and time worked (leave that counts as worked included)."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        command = reg.RateYear(
            person_id,
            year,
            body.rating,
            body.months_on_duty,
            tuple(Leave(kind=lv.kind, months=lv.months) for lv in body.leave),
            body.unit_code,
        )
        out = await reg.put_rating(Work.on(tx), ctx_of(request), principal, command)
        return (201 if out["created"] else 200), out

    return await write_once(request, principal, key, act)


@router.post("/register/people/{person_id}/disciplines", status_code=201, tags=["register"])
async def post_discipline(
    person_id: str, body: DisciplineIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        discipline = DisciplineRecord(
            year=body.year, level=body.level, decision_number=body.decision_number
        )
        command = reg.RecordDiscipline(person_id, discipline)
        await reg.record_discipline(Work.on(tx), ctx_of(request), principal, command)
        return 201, {"person_id": person_id, **body.model_dump(mode="json")}

    return await write_once(request, principal, key, act)


@router.post("/register/people/{person_id}/initiatives", status_code=201, tags=["register"])
async def post_initiative(
    person_id: str, body: InitiativeIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        initiative = Initiative(
            id=body.initiative_id,
            title=body.title,
            year=body.year,
            kind=body.kind,
            recognised_by=body.recognised_by,
            scope=body.scope,
            accepted_and_applied=body.accepted_and_applied,
            decision_number=body.decision_number,
        )
        command = reg.RecordInitiative(person_id, initiative)
        await reg.record_initiative(Work.on(tx), ctx_of(request), principal, command)
        return 201, {**body.model_dump(mode="json"), "person_id": person_id}

    return await write_once(request, principal, key, act)


@router.post("/register/pending-matters", status_code=201, tags=["register"])
async def post_pending(
    body: PendingIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    """An open discipline, inspection or investigation (puts nominations on hold)."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        matter = PendingMatter(
            kind=body.kind,
            opened_on=body.opened_on,
            reference=body.reference,
            resolved=body.resolved,
        )
        command = reg.RecordPending(body.matter_id, body.nominee_kind, body.nominee_ref, matter)
        await reg.record_pending(Work.on(tx), ctx_of(request), principal, command)
        return 201, body.model_dump(mode="json")

    return await write_once(request, principal, key, act)


@router.put("/register/units/{unit_code}/ratings/{year}", tags=["register"])
async def put_unit_rating(
    unit_code: str,
    year: RecordYear,
    body: UnitRatingIn,
    request: Request,
    principal: Writer,
    key: IdemKey = None,
) -> JSONResponse:
    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        command = reg.RateUnit(unit_code, YearRating(year=year, rating=body.rating))
        await reg.rate_unit(Work.on(tx), ctx_of(request), principal, command)
        return 200, {"unit_code": unit_code, "year": year, "rating": body.rating.value}

    return await write_once(request, principal, key, act)


class ClusterIn(BodyIn):
    name: str = Field(min_length=1, max_length=200)
    unit_code: UnitCode = Field(description="The unit that runs the cluster and records it")
    members: list[UnitCode] = Field(min_length=2, max_length=200)


class ClusterLeadersIn(BodyIn):
    leaders: list[UnitCode] = Field(min_length=1, max_length=20)
    meeting_reference: str = Field(min_length=1, max_length=200, description="Biên bản họp cụm")
    meeting_on: date


@router.put("/register/clusters/{cluster_id}/years/{year}", tags=["register"])
async def put_cluster(
    cluster_id: Code,
    year: RecordYear,
    body: ClusterIn,
    request: Request,
    principal: Writer,
    key: IdemKey = None,
) -> JSONResponse:
    """An emulation cluster or bloc (cụm, khối thi đua) and its member units for a year."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        command = clusters.RecordCluster(
            cluster_id, year, body.name, body.unit_code, tuple(body.members)
        )
        out = await clusters.put_cluster(Work.on(tx), ctx_of(request), principal, command)
        return (201 if out["created"] else 200), out

    return await write_once(request, principal, key, act)


@router.put("/register/clusters/{cluster_id}/years/{year}/leaders", tags=["register"])
async def put_cluster_leaders(
    cluster_id: Code,
    year: RecordYear,
    body: ClusterLeadersIn,
    request: Request,
    principal: Writer,
    key: IdemKey = None,
) -> JSONResponse:
    """The leading collective(s) the cluster's meeting proposed for the year (suy tôn dẫn
    đầu), the evidence of the province's Cờ thi đua; each must be a member that year."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        command = clusters.RecordLeaders(
            cluster_id, year, tuple(body.leaders), body.meeting_reference, body.meeting_on
        )
        out = await clusters.put_leaders(Work.on(tx), ctx_of(request), principal, command)
        return 200, out

    return await write_once(request, principal, key, act)


@router.get("/register/clusters/{cluster_id}", tags=["register"])
async def get_cluster(cluster_id: str, request: Request, principal: Reader) -> dict[str, Any]:
    """A cluster's years (members, leaders, meeting) and who recorded what when."""
    return await read_tx(request, lambda tx: clusters.cluster_history(tx, principal, cluster_id))


@router.get("/register/clusters", tags=["register"])
async def list_clusters(
    request: Request,
    principal: Reader,
    page: PageQuery,
    unit: str | None = None,
    year: OptionalYear = None,
) -> Page:
    """Clusters run by, or with a member in, the unit's subtree (default: the caller's)."""

    async def act(tx: Tx) -> Page:
        return page.slice(await clusters.list_clusters(tx, principal, unit, year))

    return await read_tx(request, act)


@router.post("/register/imports/{kind}", tags=["register"])
async def post_import(
    kind: Literal["ratings", "awards"],
    request: Request,
    principal: Writer,
    partial: bool = Query(False, description="Store the valid rows even if some are rejected"),
    dry_run: bool = Query(False, description="Check only; store nothing"),
    key: IdemKey = None,
) -> JSONResponse:
    """Import a CSV or XLSX file (request body; Content-Type text/csv or the XLSX type) of
    yearly ratings (person_id, name, unit_code, year, rating, months_on_duty, leave_kind,
    leave_months, female) or earlier award history (nominee_kind, nominee_ref, award, year,
    decision_number, level, decided_on). By default all rows or none are stored: a file with
    a rejected row answers 422 with the summary and changes nothing."""
    content = await request.body()
    try:
        rows = read_rows(content, request.headers.get("content-type", ""))
    except UnreadableFile as exc:
        raise invalid(str(exc), [{"field": "file", "message": str(exc)}]) from exc

    command = reg.ImportRows(kind, tuple(rows), partial=partial, dry_run=dry_run)

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        summary = await reg.import_rows(Work.on(tx), ctx_of(request), principal, command)
        return 200, summary.as_json()

    return await write_once(request, principal, key, act)
