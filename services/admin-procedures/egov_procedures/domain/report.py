"""The periodic report form (Biểu số 06/VPCP/KSTT, Thông tư 01/2020/TT-VPCP) and its rate.

This pure function is the reference: the service answers reports from maintained daily
aggregates and its tests check them against this.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any

# How returned and withdrawn dossiers count (a provincial choice, shown on the report): the
# published policy enum.
from egov_contracts.procedures import REPORT_COUNTS
from egov_contracts.procedures import ReturnedWithdrawnPolicy as ReturnedWithdrawn
from egov_workdays import VN_TZ

from egov_procedures.domain.model import Channel, Phase, Timeliness


class PeriodScheme(StrEnum):
    CUTOFF = "cutoff"  # Nghị định 09/2019: the 15th of the previous month to the 14th
    CALENDAR = "calendar"


@dataclass(frozen=True)
class DossierSnapshot:
    received_at: datetime
    channel: Channel | None
    phase: Phase
    finished_at: datetime | None
    timeliness: Timeliness | None
    due_at: datetime | None


@dataclass(frozen=True)
class ReportForm:
    """The form's counts (their names and order: the contract's ``REPORT_COUNTS``) under a
    returned/withdrawn policy, with the totals and the rate derived from them."""

    carried_over: int = 0
    received_online: int = 0
    received_counter_postal: int = 0
    resolved_early: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    in_progress_within_deadline: int = 0
    in_progress_overdue: int = 0
    withdrawn: int = 0
    returned: int = 0
    returned_withdrawn: ReturnedWithdrawn = ReturnedWithdrawn.EXCLUDED

    @classmethod
    def of(
        cls,
        counts: Mapping[str, int],
        returned_withdrawn: ReturnedWithdrawn = ReturnedWithdrawn.EXCLUDED,
    ) -> ReportForm:
        """The form of ``counts`` (by name; a count not given is 0, other keys are ignored)."""
        return cls(
            **{k: int(counts.get(k, 0)) for k in REPORT_COUNTS},
            returned_withdrawn=returned_withdrawn,
        )

    @classmethod
    def total(
        cls,
        forms: Iterable[ReportForm],
        returned_withdrawn: ReturnedWithdrawn = ReturnedWithdrawn.EXCLUDED,
    ) -> ReportForm:
        """The sum of ``forms`` (the rate is the rate of the sums, never a mean of rates)."""
        sums = dict.fromkeys(REPORT_COUNTS, 0)
        for form in forms:
            for k, v in form.counts().items():
                sums[k] += v
        return cls.of(sums, returned_withdrawn)

    def counts(self) -> dict[str, int]:
        """The counts by name, in the form's order."""
        return {k: getattr(self, k) for k in REPORT_COUNTS}

    @property
    def received(self) -> int:
        return self.received_online + self.received_counter_postal

    @property
    def to_handle(self) -> int:
        """Số hồ sơ nhận giải quyết, Tổng số: carried over + received in the period."""
        return self.carried_over + self.received

    @property
    def in_progress(self) -> int:
        """Số hồ sơ đang giải quyết, Tổng số."""
        return self.in_progress_within_deadline + self.in_progress_overdue

    @property
    def resolved(self) -> int:
        extra = self.withdrawn + self.returned if self._rw_on_time else 0
        return self.resolved_early + self.resolved_on_time + self.resolved_late + extra

    @property
    def _rw_on_time(self) -> bool:
        return self.returned_withdrawn == ReturnedWithdrawn.ON_TIME

    @property
    def on_time_rate(self) -> Decimal | None:
        return on_time_rate(
            self.resolved_early,
            self.resolved_on_time + (self.withdrawn + self.returned if self._rw_on_time else 0),
            self.resolved,
        )


# -- the form as filed (Biểu số 06/VPCP/KSTT) -------------------------------------------------

