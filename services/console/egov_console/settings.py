"""Settings of the console (environment prefix ``EGOV_CONSOLE_``)."""

from __future__ import annotations

from egov_runtime.settings import ServiceSettings
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict


class ConsoleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EGOV_CONSOLE_", extra="ignore")

    http_port: int = 8105
    service_urls: dict[str, str] = Field(
        default_factory=lambda: {
            "admin-procedures": "http://127.0.0.1:8101",
            "indicators": "http://127.0.0.1:8102",
            "nominations": "http://127.0.0.1:8103",
            "notifier": "http://127.0.0.1:8104",
        },
        description="Base URL of each service the console reads (JSON object).",
    )
    api_timeout_s: float = 15.0
    session_hours: int = Field(10, description="A sign-in lasts this long (a working day).")
    cookie_secure: bool | None = Field(
        None, description="Secure flag of the session cookie (default: on in production)."
    )
    live_poll_ms: int = Field(2000, description="How often an open page asks if data changed.")
    page_size: int = 50

    # Sign-in through the province's identity provider (OpenID Connect, code + PKCE); on when
    # an issuer and a client id are set. The ID token's claims give the roles and the unit.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scope: str = "openid profile"
    oidc_redirect_url: str | None = Field(
        None, description="The console's public /auth/callback URL (default: from the request)."
    )
    oidc_roles_claim: str = "roles"
    oidc_unit_claim: str = "unit"
