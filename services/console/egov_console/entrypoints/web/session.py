"""Assets, sign-in and sign-out, and ``/live`` for the pages' refresh."""

from __future__ import annotations

from egov_runtime.auth import decode_token, issue_token
from egov_runtime.problems import Problem
from egov_workdays import VN_TZ
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse

from egov_console.entrypoints.web.common import (
    COOKIE,
    SIGN_IN_ROLES,
    STATIC,
    error_page,
    live_of,
    render,
    safe_next,
    set_session,
    settings_of,
    units_today,
)

router = APIRouter(include_in_schema=False)


@router.get("/static/{name}")
async def static(name: str) -> FileResponse:
    files = {p.name: p for p in STATIC.iterdir() if p.is_file()}
    if name not in files:
        raise Problem(404, "Not found")
    return FileResponse(files[name], headers={"Cache-Control": "max-age=3600"})


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    units = await units_today(request)
    return render(
        request,
        "sign_in.html",
        None,
        roles=SIGN_IN_ROLES,
        units=sorted(units.values(), key=lambda u: (u["parent_code"] is not None, u["unit_code"])),
        next=safe_next(next),
        oidc=request.app.state.wiring.state.get("oidc") is not None,
    )


@router.post("/sign-in", response_model=None)
async def sign_in(
    request: Request,
    role: str = Form(...),
    unit: str = Form(...),
    next: str = Form("/"),
) -> Response:
    """Local profile: sign in as a development role of a unit (production signs in through the
    province's identity provider, which this console does not yet speak)."""
    settings = settings_of(request)
    if settings.production:
        raise Problem(404, "Not found")
    if role not in SIGN_IN_ROLES or unit not in await units_today(request):
        return error_page(
            request, None, 422, "Không đăng nhập được", "Vai trò hoặc đơn vị không hợp lệ."
        )
    token = issue_token(
        settings.jwt_secret.get_secret_value(),
        subject=f"dev-{role}",
        roles=[role],
        unit_code=unit,
        ttl_seconds=settings.session_hours * 3600,
    )
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session(request, response, token)
    return response


@router.get("/sign-in/token", response_model=None)
async def sign_in_with_token(request: Request, token: str, next: str | None = None) -> Response:
    """Local profile: open the console signed in with a development token (the links in
    ``.run/stack.json``); the token is checked, then kept in the HTTP-only session cookie."""
    settings = settings_of(request)
    if settings.production:
        raise Problem(404, "Not found")
    try:
        decode_token(settings.jwt_secret.get_secret_value(), token)
    except Problem:
        return error_page(
            request,
            None,
            401,
            "Liên kết đăng nhập không hợp lệ",
            "Liên kết đã hết hạn hoặc không đúng. Hãy đăng nhập lại.",
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session(request, response, token)
    return response


@router.post("/sign-out")
async def sign_out() -> RedirectResponse:
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/live")
async def live_version(request: Request) -> JSONResponse:
    live = live_of(request)
    return JSONResponse(
        {"version": live.version, "changed_at": live.changed_at.astimezone(VN_TZ).isoformat()},
        headers={"Cache-Control": "no-store"},
    )