FORM_CODE = "06/VPCP/KSTT"
FORM_TITLE = (
    "Tình hình, kết quả giải quyết thủ tục hành chính tại cơ quan, đơn vị trực tiếp giải quyết"
    " thủ tục hành chính"
)
FORM_BASIS = "Thông tư 01/2020/TT-VPCP"
# The form's columns in its order: (key of the JSON report, heading as printed). The last three
# are not columns of the form: withdrawn and returned dossiers, and the rate it leads to.
FORM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("to_handle", "Số hồ sơ nhận giải quyết: Tổng số"),
    ("received_online", "Trong kỳ: Trực tuyến"),
    ("received_counter_postal", "Trong kỳ: Trực tiếp, dịch vụ bưu chính"),
    ("carried_over", "Từ kỳ trước chuyển qua"),
    ("resolved", "Số hồ sơ đã giải quyết: Tổng số"),
    ("resolved_early", "Trả trước hạn"),
    ("resolved_on_time", "Trả đúng hạn"),
    ("resolved_late", "Trả quá hạn"),
    ("in_progress", "Số hồ sơ đang giải quyết: Tổng số"),
    ("in_progress_within_deadline", "Trong hạn"),
    ("in_progress_overdue", "Quá hạn"),
    ("withdrawn", "Rút hồ sơ (ngoài biểu)"),
    ("returned", "Trả lại hồ sơ (ngoài biểu)"),
    ("on_time_rate", "Tỷ lệ trước hạn, đúng hạn (%)"),
)
POLICY_TEXT = {
    ReturnedWithdrawn.EXCLUDED: "Hồ sơ trả lại, rút hồ sơ: không tính vào số đã giải quyết"
    " (returned_withdrawn = excluded)",
    ReturnedWithdrawn.ON_TIME: "Hồ sơ trả lại, rút hồ sơ: tính là đã giải quyết đúng hạn"
    " (returned_withdrawn = on-time)",
}
RATE_TEXT = (
    "Tỷ lệ = (trước hạn + đúng hạn) / đã giải quyết × 100, cắt (không làm tròn) đến 2 chữ số"
    " thập phân"
)
NO_FIELD = "Chưa phân lĩnh vực"


@dataclass(frozen=True)
class LegalBasis:
    """The decree a period's one-door rules (receipt, supplement, apology) rest on, dated, with
    what of it was checked against a public copy of its text."""

    decree: str
    applies_from: date
    applies_to: date | None
    checked: str


# The rules themselves (deadlines, clock stops, one apology, timeliness) are unchanged across
# these decrees as far as checked: nothing in the text read so far dates a rule change.
ONE_DOOR_BASIS: tuple[LegalBasis, ...] = (
    LegalBasis(
        decree="Nghị định 61/2018/NĐ-CP, sửa đổi bởi Nghị định 107/2021/NĐ-CP",
        applies_from=date(2018, 6, 21),
        applies_to=date(2025, 6, 30),
        checked="chưa đối chiếu văn bản (needs_legal_check)",
    ),
    LegalBasis(
        decree="Nghị định 118/2025/NĐ-CP ngày 09/6/2025, sửa đổi bởi Nghị định 367/2025/NĐ-CP",
        applies_from=date(2025, 7, 1),
        applies_to=None,
        checked=(
            "số hiệu, ngày ban hành, tên và phạm vi điều chỉnh (Điều 1) đối chiếu bản công khai;"
            " ngày áp dụng 01/7/2025, việc thay thế Nghị định 61/2018 và 107/2021 và Nghị định"
            " sửa đổi 367/2025 theo tin công khai, chưa đối chiếu điều khoản thi hành; quy định"
            " về yêu cầu bổ sung và phiếu xin lỗi chưa đối chiếu (needs_legal_check)"
        ),
    ),
)


def legal_basis_for(day: date) -> LegalBasis:
    """The one-door decree in force on ``day`` (a period is judged by the one of its end; a
    day before the first known decree gets the first)."""
    in_force = [b for b in ONE_DOOR_BASIS if b.applies_from <= day]
    return in_force[-1] if in_force else ONE_DOOR_BASIS[0]


def on_time_rate(early: int, on_time: int, resolved: int) -> Decimal | None:
    """(early + on time) / resolved × 100, TRUNCATED to 2 decimals; None with nothing resolved.

    Truncation (not rounding) keeps 100.00 for "no late dossier": 4,999 of 5,000 → 99.98.
    """
    if resolved == 0:
        return None
    hundredths = (early + on_time) * 10_000 // resolved
    return (Decimal(hundredths) / 100).quantize(Decimal("0.01"))


ONLINE = {Channel.ONLINE, Channel.PUBLIC_SERVICE_PORTAL}


