"""What the routes of nominations share: the roles, the use-case context, strict bodies, and
the idempotent write and the read in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from egov_runtime.auth import Principal, require
from egov_runtime.consumer import Tx
from egov_runtime.idempotency import run_once
from egov_runtime.service import context_of, runtime_of
from egov_runtime.units import descendants
from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from egov_nominations.usecases.common import Context, check_scope

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


class BodyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


async def write_once(
    request: Request,
    principal: Principal,
    key: str | None,
    action: Callable[[Tx], Awaitable[tuple[int, dict[str, Any]]]],
) -> JSONResponse:
    rt = runtime_of(request)
    status, payload = await run_once(rt, principal.subject, key, await request.body(), action)
    return JSONResponse(payload, status_code=status)


async def read_tx(request: Request, action: Callable[[Tx], Awaitable[Any]]) -> Any:
    async with runtime_of(request).transaction() as tx:
        return await action(tx)


async def subtree_of(tx: Tx, principal: Principal, unit: str | None) -> list[str]:
    """``unit`` (the caller's own by default) and every unit below it, for a list of a subtree;
    403 unless the unit lies in the caller's subtree."""
    u = unit or principal.unit_code
    await check_scope(tx, principal, u)
    return await descendants(tx.conn, u)
