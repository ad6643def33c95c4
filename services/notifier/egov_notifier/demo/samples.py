"""A sample CloudEvent per event type, for checking and previewing templates."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from egov_contracts import procedures as p
from egov_contracts.envelope import EventData, new_event

VN = timezone(timedelta(hours=7))
AT = datetime(2026, 3, 12, 9, 0, tzinfo=VN)
DUE = datetime(2026, 3, 16, 8, 0, tzinfo=VN)
BASE = {
    "dossier_code": "000.00.38.H12-260302-000123",
    "procedure_code": "1.001865",
    "unit_code": "38.XA.SAMSON",
    "occurred_at": AT,
}

SAMPLES: list[EventData] = [
    p.DossierReceived(
        **BASE,
        received_at=AT,
        due_at=DUE,
        processing_time=10,
        processing_time_unit=p.ProcessingTimeUnit.WORKING_DAYS,
        channel=p.Channel.ONLINE,
        applicant_ref="ar_0123456789abcdef",
    ),
    p.DossierDeadlineApproaching(**BASE, due_at=DUE, threshold="used-75", minutes_left=960),
    p.DossierOverdue(**BASE, due_at=DUE, minutes_late=30),
    p.DossierResolved(
        **BASE,
        resolved_at=AT,
        due_at=DUE,
        timeliness=p.Timeliness.EARLY,
        result=p.ResolutionResult.GRANTED,
    ),
    p.DossierApologyIssued(
        **BASE,
        due_at=DUE,
        new_due_at=DUE + timedelta(days=3),
        reason="Chờ kết quả xác minh liên thông",
    ),
    p.OnTimeRateComputed(
        unit_code="38",
        period="2026-07",
        period_from=date(2026, 6, 15),
        period_to=date(2026, 7, 14),
        carried_over=12,
        received_online=2100,
        received_counter_postal=2900,
        resolved_early=4200,
        resolved_on_time=799,
        resolved_late=1,
        in_progress_within_deadline=11,
        in_progress_overdue=0,
        withdrawn=3,
        returned=2,
        on_time_rate=Decimal("99.98"),
    ),
]


def sample_event(event_type: str) -> dict[str, Any]:
    for data in SAMPLES:
        if data.event_type == event_type:
            return new_event(data, source="/vn/38/sample", subject="sample").model_dump(mode="json")
    return {"type": event_type, "subject": "sample", "data": {}}
