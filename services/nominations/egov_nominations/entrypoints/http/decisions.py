"""Decisions conferring awards, and the award history."""

from __future__ import annotations

from datetime import date
from typing import Any

from egov_contracts.types import Code, UnitCode
from egov_runtime.consumer import Tx
from egov_runtime.edge import OptionalYear
from egov_runtime.pagination import Page, PageQuery
from egov_runtime.refusals import not_found
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from egov_nominations.adapters import register as store
from egov_nominations.domain.register import (
    AwardKind,
)
from egov_nominations.entrypoints.http.common import (
    BodyIn,
    Decider,
    IdemKey,
    Reader,
    ctx_of,
    read_tx,
    subtree_of,
    write_once,
)
from egov_nominations.usecases import (
    decisions,
)
from egov_nominations.usecases.common import Work, check_scope

router = APIRouter(prefix="/v1")


class DecisionIn(BodyIn):
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

    command = decisions.Decide(
        body.number,
        body.decided_on,
        body.signer,
        body.deciding_unit_code,
        tuple(body.nomination_ids),
    )

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        created, d = await decisions.decide(Work.on(tx), ctx_of(request), principal, command)
        return (201 if created else 200), await decisions.decision_view(tx, d.decision_id)

    return await write_once(request, principal, key, act)


@router.get("/decisions/{decision_id}", tags=["decisions"])
async def get_decision(decision_id: str, request: Request, principal: Reader) -> dict[str, Any]:
    async def act(tx: Tx) -> dict[str, Any]:
        out = await decisions.decision_view(tx, decision_id)
        hidden = not_found("Decision", decision_id)
        await check_scope(tx, principal, out["deciding_unit_code"], hidden=hidden)
        return out

    return await read_tx(request, act)


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
        units = await subtree_of(tx, principal, unit)
        rows = await store.list_awards(
            tx.conn,
            units=units,
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

    return await read_tx(request, act)
