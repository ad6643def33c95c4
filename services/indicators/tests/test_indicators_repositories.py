"""One test body per repository of indicators, run against its in-memory fake (fast) and its
PostgreSQL adapter (integration), as the ``eventsourcing`` library tests its recorders: the fakes
the use-case tests rely on behave as the adapters do."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from egov_contracts import indicators as c
from egov_contracts.envelope import VN_TZ
from egov_devkit.testing.fixtures import service_database_of
from egov_indicators.adapters.repositories import (
    PgPeriods,
    PgReporting,
    PgRuleBooks,
    PgSubmissions,
    PgTargets,
)
from egov_indicators.domain import (
    DerivedValue,
    HistoricValue,
    Lock,
    Period,
    PeriodKind,
    ReportedValue,
    Severity,
    Submission,
    UnitValue,
    Violation,
    decide_submission,
)
from egov_indicators.domain.records import (
    KeptDerived,
    NoticeSent,
    PlanTarget,
    SubmissionRecord,
    Target,
)
from egov_indicators.domain.reporting import DataSet
from egov_indicators.main import SPEC
from egov_indicators.usecases.common import bundled_rulebook

from .conftest import FakePeriods, FakeReporting, FakeRuleBooks, FakeSubmissions, FakeTargets

# the PostgreSQL side: a database migrated with the service's migrations, `conn` a rolled-back
# transaction in it (egov_devkit.testing.fixtures)
service_database = service_database_of(SPEC)

AT = datetime(2026, 3, 16, 9, 0, tzinfo=VN_TZ)
FEB, Q1 = Period.parse("2026-02"), Period.parse("2026-Q1")


def record(
    sid: str,
    unit: str = "38.01.01",
    period: str = "2026-02",
    values: dict[str, str] | None = None,
    *,
    status: str = "accepted",
    at: datetime = AT,
    **kw: Any,
) -> SubmissionRecord:
    received = c.SubmissionReceived(
        submission_id=sid,
        unit_code=unit,
        period=period,
        values=[
            c.ReportedValue(indicator_code=k, value=Decimal(v))
            for k, v in (values or {"VL_GQVL": "120"}).items()
        ],
        submitted_by="bao-cao-xa",
        submitted_at=at,
    )
    return SubmissionRecord(received, status, "kafka", f"hash-{sid}", f"event-{sid}", **kw)


# -- the rule book ----------------------------------------------------------------------------


class RuleBooksContract:
    async def test_the_bundled_book_is_installed_once_and_edits_are_kept(self, rulebooks):
        assert await rulebooks.load() is None
        bundled = bundled_rulebook()
        await rulebooks.install(bundled)
        book = await rulebooks.load()
        assert book is not None
        assert book.catalogue.definitions == bundled.catalogue.definitions
        assert sorted(r.id for r in book.rules) == sorted(r.id for r in bundled.rules)
        renamed = book.catalogue["VL_GQVL"].model_copy(update={"name_vi": "Việc làm (sửa)"})
        await rulebooks.put_definition(renamed, "admin")
        await rulebooks.install(bundled)  # an edit is not undone
        again = await rulebooks.load()
        assert again.catalogue["VL_GQVL"].name_vi == "Việc làm (sửa)"

    async def test_a_rule_is_kept_replaced_and_deleted(self, rulebooks):
        await rulebooks.install(bundled_rulebook())
        book = await rulebooks.load()
        rule = next(r for r in book.rules if r.id == "poor-within-households")
        looser = rule.model_copy(update={"tolerance": Decimal(3)})
        await rulebooks.put_rule(looser, "admin")
        kept = {r.id: r for r in (await rulebooks.load()).rules}
        assert kept["poor-within-households"] == looser
        assert await rulebooks.delete_rule("poor-within-households") is True
        assert await rulebooks.delete_rule("poor-within-households") is False
        assert "poor-within-households" not in {r.id for r in (await rulebooks.load()).rules}


class TestFakeRuleBooks(RuleBooksContract):
    @pytest.fixture
    def rulebooks(self):
        return FakeRuleBooks()


@pytest.mark.integration
class TestPgRuleBooks(RuleBooksContract):
    @pytest.fixture
    def rulebooks(self, conn):
        return PgRuleBooks(conn)


# -- submissions ------------------------------------------------------------------------------


class SubmissionsContract:
    async def test_a_submission_is_kept_with_what_it_was_told(self, submissions):
        assert await submissions.get("S-1") is None
        told = Violation(
            "poor-within-households",
            "Số hộ nghèo không được lớn hơn tổng số hộ",
            "Poor households cannot exceed total households",
            indicator_code="HO_NGHEO",
            value=Decimal("150.5"),
            disaggregation=(("area", "rural"),),
        )
        warned = Violation("jump-over-50-percent", "Tăng", "Jump", severity=Severity.WARNING)
        rejected = record(
            "S-1", period="2025", status="rejected", violations=(told,), warnings=(warned,)
        )
        await submissions.add(rejected)
        accepted = record("S-2", reason="Đính chính")
        await submissions.add(accepted)
        assert await submissions.get("S-1") == rejected
        assert await submissions.get("S-2") == accepted


class TestFakeSubmissions(SubmissionsContract):
    @pytest.fixture
    def submissions(self):
        return FakeSubmissions()


@pytest.mark.integration
class TestPgSubmissions(SubmissionsContract):
    @pytest.fixture
    def submissions(self, conn):
        return PgSubmissions(conn)


# -- periods ----------------------------------------------------------------------------------


@dataclass
class Store:
    """A repository (``repo``) that reads the submissions kept by ``submissions``."""

    submissions: Any
    repo: Any


def submission(sid: str, values: dict[str, str], **kw: Any) -> Submission:
    return Submission(
        sid,
        "38.01.01",
        FEB,
        tuple(ReportedValue.of(k, Decimal(v), None) for k, v in values.items()),
        "bao-cao-xa",
        AT,
        **kw,
    )


class PeriodsContract:
    async def accept(self, store: Store, sub: Submission) -> None:
        state = await store.repo.state(sub.unit_code, sub.period)
        decision = decide_submission(state, sub)
        assert decision.accepted
        await store.submissions.add(record(sub.submission_id))
        await store.repo.record(sub, decision)

    async def test_a_period_keeps_its_values_submissions_history_and_lock(self, store):
        await store.repo.serialise(["2026-02", "2026"])
        empty = await store.repo.state("38.01.01", FEB)
        assert (empty.values, empty.submissions, empty.lock) == ({}, (), None)
        await self.accept(store, submission("S-1", {"VL_GQVL": "120", "NCC_DUOC_HO_TRO": "4"}))
        await self.accept(
            store, submission("S-2", {"VL_GQVL": "150"}, replaces="S-1", reason="Sai số")
        )
        state = await store.repo.state("38.01.01", FEB)
        assert state.submissions == ("S-1", "S-2")
        assert state.current_values() == {
            ("VL_GQVL", ()): Decimal(150),
            ("NCC_DUOC_HO_TRO", ()): Decimal(4),
        }
        v = state.values[("VL_GQVL", ())]
        assert (v.submission_id, v.revision, v.recorded_by, v.recorded_at) == (
            "S-2",
            2,
            "bao-cao-xa",
            AT,
        )
        lock = Lock("can-bo-huyen", "38.01", AT)
        await store.repo.lock("38.01.01", FEB, lock)
        assert (await store.repo.state("38.01.01", FEB)).lock == lock
        assert sorted(await store.repo.history("38.01.01", ["VL_GQVL"]), key=str) == [
            HistoricValue("VL_GQVL", FEB, Decimal(150))
        ]
        reported = await store.repo.reported([FEB, Q1])
        assert sorted(reported, key=lambda u: u.indicator_code) == [
            UnitValue("NCC_DUOC_HO_TRO", "38.01.01", FEB, Decimal(4)),
            UnitValue("VL_GQVL", "38.01.01", FEB, Decimal(150)),
        ]
        assert await store.repo.reported([Q1]) == []

    async def test_derived_values_are_kept_replaced_and_forgotten_and_totals_prefer_reported(
        self, store
    ):
        district = DerivedValue("VL_GQVL", "38.01", FEB, Decimal(120), (), ("38.01.01",))
        rural = DerivedValue(
            "VL_GQVL", "38.01", FEB, Decimal(70), (("area", "rural"),), ("38.01.01",)
        )
        await store.repo.save_derived(FEB, [KeptDerived(district), KeptDerived(rural)], [])
        assert sorted(await store.repo.derived(FEB), key=lambda k: k.value.disaggregation) == [
            KeptDerived(district),
            KeptDerived(rural),
        ]
        moved = replace(district, value=Decimal(150))
        await store.repo.save_derived(FEB, [KeptDerived(moved, 2)], [rural])
        assert await store.repo.derived(FEB) == [KeptDerived(moved, 2)]
        assert await store.repo.derived(Q1) == []
        await self.accept(store, submission("S-1", {"VL_GQVL": "99"}))
        pairs = [("VL_GQVL", "38.01"), ("VL_GQVL", "38.01.01"), ("VL_GQVL", "38")]
        assert await store.repo.totals(pairs, FEB) == {
            ("VL_GQVL", "38.01"): Decimal(150),
            ("VL_GQVL", "38.01.01"): Decimal(99),
        }
        assert await store.repo.totals([], FEB) == {}


class TestFakePeriods(PeriodsContract):
    @pytest.fixture
    def store(self):
        submissions = FakeSubmissions()
        return Store(submissions, FakePeriods(submissions))


@pytest.mark.integration
class TestPgPeriods(PeriodsContract):
    @pytest.fixture
    def store(self, conn):
        return Store(PgSubmissions(conn), PgPeriods(conn))


# -- targets ----------------------------------------------------------------------------------


class TargetsContract:
    async def test_targets_are_kept_replaced_and_open_until_a_closed_evaluation(self, targets):
        a = Target("VL_GQVL", "38.01", FEB, Decimal(100), "NQ 12", "ke-hoach")
        b = Target("HO_TONG", "38.01", Period.parse("2025"), Decimal(90), "", "ke-hoach")
        await targets.put(a)
        await targets.put(b)
        changed = replace(a, target=Decimal(110), note="NQ 13")
        await targets.put(changed)
        assert await targets.of([("VL_GQVL", "38.01"), ("VL_GQVL", "38")], FEB) == [changed]
        assert await targets.of([], FEB) == []
        assert await targets.open() == [(b, None), (changed, None)]
        assert await targets.last_evaluation("VL_GQVL", "38.01", FEB) is None
        await targets.save_evaluation("VL_GQVL", "38.01", FEB, {"period_closed": False}, AT)
        await targets.save_evaluation(
            "HO_TONG", "38.01", b.period, {"period_closed": True, "status": "achieved"}, AT
        )
        assert await targets.open() == [(changed, False)]
        assert await targets.last_evaluation("HO_TONG", "38.01", b.period) == {
            "period_closed": True,
            "status": "achieved",
        }

    async def test_a_plan_periods_range_targets_are_kept_by_basis(self, targets):
        level = PlanTarget("HO_TONG", "38.01", "2021-2025", "period", Decimal(90), Decimal(110))
        average = PlanTarget(
            "VL_GQVL", "38.01", "2021-2025", "yearly-average", Decimal(9), Decimal(11), "NQ", "kh"
        )
        total = replace(average, basis="period", target_low=Decimal(45), target_high=Decimal(55))
        for t in (level, average, total):
            await targets.put_plan(t)
        changed = replace(average, target_high=Decimal(12))
        await targets.put_plan(changed)
        assert await targets.plans("VL_GQVL", "38.01", "2021-2025") == [total, changed]
        assert await targets.plans("VL_GQVL", "38.01", "2016-2020") == []


class TestFakeTargets(TargetsContract):
    @pytest.fixture
    def targets(self):
        return FakeTargets()


@pytest.mark.integration
class TestPgTargets(TargetsContract):
    @pytest.fixture
    def targets(self, conn):
        return PgTargets(conn)


# -- reporting --------------------------------------------------------------------------------

MONTHLY = DataSet(
    "BC_VL",
    "Báo cáo việc làm",
    PeriodKind.MONTH,
    ("VL_GQVL",),
    ("38.01.02", "38.01.01", "38.01.01"),
    first_period=FEB,
)


class ReportingContract:
    async def test_data_sets_are_kept_with_their_units_once_each(self, store):
        reporting = store.repo
        await reporting.put_data_set(MONTHLY, "admin")
        other = replace(MONTHLY, code="BC_HO", period_kind=PeriodKind.YEAR, first_period=None)
        await reporting.put_data_set(other, "admin")
        kept = replace(MONTHLY, units=("38.01.01", "38.01.02"))
        assert await reporting.data_sets("BC_VL") == [kept]
        assert [d.code for d in await reporting.data_sets()] == ["BC_HO", "BC_VL"]
        await reporting.put_data_set(replace(MONTHLY, units=("38.01.02",)), "admin")
        assert (await reporting.data_sets("BC_VL"))[0].units == ("38.01.02",)

    async def test_first_reports_count_accepted_submissions_of_the_indicators(self, store):
        early = AT - timedelta(days=3)
        await store.submissions.add(record("S-1", at=AT))
        await store.submissions.add(record("S-2", at=early))
        await store.submissions.add(record("S-3", "38.01.02", at=early, status="rejected"))
        await store.submissions.add(record("S-4", "38.01.02", values={"NCC_DUOC_HO_TRO": "1"}))
        first = await store.repo.first_reports(
            ["38.01.01", "38.01.02"], ["2026-02", "2026-03"], ["VL_GQVL"]
        )
        assert first == {("38.01.01", "2026-02"): early}

    async def test_a_notice_is_kept_once(self, store):
        reporting = store.repo
        notice = NoticeSent("BC_VL", "38.01.01", "2026-02", "overdue", date(2026, 3, 10), AT, "e-1")
        assert await reporting.add_notice(notice) is True
        assert await reporting.add_notice(replace(notice, event_id="e-2")) is False
        assert await reporting.add_notice(replace(notice, kind="due-soon")) is True
        assert await reporting.notices_sent("BC_VL", ["2026-02"]) == {
            ("overdue", "38.01.01", "2026-02"),
            ("due-soon", "38.01.01", "2026-02"),
        }
        assert await reporting.notices_sent("BC_VL", ["2026-03"]) == set()


class TestFakeReporting(ReportingContract):
    @pytest.fixture
    def store(self):
        submissions = FakeSubmissions()
        return Store(submissions, FakeReporting(submissions))


@pytest.mark.integration
class TestPgReporting(ReportingContract):
    @pytest.fixture
    def store(self, conn):
        return Store(PgSubmissions(conn), PgReporting(conn))
