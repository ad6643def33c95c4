"""One dossier: its history, deadlines and the notifications it caused."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from egov_console.adapters.api import ApiError
from egov_console.entrypoints.web.common import (
    HEALTH_ROLES,
    NOTIFIER,
    PROCEDURES,
    apis_of,
    failure_page,
    render,
    signed_in,
    to_sign_in,
    units_today,
)

router = APIRouter(include_in_schema=False)


@router.get("/dossiers/{code}", response_class=HTMLResponse, response_model=None)
async def dossier(request: Request, code: str) -> Response:
    who = signed_in(request)
    if who is None:
        return to_sign_in(request)
    person, token = who
    apis = apis_of(request)
    try:
        d = await apis.get(PROCEDURES, f"/v1/dossiers/{code}", token)
    except ApiError as exc:
        return failure_page(request, person, exc)
    units = await units_today(request)
    deliveries: list[Any] | None = None
    deliveries_note = ""
    if person.has_any(HEALTH_ROLES):
        try:
            deliveries = (
                await apis.get(NOTIFIER, "/v1/deliveries", token, {"about": code, "limit": 200})
            )["items"]
        except ApiError as exc:
            deliveries_note = f"Chưa đọc được thông báo: {exc.detail}"
    else:
        deliveries_note = "Chỉ cán bộ vận hành xem được các thông báo đã gửi."
    explained = d.get("deadline_explained") or {}
    return render(
        request,
        "dossier.html",
        person,
        d=d,
        unit=units.get(d["unit_code"], {"unit_code": d["unit_code"], "name": d["unit_code"]}),
        explained=explained,
        deliveries=deliveries,
        deliveries_note=deliveries_note,
    )