def period_instants(
    period_from: date, period_to: date, tz: tzinfo = VN_TZ
) -> tuple[datetime, datetime]:
    """The half-open instants [start, end) of the days ``period_from``..``period_to``."""
    start = datetime.combine(period_from, time(0, 0), tz)
    return start, datetime.combine(period_to + timedelta(days=1), time(0, 0), tz)


def report_form(
    dossiers: Iterable[DossierSnapshot],
    start: datetime | date,
    end: datetime | date,
    returned_withdrawn: ReturnedWithdrawn = ReturnedWithdrawn.EXCLUDED,
) -> ReportForm:
    """Counts for the half-open interval [start, end) of instants, or, given dates, for the
    days ``start``..``end`` inclusive (local time)."""
    if not isinstance(start, datetime):
        start = period_instants(start, start)[0]
    if not isinstance(end, datetime):
        end = period_instants(end, end)[1]
    c = dict.fromkeys(REPORT_COUNTS, 0)
    for d in dossiers:
        if d.received_at >= end:
            continue
        finished_before_start = d.finished_at is not None and d.finished_at < start
        if d.received_at < start:
            if finished_before_start:
                continue
            c["carried_over"] += 1
        elif d.channel in ONLINE:
            c["received_online"] += 1
        else:
            c["received_counter_postal"] += 1
        if d.finished_at is not None and start <= d.finished_at < end:
            if d.phase in (Phase.RESOLVED, Phase.REJECTED):
                key = {
                    Timeliness.EARLY: "resolved_early",
                    Timeliness.ON_TIME: "resolved_on_time",
                    Timeliness.LATE: "resolved_late",
                }[d.timeliness or Timeliness.ON_TIME]
                c[key] += 1
            elif d.phase == Phase.WITHDRAWN:
                c["withdrawn"] += 1
            elif d.phase == Phase.RETURNED:
                c["returned"] += 1
        elif d.finished_at is None or d.finished_at >= end:
            overdue = d.due_at is not None and d.due_at < end
            c["in_progress_overdue" if overdue else "in_progress_within_deadline"] += 1
    return ReportForm.of(c, returned_withdrawn)


_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|H[12]|0[1-9]|1[0-2]))?$")


def period_bounds(label: str, scheme: PeriodScheme = PeriodScheme.CUTOFF) -> tuple[date, date]:
    """First and last day (inclusive) of a named period: ``2026``, ``2026-H1``, ``2026-Q3``,
    ``2026-07``. The cut-off scheme (default) ends every period on the 14th of its last month
    and starts it on the 15th of the month before its first month."""
    m = _PERIOD.match(label)
    if not m:
        raise ValueError(f"unknown period {label!r}: use 2026, 2026-H1, 2026-Q3 or 2026-07")
    year, part = int(m.group(1)), m.group(2)
    if part is None:
        first, last = 1, 12
    elif part.startswith("Q"):
        q = int(part[1])
        first, last = 3 * q - 2, 3 * q
    elif part.startswith("H"):
        h = int(part[1])
        first, last = 6 * h - 5, 6 * h
    else:
        first = last = int(part)
    if scheme == PeriodScheme.CALENDAR:
        start = date(year, first, 1)
        after = date(year + (last == 12), last % 12 + 1, 1)
        return start, after - timedelta(days=1)
    prev_year, prev_month = (year - 1, 12) if first == 1 else (year, first - 1)
    return date(prev_year, prev_month, 15), date(year, last, 14)


class Published(StrEnum):
    """What a unit's period has published: the form's on-time rate or the service index."""

    RATE = "all"
    SERVICE_INDEX = "service-index"


@dataclass(frozen=True)
class PublishedFigures:
    """The figures last published for a unit's period and their revision (a correction goes
    out again with the next one)."""

    unit_code: str
    period: str
    kind: Published
    figures: Mapping[str, Any]  # as published (JSON values), without the revision
    revision: int = 1


def revise(
    last: PublishedFigures | None,
    unit_code: str,
    period: str,
    kind: Published,
    figures: Mapping[str, Any],
) -> PublishedFigures | None:
    """The figures to publish: None when they are those last published, else with the next
    revision (the first is 1)."""
    if last is not None and dict(last.figures) == dict(figures):
        return None
    revision = (last.revision if last is not None else 0) + 1
    return PublishedFigures(unit_code, period, kind, dict(figures), revision)
