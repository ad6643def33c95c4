"""Emulation movements and registrations for a title."""

from __future__ import annotations

from datetime import date
from typing import Any

from egov_contracts.types import Code, UnitCode
from egov_runtime.consumer import Tx
from egov_runtime.edge import OptionalYear
from egov_runtime.pagination import Page, PageQuery
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field, model_validator

from egov_nominations.adapters import files
from egov_nominations.adapters.repositories import movement_of, registration_of
from egov_nominations.domain.register import (
    AwardKind,
    NomineeKind,
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
from egov_nominations.usecases import (
    movements,
)
from egov_nominations.usecases.common import Work

router = APIRouter(prefix="/v1")


class MovementIn(BodyIn):
    movement_id: Code | None = None
    title: str = Field(min_length=1, max_length=300)
    unit_code: UnitCode
    year: int = Field(ge=2000, le=2100)
    starts_on: date
    ends_on: date | None = None
    awards: list[AwardKind] = Field([])

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
        command = movements.LaunchMovement(
            body.title,
            body.unit_code,
            body.year,
            body.starts_on,
            body.ends_on,
            tuple(body.awards),
            body.movement_id,
        )
        return 201, await movements.launch_movement(
            Work.on(tx), ctx_of(request), principal, command
        )

    return await write_once(request, principal, key, act)


@router.get("/movements", tags=["movements"])
async def get_movements(
    request: Request, principal: Reader, page: PageQuery, year: OptionalYear = None
) -> Page:
    async def act(tx: Tx) -> Page:
        return page.slice(
            [
                movements.movement_json(movement_of(r))
                for r in await files.list_movements(tx.conn, year)
            ]
        )

    return await read_tx(request, act)


class RegistrationIn(BodyIn):
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
        command = movements.RegisterForTitle(
            body.year, body.nominee_kind, body.nominee_ref, body.award, body.movement_id
        )
        return await movements.register_for_title(Work.on(tx), ctx_of(request), principal, command)

    return await write_once(request, principal, key, act)


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
        units = await subtree_of(tx, principal, unit)
        rows = await files.list_registrations(tx.conn, units, year, movement)
        return page.slice([movements.registration_json(registration_of(r)) for r in rows])

    return await read_tx(request, act)
