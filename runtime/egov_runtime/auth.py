"""Bearer-token authentication: JWT (HS256) with roles and an admin-unit scope.

A token carries ``sub``, ``roles`` (``admin``, ``operator``, ``officer``, ``council``,
``integration``) and ``unit`` (the admin unit whose subtree the holder may see). Services
decide unit scope with the ancestry of the unit being touched, from their own read model of
the admin-unit hierarchy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

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


def _principal(secret: str, token: str, leeway_s: float = 0) -> Principal:
    """The principal of a signed token (HS256 only: ``alg: none`` and other algorithms are
    refused by PyJWT); raises ``jwt.PyJWTError``."""
    claims: dict[str, Any] = jwt.decode(
        token,
        secret,
        algorithms=["HS256"],
        issuer=ISSUER,
        leeway=leeway_s,
        options={"require": ["exp", "sub", "iss"]},
    )
    return Principal(
        subject=str(claims["sub"]),
        roles=frozenset(r for r in claims.get("roles", []) if r in ROLES),
        unit_code=str(claims.get("unit", "")),
    )


def decode_token(secret: str, token: str) -> Principal:
    try:
        return _principal(secret, token)
    except jwt.PyJWTError as exc:
        raise Problem(401, "Invalid token", str(exc)) from exc


# -- credentials on Kafka records ------------------------------------------------------------
#
# A producer of an inbound topic (a one-door system) attaches the same bearer token it would
# send over HTTP as the record header ``authorization: Bearer <jwt>``; the consumer decides with
# it which units the record may speak for, by the same rules as the HTTP API.

CREDENTIAL_HEADER = "authorization"


class CredentialError(ValueError):
    """A record's credential is missing, malformed, expired or not signed with our secret."""


def credential_header(token: str) -> tuple[str, bytes]:
    """The Kafka record header carrying ``token``."""
    return (CREDENTIAL_HEADER, f"Bearer {token}".encode())


def record_credential(
    headers: Sequence[tuple[str, bytes]] | None, secret: str, *, leeway_s: float = 0
) -> Principal | None:
    """The principal of a record's ``authorization`` header, None when there is none.

    ``leeway_s``: how long after its expiry a credential is still accepted, so records that
    waited in the topic through an outage are still handled.
    """
    values = [v for k, v in headers or () if k.lower() == CREDENTIAL_HEADER]
    if not values:
        return None
    if len(values) > 1:
        raise CredentialError("more than one authorization header")
    try:
        scheme, _, token = values[0].decode("ascii").partition(" ")
    except UnicodeDecodeError as exc:
        raise CredentialError("the authorization header is not ASCII") from exc
    if scheme.lower() != "bearer" or not token:
        raise CredentialError("the authorization header is not `Bearer <token>`")
    try:
        return _principal(secret, token.strip(), leeway_s)
    except jwt.PyJWTError as exc:
        raise CredentialError(f"invalid credential: {exc}") from exc


@dataclass(frozen=True)
class RecordCredentials:
    """How a service authenticates the records of its inbound topic (contracts/README.md)."""

    secret: str
    required: bool = True
    leeway_s: float = 0

    def producer(
        self, headers: Sequence[tuple[str, bytes]] | None, roles: Iterable[str]
    ) -> tuple[Principal | None, tuple[str, str] | None]:
        """``(principal, None)`` for a record that may be handled (principal None: no credential
        and none required), or ``(None, (reason, error))`` for one to refuse."""
        try:
            principal = record_credential(headers, self.secret, leeway_s=self.leeway_s)
        except CredentialError as exc:
            return None, ("unauthenticated", str(exc))
        if principal is None:
            if self.required:
                return None, (
                    "unauthenticated",
                    "no `authorization: Bearer <token>` header (the producer's credential)",
                )
            return None, None
        allowed = sorted(set(roles))
        if not principal.has_any(allowed):
            return None, (
                "unauthorized",
                f"{principal.subject} has none of the roles {', '.join(allowed)}",
            )
        return principal, None


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
