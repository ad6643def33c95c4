"""The level above approves and locks a unit's period."""

from __future__ import annotations

from typing import Any

from egov_runtime.problems import Problem
from egov_runtime.service import runtime_of
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from egov_indicators.domain import LockRefused
from egov_indicators.entrypoints.http.common import (
    Approver,
    check_unit,
    ctx_of,
    parse_period,
)
from egov_indicators.usecases.approval import ApprovePeriod, approve_period
from egov_indicators.usecases.common import Work

router = APIRouter(prefix="/v1")


class ApprovalIn(BaseModel):
    unit_code: str = Field(min_length=1, max_length=32)
    period: str


@router.post("/approvals", status_code=201, tags=["approval"])
async def post_approval(body: ApprovalIn, request: Request, principal: Approver) -> dict[str, Any]:
    """The level directly above approves a unit's period, which locks it: afterwards only a
    correction (``replaces``) with a reason is accepted."""
    rt = runtime_of(request)
    p = parse_period(body.period)
    await check_unit(rt, principal, body.unit_code)
    try:
        async with rt.transaction() as tx:
            command = ApprovePeriod(
                body.unit_code,
                str(p),
                principal.subject,
                principal.unit_code,
                ctx_of(request).clock(),
            )
            lock = await approve_period(Work.on(tx), command)
    except LockRefused as exc:
        status = 403 if exc.rule_id == "not-level-above" else 409
        raise Problem(
            status,
            "Approval refused",
            exc.message_en,
            errors=[{"field": "unit_code", "rule": exc.rule_id, "message": exc.message_vi}],
        ) from exc
    return {
        "unit_code": body.unit_code,
        "period": str(p),
        "approved_by": lock.approved_by,
        "approver_unit": lock.approver_unit,
        "locked_at": lock.locked_at.isoformat(),
    }
