"""Service settings from environment variables (pydantic-settings), one prefix per service.

Every service subclasses :class:`ServiceSettings` and sets its own ``env_prefix``
(``EGOV_PROCEDURES_``, ``EGOV_INDICATORS_``, ...). Secrets are ``SecretStr`` so they never
appear in logs or reprs.

No profile means ``production``, and the production profile refuses to start (see
:meth:`ServiceSettings.ensure_safe`, called by the app factory) with the built-in development
secrets; the local stack, the tests and the drills set ``PROFILE=local`` themselves.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from egov_runtime.auth import RecordCredentials
from egov_runtime.collector import DEFAULT_YOUNG_THRESHOLD
from egov_runtime.edge import TimeWindow

DEVELOPMENT_JWT_SECRET = "local-development-secret-change-me"
DEVELOPMENT_PERSONAL_DATA_KEY = "local-personal-data-key-change-me"
MIN_SECRET_LENGTH = 32  # HS256 wants a key of at least 256 bits (RFC 7518, 3.2)


class UnsafeSettings(ValueError):
    """The production profile was asked to start with a development or missing secret."""


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EGOV_", extra="ignore")

    profile: Literal["local", "production"] = Field(
        "production",
        description="`production` unless set: development secrets are refused there;"
        " `local` for the dev stack and tests (webhooks may reach private addresses).",
    )
    province_code: str = Field("38", description="Province code used in CloudEvents `source`.")
    database_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    http_host: str = "127.0.0.1"
    http_port: int = 8100
    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    personal_data_key: SecretStr = SecretStr(DEVELOPMENT_PERSONAL_DATA_KEY)
    schema_base_url: str = Field(
        "http://127.0.0.1:8101/schemas/",
        description="Where the events' `dataschema` points: a public address of any service's"
        " `/schemas/` (every service serves every type's writer and reader schema). Default:"
        " admin-procedures of the local stack.",
    )

    # Kafka producer: the idempotent producer is on in production (Apache Kafka); the local
    # Kafka-protocol broker does not implement InitProducerId, so it is off by default.
    kafka_idempotence: bool = False
    # Kafka client security: the province's production broker takes TLS only, with
    # SASL/SCRAM-SHA-512 or a client certificate (contracts/README.md, AsyncAPI servers).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = Field(None, description="CA bundle of the broker (PEM)")
    kafka_ssl_certfile: str | None = Field(None, description="Client certificate (mutual TLS)")
    kafka_ssl_keyfile: str | None = Field(None, description="Its private key (mutual TLS)")
    kafka_linger_ms: int = 5
    kafka_request_timeout_ms: int = 30_000

    # Consumers
    consumer_batch_size: int = 500
    consumer_poll_timeout_ms: int = 500
    consumer_fetch_max_wait_ms: int = Field(
        100,
        description="How long the broker may hold a fetch to fill it. Apache Kafka answers at"
        " the first record; the local broker holds a fetch for all of it, so `make run` sets 10"
        " there.",
    )
    consumer_commit_interval_s: float = Field(
        0.1,
        ge=0,
        description="Offsets of stored batches are committed at most this often (one commit in"
        " flight, never awaited by the consumer); a crash re-reads at most this long's events,"
        " which the inbox drops.",
    )
    consumer_max_attempts: int = Field(
        3, description="Attempts for a failing handler before its event is dead-lettered."
    )
    consumer_backoff_initial_s: float = 0.2
    consumer_backoff_max_s: float = 30.0
    consumer_restart_backoff_s: float = Field(
        1.0, description="First wait before a crashed consumer is restarted (doubles to 30 s)."
    )
    consumer_max_record_bytes: int = Field(
        1_048_576, description="A larger record (key, value, headers) is dead-lettered unread."
    )
    dead_letter_max_bytes: int = Field(
        512 * 1024,
        description="A larger record's copy on the dead-letter topic goes without its value.",
    )
    consumer_stuck_after_s: float = Field(
        60.0, description="/readyz fails when a consumer's batch in hand is older than this."
    )
    consumer_max_restarts: int = Field(
        3, description="/readyz fails when a consumer crashed more often within the window."
    )
    consumer_restart_window_s: float = 300.0

    # The process
    gc_young_threshold: int = Field(
        DEFAULT_YOUNG_THRESHOLD,
        ge=0,
        description="Net allocations between two young collections of Python's garbage"
        " collector, set when `serve` has loaded the service (Python's default, 700, cost a"
        " consumer a tenth of its time under load; egov_runtime.collector says why); 0 leaves"
        " Python's default.",
    )

    # Outbox relay
    relay_batch_size: int = 1000
    relay_poll_interval_s: float = 1.0
    relay_standby_interval_s: float = 2.0
    outbox_retention_hours: int = Field(
        72,
        description="How long outbox rows an earlier release marked published are kept (the"
        " relay now deletes a row once the broker acknowledged it).",
    )

    # Validation at the edge: the instants a caller may report (see egov_runtime.edge)
    earliest_event_time: datetime = Field(
        datetime(2000, 1, 1, tzinfo=UTC), description="Reports before this are refused."
    )
    max_ahead_s: float = Field(
        900.0, ge=0, description="How far after now a reported instant may be (clock drift)."
    )

    # Inbound topics (status reports, indicator submissions): each record carries its
    # producer's credential, `authorization: Bearer <jwt>` (contracts/README.md)
    inbound_credentials_required: bool = Field(
        True,
        description="Refuse inbound records without a producer's credential (header"
        " `authorization: Bearer <jwt>`); off only for a trusted local broker.",
    )
    inbound_credential_leeway_s: int = Field(
        7 * 86_400,
        description="How long after its expiry a record's credential is still accepted, so"
        " records that waited in the topic through an outage are still handled.",
    )

    def record_credentials(self) -> RecordCredentials:
        return RecordCredentials(
            secret=self.jwt_secret.get_secret_value(),
            required=self.inbound_credentials_required,
            leeway_s=self.inbound_credential_leeway_s,
        )

    db_pool_min: int = 1
    db_pool_max: int = 10
    db_acquire_timeout_s: float = Field(
        10.0, description="A request waiting longer for a database connection answers 503."
    )

    # HTTP
    http_max_json_bytes: int = Field(
        1_048_576, description="Largest request body other than a file upload (413 beyond)."
    )
    http_max_upload_bytes: int = Field(
        20 * 1_048_576,
        description="Largest file upload body (CSV, XLSX, multipart, octet-stream; 413 beyond).",
    )
    http_retry_after_s: int = Field(
        5, description="Retry-After of the 503 answered while the database is unavailable."
    )
    outage_log_interval_s: float = Field(
        30.0, description="A database outage is logged once per interval, not per request."
    )

    def time_window(self) -> TimeWindow:
        return TimeWindow(self.earliest_event_time, timedelta(seconds=self.max_ahead_s))

    @property
    def production(self) -> bool:
        return self.profile == "production"

    def unsafe_reasons(self) -> list[str]:
        """What the production profile refuses (empty in the local profile). A service's
        settings may add its own (call this first)."""
        if not self.production:
            return []
        prefix = str(self.model_config.get("env_prefix", ""))
        reasons = []
        jwt_secret = self.jwt_secret.get_secret_value()
        if jwt_secret == DEVELOPMENT_JWT_SECRET:
            reasons.append(f"{prefix}JWT_SECRET is the built-in development secret")
        elif len(jwt_secret) < MIN_SECRET_LENGTH:
            reasons.append(f"{prefix}JWT_SECRET is shorter than {MIN_SECRET_LENGTH} characters")
        key = self.personal_data_key.get_secret_value()
        if key == DEVELOPMENT_PERSONAL_DATA_KEY:
            reasons.append(f"{prefix}PERSONAL_DATA_KEY is the built-in development key")
        elif len(key) < MIN_SECRET_LENGTH:
            reasons.append(
                f"{prefix}PERSONAL_DATA_KEY is shorter than {MIN_SECRET_LENGTH} characters"
            )
        return reasons

    def ensure_safe(self) -> None:
        """Raise :class:`UnsafeSettings` (one line, naming the variables) when the production
        profile would run with development or missing secrets. (Outbound webhooks: the
        notifier allows private addresses only in the local profile, so the SSRF guard cannot
        be off in production.)"""
        reasons = self.unsafe_reasons()
        if reasons:
            prefix = str(self.model_config.get("env_prefix", ""))
            raise UnsafeSettings(
                f"refusing to start in the production profile: {'; '.join(reasons)}"
                f" (set real secrets, or {prefix}PROFILE=local for development)"
            )
