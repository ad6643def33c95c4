"""Events of administrative-procedure dossiers (hồ sơ thủ tục hành chính) and on-time rates."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from egov_contracts.envelope import ContractModel, EventData, register
from egov_contracts.personal_data import SEALED_PATTERN
from egov_contracts.topics import DOSSIERS, RATES, STATUS_REPORTS
from egov_contracts.types import Code, Line, Moment, Note, Percent, Text, UnitCode, VnDatetime


class DossierStatus(StrEnum):
    """Status reported by a one-door system — trạng thái hồ sơ."""

    RECEIVED = "received"
    SUPPLEMENT_REQUESTED = "supplement-requested"
    SUPPLEMENT_RECEIVED = "supplement-received"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    RESOLVED = "resolved"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


class Channel(StrEnum):
    """How the dossier was submitted — hình thức nộp."""

    COUNTER = "counter"
    ONLINE = "online"
    POSTAL = "postal"
    PUBLIC_SERVICE_PORTAL = "public-service-portal"


class ResolutionResult(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"


class Timeliness(StrEnum):
    """early — trước hạn; on-time — đúng hạn; late — quá hạn."""

    EARLY = "early"
    ON_TIME = "on-time"
    LATE = "late"


class Satisfaction(StrEnum):
    """The citizen's rating of how the dossier was handled — mức độ hài lòng."""

    VERY_SATISFIED = "very-satisfied"  # rất hài lòng
    SATISFIED = "satisfied"  # hài lòng
    DISSATISFIED = "dissatisfied"  # không hài lòng


class ProcessingTimeUnit(StrEnum):
    WORKING_DAYS = "working-days"
    WORKING_HOURS = "working-hours"
    CALENDAR_DAYS = "calendar-days"


class ApplicantKind(StrEnum):
    CITIZEN = "citizen"
    ORGANISATION = "organisation"


class Applicant(ContractModel):
    """PERSONAL DATA — thông tin người nộp. Only in the inbound status report; kept by
    admin-procedures alone and never published (outbound events carry ``applicant_ref``)."""

    kind: ApplicantKind = ApplicantKind.CITIZEN
    national_id: str | None = Field(
        None,
        max_length=20,
        pattern=r"^[0-9A-Za-z][0-9A-Za-z \-]*$",
        description="Số định danh / CCCD",
    )
    name: Line | None = Field(None, description="Họ tên")
    phone: str | None = Field(
        None, max_length=20, pattern=r"^\+?[0-9][0-9 ().\-]*$", description="Số điện thoại"
    )
    email: str | None = Field(
        None,
        max_length=200,
        pattern=r"^[^@\s\x00-\x1F\x7F]+@[^@\s\x00-\x1F\x7F]+$",
        description="Thư điện tử",
    )


@register
class StatusReported(EventData):
    """A one-door system reports a dossier's status (inbound)."""

    event_type = "vn.egov.procedures.dossier.status-reported.v1"
    topic = STATUS_REPORTS.name

    dossier_code: Code = Field(description="Dossier code — mã hồ sơ")
    procedure_code: Code = Field(description="Procedure code — mã thủ tục hành chính")
    unit_code: UnitCode = Field(description="Handling agency or admin unit — đơn vị xử lý")
    status: DossierStatus
    occurred_at: Moment = Field(description="When it happened — thời điểm (2000 to 2099)")
    channel: Channel | None = Field(None, description="Submission channel (for received)")
    result: ResolutionResult | None = Field(None, description="For resolved — kết quả")
    applicant: Applicant | None = Field(
        None, description="PERSONAL DATA in clear; systems of this province send applicant_sealed"
    )
    applicant_sealed: str | None = Field(
        None,
        max_length=4000,
        pattern=SEALED_PATTERN,
        description="The applicant object sealed (AES-256-GCM, egov_contracts.personal_data.seal)"
        " with admin-procedures' personal-data key: personal data never in clear on the topic",
    )
    note: Note | None = Field(None, description="Note or reason — ghi chú, lý do")
    officer_ref: Code | None = Field(
        None,
        description="The officer who did this step, by personnel reference — mã cán bộ xử lý"
        " (as the one-door system identifies its officers; never a name)",
    )
    digitised: bool | None = Field(
        None,
        description="The dossier's papers were digitised at intake — hồ sơ được số hóa (where the"
        " one-door system reports it; for the service index of QĐ 766/QĐ-TTg)",
    )
    electronic_result: bool | None = Field(
        None,
        description="The result was issued electronically — kết quả giải quyết điện tử (for"
        " resolved)",
    )
    paid_online: bool | None = Field(
        None, description="Fees and charges were paid online — thanh toán trực tuyến"
    )
    satisfaction: Satisfaction | None = Field(
        None, description="The citizen's rating — đánh giá mức độ hài lòng (after the result)"
    )

    @model_validator(mode="after")
    def _applicant_once(self) -> Self:
        if self.applicant is not None and self.applicant_sealed is not None:
            raise ValueError("give applicant or applicant_sealed, not both")
        return self


