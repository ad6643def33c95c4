"""HTTP API of nominations (``/v1``): register and imports, movements, registrations,
nominations and their eligibility, councils, sessions and tallies, decisions, award history,
reports. Bearer tokens with roles and unit scope; RFC 9457 errors; writes accept an
``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from egov_contracts.types import Code, UnitCode
from egov_runtime.auth import Principal, require
from egov_runtime.consumer import Tx
from egov_runtime.edge import OptionalYear
from egov_runtime.idempotency import run_once
from egov_runtime.pagination import Page, PageQuery
from egov_runtime.problems import Problem
from egov_runtime.refusals import invalid, not_found
from egov_runtime.service import context_of, runtime_of
from egov_runtime.units import descendants
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from egov_nominations.adapters import files
from egov_nominations.adapters import register as store
from egov_nominations.adapters.spreadsheets import XLSX, UnreadableFile, read_rows, to_csv, to_xlsx
from egov_nominations.domain.completeness import Document
from egov_nominations.domain.register import (
    AwardKind,
    DisciplineLevel,
    InitiativeKind,
    LeaveKind,
    NomineeKind,
    PendingKind,
    Scope,
    TaskRating,
)
from egov_nominations.domain.rules import DecidingLevel
from egov_nominations.domain.workflow import Status
from egov_nominations.usecases import clusters, reports
from egov_nominations.usecases import nominations as uc
from egov_nominations.usecases import register as reg
from egov_nominations.usecases.common import Context, check_scope

router = APIRouter(prefix="/v1")

# The deciding head (role `head`) reads the files, decisions and reports of its unit's subtree.
Reader = Annotated[Principal, Depends(require("admin", "operator", "officer", "council", "head"))]
Writer = Annotated[Principal, Depends(require("admin", "officer"))]
Council = Annotated[Principal, Depends(require("council"))]
# The deciding head's steps (approve, reject, forward, decide): the route lets every staff role
# through and the use case admits only the configured `decider_roles` (default: head).
DECIDER_ROUTE_ROLES = ("head", "admin", "officer", "council", "operator")
Decider = Annotated[Principal, Depends(require(*DECIDER_ROUTE_ROLES))]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def ctx_of(request: Request) -> Context:
    return context_of(request, Context)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


async def _write(
    request: Request,
    principal: Principal,
    key: str | None,
    action: Callable[[Tx], Awaitable[tuple[int, dict[str, Any]]]],
) -> JSONResponse:
    rt = runtime_of(request)
    status, payload = await run_once(rt, principal.subject, key, await request.body(), action)
    return JSONResponse(payload, status_code=status)


async def _read(request: Request, action: Callable[[Tx], Awaitable[Any]]) -> Any:
    async with runtime_of(request).transaction() as tx:
        return await action(tx)


# -- register ---------------------------------------------------------------------------------


class PersonIn(_In):
    name: str = Field(min_length=1, max_length=200)
    unit_code: UnitCode
    female: bool | None = None


class LeaveIn(_In):
    kind: LeaveKind
    months: Decimal = Field(ge=0, le=12)


class RatingIn(_In):
    rating: TaskRating
    months_on_duty: Decimal = Field(Decimal(12), ge=0, le=12)
    leave: list[LeaveIn] = []
    unit_code: UnitCode | None = Field(None, description="Unit rated in (default: current)")


class DisciplineIn(_In):
    year: int = Field(ge=1975, le=2100)
    level: DisciplineLevel
    decision_number: str = Field(min_length=1, max_length=64)


class PendingIn(_In):
    matter_id: Code
    nominee_kind: NomineeKind = NomineeKind.INDIVIDUAL
    nominee_ref: Code
    kind: PendingKind
    opened_on: date
    reference: str = Field(min_length=1, max_length=200)
    resolved: bool = False


class InitiativeIn(_In):
    initiative_id: Code
    title: str = Field(min_length=1, max_length=300)
    year: int = Field(ge=1975, le=2100)
    kind: InitiativeKind = InitiativeKind.INITIATIVE
    recognised_by: str = Field(min_length=1, max_length=200)
    scope: Scope
    accepted_and_applied: bool = True
    decision_number: str | None = Field(None, max_length=64)


class UnitRatingIn(_In):
    rating: TaskRating


@router.put("/register/people/{person_id}", tags=["register"])
async def put_person(
    person_id: Code, body: PersonIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    """Add or update a person (personnel reference and name only)."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        out = await reg.put_person(tx, principal, person_id, body.name, body.unit_code, body.female)
        return (201 if out["created"] else 200), out

    return await _write(request, principal, key, act)


