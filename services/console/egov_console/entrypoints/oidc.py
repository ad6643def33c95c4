"""``/auth/login`` and ``/auth/callback``: sign-in through the province's identity provider.

The person's roles and unit come from the verified ID token (claims named in the settings); the
console then keeps, in its HTTP-only session cookie, a service token with those roles and that
unit, so the services' unit scope applies to what the person sees. Between the two steps the
state, nonce, PKCE verifier and target page wait in a signed cookie that lives ten minutes."""

from __future__ import annotations

import time
from typing import cast

import jwt as pyjwt
from egov_runtime.auth import ROLES, issue_token
from egov_runtime.service import runtime_of
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from egov_console.adapters.oidc import OidcClient, Pending, SignInRefused
from egov_console.entrypoints.web.common import error_page, safe_next, set_session
from egov_console.settings import ConsoleSettings

router = APIRouter(include_in_schema=False)
PENDING_COOKIE = "egov_console_oidc"
PENDING_TTL_S = 600
AUDIENCE = "egov-console-oidc"


def _settings(request: Request) -> ConsoleSettings:
    return cast(ConsoleSettings, runtime_of(request).settings)


def _oidc(request: Request) -> OidcClient | None:
    client: OidcClient | None = request.app.state.wiring.state.get("oidc")
    return client


def _redirect_uri(request: Request) -> str:
    return _settings(request).oidc_redirect_url or str(request.url_for("oidc_callback"))


def _refused(request: Request, text: str, status: int = 400) -> Response:
    response = error_page(request, None, status, "Không đăng nhập được", text)
    response.delete_cookie(PENDING_COOKIE, path="/auth")
    return response


@router.get("/auth/login", response_model=None)
async def oidc_login(request: Request, next: str | None = None) -> Response:
    oidc = _oidc(request)
    if oidc is None:
        return _refused(request, "Chưa cấu hình hệ thống định danh.", 404)
    settings = _settings(request)
    url, pending = await oidc.start(_redirect_uri(request), safe_next(next))
    remembered = pyjwt.encode(
        {
            "aud": AUDIENCE,
            "exp": int(time.time()) + PENDING_TTL_S,
            "state": pending.state,
            "nonce": pending.nonce,
            "verifier": pending.verifier,
            "next": pending.next,
        },
        settings.jwt_secret.get_secret_value(),
        algorithm="HS256",
    )
    response = RedirectResponse(url, status_code=303)
    secure = settings.production if settings.cookie_secure is None else settings.cookie_secure
    response.set_cookie(
        PENDING_COOKIE,
        remembered,
        max_age=PENDING_TTL_S,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/auth",
    )
    return response


@router.get("/auth/callback", name="oidc_callback", response_model=None)
async def oidc_callback(
    request: Request,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    oidc = _oidc(request)
    if oidc is None:
        return _refused(request, "Chưa cấu hình hệ thống định danh.", 404)
    settings = _settings(request)
    if error or not code or not state:
        return _refused(request, f"Hệ thống định danh không cho đăng nhập ({error or 'thiếu mã'}).")
    try:
        kept = pyjwt.decode(
            request.cookies.get(PENDING_COOKIE, ""),
            settings.jwt_secret.get_secret_value(),
            algorithms=["HS256"],
            audience=AUDIENCE,
        )
    except pyjwt.PyJWTError:
        return _refused(request, "Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại.")
    pending = Pending(kept["state"], kept["nonce"], kept["verifier"], kept["next"])
    try:
        claims = await oidc.finish(_redirect_uri(request), pending, code, state)
    except SignInRefused:
        return _refused(request, "Không xác minh được danh tính từ hệ thống định danh.")
    raw_roles = claims.get(settings.oidc_roles_claim) or []
    if isinstance(raw_roles, str):
        raw_roles = raw_roles.split()
    roles = sorted({str(r) for r in raw_roles} & (set(ROLES) - {"integration"}))
    unit = claims.get(settings.oidc_unit_claim)
    if not roles or not unit:
        return _refused(request, "Tài khoản chưa được gán vai trò hoặc đơn vị.", 403)
    token = issue_token(
        settings.jwt_secret.get_secret_value(),
        subject=str(claims["sub"]),
        roles=roles,
        unit_code=str(unit),
        ttl_seconds=settings.session_hours * 3600,
    )
    response = RedirectResponse(safe_next(pending.next), status_code=303)
    set_session(request, response, token)
    response.delete_cookie(PENDING_COOKIE, path="/auth")
    return response
