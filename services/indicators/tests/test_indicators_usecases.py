"""indicators' write use cases against in-memory fakes of their repositories and of the
transaction (no broker, no database): a submission accepted (values, history, roll-up over time
and up the hierarchy, events), rejected, repeated and conflicting; the approval lock and a
correction after it; a spreadsheet import; the catalogue and its rules; targets set, evaluated
and re-evaluated as days pass; a plan period's range target; data sets and the reporting
notices."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from egov_contracts import indicators as c
from egov_contracts.envelope import VN_TZ, new_event
from egov_devkit.testing.fakes import RecordingTx
from egov_indicators.domain import LockRefused, Period, PeriodKind
from egov_indicators.domain.plan_periods import PlanPeriod
from egov_indicators.domain.reporting import DataSet
from egov_indicators.usecases.approval import ApprovePeriod, approve_period
from egov_indicators.usecases.catalogue import delete_rule, put_definition, put_rule
from egov_indicators.usecases.common import Context, Work, load_rulebook
from egov_indicators.usecases.imports import import_file
from egov_indicators.usecases.plans import SetPlanTarget, plan_period_report, set_plan_target
from egov_indicators.usecases.reporting import put_data_set, send_reporting_notices
from egov_indicators.usecases.submissions import Incoming, handle_submissions
from egov_indicators.usecases.targets import (
    SetTarget,
    TargetRefused,
    reevaluate_open_periods,
    set_target,
)
from egov_runtime.refusals import Invalid, NotFound

from .conftest import NOW

COMMUNE, OTHER, DISTRICT, PROVINCE = "38.01.01", "38.01.02", "38.01", "38"


def tx_of(w: Work) -> RecordingTx:
    assert isinstance(w.tx, RecordingTx)
    return w.tx


def incoming(
    sid: str,
    unit: str,
    period: str,
    values: dict[str, Any],
    *,
    replaces: str | None = None,
    reason: str | None = None,
    at: datetime = NOW,
) -> Incoming:
    data = c.SubmissionReceived(
        submission_id=sid,
        unit_code=unit,
        period=period,
        values=[
            c.ReportedValue(indicator_code=code.split("|")[0], value=Decimal(str(v)))
            if "|" not in code
            else c.ReportedValue(
                indicator_code=code.split("|")[0],
                value=Decimal(str(v)),
                disaggregation=dict([code.split("|")[1].split("=")]),
            )
            for code, v in values.items()
        ],
        submitted_by="bao-cao-xa",
        submitted_at=at,
        replaces=replaces,
    )
    cause = new_event(data, source="/vn/38/thong-ke", subject=sid)
    return Incoming(data, cause, "kafka", reason)


async def submit(w: Work, ctx: Context, *items: Incoming) -> list[Any]:
    return await handle_submissions(w, ctx, list(items))


# -- submissions ------------------------------------------------------------------------------


async def test_an_accepted_submission_is_recorded_rolled_up_and_published(fake_work, ctx):
    [r] = await submit(fake_work, ctx, incoming("S-1", COMMUNE, "2026-02", {"VL_GQVL": 120}))
    assert (r.outcome, r.imported, r.updated, r.violations) == ("accepted", 1, 0, [])
    tx = tx_of(fake_work)
    [accepted] = tx.published(c.SubmissionAccepted)
    assert (accepted.submission_id, accepted.period, accepted.value_count) == ("S-1", "2026-02", 1)
    recorded = {(v.unit_code, v.period, v.derived): v.value for v in tx.published(c.ValueRecorded)}
    # the commune's month, rolled up to the district and the province
    assert recorded == {
        (COMMUNE, "2026-02", False): 120,
        (DISTRICT, "2026-02", True): 120,
        (PROVINCE, "2026-02", True): 120,
    }
    assert {e.subject for e in tx.events if e.type == c.SubmissionAccepted.event_type} == {
        f"{COMMUNE}/2026-02"
    }
    state = await fake_work.periods.state(COMMUNE, Period.parse("2026-02"))
    assert state.submissions == ("S-1",)
    assert state.current_values() == {("VL_GQVL", ()): Decimal(120)}
    # serialised with the month and the periods it is part of
    assert {"2026-02", "2026-Q1", "2026-H1", "2026"} <= set(fake_work.periods.serialised)  # type: ignore[attr-defined]


async def test_a_quarters_months_all_in_derive_the_quarter_over_time_and_up(fake_work, ctx):
    await submit(
        fake_work,
        ctx,
        incoming("S-1", COMMUNE, "2026-01", {"VL_GQVL": 100}),
        incoming("S-2", COMMUNE, "2026-02", {"VL_GQVL": 120}),
        incoming("S-3", COMMUNE, "2026-03", {"VL_GQVL": 80}),
    )
    recorded = {
        (v.unit_code, v.period): v.value
        for v in tx_of(fake_work).published(c.ValueRecorded)
        if v.derived
    }
    assert recorded[(COMMUNE, "2026-Q1")] == 300
    assert recorded[(DISTRICT, "2026-Q1")] == 300
    totals = await fake_work.periods.totals([("VL_GQVL", PROVINCE)], Period.parse("2026-Q1"))
    assert totals == {("VL_GQVL", PROVINCE): 300}


async def test_a_second_value_for_the_month_updates_the_derived_values_with_a_new_revision(
    fake_work, ctx
):
    await submit(fake_work, ctx, incoming("S-1", COMMUNE, "2026-02", {"VL_GQVL": 120}))
    tx_of(fake_work).emitted.clear()
    [r] = await submit(
        fake_work,
        ctx,
        incoming("S-2", COMMUNE, "2026-02", {"VL_GQVL": 150}, replaces="S-1", reason="Sai số"),
    )
    assert (r.outcome, r.imported, r.updated) == ("accepted", 0, 1)
    derived = {
        (v.unit_code, v.period): (v.value, v.revision)
        for v in tx_of(fake_work).published(c.ValueRecorded)
        if v.derived
    }
    assert derived == {(DISTRICT, "2026-02"): (150, 2), (PROVINCE, "2026-02"): (150, 2)}
    [(unit, period, change, _)] = [
        x
        for x in fake_work.periods.changes  # type: ignore[attr-defined]
        if x[3] == "S-2"
    ]
    assert (unit, period, change.old, change.new, change.revision) == (
        COMMUNE,
        "2026-02",
        120,
        150,
        2,
    )


async def test_a_submission_breaking_a_rule_is_rejected_whole_and_recorded(fake_work, ctx):
    bad = incoming("S-9", COMMUNE, "2025", {"HO_TONG": 100, "HO_NGHEO": 150, "HO_CAN_NGHEO": 0})
    [r] = await submit(fake_work, ctx, bad)
    assert r.outcome == "rejected"
    assert "poor-within-households" in {v["rule"] for v in r.violations}
    tx = tx_of(fake_work)
    [rejected] = tx.published(c.SubmissionRejected)
    assert "poor-within-households" in {v.rule for v in rejected.violations}
    assert {v.indicator_name for v in rejected.violations if v.indicator_code} <= {
        "Tổng số hộ",
        "Số hộ nghèo",
    } or all(v.indicator_name for v in rejected.violations if v.indicator_code)
    assert tx.published(c.ValueRecorded) == []
    kept = await fake_work.submissions.get("S-9")
    assert kept is not None and kept.status == "rejected"
    assert [v.rule_id for v in kept.violations] == [v["rule"] for v in r.violations]
    state = await fake_work.periods.state(COMMUNE, Period.parse("2025"))
    assert state.values == {} and state.submissions == ()


async def test_the_same_submission_again_is_a_duplicate_and_other_content_a_conflict(
    fake_work, ctx
):
    first = incoming("S-1", COMMUNE, "2026-02", {"VL_GQVL": 120})
    await submit(fake_work, ctx, first)
    before = len(tx_of(fake_work).emitted)
    [again] = await submit(fake_work, ctx, first)
    [other] = await submit(fake_work, ctx, incoming("S-1", COMMUNE, "2026-02", {"VL_GQVL": 7}))
    assert (again.outcome, again.earlier_outcome) == ("duplicate", "accepted")
    assert (other.outcome, other.earlier_outcome) == ("conflict", "accepted")
    assert len(tx_of(fake_work).emitted) == before  # nothing new published


async def test_a_rejected_submission_repeated_says_why_it_was_rejected(fake_work, ctx):
    bad = incoming("S-9", COMMUNE, "2025", {"HO_TONG": 100, "HO_NGHEO": 150, "HO_CAN_NGHEO": 0})
    [first] = await submit(fake_work, ctx, bad)
    [again] = await submit(fake_work, ctx, bad)
    assert (again.outcome, again.earlier_outcome) == ("duplicate", "rejected")
    assert again.violations == first.violations


async def test_a_unit_unknown_or_not_existing_in_the_period_is_refused(fake_work, ctx):
    unknown, merged = await submit(
        fake_work,
        ctx,
        incoming("S-X", "38.99", "2026-02", {"VL_GQVL": 1}),
        incoming("S-Y", OTHER, "2026-02", {"VL_GQVL": 1}),  # merged on 2025-07-01
    )
    assert [v["rule"] for v in unknown.violations] == ["unknown-unit"]
    assert [v["rule"] for v in merged.violations] == ["unit-not-valid-in-period"]


async def test_a_unit_merged_later_reports_for_before_and_rolls_up_to_its_district(fake_work, ctx):
    [r] = await submit(fake_work, ctx, incoming("S-1", OTHER, "2025-03", {"VL_GQVL": 40}))
    assert r.outcome == "accepted"
    recorded = {
        (v.unit_code, v.period): v.value for v in tx_of(fake_work).published(c.ValueRecorded)
    }
    assert recorded[(DISTRICT, "2025-03")] == 40


# -- approval and corrections -----------------------------------------------------------------


async def test_the_level_above_locks_the_period_and_then_only_a_reasoned_correction_passes(
    fake_work, ctx
):
    await submit(fake_work, ctx, incoming("S-1", COMMUNE, "2026-02", {"VL_GQVL": 120}))
    command = ApprovePeriod(COMMUNE, "2026-02", "can-bo-huyen", DISTRICT, NOW)
    lock = await approve_period(fake_work, command)
    assert (lock.approved_by, lock.approver_unit, lock.locked_at) == ("can-bo-huyen", DISTRICT, NOW)
    state = await fake_work.periods.state(COMMUNE, Period.parse("2026-02"))
    assert state.lock == lock
    with pytest.raises(LockRefused) as again:
        await approve_period(fake_work, command)
    assert again.value.rule_id == "already-locked"

    [plain] = await submit(fake_work, ctx, incoming("S-2", COMMUNE, "2026-02", {"VL_GQVL": 130}))
    [fixed] = await submit(
        fake_work,
        ctx,
        incoming("S-3", COMMUNE, "2026-02", {"VL_GQVL": 130}, replaces="S-1", reason="Đính chính"),
    )
    assert plain.outcome == "rejected" and fixed.outcome == "accepted"


async def test_only_the_unit_directly_above_approves_and_only_what_was_reported(fake_work, ctx):
    with pytest.raises(LockRefused):  # nothing reported yet
        await approve_period(
            fake_work, ApprovePeriod(COMMUNE, "2026-02", "can-bo-huyen", DISTRICT, NOW)
        )
    await submit(fake_work, ctx, incoming("S-1", COMMUNE, "2026-02", {"VL_GQVL": 120}))
    with pytest.raises(LockRefused) as refused:
        await approve_period(
            fake_work, ApprovePeriod(COMMUNE, "2026-02", "can-bo-tinh", PROVINCE, NOW)
        )
    assert refused.value.rule_id == "not-level-above"
    assert fake_work.periods.locks == {}  # type: ignore[attr-defined]


# -- a spreadsheet import ---------------------------------------------------------------------


async def test_a_spreadsheet_becomes_one_submission_per_unit_and_period(fake_work, ctx):
    text = (
        "unit_code,period,indicator_code,value,disaggregation\n"
        f"{COMMUNE},2026-01,VL_GQVL,30,\n"
        f"{COMMUNE},2026-02,VL_GQVL,40,\n"
        f"{COMMUNE},2025,HO_TONG,100,\n"
        f"{COMMUNE},2025,HO_NGHEO,150,\n"
        f"{COMMUNE},2025,HO_CAN_NGHEO,0,\n"
    )
    cause = incoming("IMP-1", COMMUNE, "2026-01", {"VL_GQVL": 1}).cause  # the upload
    summary = await import_file(
        fake_work,
        ctx,
        text,
        import_id="IMP-1",
        submitted_by="huyen-upload",
        allowed_units=None,
        cause=cause,
    )
    assert (summary["status"], summary["imported"], summary["updated"]) == ("WARNING", 2, 0)
    assert {s["status"] for s in summary["submissions"]} == {"accepted", "rejected"}
    assert {x["rule"] for x in summary["conflicts"]} >= {"poor-within-households"}
    assert all(x["row"] >= 2 for x in summary["conflicts"])
    kept = {r.submission_id: r.channel for r in fake_work.submissions.records.values()}  # type: ignore[attr-defined]
    assert set(kept.values()) == {"csv"} and len(kept) == 3


# -- the catalogue ----------------------------------------------------------------------------


async def test_an_empty_store_is_filled_with_the_bundled_catalogue_once(fake_work):
    book = await load_rulebook(fake_work)
    assert "VL_GQVL" in book.catalogue and book.rules
    fake_work.rulebooks.definitions.pop("VL_XKLD")  # type: ignore[attr-defined]
    again = await load_rulebook(fake_work)  # not empty: nothing installed again
    assert "VL_XKLD" not in again.catalogue


async def test_a_definition_changes_only_if_the_catalogue_and_rules_still_hold(fake_work):
    book = await load_rulebook(fake_work)
    renamed = book.catalogue["VL_GQVL"].model_copy(update={"name_vi": "Việc làm mới"})
    after = await put_definition(fake_work, renamed, "admin")
    assert after.catalogue["VL_GQVL"].name_vi == "Việc làm mới"
    # a ratio whose numerator is unknown breaks the catalogue: nothing is kept
    broken = book.catalogue["TL_HO_NGHEO"].model_copy(update={"numerator": "KHONG_CO"})
    with pytest.raises(ValueError):
        await put_definition(fake_work, broken, "admin")
    kept = await load_rulebook(fake_work)
    assert kept.catalogue["TL_HO_NGHEO"].numerator == "HO_NGHEO"


async def test_a_rule_is_checked_against_the_catalogue_kept_and_deleted(fake_work):
    book = await load_rulebook(fake_work)
    rule = next(r for r in book.rules if r.id == "poor-within-households")
    loose = rule.model_copy(update={"id": "poor-loose", "tolerance": Decimal(5)})
    kept = await put_rule(fake_work, loose, "admin")
    assert kept.id == "poor-loose"
    assert "poor-loose" in {r.id for r in (await load_rulebook(fake_work)).rules}
    assert await delete_rule(fake_work, "poor-loose") is True
    assert await delete_rule(fake_work, "poor-loose") is False


# -- targets ----------------------------------------------------------------------------------


async def test_a_target_is_kept_and_evaluated_at_once_when_a_value_exists(fake_work, ctx):
    await submit(fake_work, ctx, incoming("S-1", COMMUNE, "2026-02", {"VL_GQVL": 120}))
    tx_of(fake_work).emitted.clear()
    command = SetTarget("VL_GQVL", DISTRICT, "2026-02", Decimal(100), "Nghị quyết", "ke-hoach")
    evaluation = await set_target(fake_work, ctx, command)
    assert evaluation is not None and evaluation["actual"] == "120"
    [evaluated] = tx_of(fake_work).published(c.TargetEvaluated)
    assert (evaluated.unit_code, evaluated.period, evaluated.target) == (DISTRICT, "2026-02", 100)
    assert evaluated.status == c.TargetStatus("achieved") and evaluated.period_closed
    [target] = await fake_work.targets.of([("VL_GQVL", DISTRICT)], Period.parse("2026-02"))
    assert (target.note, target.set_by) == ("Nghị quyết", "ke-hoach")
    # the same target again: the evaluation did not change, nothing published
    await set_target(fake_work, ctx, command)
    assert len(tx_of(fake_work).published(c.TargetEvaluated)) == 1


async def test_a_new_value_reevaluates_the_targets_it_moves(fake_work, ctx):
    command = SetTarget("VL_GQVL", DISTRICT, "2026-02", Decimal(1000), "", "ke-hoach")
    assert await set_target(fake_work, ctx, command) is None  # no value yet
    assert tx_of(fake_work).published(c.TargetEvaluated) == []
    await submit(fake_work, ctx, incoming("S-1", COMMUNE, "2026-02", {"VL_GQVL": 120}))
    [evaluated] = tx_of(fake_work).published(c.TargetEvaluated)
    assert (evaluated.unit_code, evaluated.actual) == (DISTRICT, 120)


async def test_a_target_the_catalogue_does_not_admit_is_refused(fake_work, ctx):
    with pytest.raises(TargetRefused):
        await set_target(
            fake_work, ctx, SetTarget("KHONG_CO", DISTRICT, "2026", Decimal(1), "", "x")
        )
    with pytest.raises(TargetRefused):  # reported per year, not per month
        await set_target(
            fake_work, ctx, SetTarget("HO_TONG", DISTRICT, "2026-02", Decimal(1), "", "x")
        )
    assert fake_work.targets.targets == {}  # type: ignore[attr-defined]


async def test_targets_are_reevaluated_as_days_pass_once_a_day(fake_work, ctx):
    await submit(fake_work, ctx, incoming("S-1", COMMUNE, "2025-12", {"VL_GQVL": 900}))
    evaluation = await set_target(
        fake_work,
        replace(ctx, clock=lambda: datetime(2025, 12, 20, 9, tzinfo=VN_TZ)),
        SetTarget("VL_GQVL", COMMUNE, "2025-12", Decimal(1000), "", "ke-hoach"),
    )
    assert evaluation is not None and evaluation["period_closed"] is False
    tx_of(fake_work).emitted.clear()
    # the year has ended: the target is now missed, published once
    day = date(2026, 1, 5)
    assert await reevaluate_open_periods(fake_work, ctx, day) == [f"VL_GQVL/{COMMUNE}/2025-12"]
    [evaluated] = tx_of(fake_work).published(c.TargetEvaluated)
    assert evaluated.period_closed and evaluated.status == c.TargetStatus("missed")
    assert await reevaluate_open_periods(fake_work, ctx, day + timedelta(days=1)) == []
    assert await fake_work.targets.open() == []


async def test_a_plan_period_range_target_is_kept_and_judged(fake_work, ctx):
    for year, households in [(2021, 120), (2022, 118), (2023, 110), (2024, 105), (2025, 100)]:
        survey = {"HO_TONG": households, "HO_NGHEO": 10, "HO_CAN_NGHEO": 10}
        await submit(fake_work, ctx, incoming(f"S-{year}", COMMUNE, f"{year}", survey))
    book = await load_rulebook(fake_work)
    period = PlanPeriod.parse("2021-2025")
    command = SetPlanTarget(
        "HO_TONG", COMMUNE, period, "period", Decimal(90), Decimal(110), "NQ", "ke-hoach"
    )
    await set_plan_target(fake_work, book, command)
    report = await plan_period_report(fake_work, book, "HO_TONG", COMMUNE, period, None)
    assert report["value"] == "100"  # a level: its value at the end of the period
    [target] = report["targets"]
    assert (target["basis"], target["within_range"], target["note"]) == ("period", True, "NQ")
    with pytest.raises(NotFound):
        await set_plan_target(fake_work, book, replace(command, indicator="KHONG_CO"))
    with pytest.raises(Invalid):  # a level has no average per year
        await set_plan_target(fake_work, book, replace(command, basis="yearly-average"))
    with pytest.raises(Invalid):  # low above high
        await set_plan_target(fake_work, book, replace(command, low=Decimal(120)))
    assert len(fake_work.targets.plan_targets) == 1  # type: ignore[attr-defined]


# -- data sets and reporting notices ----------------------------------------------------------

DATA_SET = DataSet(
    "BC_VL",
    "Báo cáo việc làm hằng tháng",
    PeriodKind.MONTH,
    ("VL_GQVL",),
    (DISTRICT, COMMUNE),
    due_day=10,
    due_months_after=1,
    remind_days_before=3,
    first_period=Period.parse("2026-02"),
)


async def test_a_data_set_needs_known_indicators_and_units(fake_work):
    assert await put_data_set(fake_work, DATA_SET, "admin") == DATA_SET
    assert await fake_work.reporting.data_sets("BC_VL") == [DATA_SET]
    with pytest.raises(ValueError, match="KHONG_CO"):
        await put_data_set(fake_work, replace(DATA_SET, indicators=("KHONG_CO",)), "admin")
    with pytest.raises(ValueError, match=r"38\.99"):
        await put_data_set(fake_work, replace(DATA_SET, units=("38.99",)), "admin")


async def test_reminders_and_overdue_notices_go_once_to_units_that_have_not_reported(
    fake_work, ctx
):
    await put_data_set(fake_work, DATA_SET, "admin")
    # the commune reported February; the district did not
    await submit(fake_work, ctx, incoming("S-1", COMMUNE, "2026-02", {"VL_GQVL": 120}))
    tx_of(fake_work).emitted.clear()
    now = datetime(2026, 3, 12, 9, tzinfo=VN_TZ)  # February was due on 10 March
    events = await send_reporting_notices(fake_work, ctx, now)
    overdue = tx_of(fake_work).published(c.ReportOverdue)
    assert [(o.unit_code, o.period, o.due_date) for o in overdue] == [
        (DISTRICT, "2026-02", date(2026, 3, 10))
    ]
    assert overdue[0].unit_name == "Huyện Một"
    assert len(events) == len(tx_of(fake_work).events)
    assert await send_reporting_notices(fake_work, ctx, now) == []  # sent once
