"""Emulation councils, their sessions and tallies."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from egov_contracts.types import Code, UnitCode
from egov_runtime.auth import Principal, require
from egov_runtime.consumer import Tx
from egov_runtime.pagination import Page, PageQuery
from egov_runtime.refusals import not_found
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from egov_nominations.adapters import files
from egov_nominations.adapters.repositories import council_of
from egov_nominations.domain.councils import Member
from egov_nominations.entrypoints.http.common import (
    BodyIn,
    Council,
    IdemKey,
    Reader,
    Writer,
    ctx_of,
    read_tx,
    subtree_of,
    write_once,
)
from egov_nominations.usecases import (
    councils,
)
from egov_nominations.usecases.common import Work, check_scope

router = APIRouter(prefix="/v1")


class MemberIn(BodyIn):
    member_id: Code = Field(description="The member's login subject")
    name: str = Field(min_length=1, max_length=200)
    role: str | None = Field(None, max_length=100)


class CouncilIn(BodyIn):
    council_id: Code | None = None
    unit_code: UnitCode
    name: str = Field(min_length=1, max_length=300)
    members: list[MemberIn] = Field(min_length=1, max_length=200)


@router.post("/councils", status_code=201, tags=["councils"])
async def post_council(
    body: CouncilIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    """An emulation council of a deciding unit with its members."""
    ctx = ctx_of(request)

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        command = councils.CreateCouncil(
            body.unit_code,
            body.name,
            tuple(Member(m.member_id, m.name, m.role) for m in body.members),
            body.council_id,
        )
        return 201, await councils.create_council(Work.on(tx), ctx, principal, command)

    return await write_once(request, principal, key, act)


@router.get("/councils", tags=["councils"])
async def get_councils(
    request: Request, principal: Reader, page: PageQuery, unit: str | None = None
) -> Page:
    async def act(tx: Tx) -> Page:
        units = await subtree_of(tx, principal, unit)
        rows = await files.list_councils(tx.conn, units)
        return page.slice([councils.council_json(council_of(r)) for r in rows])

    return await read_tx(request, act)


class SessionIn(BodyIn):
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
    ctx = ctx_of(request)

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        command = councils.RecordSession(
            council_id, body.held_on, tuple(body.present), body.session_id
        )
        return 201, await councils.record_session(Work.on(tx), ctx, principal, command)

    return await write_once(request, principal, key, act)


@router.get("/sessions/{session_id}", tags=["councils"])
async def get_session(session_id: str, request: Request, principal: Reader) -> dict[str, Any]:
    async def act(tx: Tx) -> dict[str, Any]:
        out = await councils.session_view(Work.on(tx), session_id)
        member = principal.subject in out["present_members"]
        if not member:
            hidden = not_found("Session", session_id)
            await check_scope(tx, principal, out["unit_code"], hidden=hidden)
        return out

    return await read_tx(request, act)


class TallyIn(BodyIn):
    nomination_id: Code
    votes_for: int = Field(ge=0, description="Ballots for (counts only, never who voted how)")


@router.post("/sessions/{session_id}/tallies", status_code=201, tags=["councils"])
async def post_tally(
    session_id: str, body: TallyIn, request: Request, principal: Council, key: IdemKey = None
) -> JSONResponse:
    """The secret-ballot tally for one nominee, recorded by a member of the session's council;
    the share is of all members."""

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        command = councils.RecordTally(session_id, body.nomination_id, body.votes_for)
        return 201, await councils.record_tally(Work.on(tx), ctx_of(request), principal, command)

    return await write_once(request, principal, key, act)
