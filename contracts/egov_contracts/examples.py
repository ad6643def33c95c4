"""One example per event type: documentation, AsyncAPI examples and round-trip tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from egov_contracts import indicators as i
from egov_contracts import nominations as m
from egov_contracts import notifications as n
from egov_contracts import procedures as p
from egov_contracts import reference as r
from egov_contracts.envelope import EventData
from egov_contracts.types import VN_TZ as VN

AT = datetime(2026, 3, 2, 8, 0, tzinfo=VN)
DUE = datetime(2026, 3, 16, 8, 0, tzinfo=VN)
DOSSIER = {
    "dossier_code": "000.00.38.H12-260302-000123",
    "procedure_code": "1.001865",
    "unit_code": "38.XA.SAMSON",
    "occurred_at": AT,
}

# what admin-procedures publishes about the dossier: the procedure's name beside its code
OUT = {**DOSSIER, "procedure_name": "Giải quyết hưởng trợ cấp thất nghiệp"}

NOMINEE = m.Nominee(kind=m.NomineeKind.INDIVIDUAL, ref="CB-2019-0042", unit_code="38.SNV")
NOMINATION = {
    "nomination_id": "DN-2025-0007",
    "nominee": NOMINEE,
    "award": m.AwardKind.BANG_KHEN_CHU_TICH_TINH,
    "achievement_year": 2025,
}
YEAR_END = datetime(2025, 12, 22, 9, 0, tzinfo=VN)

EXAMPLES: list[EventData] = [
    p.StatusReported(
        **{k: v for k, v in DOSSIER.items()},
        status=p.DossierStatus.RECEIVED,
        channel=p.Channel.ONLINE,
        applicant=p.Applicant(national_id="038095001234", name="Nguyễn Văn An", phone="0912348912"),
        officer_ref="CB-MC-0107",
    ),
    p.DossierReceived(
        **OUT,
        received_at=AT,
        due_at=DUE,
        processing_time=10,
        processing_time_unit=p.ProcessingTimeUnit.WORKING_DAYS,
        channel=p.Channel.ONLINE,
        applicant_ref="ar_6c08197e0dc5342bf313a754d915",
        officer_ref="CB-MC-0107",
    ),
    p.DossierSupplementRequested(
        **OUT,
        requested_at=AT + timedelta(days=2),
        used_minutes=1290,
        note="Bổ sung giấy xác nhận của UBND xã",
    ),
    p.DossierSupplementReceived(
        **OUT,
        supplement_received_at=AT + timedelta(days=7),
        due_at=datetime(2026, 3, 18, 14, 0, tzinfo=VN),
    ),
    p.DossierSuspended(
        **OUT,
        suspended_at=AT + timedelta(days=1),
        used_minutes=480,
        note="Chờ ý kiến cơ quan liên quan",
    ),
    p.DossierResumed(**OUT, resumed_at=AT + timedelta(days=3), due_at=DUE + timedelta(days=2)),
    p.DossierDeadlineApproaching(
        **OUT,
        due_at=DUE,
        threshold="used-75",
        minutes_left=1200,
        apology_deadline=datetime(2026, 3, 13, 8, 0, tzinfo=VN),
    ),
    p.DossierOverdue(**OUT, due_at=DUE, minutes_late=5),
    p.DossierResolved(
        **{**OUT, "occurred_at": DUE - timedelta(days=3)},
        resolved_at=DUE - timedelta(days=3),
        due_at=DUE,
        timeliness=p.Timeliness.EARLY,
        result=p.ResolutionResult.GRANTED,
    ),
    p.DossierWithdrawn(**OUT, withdrawn_at=AT + timedelta(hours=3)),
    p.DossierReturned(**OUT, returned_at=AT + timedelta(hours=3)),
    p.DossierRejected(
        **OUT,
        rejected_at=DUE,
        due_at=DUE,
        timeliness=p.Timeliness.ON_TIME,
        note="Không đủ điều kiện hưởng",
    ),
    p.DossierApologyIssued(
        **OUT,
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
    p.ServiceIndexComputed(
        unit_code="38.SNV.VL",
        period="2026-03",
        period_from=date(2026, 2, 15),
        period_to=date(2026, 3, 14),
        rule_set="766-2022",
        progress_denominator=7,
        progress_in_time=4,
        progress_rate=Decimal("57.14"),
        progress_score=Decimal("11.43"),
        form_on_time_rate=Decimal("80.00"),
        difference_pp=Decimal("-22.86"),
        indicators=[
            p.IndicatorScore(
                code="tien-do-giai-quyet",
                points=Decimal(20),
                rate=Decimal("57.14"),
                score=Decimal("11.43"),
                has_data=True,
                needs_legal_check=True,
            ),
            p.IndicatorScore(
                code="cong-khai-minh-bach",
                points=Decimal(18),
                has_data=False,
                needs_legal_check=True,
            ),
        ],
        needs_legal_check=True,
    ),
    r.UnitUpserted(
        unit_code="38.XA.SAMSON",
        name="Phường Sầm Sơn",
        level=r.UnitLevel.COMMUNE,
        parent_code="38",
        valid_from=date(2025, 7, 1),
    ),
    r.CalendarExceptionUpserted(
        day=date(2026, 3, 6),
        kind=r.CalendarExceptionKind.DAY_OFF,
        note="Nghỉ lễ hội của tỉnh theo Quyết định 512/QĐ-UBND",
        entered_by="admin-38",
        entered_at=AT,
    ),
    r.CalendarExceptionWithdrawn(day=date(2026, 3, 6), withdrawn_by="admin-38", withdrawn_at=AT),
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
    i.SubmissionReceived(
        submission_id="38.XA.SAMSON-2026-Q1-01",
        unit_code="38.XA.SAMSON",
        period="2026-Q1",
        values=[
            i.ReportedValue(indicator_code="VL.01", value=Decimal("1250")),
            i.ReportedValue(
                indicator_code="GN.02",
                value=Decimal("312"),
                disaggregation={"area": "rural"},
            ),
        ],
        submitted_by="thongke.38.xa.samson",
        submitted_at=datetime(2026, 4, 5, 10, 30, tzinfo=VN),
    ),
    i.SubmissionAccepted(
        submission_id="38.XA.SAMSON-2026-Q1-01",
        unit_code="38.XA.SAMSON",
        period="2026-Q1",
        accepted_at=datetime(2026, 4, 5, 10, 30, 2, tzinfo=VN),
        value_count=2,
    ),
    i.SubmissionRejected(
        submission_id="38.XA.SAMSON-2026-Q1-02",
        unit_code="38.XA.SAMSON",
        period="2026-Q1",
        replaces="38.XA.SAMSON-2026-Q1-01",
        rejected_at=datetime(2026, 4, 6, 9, 0, tzinfo=VN),
        violations=[
            i.RuleViolation(
                indicator_code="GN.01",
                indicator_name="Số hộ nghèo",
                value=Decimal("-3"),
                rule="non-negative",
                message="Số hộ nghèo không được âm",
            )
        ],
    ),
    i.ValueRecorded(
        indicator_code="VL.01",
        unit_code="38",
        period="2026-Q1",
        value=Decimal("16856"),
        measure_unit="person",
        derived=True,
        recorded_at=datetime(2026, 4, 5, 10, 30, 3, tzinfo=VN),
    ),
    i.TargetEvaluated(
        indicator_code="GN.03",
        unit_code="38",
        period="2026",
        target=Decimal("5.50"),
        actual=Decimal("5.33"),
        measure_unit="%",
        direction=i.Direction.LOWER_IS_BETTER,
        achievement_pct=Decimal("103.19"),
        status=i.TargetStatus.ACHIEVED,
        change_vs_previous=Decimal("-1.41"),
        change_unit="pp",
        period_closed=True,
        evaluated_at=datetime(2027, 1, 15, 8, 0, tzinfo=VN),
        planned_change=Decimal("-1.24"),
        achieved_change=Decimal("-1.41"),
        change_achievement_pct=Decimal("113.71"),
        verdict_vi="Đạt kế hoạch: thực hiện 5,33% (chỉ tiêu càng thấp càng tốt, kế hoạch không"
        " quá 5,50%); kế hoạch giảm 1,24 điểm %, thực hiện giảm 1,41 điểm % so với kỳ trước"
        " (113,71% mức kế hoạch)",
    ),
    i.ReportDueSoon(
        data_set="BC-LDVL-THANG",
        data_set_name="Báo cáo tháng lao động - việc làm",
        unit_code="38.XA.SAMSON",
        unit_name="Phường Sầm Sơn",
        period="2026-07",
        due_date=date(2026, 8, 20),
        notified_at=datetime(2026, 8, 17, 7, 0, tzinfo=VN),
    ),
    i.ReportOverdue(
        data_set="BC-LDVL-THANG",
        data_set_name="Báo cáo tháng lao động - việc làm",
        unit_code="38.XA.SAMSON",
        unit_name="Phường Sầm Sơn",
        period="2026-07",
        due_date=date(2026, 8, 20),
        notified_at=datetime(2026, 8, 21, 7, 0, tzinfo=VN),
    ),
    m.MovementLaunched(
        movement_id="PT-2026-CDS",
        title="Thi đua chuyển đổi số trong giải quyết thủ tục hành chính năm 2026",
        unit_code="38",
        year=2026,
        starts_on=date(2026, 1, 5),
        ends_on=date(2026, 12, 31),
        awards=[m.AwardKind.GIAY_KHEN, m.AwardKind.BANG_KHEN_CHU_TICH_TINH],
        launched_at=datetime(2026, 1, 5, 8, 0, tzinfo=VN),
    ),
    m.RegistrationSubmitted(
        registration_id="DK-2026-0113",
        movement_id="PT-2026-CDS",
        year=2026,
        nominee=NOMINEE,
        award=m.AwardKind.CHIEN_SI_THI_DUA_CO_SO,
        submitted_at=datetime(2026, 1, 20, 14, 0, tzinfo=VN),
    ),
    m.NominationSubmitted(
        **NOMINATION,
        occurred_at=YEAR_END,
        deciding_level=m.DecidingLevel.PROVINCE,
    ),
    m.NominationReturned(
        **NOMINATION,
        occurred_at=YEAR_END + timedelta(days=2),
        reason="Thiếu biên bản họp bình xét của đơn vị",
    ),
    m.NominationAssessed(
        **NOMINATION,
        occurred_at=YEAR_END + timedelta(days=9),
        rule_set="nd152-2025",
        eligible=True,
        criteria=[
            m.CriterionResult(
                rule_id="bkct.cstd-2-nam",
                article="Luật Thi đua, khen thưởng 2022, Đ.74",
                passed=True,
                evidence="Chiến sĩ thi đua cơ sở 2024 (QĐ 112/QĐ-SNV), 2025 (QĐ 98/QĐ-SNV)",
            )
        ],
    ),
    m.NominationVoted(
        **NOMINATION,
        occurred_at=YEAR_END + timedelta(days=12),
        members_total=11,
        members_present=10,
        votes_for=10,
        quorum_met=True,
        approval_pct=Decimal("90.90"),
        threshold_pct=Decimal("80.00"),
        passed=True,
    ),
    m.NominationApproved(
        **NOMINATION,
        occurred_at=YEAR_END + timedelta(days=14),
        deciding_level=m.DecidingLevel.PROVINCE,
    ),
    m.NominationRejected(
        **NOMINATION,
        occurred_at=YEAR_END + timedelta(days=14),
        reason="Không đủ tỷ lệ phiếu bầu",
    ),
    m.NominationForwarded(
        **{**NOMINATION, "award": m.AwardKind.BANG_KHEN_THU_TUONG},
        occurred_at=YEAR_END + timedelta(days=15),
        to_level=m.DecidingLevel.CENTRAL,
    ),
    m.AwardConferred(
        decision_number="215/QĐ-UBND",
        decision_date=date(2026, 1, 20),
        deciding_unit_code="38",
        award=m.AwardKind.BANG_KHEN_CHU_TICH_TINH,
        achievement_year=2025,
        recipients=[NOMINEE],
        nomination_ids=["DN-2025-0007"],
    ),
]


def example_for(event_type: str) -> EventData:
    for ex in EXAMPLES:
        if ex.event_type == event_type:
            return ex
    raise LookupError(f"no example for {event_type}")
