"""HTTP API of nominations (``/v1``): register and imports, movements, registrations,
nominations and their eligibility, councils, sessions and tallies, decisions, award history,
reports. Bearer tokens with roles and unit scope; RFC 9457 errors; writes accept an
``Idempotency-Key``.

One module per resource; ``router`` wires them all (the service spec mounts it)."""

from __future__ import annotations

from fastapi import APIRouter

from egov_nominations.entrypoints.http import (
    councils,
    decisions,
    movements,
    nominations,
    register,
    reports,
)

router = APIRouter()
for part in (register, movements, nominations, councils, decisions, reports):
    router.include_router(part.router)
