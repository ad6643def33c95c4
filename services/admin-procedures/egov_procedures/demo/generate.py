"""A year of realistic dossiers as one-door systems would report them.

Deterministic (seeded, with the clock given). Counter and postal dossiers are received in
office hours of working days, online ones at any hour; nothing happens after the given "now",
and every instant is a whole second. About one dossier in 1,000 is resolved late, so the year's
on-time rate comes out near the 99.9 % provinces publish; a few are withdrawn or returned, some
pass through a supplement request, and the most recent ones are still in progress: a few past
their deadline (the overdue queue), others due within a couple of working days (the warnings
fire while the demo runs).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from egov_contracts import procedures as c
from egov_workdays import VN_TZ, WorkCalendar

COMMUNES = [
    "38.XA.HACTHANH",
    "38.XA.QUANGPHU",
    "38.XA.DONGQUANG",
    "38.XA.DONGSON",
    "38.XA.DONGTIEN",
    "38.XA.HAMRONG",
    "38.XA.NGUYETVIEN",
    "38.XA.SAMSON",
    "38.XA.NAMSAMSON",
    "38.XA.BIMSON",
    "38.XA.QUANGTRUNG",
    "38.XA.THOXUAN",
    "38.XA.TRIEUSON",
    "38.XA.NGOCLAC",
    "38.XA.NGASON",
    "38.XA.HOANGHOA",
]
PROVINCE_UNITS = ["38.SNV.NCC", "38.SNV.VL", "38.SNV.GDNN", "38.SYT.BTXH"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
NAMES = [
    "Văn An",
    "Thị Bình",
    "Văn Cường",
    "Thị Dung",
    "Minh Đức",
    "Thị Hà",
    "Quang Huy",
    "Thị Lan",
    "Văn Long",
    "Thị Mai",
    "Hữu Nam",
    "Thị Oanh",
    "Văn Phúc",
    "Thị Quỳnh",
]


# Received by a person at the one-stop desk (a letter is opened there too): office hours of
# working days. Online submissions arrive at any hour of any day.
DESK_CHANNELS = (c.Channel.COUNTER, c.Channel.POSTAL)
CHANNELS = [
    c.Channel.ONLINE,
    c.Channel.PUBLIC_SERVICE_PORTAL,
    c.Channel.COUNTER,
    c.Channel.COUNTER,
    c.Channel.POSTAL,
]
OVERDUE_WINDOW = timedelta(days=20)  # how far back a dossier may be still open past its deadline
OVERDUE_SHARE = 0.06  # of the dossiers due in that window, left open past the deadline
# of the dossiers due within one, two working days, those still being worked on
DUE_SOON_SHARES = ((1, 0.8), (2, 0.4))


def _received_at(
    rng: random.Random,
    cal: WorkCalendar,
    start: datetime,
    now: datetime,
    channel: c.Channel,
) -> datetime:
    """A whole-second instant in [start, now): any time online, desk hours at the desk."""
    span = int((now - start).total_seconds())
    while True:
        at = (start + timedelta(seconds=rng.randrange(span))).astimezone(VN_TZ)
        if channel not in DESK_CHANNELS:
            return at
        day = at.date()
        if not cal.is_working_day(day):
            continue
        opens, closes = rng.choice(cal.office_hours.periods)
        p_start = datetime.combine(day, opens, VN_TZ)
        p_end = datetime.combine(day, closes, VN_TZ)
        at = p_start + timedelta(seconds=rng.randrange(int((p_end - p_start).total_seconds())))
        if at < now:
            return at


def generate(
    procedures: list[dict[str, Any]],
    *,
    count: int,
    now: datetime,
    seed: int = 38,
    late_one_in: int = 1000,
) -> Iterator[c.StatusReported]:
    """Status reports of ``count`` dossiers received over the year before ``now``, in time
    order per dossier; every report is before ``now`` and on a whole second."""
    rng = random.Random(seed)
    cal = WorkCalendar()
    start = (
        (now - timedelta(days=365))
        .astimezone(VN_TZ)
        .replace(hour=0, minute=0, second=0, microsecond=0)
    )
    due_soon = [(cal.add_working_days(now, days), share) for days, share in DUE_SOON_SHARES]
    late_left = max(1, count // late_one_in)
    for i in range(count):
        p = rng.choice(procedures)
        unit = rng.choice(COMMUNES if p.get("level") == "commune" else PROVINCE_UNITS)
        channel = rng.choice(CHANNELS)
        received = _received_at(rng, cal, start, now, channel)
        total = p["processing_value"] * (60 if p["processing_unit"] == "working-hours" else 480)
        code = f"000.00.38.H{i % 97:02d}-{received:%y%m%d}-{i:06d}"
        base = {"dossier_code": code, "procedure_code": p["code"], "unit_code": unit}
        national_id = f"038{rng.randrange(10**8, 10**9)}"
        yield c.StatusReported(
            **base,
            status=c.DossierStatus.RECEIVED,
            occurred_at=received,
            channel=channel,
            applicant=c.Applicant(
                national_id=national_id,
                name=f"{rng.choice(SURNAMES)} {rng.choice(NAMES)}",
                phone=f"09{rng.randrange(10**7, 10**8)}",
            ),
        )
        if p["processing_unit"] == "calendar-days":
            due = cal.calendar_days_deadline(received, p["processing_value"])
        else:
            due = cal.add_working_minutes(received, total)
        at = received
        if rng.random() < 0.06:  # a supplement request, answered after a few days
            used = int(total * rng.uniform(0.1, 0.4))
            asked = cal.add_working_minutes(received, used)
            back = cal.add_working_minutes(asked, rng.randrange(480, 4 * 480))
            if asked >= now:
                continue  # still in progress, before the request
            yield c.StatusReported(
                **base,
                status=c.DossierStatus.SUPPLEMENT_REQUESTED,
                occurred_at=asked,
                note="Bổ sung giấy tờ chứng minh",
            )
            if back >= now:
                continue  # waiting for the applicant's papers
            yield c.StatusReported(
                **base, status=c.DossierStatus.SUPPLEMENT_RECEIVED, occurred_at=back
            )
            if p.get("supplement_rule") == "restart":
                due = cal.add_working_minutes(back, total)
            elif p["processing_unit"] != "calendar-days":
                due = cal.add_working_minutes(back, total - used)
            at = back
        roll = rng.random()
        if roll < 0.01:
            end = cal.add_working_minutes(at, rng.randrange(60, 480))
            if end < now:
                yield c.StatusReported(
                    **base,
                    status=c.DossierStatus.WITHDRAWN,
                    occurred_at=end,
                    note="Công dân rút hồ sơ",
                )
            continue
        if roll < 0.015:
            end = cal.add_working_minutes(at, rng.randrange(60, 480))
            if end < now:
                yield c.StatusReported(
                    **base,
                    status=c.DossierStatus.RETURNED,
                    occurred_at=end,
                    note="Hồ sơ không đủ điều kiện tiếp nhận giải quyết",
                )
            continue
        if now - OVERDUE_WINDOW < due < now and rng.random() < OVERDUE_SHARE:
            continue  # still open past its deadline: the overdue queue is never empty
        soon = next((share for until, share in due_soon if now <= due <= until), 0.0)
        if rng.random() < soon:
            continue  # still being worked on, due within a couple of working days
        if late_left and rng.random() < 15 / late_one_in and due < now - timedelta(days=3):
            late_left -= 1
            resolved = cal.add_working_minutes(due, rng.randrange(60, 3 * 480))
        else:
            share = rng.uniform(0.3, 0.98)
            left = cal.working_minutes_between(at, due)
            resolved = cal.add_working_minutes(at, int(left * share))
        if resolved >= now:
            continue  # still in progress
        status = c.DossierStatus.REJECTED if rng.random() < 0.01 else c.DossierStatus.RESOLVED
        yield c.StatusReported(
            **base,
            status=status,
            occurred_at=resolved,
            result=(
                c.ResolutionResult.GRANTED if rng.random() < 0.97 else c.ResolutionResult.REFUSED
            )
            if status == c.DossierStatus.RESOLVED
            else None,
            note="Không đủ điều kiện hưởng" if status == c.DossierStatus.REJECTED else None,
        )