@router.get("/register/people/{person_id}", tags=["register"])
async def get_person(person_id: str, request: Request, principal: Reader) -> dict[str, Any]:
    """A person's record with its history: ratings, time worked, discipline, pending matters,
    initiatives, awards."""
    return await _read(request, lambda tx: reg.person_profile(tx, principal, person_id))


@router.get("/register/people", tags=["register"])
async def list_people(
    request: Request, principal: Reader, page: PageQuery, unit: str | None = None
) -> Page:
    async def act(tx: Tx) -> Page:
        u = unit or principal.unit_code
        await check_scope(tx, principal, u)
        rows = await store.list_people(tx.conn, await descendants(tx.conn, u))
        return page.slice([dict(r) for r in rows])

    return await _read(request, act)


@router.put("/register/people/{person_id}/ratings/{year}", tags=["register"])
async def put_rating(
    person_id: str,
    year: Annotated[int, Field(ge=1975, le=2100)],
    body: RatingIn,
    request: Request,
    principal: Writer,
    key: IdemKey = None,
) -> JSONResponse:
    """A year's task rating and time worked (leave that counts as worked included)."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        out = await reg.put_rating(
            tx,
            principal,
            person_id,
            year,
            body.rating,
            body.months_on_duty,
            [lv.model_dump(mode="json") for lv in body.leave],
            body.unit_code,
        )
        return (201 if out["created"] else 200), out

    return await _write(request, principal, key, act)


@router.post("/register/people/{person_id}/disciplines", status_code=201, tags=["register"])
async def post_discipline(
    person_id: str, body: DisciplineIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        await reg.person_in_scope(tx, principal, person_id)
        await store.add_discipline(
            tx.conn, person_id, body.year, body.level.value, body.decision_number
        )
        return 201, {"person_id": person_id, **body.model_dump(mode="json")}

    return await _write(request, principal, key, act)


@router.post("/register/people/{person_id}/initiatives", status_code=201, tags=["register"])
async def post_initiative(
    person_id: str, body: InitiativeIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        await reg.person_in_scope(tx, principal, person_id)
        data = {**body.model_dump(mode="json"), "person_id": person_id}
        await store.upsert_initiative(tx.conn, data)
        return 201, data

    return await _write(request, principal, key, act)


@router.post("/register/pending-matters", status_code=201, tags=["register"])
async def post_pending(
    body: PendingIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    """An open discipline, inspection or investigation (puts nominations on hold)."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        if body.nominee_kind == NomineeKind.INDIVIDUAL:
            await reg.person_in_scope(tx, principal, body.nominee_ref)
        else:
            await check_scope(tx, principal, body.nominee_ref)
        data = body.model_dump()
        await store.upsert_pending(tx.conn, data)
        return 201, body.model_dump(mode="json")

    return await _write(request, principal, key, act)


@router.put("/register/units/{unit_code}/ratings/{year}", tags=["register"])
async def put_unit_rating(
    unit_code: str,
    year: Annotated[int, Field(ge=1975, le=2100)],
    body: UnitRatingIn,
    request: Request,
    principal: Writer,
    key: IdemKey = None,
) -> JSONResponse:
    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        await check_scope(tx, principal, unit_code)
        await store.upsert_unit_rating(tx.conn, unit_code, year, body.rating.value)
        return 200, {"unit_code": unit_code, "year": year, "rating": body.rating.value}

    return await _write(request, principal, key, act)


class ClusterIn(_In):
    name: str = Field(min_length=1, max_length=200)
    unit_code: UnitCode = Field(description="The unit that runs the cluster and records it")
    members: list[UnitCode] = Field(min_length=2, max_length=200)


class ClusterLeadersIn(_In):
    leaders: list[UnitCode] = Field(min_length=1, max_length=20)
    meeting_reference: str = Field(min_length=1, max_length=200, description="Biên bản họp cụm")
    meeting_on: date


