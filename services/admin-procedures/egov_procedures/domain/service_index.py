"""The national service index (Bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng phục vụ
người dân, doanh nghiệp, Quyết định 766/QĐ-TTg ngày 23/6/2022): its progress indicator counted
the index's way, from the same dossiers as the report form, and scored as the decision sets it.

The index's progress rate differs from the form's (Biểu số 06/VPCP/KSTT) on purpose:
- its denominator holds the dossiers resolved in the period AND those still in progress at the
  end of the period, judged then (within the deadline: in time; past it: late);
- the citizen's supplement time does not count: a dossier's deadline (``due_at``) is already
  moved by each stop of the clock for a supplement (the procedure's ``supplement_rule``);
- a dossier with more than one supplement request counts as late whatever its timeliness;
- withdrawn and returned dossiers are outside it.

The indicator list, weights and thresholds are data (:data:`RULE_SETS`), versioned by the date
they apply from, each with its source and whether its figures were checked against the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from egov_procedures.domain.model import Channel, DossierState, Phase, Status, Timeliness
from egov_procedures.domain.report import (
    DossierSnapshot,
    ReturnedWithdrawn,
    on_time_rate,
    report_form,
)

DECISION = "Quyết định 766/QĐ-TTg ngày 23/6/2022 của Thủ tướng Chính phủ"


@dataclass(frozen=True)
class Indicator:
    """One indicator of the index: its points and the rate at or above which it gets them all
    (below it: points × rate / threshold)."""

    code: str
    name: str
    group: str
    points: Decimal
    threshold_pct: Decimal
    source: str
    needs_legal_check: bool
    data: str  # what the department's data can give: "dossiers", "status-report fields", "none"


@dataclass(frozen=True)
class RuleSet:
    version: str
    applies_from: date
    basis: str
    indicators: tuple[Indicator, ...]
    note: str

    @property
    def needs_legal_check(self) -> bool:
        return any(i.needs_legal_check for i in self.indicators)

    def indicator(self, code: str) -> Indicator:
        return next(i for i in self.indicators if i.code == code)


PROGRESS = "tien-do-giai-quyet"
ONLINE_SHARE = "dich-vu-truc-tuyen"
PAID_ONLINE = "thanh-toan-truc-tuyen"
DIGITISED = "so-hoa-ho-so"
ELECTRONIC_RESULT = "ket-qua-dien-tu"
SATISFACTION = "muc-do-hai-long"
SATISFIED = frozenset({"very-satisfied", "satisfied"})

# The five groups of QĐ 766 add up to 100 points. A public summary of the decision gives the
# progress group's 20 points, the satisfaction group's 18 and the publicity group's 18 (so 44
# for the online-service and digitisation groups together); the split of those 44 between the
# indicators below, and every threshold, could not be checked against the text of the decision
# (its appendix): they are marked needs_legal_check until someone checks them.
RULE_SETS: tuple[RuleSet, ...] = (
    RuleSet(
        version="766-2022",
        applies_from=date(2022, 6, 23),
        basis=DECISION,
        note=(
            "Nhóm chỉ số và điểm tối đa theo Phụ lục Quyết định 766/QĐ-TTg; ngưỡng đạt điểm tối"
            " đa và cách chấm dưới ngưỡng (tỷ lệ thuận) chưa được đối chiếu với văn bản gốc."
        ),
        indicators=(
            Indicator(
                code="cong-khai-minh-bach",
                name="Công khai, minh bạch",
                group="Công khai, minh bạch",
                points=Decimal(18),
                threshold_pct=Decimal(100),
                source=f"{DECISION}, Phụ lục, nhóm 1",
                needs_legal_check=True,
                data="none",
            ),
            Indicator(
                code=PROGRESS,
                name="Tiến độ giải quyết: tỷ lệ hồ sơ xử lý trước hạn, đúng hạn",
                group="Tiến độ, kết quả giải quyết",
                points=Decimal(20),
                threshold_pct=Decimal(100),
                source=f"{DECISION}, Phụ lục, nhóm 2",
                needs_legal_check=True,  # the 20 points are checked; the threshold is not
                data="dossiers",
            ),
            Indicator(
                code=ONLINE_SHARE,
                name="Cung cấp dịch vụ trực tuyến: tỷ lệ hồ sơ tiếp nhận trực tuyến",
                group="Cung cấp dịch vụ trực tuyến",
                points=Decimal(12),
                threshold_pct=Decimal(100),
                source=f"{DECISION}, Phụ lục, nhóm 3",
                needs_legal_check=True,
                data="dossiers",
            ),
            Indicator(
                code=PAID_ONLINE,
                name="Cung cấp dịch vụ trực tuyến: tỷ lệ hồ sơ thanh toán trực tuyến",
                group="Cung cấp dịch vụ trực tuyến",
                points=Decimal(10),
                threshold_pct=Decimal(100),
                source=f"{DECISION}, Phụ lục, nhóm 3",
                needs_legal_check=True,
                data="status-report fields",
            ),
            Indicator(
                code=DIGITISED,
                name="Số hóa hồ sơ: tỷ lệ hồ sơ được số hóa khi tiếp nhận",
                group="Số hóa hồ sơ",
                points=Decimal(11),
                threshold_pct=Decimal(100),
                source=f"{DECISION}, Phụ lục, nhóm 4",
                needs_legal_check=True,
                data="status-report fields",
            ),
            Indicator(
                code=ELECTRONIC_RESULT,
                name="Số hóa hồ sơ: tỷ lệ kết quả giải quyết điện tử",
                group="Số hóa hồ sơ",
                points=Decimal(11),
                threshold_pct=Decimal(100),
                source=f"{DECISION}, Phụ lục, nhóm 4",
                needs_legal_check=True,
                data="status-report fields",
            ),
            Indicator(
                code=SATISFACTION,
                name="Mức độ hài lòng trong tiếp nhận, giải quyết thủ tục hành chính",
                group="Mức độ hài lòng",
                points=Decimal(18),
                threshold_pct=Decimal(100),
                source=f"{DECISION}, Phụ lục, nhóm 5",
                needs_legal_check=True,
                data="status-report fields",
            ),
        ),
    ),
)


def rule_set_for(day: date, rule_sets: Iterable[RuleSet] = RULE_SETS) -> RuleSet:
    """The rule set in force on ``day`` (the latest that applies from it or before)."""
    applicable = [r for r in rule_sets if r.applies_from <= day]
    if not applicable:
        raise LookupError(f"no rule set of the service index applies on {day}")
    return max(applicable, key=lambda r: r.applies_from)


def score(indicator: Indicator, rate: Decimal | None) -> Decimal | None:
    """Full points at or above the threshold, proportional below; None without a rate."""
    if rate is None:
        return None
    share = min(rate / indicator.threshold_pct, Decimal(1))
    return (indicator.points * share).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class IndexDossier:
    """A dossier as the index needs it: the report form's snapshot, its supplement requests
    (start, end or None while waiting) and where it was handled."""

    dossier_code: str
    procedure_code: str
    unit_code: str
    snapshot: DossierSnapshot
    supplements: tuple[tuple[datetime, datetime | None], ...] = ()
    # optional fields of the status reports (None: the one-door system did not say)
    digitised: bool | None = None
    electronic_result: bool | None = None
    paid_online: bool | None = None
    satisfaction: str | None = None  # very-satisfied, satisfied, dissatisfied


def index_dossier(state: DossierState, procedure_code: str, unit_code: str) -> IndexDossier:
    """A folded dossier as the index reads it (it must have been received)."""
    if state.received_at is None or state.phase is None:
        raise ValueError(f"dossier {state.dossier_code} was not received")
    return IndexDossier(
        dossier_code=state.dossier_code,
        procedure_code=procedure_code,
        unit_code=unit_code,
        snapshot=DossierSnapshot(
            state.received_at,
            state.channel,
            state.phase,
            state.finished_at,
            state.timeliness,
            state.due_at,
        ),
        supplements=tuple(
            (p.started_at, p.ended_at)
            for p in state.pauses
            if p.kind == Status.SUPPLEMENT_REQUESTED
        ),
    )


class Verdict(StrEnum):
    IN_TIME = "in-time"
    LATE = "late"


@dataclass(frozen=True)
class Judged:
    """How one dossier counts in the progress indicator, and why."""

    dossier: IndexDossier
    situation: str  # resolved-early, resolved-on-time, resolved-late, open-within, open-overdue
    verdict: Verdict
    reason: str  # Vietnamese, for the person reading the audit trail
    supplement_requests: int
    supplement_minutes: int  # the citizen's time, not counted (the deadline moved by it)
    in_form_rate: bool  # whether the form's rate counts it (resolved in the period)
    form_in_time: bool  # and there as early or on time


@dataclass(frozen=True)
class Progress:
    indicator: Indicator
    dossiers: tuple[Judged, ...]

    @property
    def denominator(self) -> int:
        return len(self.dossiers)

    @property
    def in_time(self) -> int:
        return sum(1 for j in self.dossiers if j.verdict == Verdict.IN_TIME)

    @property
    def late(self) -> int:
        return self.denominator - self.in_time

    @property
    def rate(self) -> Decimal | None:
        """In time / counted × 100, truncated to 2 decimals as the form's rate is (no dossier:
        no rate)."""
        return on_time_rate(self.in_time, 0, self.denominator)

    @property
    def score(self) -> Decimal | None:
        return score(self.indicator, self.rate)


_SITUATION_TEXT = {
    "resolved-early": "đã giải quyết trước hạn",
    "resolved-on-time": "đã giải quyết đúng hạn",
    "resolved-late": "đã giải quyết quá hạn",
    "open-within": "đang giải quyết, còn hạn tại cuối kỳ",
    "open-overdue": "đang giải quyết, quá hạn tại cuối kỳ",
}


def _minutes(supplements: Iterable[tuple[datetime, datetime | None]], end: datetime) -> int:
    total = 0
    for started, ended in supplements:
        stop = min(ended or end, end)
        if stop > started:
            total += int((stop - started).total_seconds() // 60)
    return total


def judge_progress(
    dossiers: Iterable[IndexDossier], start: datetime, end: datetime, indicator: Indicator
) -> Progress:
    """The progress indicator of the half-open period [start, end)."""
    judged = []
    for d in dossiers:
        s = d.snapshot
        if s.received_at >= end or (s.finished_at is not None and s.finished_at < start):
            continue
        requests = [(a, b) for a, b in d.supplements if a < end]
        finished_in_period = s.finished_at is not None and s.finished_at < end
        if finished_in_period:
            if s.phase not in (Phase.RESOLVED, Phase.REJECTED):
                continue  # withdrawn, returned: outside the index
            timeliness = s.timeliness or Timeliness.ON_TIME
            situation = f"resolved-{timeliness.value}"
            in_time = timeliness != Timeliness.LATE
        else:
            overdue = s.due_at is not None and s.due_at < end
            situation = "open-overdue" if overdue else "open-within"
            in_time = not overdue
        reason = _SITUATION_TEXT[situation]
        if len(requests) > 1:
            reason += f"; yêu cầu bổ sung {len(requests)} lần: tính là quá hạn"
            in_time = False
        elif requests:
            reason += "; thời gian chờ bổ sung hồ sơ không tính vào thời hạn"
        judged.append(
            Judged(
                dossier=d,
                situation=situation,
                verdict=Verdict.IN_TIME if in_time else Verdict.LATE,
                reason=reason,
                supplement_requests=len(requests),
                supplement_minutes=_minutes(requests, end),
                in_form_rate=finished_in_period,
                form_in_time=finished_in_period and situation != "resolved-late",
            )
        )
    judged.sort(key=lambda j: (j.verdict != Verdict.LATE, j.dossier.dossier_code))
    return Progress(indicator, tuple(judged))


@dataclass(frozen=True)
class Share:
    """An indicator that is a share of dossiers: ``numerator`` of ``denominator`` (the dossiers
    for which the fact is known)."""

    indicator: Indicator
    numerator: int
    denominator: int

    @property
    def rate(self) -> Decimal | None:
        return on_time_rate(self.numerator, 0, self.denominator)

    @property
    def score(self) -> Decimal | None:
        return score(self.indicator, self.rate)


ONLINE_CHANNELS = {Channel.ONLINE, Channel.PUBLIC_SERVICE_PORTAL}


_ENDED_WITHOUT_RESULT = {
    Phase.WITHDRAWN: "rút hồ sơ: biểu tính là đúng hạn (returned_withdrawn = on-time),"
    " chỉ số không tính",
    Phase.RETURNED: "trả lại hồ sơ: biểu tính là đúng hạn (returned_withdrawn = on-time),"
    " chỉ số không tính",
}


@dataclass(frozen=True)
class Comparison:
    """The form's rate against the index's for the same dossiers and period, with the dossiers
    that make the difference."""

    form_rate: Decimal | None
    index_rate: Decimal | None
    explained_by: tuple[Judged, ...]
    # withdrawn or returned in the period, counted on time by the form under the province's
    # ``returned_withdrawn = on-time`` setting, outside the index: (dossier, reason)
    outside_index: tuple[tuple[IndexDossier, str], ...] = ()

    @property
    def difference_pp(self) -> Decimal | None:
        """Index rate − form rate, in percentage points."""
        if self.form_rate is None or self.index_rate is None:
            return None
        return self.index_rate - self.form_rate


@dataclass(frozen=True)
class ServiceIndex:
    rule_set: RuleSet
    progress: Progress
    shares: dict[str, Share]
    comparison: Comparison

    @property
    def lacking_data(self) -> tuple[Indicator, ...]:
        """Indicators without data: none in the department's systems, or optional status-report
        fields no one-door system sent for these dossiers."""
        return tuple(
            i
            for i in self.rule_set.indicators
            if i.code != PROGRESS
            and (i.code not in self.shares or not self.shares[i.code].denominator)
        )


def _share(indicator: Indicator, facts: Iterable[bool | None]) -> Share:
    known = [f for f in facts if f is not None]
    return Share(indicator, sum(known), len(known))


def service_index(
    dossiers: Iterable[IndexDossier],
    start: datetime,
    end: datetime,
    rule_set: RuleSet,
    returned_withdrawn: ReturnedWithdrawn = ReturnedWithdrawn.EXCLUDED,
) -> ServiceIndex:
    """The indicators the dossiers support for [start, end), and the comparison with the form's
    rate under the province's returned/withdrawn policy.

    Shares: online receipt and online payment of the dossiers received in the period;
    digitisation likewise; electronic results and satisfaction of those resolved in it. Each
    counts only the dossiers whose system reported the fact."""
    dossiers = list(dossiers)
    progress = judge_progress(dossiers, start, end, rule_set.indicator(PROGRESS))
    received = [d for d in dossiers if start <= d.snapshot.received_at < end]
    resolved = [
        d
        for d in dossiers
        if d.snapshot.finished_at is not None
        and start <= d.snapshot.finished_at < end
        and d.snapshot.phase in (Phase.RESOLVED, Phase.REJECTED)
    ]
    facts: dict[str, list[bool | None]] = {
        ONLINE_SHARE: [d.snapshot.channel in ONLINE_CHANNELS for d in received],
        PAID_ONLINE: [d.paid_online for d in received],
        DIGITISED: [d.digitised for d in received],
        ELECTRONIC_RESULT: [d.electronic_result for d in resolved],
        SATISFACTION: [
            None if d.satisfaction is None else d.satisfaction in SATISFIED for d in resolved
        ],
    }
    codes = {i.code for i in rule_set.indicators}
    shares = {
        code: _share(rule_set.indicator(code), values)
        for code, values in facts.items()
        if code in codes
    }
    form = report_form((d.snapshot for d in dossiers), start, end, returned_withdrawn)
    differs = tuple(
        j
        for j in progress.dossiers
        if not j.in_form_rate or (j.verdict == Verdict.IN_TIME) != j.form_in_time
    )
    outside: list[tuple[IndexDossier, str]] = []
    if returned_withdrawn == ReturnedWithdrawn.ON_TIME:
        for d in dossiers:
            f = d.snapshot.finished_at
            if f is not None and start <= f < end and d.snapshot.phase in _ENDED_WITHOUT_RESULT:
                outside.append((d, _ENDED_WITHOUT_RESULT[d.snapshot.phase]))
    comparison = Comparison(form.on_time_rate, progress.rate, differs, tuple(outside))
    return ServiceIndex(rule_set, progress, shares, comparison)
