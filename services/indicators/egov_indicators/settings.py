"""Settings of indicators (environment prefix ``EGOV_INDICATORS_``)."""

from __future__ import annotations

from egov_runtime.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class IndicatorsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EGOV_INDICATORS_", extra="ignore")

    http_port: int = 8102