@router.put("/register/clusters/{cluster_id}/years/{year}", tags=["register"])
async def put_cluster(
    cluster_id: Code,
    year: Annotated[int, Field(ge=1975, le=2100)],
    body: ClusterIn,
    request: Request,
    principal: Writer,
    key: IdemKey = None,
) -> JSONResponse:
    """An emulation cluster or bloc (cụm, khối thi đua) and its member units for a year."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        out = await clusters.put_cluster(
            tx, principal, cluster_id, year, body.name, body.unit_code, body.members
        )
        return (201 if out["created"] else 200), out

    return await _write(request, principal, key, act)


@router.put("/register/clusters/{cluster_id}/years/{year}/leaders", tags=["register"])
async def put_cluster_leaders(
    cluster_id: Code,
    year: Annotated[int, Field(ge=1975, le=2100)],
    body: ClusterLeadersIn,
    request: Request,
    principal: Writer,
    key: IdemKey = None,
) -> JSONResponse:
    """The leading collective(s) the cluster's meeting proposed for the year (suy tôn dẫn
    đầu), the evidence of the province's Cờ thi đua; each must be a member that year."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        out = await clusters.put_leaders(
            tx,
            principal,
            cluster_id,
            year,
            body.leaders,
            body.meeting_reference,
            body.meeting_on,
        )
        return 200, out

    return await _write(request, principal, key, act)


@router.get("/register/clusters/{cluster_id}", tags=["register"])
async def get_cluster(cluster_id: str, request: Request, principal: Reader) -> dict[str, Any]:
    """A cluster's years (members, leaders, meeting) and who recorded what when."""
    return await _read(request, lambda tx: clusters.cluster_history(tx, principal, cluster_id))


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

    return await _read(request, act)


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

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        summary = await reg.import_rows(tx, principal, kind, rows, partial=partial, dry_run=dry_run)
        if summary.rejected and not partial:
            raise Problem(
                422,
                "Rows rejected",
                f"{len(summary.rejected)} of {summary.rows} rows are rejected; nothing was stored.",
                errors=[
                    {"field": f"line {r['line']}", "message": r["reason"]} for r in summary.rejected
                ],
            )
        return 200, summary.as_json()

    return await _write(request, principal, key, act)


# -- movements and registrations -------------------------------------------------------------


class MovementIn(_In):
    movement_id: Code | None = None
    title: str = Field(min_length=1, max_length=300)
    unit_code: UnitCode
    year: int = Field(ge=2000, le=2100)
    starts_on: date
    ends_on: date | None = None
    awards: list[AwardKind] = []

    @model_validator(mode="after")
    def _ordered(self) -> MovementIn:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


@router.post("/movements", status_code=201, tags=["movements"])
async def post_movement(
    body: MovementIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    """Launch an emulation movement (phát động phong trào thi đua)."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        return 201, await uc.launch_movement(tx, ctx_of(request), principal, body.model_dump())

    return await _write(request, principal, key, act)


@router.get("/movements", tags=["movements"])
async def get_movements(
    request: Request, principal: Reader, page: PageQuery, year: OptionalYear = None
) -> Page:
    async def act(tx: Tx) -> Page:
        return page.slice([uc.movement_json(r) for r in await files.list_movements(tx.conn, year)])

    return await _read(request, act)


class RegistrationIn(_In):
    movement_id: Code | None = None
    year: int = Field(ge=2000, le=2100)
    nominee_kind: NomineeKind
    nominee_ref: Code
    award: AwardKind


@router.post("/registrations", status_code=201, tags=["movements"])
async def post_registration(
    body: RegistrationIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    """A unit or person registers for a title at the start of the year (đăng ký thi đua)."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        return await uc.register_for_title(
            tx, ctx_of(request), principal, body.model_dump(mode="json")
        )

    return await _write(request, principal, key, act)


@router.get("/registrations", tags=["movements"])
async def get_registrations(
    request: Request,
    principal: Reader,
    page: PageQuery,
    unit: str | None = None,
    year: OptionalYear = None,
    movement: str | None = None,
) -> Page:
    async def act(tx: Tx) -> Page:
        u = unit or principal.unit_code
        await check_scope(tx, principal, u)
        rows = await files.list_registrations(
            tx.conn, await descendants(tx.conn, u), year, movement
        )
        return page.slice([uc.registration_json(r) for r in rows])

    return await _read(request, act)


