"""One example per event type: documentation, AsyncAPI examples and round-trip tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from egov_contracts import notifications as n
from egov_contracts import procedures as p
from egov_contracts import reference as r
from egov_contracts.envelope import EventData

VN = timezone(timedelta(hours=7))
AT = datetime(2026, 3, 2, 8, 0, tzinfo=VN)
DUE = datetime(2026, 3, 16, 8, 0, tzinfo=VN)
DOSSIER = {
    "dossier_code": "000.00.38.H12-260302-000123",
    "procedure_code": "1.001865",
    "unit_code": "38.XA.SAMSON",
    "occurred_at": AT,
}

EXAMPLES: list[EventData] = [
    p.StatusReported(
        **{k: v for k, v in DOSSIER.items()},
        status=p.DossierStatus.RECEIVED,
        channel=p.Channel.ONLINE,
        applicant=p.Applicant(national_id="038095001234", name="Nguyễn Văn An", phone="0912348912"),
    ),
    p.DossierReceived(
        **DOSSIER,
        received_at=AT,
        due_at=DUE,
        processing_time=10,
        processing_time_unit=p.ProcessingTimeUnit.WORKING_DAYS,
        channel=p.Channel.ONLINE,
        applicant_ref="ar_6c08197e0dc5342bf313a754d915",
    ),
    p.DossierSupplementRequested(
        **DOSSIER,
        requested_at=AT + timedelta(days=2),
        used_minutes=1290,
        note="Bổ sung giấy xác nhận của UBND xã",
    ),
    p.DossierSupplementReceived(
        **DOSSIER,
        supplement_received_at=AT + timedelta(days=7),
        due_at=datetime(2026, 3, 18, 14, 0, tzinfo=VN),
    ),
    p.DossierSuspended(
        **DOSSIER,
        suspended_at=AT + timedelta(days=1),
        used_minutes=480,
        note="Chờ ý kiến cơ quan liên quan",
    ),
    p.DossierResumed(**DOSSIER, resumed_at=AT + timedelta(days=3), due_at=DUE + timedelta(days=2)),
    p.DossierDeadlineApproaching(**DOSSIER, due_at=DUE, threshold="used-75", minutes_left=1200),
    p.DossierOverdue(**DOSSIER, due_at=DUE, minutes_late=5),
    p.DossierResolved(
        **DOSSIER,
        resolved_at=DUE - timedelta(days=3),
        due_at=DUE,
        timeliness=p.Timeliness.EARLY,
        result=p.ResolutionResult.GRANTED,
    ),
    p.DossierWithdrawn(**DOSSIER, withdrawn_at=AT + timedelta(hours=3)),
    p.DossierReturned(**DOSSIER, returned_at=AT + timedelta(hours=3)),
    p.DossierRejected(
        **DOSSIER,
        rejected_at=DUE,
        due_at=DUE,
        timeliness=p.Timeliness.ON_TIME,
        note="Không đủ điều kiện hưởng",
    ),
    p.DossierApologyIssued(
        **DOSSIER,
        due_at=DUE,
        new_due_at=DUE + timedelta(days=3),
        reason="Chờ kết quả xác minh liên thông",
    ),
    p.OnTimeRateComputed(
        unit_code="38",
        period="2026-07",
        period_from=date(2026, 6, 15),
        period_to=date(2026, 7, 14),
        carried_over=120,
        received_online=2100,
        received_counter_postal=2900,
        resolved_early=4200,
        resolved_on_time=799,
        resolved_late=1,
        in_progress_within_deadline=118,
        in_progress_overdue=0,
        withdrawn=1,
        returned=1,
        on_time_rate=Decimal("99.98"),
    ),
    r.UnitUpserted(
        unit_code="38.XA.SAMSON",
        name="Phường Sầm Sơn",
        level=r.UnitLevel.COMMUNE,
        parent_code="38",
        valid_from=date(2025, 7, 1),
    ),
    n.NotificationDelivered(
        notification_id="6f1f7a56-0b5e-5a38-9c1e-4f0e8d2b9a11",
        rule_id="dossier-overdue",
        channel=n.NotificationChannel.EMAIL,
        recipient="l***@demo.egov.vn",
        source_event_id="2b0d3c1e-8f5a-4c7e-9d2b-1a3f5e7c9b0d",
        source_event_type="vn.egov.procedures.dossier.overdue.v1",
        attempts=1,
        delivered_at=DUE + timedelta(minutes=1),
    ),
    n.NotificationFailed(
        notification_id="7a2e8b67-1c6f-5b49-8d2f-5a1f9e3c0b22",
        rule_id="subscription.sub_1",
        channel=n.NotificationChannel.WEBHOOK,
        recipient="Cổng DVC",
        source_event_id="2b0d3c1e-8f5a-4c7e-9d2b-1a3f5e7c9b0d",
        source_event_type="vn.egov.procedures.dossier.overdue.v1",
        attempts=8,
        failed_at=DUE + timedelta(hours=28),
        last_error="HTTP 503",
    ),
]


def example_for(event_type: str) -> EventData:
    for ex in EXAMPLES:
        if ex.event_type == event_type:
            return ex
    raise LookupError(f"no example for {event_type}")
