"""The register the criteria are checked against: people, units and their yearly records.

Value objects only. Ratings, leave, discipline, initiatives and awards are kept per year so
that every criterion can say which years and which decisions it rests on.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from egov_contracts.nominations import AwardKind, NomineeKind  # the published slugs
from pydantic import BaseModel, ConfigDict, Field, model_validator

Year = Annotated[int, Field(ge=1975, le=2100)]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TaskRating(StrEnum):
    """Yearly task rating — mức xếp loại chất lượng, from best to worst."""

    HOAN_THANH_XUAT_SAC = "hoan-thanh-xuat-sac"
    HOAN_THANH_TOT = "hoan-thanh-tot"
    HOAN_THANH = "hoan-thanh"
    KHONG_HOAN_THANH = "khong-hoan-thanh"

    @property
    def rank(self) -> int:
        """Higher is better: 3 for hoàn thành xuất sắc down to 0 for không hoàn thành."""
        return _RATING_RANK[self]

    def at_least(self, other: TaskRating) -> bool:
        return self.rank >= other.rank

    @property
    def label_vi(self) -> str:
        return _RATING_VI[self]


_RATING_RANK = {
    TaskRating.HOAN_THANH_XUAT_SAC: 3,
    TaskRating.HOAN_THANH_TOT: 2,
    TaskRating.HOAN_THANH: 1,
    TaskRating.KHONG_HOAN_THANH: 0,
}
_RATING_VI = {
    TaskRating.HOAN_THANH_XUAT_SAC: "hoàn thành xuất sắc nhiệm vụ",
    TaskRating.HOAN_THANH_TOT: "hoàn thành tốt nhiệm vụ",
    TaskRating.HOAN_THANH: "hoàn thành nhiệm vụ",
    TaskRating.KHONG_HOAN_THANH: "không hoàn thành nhiệm vụ",
}


class DisciplineLevel(StrEnum):
    """Disciplinary measures, from lightest to heaviest — hình thức kỷ luật."""

    KHIEN_TRACH = "khien-trach"
    CANH_CAO = "canh-cao"
    HA_BAC_LUONG = "ha-bac-luong"
    GIANG_CHUC = "giang-chuc"
    CACH_CHUC = "cach-chuc"
    BUOC_THOI_VIEC = "buoc-thoi-viec"

    @property
    def rank(self) -> int:
        return list(DisciplineLevel).index(self)

    def at_least(self, other: DisciplineLevel) -> bool:
        return self.rank >= other.rank


class LeaveKind(StrEnum):
    """Leave during the year; the first three count as time worked."""

    MATERNITY = "thai-san"
    WORK_INJURY = "tai-nan-lao-dong"
    SANCTIONED_TRAINING = "dao-tao-duoc-cu"
    UNPAID = "khong-luong"
    OTHER = "khac"

    @property
    def counts_as_worked(self) -> bool:
        return self in _COUNTED_LEAVE


_COUNTED_LEAVE = frozenset(
    {LeaveKind.MATERNITY, LeaveKind.WORK_INJURY, LeaveKind.SANCTIONED_TRAINING}
)


class Scope(StrEnum):
    """How far an initiative's effect reaches — phạm vi ảnh hưởng."""

    UNIT = "unit"  # cơ sở
    PROVINCE = "province"  # cấp tỉnh / bộ
    NATIONWIDE = "nationwide"  # toàn quốc

    @property
    def rank(self) -> int:
        return list(Scope).index(self)

    def at_least(self, other: Scope) -> bool:
        return self.rank >= other.rank

    @property
    def label_vi(self) -> str:
        return {"unit": "cơ sở", "province": "cấp tỉnh", "nationwide": "toàn quốc"}[self.value]


class InitiativeKind(StrEnum):
    INITIATIVE = "sang-kien"  # sáng kiến
    RESEARCH = "de-tai"  # đề tài, đề án, công trình khoa học


class PendingKind(StrEnum):
    DISCIPLINE = "discipline"  # đang xem xét kỷ luật
    INSPECTION = "inspection"  # đang thanh tra, kiểm tra
    INVESTIGATION = "investigation"  # đang điều tra
    COMPLAINT = "complaint"  # đơn thư đang xác minh


class Person(_Value):
    """A person by personnel reference and name only (no identity numbers)."""

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    unit_id: str = Field(min_length=1, max_length=64)
    female: bool | None = None


class YearRating(_Value):
    year: Year
    rating: TaskRating


class Leave(_Value):
    kind: LeaveKind
    months: Decimal = Field(ge=0, le=12)


class WorkYear(_Value):
    """Time worked in a year: months on duty plus leave, some of which counts as worked."""

    year: Year
    months_on_duty: Decimal = Field(ge=0, le=12)
    leave: tuple[Leave, ...] = ()

    @property
    def months_counted(self) -> Decimal:
        counted = sum((lv.months for lv in self.leave if lv.kind.counts_as_worked), Decimal(0))
        return min(Decimal(12), self.months_on_duty + counted)


class DisciplineRecord(_Value):
    year: Year
    level: DisciplineLevel
    decision_number: str = Field(min_length=1, max_length=64)


class PendingMatter(_Value):
    """A discipline, inspection or investigation not yet concluded."""

    kind: PendingKind
    opened_on: date
    reference: str = Field(min_length=1, max_length=200)
    resolved: bool = False


