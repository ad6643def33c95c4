"""A year of realistic dossiers as one-door systems would report them.

Deterministic (seeded). About one dossier in 5,000 is resolved late, so the year's on-time rate
comes out near the 99.98% provinces publish; a few are withdrawn or returned, some pass through
a supplement request, and the most recent ones are still in progress (some close to their
deadline, so the warnings fire while the demo runs).
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


def _office_instant(rng: random.Random, cal: WorkCalendar, day: datetime) -> datetime:
    minutes = rng.randrange(0, cal.office_hours.minutes_per_day)
    return cal.add_working_minutes(day, minutes)


def generate(
    procedures: list[dict[str, Any]],
    *,
    count: int,
    now: datetime,
    seed: int = 38,
    late_one_in: int = 5000,
) -> Iterator[c.StatusReported]:
    """Status reports of ``count`` dossiers received over the year before ``now``, in time
    order per dossier."""
    rng = random.Random(seed)
    cal = WorkCalendar()
    start = (
        (now - timedelta(days=365))
        .astimezone(VN_TZ)
        .replace(hour=0, minute=0, second=0, microsecond=0)
    )
    late_left = max(1, count // late_one_in)
    for i in range(count):
        p = rng.choice(procedures)
        unit = rng.choice(COMMUNES if p.get("level") == "commune" else PROVINCE_UNITS)
        received = _office_instant(rng, cal, start + timedelta(days=rng.random() * 365))
        if rng.random() < 0.35:  # online submissions arrive at any hour
            received = received.replace(hour=rng.randrange(0, 24))
        total = p["processing_value"] * (60 if p["processing_unit"] == "working-hours" else 480)
        code = f"000.00.38.H{i % 97:02d}-{received:%y%m%d}-{i:06d}"
        channel = rng.choice(
            [
                c.Channel.ONLINE,
                c.Channel.PUBLIC_SERVICE_PORTAL,
                c.Channel.COUNTER,
                c.Channel.COUNTER,
                c.Channel.POSTAL,
            ]
        )
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
            if back >= now:
                continue
            yield c.StatusReported(
                **base,
                status=c.DossierStatus.SUPPLEMENT_REQUESTED,
                occurred_at=asked,
                note="Bổ sung giấy tờ chứng minh",
            )
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
        if late_left and rng.random() < 1.5 / late_one_in * 10 and due < now - timedelta(days=3):
            late_left -= 1
            resolved = due + timedelta(days=1, hours=2)
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
