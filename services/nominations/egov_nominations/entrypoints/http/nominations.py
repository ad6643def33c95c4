"""Nomination files: proposed, listed, viewed, assessed, and moved through the workflow
(submit, completeness check, return, accept, approve, reject, forward)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from egov_contracts.types import Code, UnitCode
from egov_runtime.auth import Principal, require
from egov_runtime.consumer import Tx
from egov_runtime.edge import OptionalYear
from egov_runtime.pagination import Page, PageQuery
from egov_runtime.refusals import invalid
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from egov_nominations.adapters import files
from egov_nominations.domain.completeness import Document
from egov_nominations.domain.register import (
    AwardKind,
    NomineeKind,
)
from egov_nominations.domain.rules import DecidingLevel
from egov_nominations.domain.workflow import Status
from egov_nominations.entrypoints.http.common import (
    DECIDER_ROUTE_ROLES,
    BodyIn,
    IdemKey,
    Reader,
    Writer,
    ctx_of,
    read_tx,
    subtree_of,
    write_once,
)
from egov_nominations.usecases import (
    assessment,
    decisions,
    proposals,
    steps,
    views,
)
from egov_nominations.usecases.common import Context, Work

router = APIRouter(prefix="/v1")


class NomineeIn(BodyIn):
    kind: NomineeKind
    ref: Code


class NominationIn(BodyIn):
    nomination_id: Code | None = None
    nominee: NomineeIn
    award: AwardKind
    achievement_year: int = Field(ge=2000, le=2100)
    movement_id: Code | None = None
    occasion: Literal["yearly", "campaign", "unexpected"] = "yearly"
    deciding_unit_code: UnitCode | None = None
    documents: list[Document] = Field([])
    summary: str = Field("", max_length=4000, description="Tóm tắt thành tích")
    submit: bool = False


@router.post("/nominations", status_code=201, tags=["nominations"])
async def post_nomination(
    body: NominationIn, request: Request, principal: Writer, key: IdemKey = None
) -> JSONResponse:
    """A unit's officer proposes a nominee from the year-end review."""

    command = proposals.Propose(
        body.nominee.kind,
        body.nominee.ref,
        body.award,
        body.achievement_year,
        body.movement_id,
        body.occasion,
        body.deciding_unit_code,
        tuple(d.value for d in body.documents),
        body.summary,
        body.submit,
        body.nomination_id,
    )

    async def act(tx: Tx) -> tuple[int, dict[str, Any]]:
        ctx = ctx_of(request)
        n = await proposals.propose(Work.on(tx), ctx, principal, command)
        return 201, await views.nomination_view(tx, ctx, n.nomination_id)

    return await write_once(request, principal, key, act)


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
        units = await subtree_of(tx, principal, unit)
        rows, total = await files.page_nominations(
            tx.conn,
            units=units,
            year=year,
            status=status,
            movement_id=movement,
            limit=page.limit,
            offset=page.offset,
        )
        return page.of([views.summary_row(r) for r in rows], total)

    return await read_tx(request, act)


@router.get("/nominations/{nomination_id}", tags=["nominations"])
async def get_nomination(nomination_id: str, request: Request, principal: Reader) -> dict[str, Any]:
    """The file: status, allowed actions, deadlines in working days, who/when/why of every
    step; for a collective, its on-time rate and target achievement."""

    async def act(tx: Tx) -> dict[str, Any]:
        ctx = ctx_of(request)
        n = await steps.view(Work.on(tx), ctx, principal, nomination_id)
        return await views.nomination_view(tx, ctx, n.nomination_id)

    return await read_tx(request, act)


@router.get("/nominations/{nomination_id}/eligibility", tags=["nominations"])
async def get_eligibility(
    nomination_id: str, request: Request, principal: Reader
) -> dict[str, Any]:
    """Eligible or not, with every criterion of the rule set in force, pass/fail, and the
    evidence (years, decisions, figures)."""
    return await read_tx(
        request,
        lambda tx: assessment.eligibility(Work.on(tx), ctx_of(request), principal, nomination_id),
    )