class Initiative(_Value):
    """A recognised initiative or a piece of research — sáng kiến, đề tài khoa học."""

    id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=300)
    year: Year
    kind: InitiativeKind = InitiativeKind.INITIATIVE
    recognised_by: str = Field(min_length=1, max_length=200, description="Who recognised it")
    scope: Scope
    accepted_and_applied: bool = True
    decision_number: str | None = None


class AwardRecord(_Value):
    """An award already conferred — khen thưởng đã được tặng; or, with `awaiting_decision`,
    one approved in a file that waits for the same year-end decision (đã duyệt, chờ quyết
    định), which the decision must then confer too."""

    award: AwardKind
    year: Year
    decision_number: str | None = Field(None, min_length=1, max_length=64)
    level: str | None = Field(None, max_length=100, description="Deciding level or authority")
    decided_on: date | None = None
    awaiting_decision: str | None = Field(
        None, max_length=64, description="The approved nomination file, when not yet decided"
    )

    @model_validator(mode="after")
    def _decided_or_awaiting(self) -> AwardRecord:
        if (self.decision_number is None) == (self.awaiting_decision is None):
            raise ValueError("an award has a decision number, or awaits a decision, not both")
        return self


class UnitEvidence(_Value):
    """Figures published by other services for a unit and year (optional)."""

    year: Year
    on_time_rate_pct: Decimal | None = Field(None, ge=0, le=100)
    target_achievement_pct: Decimal | None = Field(None, ge=0)


class IndividualRecord(_Value):
    """Everything the criteria of an individual award look at."""

    person: Person
    ratings: tuple[YearRating, ...] = ()
    work_years: tuple[WorkYear, ...] = ()
    disciplines: tuple[DisciplineRecord, ...] = ()
    pending: tuple[PendingMatter, ...] = ()
    initiatives: tuple[Initiative, ...] = ()
    awards: tuple[AwardRecord, ...] = ()

    @property
    def kind(self) -> NomineeKind:
        return NomineeKind.INDIVIDUAL

    @property
    def ref(self) -> str:
        return self.person.id

    def rating_in(self, year: int) -> TaskRating | None:
        return _rating_in(self.ratings, year)

    def awards_of(self, award: AwardKind, year: int) -> list[AwardRecord]:
        return [a for a in self.awards if a.award == award and a.year == year]

    def work_year(self, year: int) -> WorkYear | None:
        return next((w for w in self.work_years if w.year == year), None)

    def disciplines_in(self, year: int) -> list[DisciplineRecord]:
        return [d for d in self.disciplines if d.year == year]

    def open_matters(self) -> list[PendingMatter]:
        return [p for p in self.pending if not p.resolved]


class EmulationCluster(_Value):
    """An emulation cluster or bloc (cụm, khối thi đua) in one year: its member units and the
    leading collective(s) its meeting proposed (suy tôn dẫn đầu), once it has met."""

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    year: Year
    unit_code: str = Field(min_length=1, max_length=64, description="The unit that runs it")
    members: tuple[str, ...] = ()
    leaders: tuple[str, ...] = ()
    meeting_reference: str | None = Field(None, max_length=200, description="Biên bản họp cụm")
    meeting_on: date | None = None

    def non_members(self, units: tuple[str, ...] | list[str]) -> list[str]:
        """The units of `units` that are not members of the cluster this year."""
        return [u for u in units if u not in self.members]

    def led_by(self, unit: str) -> bool:
        """The cluster proposed `unit`, one of its members, as a leading collective."""
        return unit in self.leaders and unit in self.members


def meeting_date_problem(year: int, meeting_on: date) -> str | None:
    """A cluster reviews a year at its end or early in the next; any other date is a mistake."""
    if meeting_on.year not in (year, year + 1):
        return f"a meeting on {meeting_on.isoformat()} cannot review the year {year}"
    return None


class UnitRecord(_Value):
    """A collective with its members, its own rating and evidence from other services."""

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    ratings: tuple[YearRating, ...] = ()
    members: tuple[IndividualRecord, ...] = ()
    pending: tuple[PendingMatter, ...] = ()
    awards: tuple[AwardRecord, ...] = ()
    evidence: tuple[UnitEvidence, ...] = ()
    clusters: tuple[EmulationCluster, ...] = Field(
        (),
        description="The emulation clusters (any year) it belongs to or was proposed to lead",
    )

    @property
    def kind(self) -> NomineeKind:
        return NomineeKind.COLLECTIVE

    @property
    def ref(self) -> str:
        return self.id

    def rating_in(self, year: int) -> TaskRating | None:
        return _rating_in(self.ratings, year)

    def awards_of(self, award: AwardKind, year: int) -> list[AwardRecord]:
        return [a for a in self.awards if a.award == award and a.year == year]

    def evidence_in(self, year: int) -> UnitEvidence | None:
        return next((e for e in self.evidence if e.year == year), None)

    def open_matters(self) -> list[PendingMatter]:
        return [p for p in self.pending if not p.resolved]


NomineeRecord = IndividualRecord | UnitRecord


def _rating_in(ratings: tuple[YearRating, ...], year: int) -> TaskRating | None:
    return next((r.rating for r in ratings if r.year == year), None)
