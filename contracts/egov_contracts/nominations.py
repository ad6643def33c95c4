"""Events of emulation and commendation (thi đua, khen thưởng): movements, nominations,
council votes, decisions and awards.

Award kinds keep their legal Vietnamese names as slugs: the titles have no faithful English
translation, and integrating systems know them by these names. People are referred to by a
personnel reference (mã cán bộ), never by name or identity number.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from egov_contracts.envelope import ContractModel, EventData, register
from egov_contracts.topics import NOMINATION_EVENTS
from egov_contracts.types import Code, Percent, Text, UnitCode, VnDatetime


class AwardKind(StrEnum):
    """Emulation titles and commendations — danh hiệu thi đua, hình thức khen thưởng.

    A class of Huân chương is part of the award (`huan-chuong-lao-dong-hang-ba`); the plain
    `huan-chuong-lao-dong` stays for history whose class was not recorded. "Chiến sĩ thi đua
    cấp bộ, ban, ngành, tỉnh" is one title (`chien-si-thi-dua-cap-tinh`), told apart by the
    deciding unit.
    """

    LAO_DONG_TIEN_TIEN = "lao-dong-tien-tien"
    CHIEN_SI_THI_DUA_CO_SO = "chien-si-thi-dua-co-so"
    CHIEN_SI_THI_DUA_CAP_TINH = "chien-si-thi-dua-cap-tinh"
    CHIEN_SI_THI_DUA_TOAN_QUOC = "chien-si-thi-dua-toan-quoc"
    TAP_THE_LAO_DONG_TIEN_TIEN = "tap-the-lao-dong-tien-tien"
    TAP_THE_LAO_DONG_XUAT_SAC = "tap-the-lao-dong-xuat-sac"
    CO_THI_DUA_CAP_TINH = "co-thi-dua-cap-tinh"
    GIAY_KHEN = "giay-khen"
    BANG_KHEN_CHU_TICH_TINH = "bang-khen-chu-tich-tinh"
    BANG_KHEN_THU_TUONG = "bang-khen-thu-tuong"
    HUAN_CHUONG_LAO_DONG = "huan-chuong-lao-dong"  # class not recorded (imported history)
    BANG_KHEN_BO = "bang-khen-bo"  # of a minister, head of a central agency or organisation
    CO_THI_DUA_BO = "co-thi-dua-bo"  # of a ministry or central agency
    CO_THI_DUA_CHINH_PHU = "co-thi-dua-chinh-phu"
    HUAN_CHUONG_LAO_DONG_HANG_NHAT = "huan-chuong-lao-dong-hang-nhat"
    HUAN_CHUONG_LAO_DONG_HANG_NHI = "huan-chuong-lao-dong-hang-nhi"
    HUAN_CHUONG_LAO_DONG_HANG_BA = "huan-chuong-lao-dong-hang-ba"


# The names people read — tên danh hiệu, hình thức khen thưởng (Luật Thi đua, khen thưởng 2022)
AWARD_NAMES_VI: dict[AwardKind, str] = {
    AwardKind.LAO_DONG_TIEN_TIEN: "Lao động tiên tiến",
    AwardKind.CHIEN_SI_THI_DUA_CO_SO: "Chiến sĩ thi đua cơ sở",
    AwardKind.CHIEN_SI_THI_DUA_CAP_TINH: "Chiến sĩ thi đua cấp bộ, ban, ngành, tỉnh",
    AwardKind.CHIEN_SI_THI_DUA_TOAN_QUOC: "Chiến sĩ thi đua toàn quốc",
    AwardKind.TAP_THE_LAO_DONG_TIEN_TIEN: "Tập thể lao động tiên tiến",
    AwardKind.TAP_THE_LAO_DONG_XUAT_SAC: "Tập thể lao động xuất sắc",
    AwardKind.CO_THI_DUA_CAP_TINH: "Cờ thi đua của tỉnh",
    AwardKind.GIAY_KHEN: "Giấy khen",
    AwardKind.BANG_KHEN_CHU_TICH_TINH: "Bằng khen của Chủ tịch UBND tỉnh",
    AwardKind.BANG_KHEN_THU_TUONG: "Bằng khen của Thủ tướng Chính phủ",
    AwardKind.HUAN_CHUONG_LAO_DONG: "Huân chương Lao động",
    AwardKind.BANG_KHEN_BO: "Bằng khen của Bộ trưởng, Thủ trưởng cơ quan, tổ chức trung ương",
    AwardKind.CO_THI_DUA_BO: "Cờ thi đua của bộ, ban, ngành",
    AwardKind.CO_THI_DUA_CHINH_PHU: "Cờ thi đua của Chính phủ",
    AwardKind.HUAN_CHUONG_LAO_DONG_HANG_NHAT: "Huân chương Lao động hạng Nhất",
    AwardKind.HUAN_CHUONG_LAO_DONG_HANG_NHI: "Huân chương Lao động hạng Nhì",
    AwardKind.HUAN_CHUONG_LAO_DONG_HANG_BA: "Huân chương Lao động hạng Ba",
}


class NomineeKind(StrEnum):
    INDIVIDUAL = "individual"  # cá nhân
    COLLECTIVE = "collective"  # tập thể


class DecidingLevel(StrEnum):
    """Who decides — cấp quyết định (after the 2025 two-level reform)."""

    COMMUNE = "commune"  # chủ tịch UBND xã
    DEPARTMENT = "department"  # giám đốc sở
    PROVINCE = "province"  # chủ tịch UBND tỉnh
    CENTRAL = "central"  # Thủ tướng, Chủ tịch nước


class AwardOccasion(StrEnum):
    """yearly — hằng năm; campaign — theo đợt, chuyên đề; unexpected — đột xuất."""

    YEARLY = "yearly"
    CAMPAIGN = "campaign"
    UNEXPECTED = "unexpected"


class Nominee(ContractModel):
    """A person (by personnel reference) or a collective (by unit code)."""

    kind: NomineeKind
    ref: Code = Field(description="Individual: personnel ref — mã cán bộ; collective: unit code")
    unit_code: UnitCode = Field(description="The unit the nominee belongs to — đơn vị")


class CriterionResult(ContractModel):
    """One checked condition of the rule set, with its evidence — tiêu chuẩn."""

    rule_id: Code
    article: str = Field(max_length=200, description="Legal basis — căn cứ, e.g. 'Đ.24 Luật TĐKT'")
    passed: bool | None = Field(description="None: cannot be decided yet (pending check)")
    evidence: Text = Field(description="What the verdict rests on — minh chứng")


@register
class MovementLaunched(EventData):
    """An emulation movement is launched — phát động phong trào thi đua. Key: movement id."""

    event_type = "vn.egov.nominations.movement.launched.v1"
    occurred_field = "launched_at"
    topic = NOMINATION_EVENTS.name

    movement_id: Code
    title: str = Field(min_length=1, max_length=300, description="Tên phong trào")
    unit_code: UnitCode = Field(description="Launching unit — đơn vị phát động")
    year: int = Field(ge=2000, le=2100)
    starts_on: date
    ends_on: date | None = None
    awards: list[AwardKind] = Field(default_factory=list, description="Titles it leads to")
    launched_at: VnDatetime

    @model_validator(mode="after")
    def _dates_are_ordered(self) -> Self:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


@register
class RegistrationSubmitted(EventData):
    """A unit or person registers for a title at the start of the year — đăng ký thi đua."""

    event_type = "vn.egov.nominations.registration.submitted.v1"
    occurred_field = "submitted_at"
    topic = NOMINATION_EVENTS.name

    registration_id: Code
    movement_id: Code | None = None
    year: int = Field(ge=2000, le=2100)
    nominee: Nominee
    award: AwardKind
    submitted_at: VnDatetime


class _NominationEvent(EventData):
    """Fields every nomination event carries (key: the nomination id)."""

    topic = NOMINATION_EVENTS.name

    nomination_id: Code = Field(description="Mã hồ sơ đề nghị khen thưởng")
    nominee: Nominee
    award: AwardKind
    achievement_year: int = Field(ge=2000, le=2100, description="Năm thành tích")
    occurred_at: VnDatetime


@register
class NominationSubmitted(_NominationEvent):
    """A nomination file is submitted to the deciding level — trình đề nghị (chờ duyệt)."""

    event_type = "vn.egov.nominations.nomination.submitted.v1"
    occasion: AwardOccasion = AwardOccasion.YEARLY
    deciding_level: DecidingLevel
    movement_id: Code | None = None


@register
class NominationReturned(_NominationEvent):
    """The file is incomplete and returned for completion — trả lại để bổ sung."""

    event_type = "vn.egov.nominations.nomination.returned.v1"
    reason: Text


@register
class NominationAssessed(_NominationEvent):
    """The criteria of the rule set in force were checked — xét tiêu chuẩn."""

    event_type = "vn.egov.nominations.nomination.assessed.v1"
    rule_set: Code = Field(description="The versioned rule set applied (by effective date)")
    eligible: bool
    on_hold: bool = Field(False, description="A pending discipline or inspection — tạm hoãn")
    criteria: list[CriterionResult] = Field(min_length=1)


@register
class NominationVoted(_NominationEvent):
    """The emulation council's tally — kết quả bỏ phiếu của Hội đồng thi đua, khen thưởng."""

    event_type = "vn.egov.nominations.nomination.voted.v1"
    members_total: int = Field(ge=1, description="All council members")
    members_present: int = Field(ge=0)
    votes_for: int = Field(ge=0)
    secret_ballot: bool = True
    quorum_met: bool = Field(description="At least 2/3 of the members present")
    approval_pct: Percent = Field(description="votes_for / members_total × 100")
    threshold_pct: Percent = Field(description="Required share, e.g. 80.00 or 90.00")
    passed: bool

    @model_validator(mode="after")
    def _tally_adds_up(self) -> Self:
        if not self.votes_for <= self.members_present <= self.members_total:
            raise ValueError("need votes_for <= members_present <= members_total")
        if self.passed and not self.quorum_met:
            raise ValueError("a vote without quorum cannot pass")
        return self