# -- nominations -----------------------------------------------------------------------------


class NomineeIn(_In):
    kind: NomineeKind
    ref: Code


class NominationIn(_In):
    nomination_id: Code | None = None
    nominee: NomineeIn
    award: AwardKind
    achievement_year: int = Field(ge=2000, le=2100)
    movement_id: Code | None = None
    occasion: Literal["yearly", "campaign", "unexpected"] = "yearly"
    deciding_unit_code: UnitCode | None = None
    documents: list[Document] = []
    summary: str = Field("", max_length=4000, description="Tóm tắt thành tích")
    submit: bool = False


@router.post("/nominations", status_code=201, tags=["nominations"])
async def post_nomination(
    body: NominationIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    """A unit's officer proposes a nominee from the year-end review."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        return 201, await uc.propose(tx, ctx_of(request), principal, body.model_dump(mode="json"))

    return await _write(request, principal, key, act)


@router.get("/nominations", tags=["nominations"])
async def get_nominations(
    request: Request,
    principal: Reader,
    page: PageQuery,
    unit: str | None = None,
    year: OptionalYear = None,
    status: Status | None = None,
    movement: str | None = None,
) -> Page:
    """Files of the unit's subtree (as nominee's unit or as deciding unit)."""

    async def act(tx: Tx) -> Page:
        u = unit or principal.unit_code
        await check_scope(tx, principal, u)
        rows, total = await files.page_nominations(
            tx.conn,
            units=await descendants(tx.conn, u),
            year=year,
            status=status,
            movement_id=movement,
            limit=page.limit,
            offset=page.offset,
        )
        return page.of([uc.summary_row(r) for r in rows], total)

    return await _read(request, act)


@router.get("/nominations/{nomination_id}", tags=["nominations"])
async def get_nomination(nomination_id: str, request: Request, principal: Reader) -> dict[str, Any]:
    """The file: status, allowed actions, deadlines in working days, who/when/why of every
    step; for a collective, its on-time rate and target achievement."""
    return await _read(request, lambda tx: uc.view(tx, ctx_of(request), principal, nomination_id))


@router.get("/nominations/{nomination_id}/eligibility", tags=["nominations"])
async def get_eligibility(
    nomination_id: str, request: Request, principal: Reader
) -> dict[str, Any]:
    """Eligible or not, with every criterion of the rule set in force, pass/fail, and the
    evidence (years, decisions, figures)."""
    return await _read(
        request, lambda tx: uc.eligibility(tx, ctx_of(request), principal, nomination_id)
    )


class SubmitIn(_In):
    documents: list[Document] | None = None


class ReasonsIn(_In):
    reasons: list[str] = Field(min_length=1)


class ReasonIn(_In):
    reason: str | None = Field(None, max_length=2000)


class RejectIn(_In):
    reason: str = Field(min_length=1, max_length=2000)


class ForwardIn(_In):
    to_level: DecidingLevel
    to_unit_code: UnitCode | None = None
    reason: str | None = Field(None, max_length=2000)


def _action(
    name: str,
    model: type[_In] | None,
    run: Callable[[Tx, Context, Principal, str, Any], Awaitable[dict[str, Any]]],
    doc: str,
    roles: tuple[str, ...] = ("admin", "officer"),
) -> None:
    principal_dep = Depends(require(*roles))

    async def endpoint(
        nomination_id: str,
        request: Request,
        principal: Principal = principal_dep,
        key: IdemKey = None,
    ) -> JSONResponse:
        raw = await request.body()
        body = None
        if model is not None:
            try:
                body = model.model_validate_json(raw or b"{}")
            except ValueError as exc:
                errors: list[Any] = getattr(exc, "errors", lambda: [])()
                raise invalid(
                    "The request does not match the schema.",
                    [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in errors],
                ) from exc

        async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
            return 200, await run(tx, ctx_of(request), principal, nomination_id, body)

        return await _write(request, principal, key, act)

    endpoint.__doc__ = doc
    router.add_api_route(
        f"/nominations/{{nomination_id}}/{name}",
        endpoint,
        methods=["POST"],
        tags=["nominations"],
        name=f"nomination_{name}",
    )


_action(
    "submit",
    SubmitIn,
    lambda tx, ctx, p, nid, b: uc.submit(
        tx, ctx, p, nid, [d.value for d in b.documents] if b and b.documents is not None else None
    ),
    "Submit (or resubmit) the file to the deciding level; the 5-working-day check starts.",
)
_action(
    "completeness-check",
    None,
    lambda tx, ctx, p, nid, b: uc.check_completeness(tx, ctx, p, nid),
    "The deciding level checks the documents: returned with the missing ones, or accepted.",
)
_action(
    "return",
    ReasonsIn,
    lambda tx, ctx, p, nid, b: uc.return_for_completion(tx, ctx, p, nid, b.reasons),
    "Return an incomplete file for completion with the reasons.",
)
_action(
    "accept",
    None,
    lambda tx, ctx, p, nid, b: uc.accept(tx, ctx, p, nid),
    "The file is complete: review starts (20 working days to decide) and it is assessed.",
)
_action(
    "approve",
    ReasonIn,
    lambda tx, ctx, p, nid, b: uc.approve(tx, ctx, p, nid, b.reason if b else None),
    "The head approves an eligible file (after the council's valid tally where required).",
    roles=DECIDER_ROUTE_ROLES,
)
_action(
    "reject",
    RejectIn,
    lambda tx, ctx, p, nid, b: uc.reject(tx, ctx, p, nid, b.reason),
    "Reject with a reason.",
    roles=DECIDER_ROUTE_ROLES,
)
_action(
    "forward",
    ForwardIn,
    lambda tx, ctx, p, nid, b: uc.forward(tx, ctx, p, nid, b.to_level, b.to_unit_code, b.reason),
    "Forward an approved file to the level that grants the award.",
    roles=DECIDER_ROUTE_ROLES,
)


# -- councils, sessions, tallies ---------------------------------------------------------------


class MemberIn(_In):
    member_id: Code = Field(description="The member's login subject")
    name: str = Field(min_length=1, max_length=200)
    role: str | None = Field(None, max_length=100)


class CouncilIn(_In):
    council_id: Code | None = None
    unit_code: UnitCode
    name: str = Field(min_length=1, max_length=300)
    members: list[MemberIn] = Field(min_length=1, max_length=200)


@router.post("/councils", status_code=201, tags=["councils"])
async def post_council(
    body: CouncilIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    """An emulation council of a deciding unit with its members."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        return 201, await uc.create_council(tx, principal, body.model_dump(mode="json"))

    return await _write(request, principal, key, act)