class DossierEvent(EventData):
    """Fields every outbound dossier event carries (subject and key: the dossier code)."""

    topic = DOSSIERS.name

    dossier_code: Code = Field(description="Dossier code — mã hồ sơ")
    procedure_code: Code = Field(description="Procedure code — mã thủ tục")
    procedure_name: Text | None = Field(
        None, description="The procedure's name in the catalogue — tên thủ tục (for people)"
    )
    officer_ref: Code | None = Field(
        None,
        description="The officer who did this step, as the one-door system reported it — mã"
        " cán bộ xử lý (absent for steps of the clock: deadline warnings, overdue)",
    )
    unit_code: UnitCode = Field(description="Handling unit — đơn vị xử lý")
    occurred_at: VnDatetime


@register
class DossierReceived(DossierEvent):
    event_type = "vn.egov.procedures.dossier.received.v1"
    received_at: VnDatetime = Field(description="Ngày tiếp nhận")
    due_at: VnDatetime = Field(description="Deadline — hạn trả kết quả")
    processing_time: int = Field(gt=0, description="Thời hạn giải quyết")
    processing_time_unit: ProcessingTimeUnit
    channel: Channel | None = None
    applicant_ref: str | None = Field(None, description="Keyed hash of the applicant's ID")


@register
class DossierSupplementRequested(DossierEvent):
    event_type = "vn.egov.procedures.dossier.supplement-requested.v1"
    requested_at: VnDatetime = Field(description="Yêu cầu bổ sung hồ sơ")
    used_minutes: int = Field(ge=0, description="Working time already used, in minutes")
    note: Text | None = None


@register
class DossierSupplementReceived(DossierEvent):
    event_type = "vn.egov.procedures.dossier.supplement-received.v1"
    supplement_received_at: VnDatetime
    due_at: VnDatetime = Field(description="The recomputed deadline")


@register
class DossierSuspended(DossierEvent):
    event_type = "vn.egov.procedures.dossier.suspended.v1"
    suspended_at: VnDatetime
    used_minutes: int = Field(ge=0)
    note: Text | None = None


@register
class DossierResumed(DossierEvent):
    event_type = "vn.egov.procedures.dossier.resumed.v1"
    resumed_at: VnDatetime
    due_at: VnDatetime


@register
class DossierDeadlineApproaching(DossierEvent):
    event_type = "vn.egov.procedures.dossier.deadline-approaching.v1"
    due_at: VnDatetime
    threshold: str = Field(description="Which warning: used-75 or days-left-1")
    minutes_left: int = Field(ge=0, description="Working minutes left until due_at")
    apology_deadline: VnDatetime | None = Field(
        None,
        description="The last moment an apology letter with a new date may still be issued"
        " (one working day before due_at) — hạn ban hành phiếu xin lỗi; absent when it is"
        " too late or one was already issued",
    )


@register
class DossierOverdue(DossierEvent):
    event_type = "vn.egov.procedures.dossier.overdue.v1"
    due_at: VnDatetime
    minutes_late: int = Field(ge=0, description="Minutes past due_at when this was published")


@register
class DossierResolved(DossierEvent):
    event_type = "vn.egov.procedures.dossier.resolved.v1"
    resolved_at: VnDatetime
    due_at: VnDatetime
    timeliness: Timeliness
    result: ResolutionResult
    applicant_ref: str | None = Field(
        None,
        description="Keyed hash of the applicant's ID: lets the one-door system's SMS gateway"
        " tell the applicant, without personal data on the topic",
    )


@register
class DossierWithdrawn(DossierEvent):
    event_type = "vn.egov.procedures.dossier.withdrawn.v1"
    withdrawn_at: VnDatetime


@register
class DossierReturned(DossierEvent):
    event_type = "vn.egov.procedures.dossier.returned.v1"
    returned_at: VnDatetime


@register
class DossierRejected(DossierEvent):
    event_type = "vn.egov.procedures.dossier.rejected.v1"
    rejected_at: VnDatetime
    due_at: VnDatetime
    timeliness: Timeliness
    note: Text | None = None


