"""admin-procedures' write use cases against in-memory fakes of their repositories and of the
transaction (no broker, no database): a status report batch (receipt, resend, refusals by unit
and by credential scope, an unknown procedure, the applicant, the result and the daily
aggregates), the deadline timers, the apology, the province's calendar exceptions, its procedure
catalogue, and the published on-time rates and service indexes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from egov_contracts import procedures as c
from egov_contracts import reference as ref
from egov_contracts.envelope import CloudEvent, new_event
from egov_contracts.personal_data import applicant_ref
from egov_devkit.testing.fakes import RecordingTx
from egov_procedures.domain.dossier import ApologyRefused, fold
from egov_procedures.domain.model import DeadlineMode, Procedure, Status, StatusReport, TimeUnit
from egov_procedures.domain.report import Published, ReportForm
from egov_procedures.usecases import (
    Context,
    IssueApology,
    PutProcedure,
    UnknownProcedure,
    Work,
    fire_due_timers,
    issue_apology,
    publish_index_if_changed,
    publish_pending_calendar,
    publish_rate_if_changed,
    put_calendar_exception,
    put_catalogue_procedure,
    record_status_reports,
    withdraw_calendar_exception,
)
from egov_runtime.auth import Principal
from egov_runtime.refusals import Invalid, NotFound
from egov_workdays import VN_TZ, CalendarException, ExceptionKind, WorkCalendar

KEY = b"personal-data-key-of-the-tests"
MON = datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)  # a working Monday
T5 = Procedure("T5", "Năm ngày", 5)


def ctx() -> Context:
    return Context(
        source="/vn/38/admin-procedures",
        personal_data_key=KEY,
        calendar=WorkCalendar(),
        clock=lambda: MON,
    )


@pytest.fixture
def work(fake_work: Work) -> Work:
    fake_work.catalogue.procedures["T5"] = T5  # type: ignore[attr-defined]
    return fake_work


def tx_of(work: Work) -> RecordingTx:
    assert isinstance(work.tx, RecordingTx)
    return work.tx


def report(code: str, status: str, at: datetime, unit: str = "38.SNV.VL", **kw) -> c.StatusReported:
    return c.StatusReported(
        dossier_code=code,
        procedure_code=kw.pop("procedure", "T5"),
        unit_code=unit,
        status=c.DossierStatus(status),
        occurred_at=at,
        **kw,
    )


def sent(
    data: c.StatusReported, reporter: Principal | None = None
) -> tuple[c.StatusReported, CloudEvent, Principal | None]:
    return data, new_event(data, source="/vn/38/mot-cua", subject=data.dossier_code), reporter


def sequences(work: Work) -> list[int]:
    return [int(e.sequence or "-1") for e in tx_of(work).events]


def system_of(unit: str) -> Principal:
    return Principal("mot-cua", frozenset({"integration"}), unit)


async def test_a_receipt_keeps_the_dossier_schedules_its_warnings_and_announces_it(work):
    received = sent(report("D-1", "received", MON, channel=c.Channel.ONLINE))
    assert await record_status_reports(work, ctx(), [received]) == 1

    [event] = tx_of(work).events
    [data] = tx_of(work).published(c.DossierReceived)
    receipt = StatusReport(received[1].id, "D-1", Status.RECEIVED, MON)
    expected = fold("D-1", T5, WorkCalendar(), [receipt])
    assert data.due_at == expected.due_at and data.processing_time == 5
    assert data.channel == c.Channel.ONLINE and data.applicant_ref is None
    assert (event.source, event.subject, event.causationid) == (
        "/vn/38/admin-procedures",
        "D-1",
        received[1].id,
    )
    dossier = await work.dossiers.get("D-1")
    assert dossier is not None and dossier.version == 1 and dossier.due_at == expected.due_at
    assert [r.report_id for r in dossier.reports] == [received[1].id]
    assert await work.dossiers.due(expected.due_at, 10) == ["D-1"]  # type: ignore[arg-type]
    assert await work.dossiers.daily("38.SNV.VL", "T5") == {(MON.date(), "online", "received"): 1}


async def test_a_report_sent_again_changes_nothing(work):
    received = sent(report("D-2", "received", MON))
    await record_status_reports(work, ctx(), [received])
    again = RecordingTx(source="/vn/38/admin-procedures")
    work.tx = again
    assert await record_status_reports(work, ctx(), [received]) == 0
    assert again.emitted == []
    dossier = await work.dossiers.get("D-2")
    assert dossier is not None and dossier.version == 1 and len(dossier.reports) == 1


async def test_the_result_ends_the_dossier_on_time_and_counts_in_the_daily_form(work):
    await record_status_reports(work, ctx(), [sent(report("D-3", "received", MON))])
    resolved = report("D-3", "resolved", MON + timedelta(days=1), result=c.ResolutionResult.GRANTED)
    assert await record_status_reports(work, ctx(), [sent(resolved)]) == 1
    [data] = tx_of(work).published(c.DossierResolved)
    assert data.timeliness == c.Timeliness.EARLY and data.result == c.ResolutionResult.GRANTED
    assert sequences(work) == [1, 2]
    daily = await work.dossiers.daily("38.SNV.VL", "T5")
    assert daily[(MON.date(), "counter", "received")] == 1
    tue = (MON + timedelta(days=1)).date()
    assert daily[(tue, "counter", "finished")] == daily[(tue, "counter", "resolved_early")] == 1
    assert await work.dossiers.due(MON + timedelta(days=30), 10) == []  # no warning after the end


async def test_a_report_naming_another_unit_or_outside_the_credential_is_refused(work):
    await record_status_reports(
        work, ctx(), [sent(report("D-4", "received", MON), system_of("38.SNV"))]
    )
    elsewhere = sent(report("D-4", "resolved", MON, unit="38.STP", result="granted"))
    outsider = sent(report("D-4", "suspended", MON, note="x"), system_of("38.STP"))
    assert await record_status_reports(work, ctx(), [elsewhere, outsider]) == 0
    refused = tx_of(work).refused
    assert refused[elsewhere[1].id][0] == "unit-mismatch"
    assert refused[outsider[1].id][0] == "out-of-scope"
    province = sent(report("D-4", "suspended", MON + timedelta(hours=1)), system_of("38"))
    assert await record_status_reports(work, ctx(), [province]) == 1  # the province covers it


async def test_a_report_of_an_unknown_procedure_fails_the_batch(work):
    with pytest.raises(UnknownProcedure):
        await record_status_reports(
            work, ctx(), [sent(report("D-5", "received", MON, procedure="NOPE"))]
        )


async def test_the_applicant_is_kept_apart_and_only_its_reference_goes_out(work):
    person = c.Applicant(national_id="038099000123", name="Lê Văn Tám")
    await record_status_reports(
        work, ctx(), [sent(report("D-6", "received", MON, applicant=person))]
    )
    ref_ = applicant_ref("038099000123", KEY)
    [data] = tx_of(work).published(c.DossierReceived)
    assert data.applicant_ref == ref_
    assert work.dossiers.applicants["D-6"] == (ref_, person)  # type: ignore[attr-defined]
    dossier = await work.dossiers.get("D-6")
    assert dossier is not None and dossier.applicant_ref == ref_


async def test_deadline_warnings_fire_once_each_and_the_overdue_one_alone(work):
    await record_status_reports(work, ctx(), [sent(report("D-7", "received", MON))])
    dossier = await work.dossiers.get("D-7")
    assert dossier is not None and dossier.due_at is not None
    timers = work.dossiers.timers  # type: ignore[attr-defined]
    first = min(t.fire_at for t in timers.values())
    work.tx = RecordingTx(source="/vn/38/admin-procedures")
    assert await fire_due_timers(work, ctx(), first) == 1
    assert await fire_due_timers(work, ctx(), first) == 0
    [approaching] = tx_of(work).published(c.DossierDeadlineApproaching)
    assert approaching.due_at == dossier.due_at and approaching.apology_deadline is not None
    late = dossier.due_at + timedelta(days=3)
    assert await fire_due_timers(work, ctx(), late) == 1  # the rest together: overdue only
    [overdue] = tx_of(work).published(c.DossierOverdue)
    assert overdue.minutes_late == 3 * 24 * 60
    assert sequences(work) == [2, 3]
    after = await work.dossiers.get("D-7")
    assert after is not None and after.version == 3


async def test_an_apology_is_issued_once_before_the_deadline(work):
    await record_status_reports(work, ctx(), [sent(report("D-8", "received", MON))])
    dossier = await work.dossiers.get("D-8")
    assert dossier is not None and dossier.due_at is not None
    later = dossier.due_at + timedelta(days=5)
    cmd = IssueApology("D-8", later, "Cần xác minh thêm", "can-bo-1")
    data = await issue_apology(work, ctx(), cmd, MON + timedelta(hours=2))
    assert (data.due_at, data.new_due_at, data.reason) == (dossier.due_at, later, cmd.reason)
    assert tx_of(work).published(c.DossierApologyIssued) == [data]
    kept = await work.dossiers.get("D-8")
    assert kept is not None and kept.version == 2 and kept.apology is not None
    with pytest.raises(ApologyRefused, match="already issued"):
        await issue_apology(work, ctx(), cmd, MON + timedelta(hours=3))
    with pytest.raises(NotFound):
        await issue_apology(work, ctx(), IssueApology("D-0", later, "x", "y"), MON)


async def test_a_warning_after_the_apology_no_longer_asks_for_one(work):
    await record_status_reports(work, ctx(), [sent(report("D-9", "received", MON))])
    dossier = await work.dossiers.get("D-9")
    assert dossier is not None and dossier.due_at is not None
    cmd = IssueApology("D-9", dossier.due_at + timedelta(days=2), "Chờ ý kiến", "can-bo-1")
    await issue_apology(work, ctx(), cmd, MON + timedelta(hours=1))
    first = min(t.fire_at for t in work.dossiers.timers.values())  # type: ignore[attr-defined]
    await fire_due_timers(work, ctx(), first)
    [approaching] = tx_of(work).published(c.DossierDeadlineApproaching)
    assert approaching.apology_deadline is None


async def test_calendar_exceptions_are_published_and_used_at_once(work):
    context = ctx()
    off = CalendarException(date(2026, 3, 3), ExceptionKind.DAY_OFF, "Lễ hội", "admin-38")
    await put_calendar_exception(work, context, off, MON)
    [upserted] = tx_of(work).published(ref.CalendarExceptionUpserted)
    assert (upserted.day, upserted.kind, upserted.entered_by) == (
        off.day,
        ref.CalendarExceptionKind.DAY_OFF,
        "admin-38",
    )
    assert tx_of(work).events[0].subject == ref.calendar_exception_subject(off.day)
    assert not context.calendar.is_working_day(off.day)
    assert await withdraw_calendar_exception(work, context, off.day, "admin-38", MON)
    assert not await withdraw_calendar_exception(work, context, off.day, "admin-38", MON)
    [withdrawn] = tx_of(work).published(ref.CalendarExceptionWithdrawn)
    assert withdrawn.day == off.day and context.calendar.is_working_day(off.day)


async def test_exceptions_recorded_before_publishing_are_published_once(work):
    legacy = CalendarException(date(2026, 3, 6), ExceptionKind.WORKING_DAY)
    work.calendar.legacy(legacy, MON)  # type: ignore[attr-defined]
    assert await publish_pending_calendar(work, ctx()) == 1
    assert await publish_pending_calendar(work, ctx()) == 0
    [data] = tx_of(work).published(ref.CalendarExceptionUpserted)
    assert (data.note, data.entered_by, data.entered_at) == (
        "Ngày làm việc bù",
        "/vn/38/admin-procedures",
        MON,
    )


async def test_a_procedure_is_put_in_the_catalogue_and_an_impossible_one_refused(work):
    cmd = PutProcedure(
        "C3",
        "Ba ngày lịch",
        3,
        TimeUnit.CALENDAR_DAYS,
        field="Tư pháp",
        deadline_mode="end-of-day",
        intake_cutoff="15:30",
    )
    got = await put_catalogue_procedure(work, cmd)
    assert got.deadline_mode is DeadlineMode.END_OF_DAY
    assert (got.intake_cutoff.hour, got.intake_cutoff.minute) == (15, 30)
    assert await work.catalogue.procedure("C3") == got
    changed = await put_catalogue_procedure(
        work, PutProcedure("C3", "Ba ngày lịch", 2, field="Tư pháp")
    )
    assert await work.catalogue.procedure("C3") == changed
    assert changed.processing_unit is TimeUnit.WORKING_DAYS
    with pytest.raises(Invalid) as refused:
        await put_catalogue_procedure(
            work, PutProcedure("C4", "Bốn ngày", 4, warn_used_fraction=1.5)
        )
    assert (refused.value.status, refused.value.title) == (422, "Invalid procedure")
    assert await work.catalogue.procedure("C4") is None
    assert tx_of(work).events == []


async def test_a_rate_is_published_once_and_again_with_the_next_revision_when_corrected(work):
    march = ("38.SNV", "2026-03", date(2026, 2, 15), date(2026, 3, 14))
    form = ReportForm(received_online=4, resolved_on_time=3, resolved_late=1)
    assert await publish_rate_if_changed(work, *march, form)
    assert not await publish_rate_if_changed(work, *march, form)  # the same figures
    corrected = ReportForm(received_online=4, resolved_on_time=2, resolved_late=2)
    assert await publish_rate_if_changed(work, *march, corrected)
    sent = [e.data for e in tx_of(work).events]
    assert [(d["on_time_rate"], d["revision"]) for d in sent] == [("75.00", 1), ("50.00", 2)]
    assert sequences(work) == [1, 2]
    assert {e.subject for e in tx_of(work).events} == {"38.SNV/2026-03"}
    kept = await work.published.last("38.SNV", "2026-03", Published.RATE)
    assert kept is not None and (kept.revision, kept.figures["on_time_rate"]) == (2, "50.00")
    assert await work.published.last("38.SNV", "2026-03", Published.SERVICE_INDEX) is None


def index(progress_in_time: int) -> c.ServiceIndexComputed:
    return c.ServiceIndexComputed(
        unit_code="38.SNV",
        period="2026-03",
        period_from=date(2026, 2, 15),
        period_to=date(2026, 3, 14),
        rule_set="766-2022",
        progress_denominator=8,
        progress_in_time=progress_in_time,
        needs_legal_check=False,
    )


async def test_a_service_index_is_published_beside_the_rate_and_again_when_corrected(work):
    form = ReportForm(received_online=1, resolved_on_time=1)
    assert await publish_rate_if_changed(
        work, "38.SNV", "2026-03", date(2026, 2, 15), date(2026, 3, 14), form
    )
    assert await publish_index_if_changed(work, index(6))
    assert not await publish_index_if_changed(work, index(6))
    assert await publish_index_if_changed(work, index(5))
    published = [e for e in tx_of(work).events if e.type.endswith("service-index.computed.v1")]
    assert [(e.data["progress_in_time"], e.data["revision"]) for e in published] == [
        (6, 1),
        (5, 2),
    ]
    rate = await work.published.last("38.SNV", "2026-03", Published.RATE)
    assert rate is not None and rate.revision == 1  # the index has its own revisions