@router.get("/councils", tags=["councils"])
async def get_councils(
    request: Request, principal: Reader, page: PageQuery, unit: str | None = None
) -> Page:
    async def act(tx: Tx) -> Page:
        u = unit or principal.unit_code
        await check_scope(tx, principal, u)
        rows = await files.list_councils(tx.conn, await descendants(tx.conn, u))
        return page.slice([uc.council_json(r) for r in rows])

    return await _read(request, act)


class SessionIn(_In):
    session_id: Code | None = None
    held_on: date
    present: list[Code] = Field(description="Member ids present")


@router.post("/councils/{council_id}/sessions", status_code=201, tags=["councils"])
async def post_session(
    council_id: str,
    body: SessionIn,
    request: Request,
    principal: Annotated[Principal, Depends(require("admin", "officer", "council"))],
    key: IdemKey = None,
) -> JSONResponse:
    """A council meeting with its attendance (no valid vote below a 2/3 quorum)."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        return 201, await uc.record_session(tx, principal, council_id, body.model_dump())

    return await _write(request, principal, key, act)


@router.get("/sessions/{session_id}", tags=["councils"])
async def get_session(session_id: str, request: Request, principal: Reader) -> dict[str, Any]:
    async def act(tx: Tx) -> dict[str, Any]:
        out = await uc.session_view(tx, session_id)
        member = principal.subject in out["present_members"]
        if not member:
            hidden = not_found("Session", session_id)
            await check_scope(tx, principal, out["unit_code"], hidden=hidden)
        return out

    return await _read(request, act)


class TallyIn(_In):
    nomination_id: Code
    votes_for: int = Field(ge=0, description="Ballots for (counts only, never who voted how)")


@router.post("/sessions/{session_id}/tallies", status_code=201, tags=["councils"])
async def post_tally(
    session_id: str, body: TallyIn, request: Request, principal: Council, key: IdemKey = None
) -> JSONResponse:
    """The secret-ballot tally for one nominee, recorded by a member of the session's council;
    the share is of all members."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        return 201, await uc.record_tally(
            tx, ctx_of(request), principal, session_id, body.nomination_id, body.votes_for
        )

    return await _write(request, principal, key, act)


