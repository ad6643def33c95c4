"""Settings of the notifier (environment prefix ``EGOV_NOTIFIER_``)."""

from __future__ import annotations

from datetime import time
from ipaddress import IPv4Network, IPv6Network
from typing import Literal

from egov_runtime.settings import ServiceSettings
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict


class NotifierSettings(ServiceSettings):
    # an empty variable means "not set": docker-compose passes SMTP_USER= or SMS_GATEWAY_URL= from
    # an .env that leaves them out, and an empty SMTP user must not mean "log in as nobody"
    model_config = SettingsConfigDict(
        env_prefix="EGOV_NOTIFIER_", extra="ignore", env_ignore_empty=True
    )

    http_port: int = 8104
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        "none",
        description="SMTP TLS mode: none, starttls (usually port 587) or tls (implicit, 465);"
        " SMTP_STARTTLS=true still means starttls",
    )
    mail_from: str = "thongbao@egov.example.vn"
    sms_gateway_url: str | None = None
    sms_gateway_key: SecretStr | None = None
    private_networks: list[IPv4Network | IPv6Network] = Field(
        [],
        description="Private networks webhooks and the SMS gateway may be on in the production"
        ' profile (JSON list of CIDRs, e.g. ["10.38.0.0/16"]); none by default. Loopback,'
        " link-local (cloud metadata) and public ranges are refused.",
    )
    retry_schedule_s: list[float] = Field(
        [0, 5, 300, 1800, 7200, 18000, 36000, 36000],
        description="Delay before each attempt (Svix's default: ~27.6 h in all).",
    )
    disable_after_s: float = Field(5 * 86400, description="Disable an endpoint failing this long")
    dispatch_interval_s: float = 1.0
    send_timeout_s: float = 10.0
    lease_s: float = 60.0
    throttle_limit: int = Field(10, ge=1, description="At most this many e-mails/SMS to one person")
    throttle_window_s: float = Field(3600, gt=0, description="... in any window this long")
    digest_at: time = Field(time(16, 30), description="Daily digest time (Vietnam time)")
    digest_interval_s: float = 60.0
    secret_overlap_s: float = Field(
        86400, ge=0, description="After a secret rotation, the previous secret signs this long"
    )
    secret_overlap_max_s: float = Field(
        30 * 86400, ge=0, description="The longest overlap a caller may choose"
    )
    feed_retention_days: float = Field(
        30, gt=0, description="GET /v1/feed keeps events published this many days ago"
    )
    feed_max_wait_s: float = Field(30, ge=0, description="The longest long poll of the feed")
    housekeeping_interval_s: float = Field(
        3600, gt=0, description="How often the feed and retired secrets are pruned"
    )

    @field_validator("private_networks")
    @classmethod
    def _only_private(
        cls, networks: list[IPv4Network | IPv6Network]
    ) -> list[IPv4Network | IPv6Network]:
        for net in networks:
            if net.is_loopback or net.is_link_local or net.is_multicast or net.is_unspecified:
                raise ValueError(f"{net} is loopback, link-local, multicast or unspecified")
            if not net.is_private:
                raise ValueError(f"{net} is not (entirely) a private network")
        return networks

    @property
    def smtp_tls_mode(self) -> str:
        return "starttls" if self.smtp_starttls and self.smtp_tls == "none" else self.smtp_tls