@register
class DossierApologyIssued(DossierEvent):
    event_type = "vn.egov.procedures.dossier.apology-issued.v1"
    due_at: VnDatetime
    new_due_at: VnDatetime = Field(description="Ngày hẹn trả mới")
    reason: Text


class ReturnedWithdrawnPolicy(StrEnum):
    EXCLUDED = "excluded"
    ON_TIME = "on-time"


@register
class OnTimeRateComputed(EventData):
    """The report form's counts and the on-time rate of a unit (and its sub-units) for a period
    (Biểu 06/VPCP/KSTT). Key: ``<unit>/<period>``."""

    event_type = "vn.egov.procedures.on-time-rate.computed.v1"
    occurred_field = None
    topic = RATES.name

    unit_code: UnitCode
    period: str = Field(description="Period label or from/to range")
    period_from: date
    period_to: date
    procedure_code: Code | None = Field(None, description="None: all procedures")
    carried_over: int = Field(ge=0, description="Kỳ trước chuyển qua")
    received_online: int = Field(ge=0)
    received_counter_postal: int = Field(ge=0)
    resolved_early: int = Field(ge=0, description="Trước hạn")
    resolved_on_time: int = Field(ge=0, description="Đúng hạn")
    resolved_late: int = Field(ge=0, description="Quá hạn")
    in_progress_within_deadline: int = Field(ge=0)
    in_progress_overdue: int = Field(ge=0)
    withdrawn: int = Field(ge=0)
    returned: int = Field(ge=0)
    on_time_rate: Percent | None = Field(
        None, description="(early + on time) / resolved × 100, truncated; null if none resolved"
    )
    returned_withdrawn: ReturnedWithdrawnPolicy = ReturnedWithdrawnPolicy.EXCLUDED
    revision: int = Field(1, ge=1, description="Increases when a late event corrects the period")

    @model_validator(mode="after")
    def _period_is_ordered(self) -> Self:
        if self.period_to < self.period_from:
            raise ValueError("period_to is before period_from")
        return self


# The counts of the report form (Biểu 06/VPCP/KSTT), in the form's order: the one list every
# service reads them from (admin-procedures' report, aggregates and published rates). Stated
# once, by the event that publishes them; the rate and the totals are derived from these.
REPORT_COUNTS: tuple[str, ...] = (
    "carried_over",
    "received_online",
    "received_counter_postal",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "in_progress_within_deadline",
    "in_progress_overdue",
    "withdrawn",
    "returned",
)


class IndicatorScore(ContractModel):
    """One indicator of the service index for a unit and month — chỉ số thành phần."""

    code: Code = Field(description="Indicator code of the rule set, e.g. tien-do-giai-quyet")
    points: Percent = Field(description="Its maximum points — điểm tối đa")
    rate: Percent | None = Field(None, description="Its rate; null without data")
    score: Percent | None = Field(None, description="Its points earned; null without data")
    has_data: bool = Field(description="False: the department's data cannot give it (yet)")
    needs_legal_check: bool = Field(
        description="Its weight or threshold was not checked against the decision's text"
    )


@register
class ServiceIndexComputed(EventData):
    """The national service index (Quyết định 766/QĐ-TTg) of a unit (and its sub-units) for a
    month: the progress indicator counted the index's way, the other indicators the dossiers
    support, and the difference with the report form's on-time rate. Key: ``<unit>/<period>``;
    published again with a higher revision when late events change it."""

    event_type = "vn.egov.procedures.service-index.computed.v1"
    occurred_field = None
    topic = RATES.name

    unit_code: UnitCode
    period: str = Field(max_length=20, description="The month, e.g. 2026-07")
    period_from: date
    period_to: date
    rule_set: Code = Field(description="Version of the index's rule set, e.g. 766-2022")
    progress_denominator: int = Field(
        ge=0, description="Resolved in the month + in progress at its end"
    )
    progress_in_time: int = Field(ge=0, description="Of them early, on time or still in time")
    progress_rate: Percent | None = Field(None, description="Truncated; null without dossiers")
    progress_score: Percent | None = None
    form_on_time_rate: Percent | None = Field(
        None, description="The report form's rate for the same unit and period"
    )
    difference_pp: Percent | None = Field(
        None, description="Index rate − form rate, percentage points"
    )
    indicators: list[IndicatorScore] = Field(default_factory=list, max_length=50)
    needs_legal_check: bool = Field(
        description="Some weight or threshold was not checked against the decision's text"
    )
    revision: int = Field(1, ge=1, description="Increases when a late event corrects the month")

    @model_validator(mode="after")
    def _period_is_ordered(self) -> Self:
        if self.period_to < self.period_from:
            raise ValueError("period_to is before period_from")
        return self
