"""Bearer-token authentication: JWT (HS256) with roles and an admin-unit scope.

A token carries ``sub``, ``roles`` (``admin``, ``operator``, ``officer``, ``council``,
``integration``) and ``unit`` (the admin unit whose subtree the holder may see). Services
decide unit scope with the ancestry of the unit being touched, from their own read model of
the admin-unit hierarchy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from egov_runtime.problems import Problem

# head: the head of a unit or agency who decides (e.g. the director signing an award decision)
ROLES = ("admin", "operator", "officer", "council", "head", "integration")
ISSUER = "egov-events"
_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    unit_code: str

    def has_any(self, roles: Iterable[str]) -> bool:
        return bool(self.roles & set(roles))

    def in_scope(self, ancestry: Iterable[str]) -> bool:
        """True when the unit whose ancestry (itself first, then its parents) is given lies in
        this principal's subtree."""
        return self.unit_code in set(ancestry)


def issue_token(
    secret: str, *, subject: str, roles: list[str], unit_code: str, ttl_seconds: int = 86_400
) -> str:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": subject,
        "roles": roles,
        "unit": unit_code,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def decode_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise Problem(401, "Invalid token", str(exc)) from exc
    return Principal(
        subject=str(claims["sub"]),
        roles=frozenset(r for r in claims.get("roles", []) if r in ROLES),
        unit_code=str(claims.get("unit", "")),
    )


async def current_principal(
    request: Request, creds: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal:
    if creds is None or creds.scheme.lower() != "bearer":
        raise Problem(401, "Authentication required", "Send Authorization: Bearer <token>.")
    secret = request.app.state.runtime.settings.jwt_secret.get_secret_value()
    return decode_token(secret, creds.credentials)


def require(*roles: str) -> Callable[..., object]:
    """A dependency admitting principals with at least one of ``roles``."""

    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if not principal.has_any(roles):
            raise Problem(403, "Forbidden", f"This needs one of the roles: {', '.join(roles)}.")
        return principal

    return dependency