class SubmitIn(BodyIn):
    documents: list[Document] | None = None


class ReasonsIn(BodyIn):
    reasons: list[str] = Field(min_length=1)


class ReasonIn(BodyIn):
    reason: str | None = Field(None, max_length=2000)


class RejectIn(BodyIn):
    reason: str = Field(min_length=1, max_length=2000)


class ForwardIn(BodyIn):
    to_level: DecidingLevel
    to_unit_code: UnitCode | None = None
    reason: str | None = Field(None, max_length=2000)


def _action(
    name: str,
    model: type[BodyIn] | None,
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

        return await write_once(request, principal, key, act)

    endpoint.__doc__ = doc
    router.add_api_route(
        f"/nominations/{{nomination_id}}/{name}",
        endpoint,
        methods=["POST"],
        tags=["nominations"],
        name=f"nomination_{name}",
    )


async def _check(tx: Tx, ctx: Context, p: Principal, nid: str, b: Any) -> dict[str, Any]:
    n = await proposals.check_completeness(Work.on(tx), ctx, p, nid)
    return await views.nomination_view(tx, ctx, n.nomination_id)


async def _return(tx: Tx, ctx: Context, p: Principal, nid: str, b: Any) -> dict[str, Any]:
    n = await proposals.return_for_completion(Work.on(tx), ctx, p, nid, b.reasons)
    return await views.nomination_view(tx, ctx, n.nomination_id)


async def _accept(tx: Tx, ctx: Context, p: Principal, nid: str, b: Any) -> dict[str, Any]:
    n = await proposals.accept(Work.on(tx), ctx, p, nid)
    return await views.nomination_view(tx, ctx, n.nomination_id)


async def _approve(tx: Tx, ctx: Context, p: Principal, nid: str, b: Any) -> dict[str, Any]:
    n = await decisions.approve(Work.on(tx), ctx, p, nid, b.reason if b else None)
    return await views.nomination_view(tx, ctx, n.nomination_id)


async def _submit(tx: Tx, ctx: Context, p: Principal, nid: str, b: Any) -> dict[str, Any]:
    documents = tuple(d.value for d in b.documents) if b and b.documents is not None else None
    n = await proposals.submit(Work.on(tx), ctx, p, nid, documents)
    return await views.nomination_view(tx, ctx, n.nomination_id)


_action(
    "submit",
    SubmitIn,
    _submit,
    "Submit (or resubmit) the file to the deciding level; the 5-working-day check starts.",
)
_action(
    "completeness-check",
    None,
    _check,
    "The deciding level checks the documents: returned with the missing ones, or accepted.",
)
_action(
    "return",
    ReasonsIn,
    _return,
    "Return an incomplete file for completion with the reasons.",
)
_action(
    "accept",
    None,
    _accept,
    "The file is complete: review starts (20 working days to decide) and it is assessed.",
)
_action(
    "approve",
    ReasonIn,
    _approve,
    "The head approves an eligible file (after the council's valid tally where required).",
    roles=DECIDER_ROUTE_ROLES,
)


async def _reject(tx: Tx, ctx: Context, p: Principal, nid: str, b: Any) -> dict[str, Any]:
    n = await decisions.reject(Work.on(tx), ctx, p, nid, b.reason)
    return await views.nomination_view(tx, ctx, n.nomination_id)


async def _forward(tx: Tx, ctx: Context, p: Principal, nid: str, b: Any) -> dict[str, Any]:
    command = decisions.Forward(b.to_level, b.to_unit_code, b.reason)
    n = await decisions.forward(Work.on(tx), ctx, p, nid, command)
    return await views.nomination_view(tx, ctx, n.nomination_id)


_action(
    "reject",
    RejectIn,
    _reject,
    "Reject with a reason.",
    roles=DECIDER_ROUTE_ROLES,
)
_action(
    "forward",
    ForwardIn,
    _forward,
    "Forward an approved file to the level that grants the award.",
    roles=DECIDER_ROUTE_ROLES,
)
