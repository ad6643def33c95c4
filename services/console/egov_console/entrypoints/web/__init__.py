"""The console's pages: sign-in, overview (Tổng quan), queues with export, a dossier, the
integration health, reporting and award files, and ``/live`` for the pages' refresh.
Server-rendered (Jinja2); every asset is served from ``/static`` by the console itself.

One module per page; ``router`` wires them all (the service spec mounts it)."""

from __future__ import annotations

from fastapi import APIRouter

from egov_console.entrypoints.web import (
    dossiers,
    health,
    overview,
    queues,
    reporting,
    session,
)

router = APIRouter(include_in_schema=False)
for part in (session, overview, queues, dossiers, health, reporting):
    router.include_router(part.router)