@register
class NominationApproved(_NominationEvent):
    """The deciding level approves — đã duyệt."""

    event_type = "vn.egov.nominations.nomination.approved.v1"
    deciding_level: DecidingLevel


@register
class NominationRejected(_NominationEvent):
    """Not approved — không đề nghị / không khen thưởng."""

    event_type = "vn.egov.nominations.nomination.rejected.v1"
    reason: Text


@register
class NominationForwarded(_NominationEvent):
    """Sent up to the level that grants the award — đề nghị cấp trên khen thưởng."""

    event_type = "vn.egov.nominations.nomination.forwarded.v1"
    to_level: DecidingLevel
    to_unit_code: UnitCode | None = None


@register
class AwardConferred(EventData):
    """A decision confers an award — quyết định khen thưởng. Key: the decision number."""

    event_type = "vn.egov.nominations.award.conferred.v1"
    occurred_field = None
    topic = NOMINATION_EVENTS.name

    decision_number: str = Field(min_length=1, max_length=64, description="Số quyết định")
    decision_date: date = Field(description="Ngày quyết định")
    deciding_unit_code: UnitCode = Field(description="Cơ quan ra quyết định")
    award: AwardKind
    occasion: AwardOccasion = AwardOccasion.YEARLY
    achievement_year: int = Field(ge=2000, le=2100)
    recipients: list[Nominee] = Field(min_length=1)
    nomination_ids: list[Code] = Field(default_factory=list)