# -- decisions and award history ---------------------------------------------------------------


class DecisionIn(_In):
    number: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^\S(.*\S)?$",
        description="Số quyết định, e.g. 125/QĐ-SNV",
    )
    decided_on: date
    signer: str = Field(min_length=1, max_length=200)
    deciding_unit_code: UnitCode
    nomination_ids: list[Code] = Field(min_length=1, max_length=1000)


@router.post("/decisions", status_code=201, tags=["decisions"])
async def post_decision(
    body: DecisionIn, request: Request, principal: Decider, key: IdemKey = None
) -> JSONResponse:
    """The decision conferring the awards (number, date, signer) on approved files; the
    award history is updated and ``award.conferred.v1`` published once per award."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        return await uc.decide(tx, ctx_of(request), principal, body.model_dump())

    return await _write(request, principal, key, act)


@router.get("/decisions/{decision_id}", tags=["decisions"])
async def get_decision(decision_id: str, request: Request, principal: Reader) -> dict[str, Any]:
    async def act(tx: Tx) -> dict[str, Any]:
        out = await uc.decision_view(tx, decision_id)
        hidden = not_found("Decision", decision_id)
        await check_scope(tx, principal, out["deciding_unit_code"], hidden=hidden)
        return out

    return await _read(request, act)


@router.get("/awards", tags=["decisions"])
async def get_awards(
    request: Request,
    principal: Reader,
    page: PageQuery,
    unit: str | None = None,
    nominee: str | None = None,
    year: OptionalYear = None,
    award: AwardKind | None = None,
) -> Page:
    """Award history (imported and decided here) of the unit's subtree."""

    async def act(tx: Tx) -> Page:
        u = unit or principal.unit_code
        await check_scope(tx, principal, u)
        rows = await store.list_awards(
            tx.conn,
            units=await descendants(tx.conn, u),
            nominee_ref=nominee,
            year=year,
            award=award.value if award else None,
        )
        return page.slice(
            [
                {
                    k: (v.isoformat() if isinstance(v, date) else v)
                    for k, v in dict(r).items()
                    if k != "recorded_at"
                }
                for r in rows
            ]
        )

    return await _read(request, act)


# -- reports ---------------------------------------------------------------------------------

Format = Literal["json", "csv", "xlsx"]


def _table_response(table: reports.Table, fmt: Format, filename: str) -> Any:
    if fmt == "csv":
        return Response(
            to_csv(table.headers, table.rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            to_xlsx(table.title, table.headers, table.rows),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
        )
    return table.as_json()


@router.get("/reports/awards", tags=["reports"])
async def report_awards(
    request: Request,
    principal: Reader,
    unit: str | None = None,
    year: OptionalYear = None,
    movement: str | None = None,
    format: Format = "json",
) -> Any:
    """Awards by kind, level and individual/collective for a year or a movement."""
    if year is None and movement is None:
        raise invalid("Give year or movement.", [{"field": "year", "message": "required"}])
    table = await _read(
        request,
        lambda tx: reports.awards_summary(
            tx, principal, unit or principal.unit_code, year=year, movement_id=movement
        ),
    )
    return _table_response(table, format, f"khen-thuong-{year or movement}")


@router.get("/reports/proposals", tags=["reports"])
async def report_proposals(
    request: Request, principal: Reader, session: str, format: Format = "json"
) -> Any:
    """The list of proposals before a council session (danh sách đề nghị)."""
    table = await _read(
        request, lambda tx: reports.proposals(tx, ctx_of(request), principal, session)
    )
    return _table_response(table, format, f"danh-sach-de-nghi-{session}")


@router.get("/reports/decision-annex", tags=["reports"])
async def report_annex(
    request: Request, principal: Reader, decision: str, format: Format = "json"
) -> Any:
    """The annex of a decision: recipients and awards."""
    table = await _read(request, lambda tx: reports.decision_annex(tx, principal, decision))
    return _table_response(table, format, f"phu-luc-{decision}")
