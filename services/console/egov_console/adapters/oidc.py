"""Sign-in through the province's identity provider: OpenID Connect, authorization code with
PKCE (S256), by Authlib's OAuth 2 client; the ID token is verified with joserfc against the
provider's published keys (issuer, audience, expiry, nonce)."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning

with warnings.catch_warnings():
    # Authlib 1.9 warns at import that its httpx integration will move to httpx2; the API used
    # here is unchanged, and the warning would otherwise be printed by every command that loads
    # the console (the operator CLI's one-line errors included).
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

DISCOVERY_TTL_S = 3600.0


class SignInRefused(Exception):
    """The provider's answer cannot be trusted or names no usable identity."""


@dataclass
class Pending:
    """What the console remembers between sending the person to the provider and their return."""

    state: str
    nonce: str
    verifier: str
    next: str


@dataclass
class OidcClient:
    issuer: str
    client_id: str
    client_secret: str | None
    scope: str
    http: httpx.AsyncClient
    _metadata: dict[str, Any] = field(default_factory=dict)
    _fetched_at: float = 0.0

    async def metadata(self) -> dict[str, Any]:
        if not self._metadata or time.monotonic() - self._fetched_at > DISCOVERY_TTL_S:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            response = await self.http.get(url)
            response.raise_for_status()
            found = response.json()
            if found.get("issuer") != self.issuer:
                raise SignInRefused("the discovery document names another issuer")
            self._metadata, self._fetched_at = found, time.monotonic()
        return self._metadata

    def _client(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope=self.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method=("client_secret_basic" if self.client_secret else "none"),
        )

    async def start(self, redirect_uri: str, next: str) -> tuple[str, Pending]:
        """The provider's authorization URL, and what to remember until the person returns."""
        meta = await self.metadata()
        pending = Pending(generate_token(32), generate_token(32), generate_token(64), next)
        async with self._client(redirect_uri) as client:
            url, _state = client.create_authorization_url(
                meta["authorization_endpoint"],
                state=pending.state,
                code_verifier=pending.verifier,
                nonce=pending.nonce,
            )
        return url, pending

    async def finish(
        self, redirect_uri: str, pending: Pending, code: str, state: str
    ) -> dict[str, Any]:
        """Exchange the code (with the PKCE verifier) and return the verified ID token's claims."""
        if state != pending.state:
            raise SignInRefused("state does not match")
        meta = await self.metadata()
        async with self._client(redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    meta["token_endpoint"], code=code, code_verifier=pending.verifier
                )
            except Exception as exc:  # the provider refused the code or the verifier
                raise SignInRefused(f"the provider refused the code: {exc}") from exc
        id_token = token.get("id_token")
        if not id_token:
            raise SignInRefused("no ID token in the provider's answer")
        keys = (await self.http.get(meta["jwks_uri"])).json()
        try:
            decoded = jwt.decode(id_token, KeySet.import_key_set(keys))
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": pending.nonce},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise SignInRefused(f"the ID token is not valid: {exc}") from exc
        claims: dict[str, Any] = dict(decoded.claims)
        return claims
