"""HTTP API of indicators (``/v1``): submissions and CSV imports, values, achievement, targets,
definitions and rules, approval of a period, export of a period's table. Bearer tokens with
roles and admin-unit scope; RFC 9457 problem details for errors.

One module per resource; ``router`` wires them all (the service spec mounts it)."""

from __future__ import annotations

from fastapi import APIRouter

from egov_indicators.entrypoints.http import (
    approvals,
    catalogue,
    reporting,
    submissions,
    targets,
    values,
)

router = APIRouter()
for part in (submissions, values, targets, approvals, catalogue, reporting):
    router.include_router(part.router)
