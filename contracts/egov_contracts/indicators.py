"""Events of socio-economic indicators (chỉ tiêu): submissions, recorded values, targets."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from egov_contracts.envelope import ContractModel, EventData, register
from egov_contracts.topics import INDICATOR_RESULTS, INDICATOR_SUBMISSIONS
from egov_contracts.types import (
    LINE_PATTERN,
    Amount,
    Code,
    Line,
    Moment,
    Note,
    Percent,
    Period,
    Text,
    UnitCode,
    VnDatetime,
)

Disaggregation = dict[str, str]
# What a producer may send: at most 20 dimensions, short single-line names and options.
ReportedDisaggregation = Annotated[
    dict[
        Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=LINE_PATTERN)],
        Annotated[str, StringConstraints(max_length=100, pattern=LINE_PATTERN)],
    ],
    Field(max_length=20),
]
# A reported value: at most 30 significant digits, 10 of them decimals (what a count, an amount
# in đồng or a rate can need; a 4,300-digit number is not a report).
ReportedAmount = Annotated[Amount, Field(max_digits=30, decimal_places=10)]


class TargetStatus(StrEnum):
    """achieved — đạt; missed — không đạt; on-track — đúng tiến độ; at-risk — có nguy cơ."""

    ACHIEVED = "achieved"
    MISSED = "missed"
    ON_TRACK = "on-track"
    AT_RISK = "at-risk"


class Direction(StrEnum):
    """Whether a higher value is better (jobs created) or a lower one (poverty rate)."""

    HIGHER_IS_BETTER = "higher-is-better"
    LOWER_IS_BETTER = "lower-is-better"


class ReportedValue(ContractModel):
    """One indicator value of a submission."""

    indicator_code: Code = Field(description="Indicator code — mã chỉ tiêu")
    value: ReportedAmount = Field(description="Reported value — giá trị, in the indicator's unit")
    disaggregation: ReportedDisaggregation | None = Field(
        None, description="Breakdown — phân tổ, e.g. {'sex': 'female', 'area': 'rural'}"
    )


class RuleViolation(ContractModel):
    """A validation rule a submitted value broke."""

    indicator_code: Code | None = Field(None, description="None for a rule on the whole report")
    indicator_name: Text | None = Field(
        None, description="The indicator's name in the catalogue — tên chỉ tiêu (for people)"
    )
    value: Amount | None = None
    rule: Code = Field(description="Rule id — mã quy tắc kiểm tra")
    message: Text = Field(description="What is wrong, for the reporting unit")


@register
class SubmissionReceived(EventData):
    """A district or statistics system reports indicator values for a period (inbound).
    Key: ``<unit>/<period>``."""

    event_type = "vn.egov.indicators.submission.received.v1"
    occurred_field = "submitted_at"
    topic = INDICATOR_SUBMISSIONS.name

    submission_id: Code = Field(description="Submission id — mã báo cáo, unique per sender")
    unit_code: UnitCode = Field(description="Reporting unit — đơn vị báo cáo")
    period: Period
    values: list[ReportedValue] = Field(min_length=1, max_length=5000)
    submitted_by: Code = Field(description="Account or system that sent it (not a person name)")
    submitted_at: Moment = Field(description="Thời điểm gửi báo cáo (2000 to 2099)")
    replaces: Code | None = Field(None, description="A correction of this earlier submission")
    reason: Note | None = Field(
        None, description="Why a correction is made — lý do điều chỉnh (required after a lock)"
    )


class _SubmissionOutcome(EventData):
    topic = INDICATOR_RESULTS.name

    submission_id: Code
    unit_code: UnitCode
    period: Period
    replaces: Code | None = None


@register
class SubmissionAccepted(_SubmissionOutcome):
    """Every value passed the rules and was recorded — báo cáo được chấp nhận."""

    event_type = "vn.egov.indicators.submission.accepted.v1"
    occurred_field = "accepted_at"
    accepted_at: VnDatetime
    value_count: int = Field(ge=1)


@register
class SubmissionRejected(_SubmissionOutcome):
    """The submission broke one or more rules; nothing of it was recorded — bị từ chối."""

    event_type = "vn.egov.indicators.submission.rejected.v1"
    occurred_field = "rejected_at"
    rejected_at: VnDatetime
    violations: list[RuleViolation] = Field(min_length=1)


@register
class ValueRecorded(EventData):
    """A value of an indicator for a unit and period, reported or rolled up from sub-units.
    Key: ``<indicator>/<unit>/<period>``."""

    event_type = "vn.egov.indicators.value.recorded.v1"
    occurred_field = "recorded_at"
    topic = INDICATOR_RESULTS.name

    indicator_code: Code = Field(description="Indicator code — mã chỉ tiêu")
    unit_code: UnitCode
    period: Period
    value: Amount
    measure_unit: str = Field(max_length=40, description="Đơn vị tính, e.g. 'person', '%'")
    derived: bool = Field(False, description="Rolled up from sub-units — tổng hợp từ cấp dưới")
    disaggregation: Disaggregation | None = None
    submission_id: Code | None = Field(None, description="Source submission (reported values)")
    recorded_at: VnDatetime
    revision: int = Field(1, ge=1, description="Increases when a correction changes the value")


@register
class TargetEvaluated(EventData):
    """Actual against target for an indicator, unit and period — đánh giá thực hiện kế hoạch.
    Key: ``<indicator>/<unit>/<period>``."""

    event_type = "vn.egov.indicators.target.evaluated.v1"
    occurred_field = "evaluated_at"
    topic = INDICATOR_RESULTS.name

    indicator_code: Code
    unit_code: UnitCode
    period: Period
    target: Amount = Field(description="Planned value — chỉ tiêu kế hoạch")
    actual: Amount = Field(description="Value so far — thực hiện")
    measure_unit: str = Field(max_length=40)
    direction: Direction = Direction.HIGHER_IS_BETTER
    achievement_pct: Percent | None = Field(
        None, description="actual / target × 100, half-up to 2 decimals (e.g. 105.35)"
    )
    status: TargetStatus
    expected_to_date: Amount | None = Field(
        None, description="Pro-rata expectation for an open period (target × elapsed share)"
    )
    change_vs_previous: Amount | None = Field(
        None, description="Change vs the previous period in the indicator's own unit"
    )
    change_unit: str | None = Field(
        None, max_length=20, description="Unit of the change: 'pp' (percentage points) for rates"
    )
    period_closed: bool = Field(description="False while the period is still open")
    evaluated_at: VnDatetime
    planned_change: Amount | None = Field(
        None,
        description="Target − the previous period's value, in change_unit (e.g. -1.00: the plan"
        " is to reduce the poverty rate by 1 point); null without a previous value",
    )
    achieved_change: Amount | None = Field(
        None, description="Actual − the previous period's value, in change_unit (e.g. -1.41)"
    )
    change_achievement_pct: Percent | None = Field(
        None,
        description="achieved_change / planned_change × 100, half-up to 2 decimals (141.00:"
        " reduced by 1.41 against a planned 1.00); reads right for lower-is-better indicators,"
        " where achievement_pct of a missed target is above 100",
    )
    verdict_vi: Note | None = Field(
        None,
        description="The status in words with the direction and the planned versus achieved"
        " change — đánh giá, e.g. 'Đạt kế hoạch: thực hiện 5,33% (chỉ tiêu càng thấp càng tốt,"
        " kế hoạch không quá 5,74%); kế hoạch giảm 1,00 điểm %, thực hiện giảm 1,41 điểm %…'",
    )


class _ReportNotice(EventData):
    topic = INDICATOR_RESULTS.name
    occurred_field = "notified_at"

    data_set: Code = Field(description="Data set — mã bộ báo cáo")
    data_set_name: Line = Field(description="Tên bộ báo cáo, e.g. 'Báo cáo tháng lao động'")
    unit_code: UnitCode = Field(description="Reporting unit — đơn vị báo cáo")
    unit_name: Line = Field(description="Tên đơn vị báo cáo")
    period: Period
    due_date: date = Field(description="Hạn gửi báo cáo (a day in Vietnam)")
    notified_at: VnDatetime


@register
class ReportDueSoon(_ReportNotice):
    """A unit has not yet reported a period of a data set and the due date is near — sắp đến
    hạn gửi báo cáo. Sent once per data set, unit and period.
    Key: ``<data set>/<unit>/<period>``."""

    event_type = "vn.egov.indicators.report.due-soon.v1"


@register
class ReportOverdue(_ReportNotice):
    """A unit has not reported a period of a data set by its due date — quá hạn gửi báo cáo.
    Sent once per data set, unit and period. Key: ``<data set>/<unit>/<period>``."""

    event_type = "vn.egov.indicators.report.overdue.v1"
