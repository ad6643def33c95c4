"""Settings of indicators (environment prefix ``EGOV_INDICATORS_``)."""

from __future__ import annotations

from egov_runtime.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class IndicatorsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EGOV_INDICATORS_", extra="ignore")

    http_port: int = 8102
    reevaluate_interval_s: float = Field(
        3600.0,
        gt=0,
        description="How often targets of open periods are re-evaluated as days pass"
        " (on-track → at-risk, achieved or missed at the period's end).",
    )
    reporting_notice_interval_s: float = Field(
        3600.0,
        gt=0,
        description="How often reminders before a data set's due date and overdue notices are"
        " looked for (each goes out once per data set, unit and period).",
    )
