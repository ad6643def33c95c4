"""What the indicators service tests share: the service alone on the session's broker and a
database of its own (one per test module), and a reader of ``egov.indicators.results``; and
in-memory fakes of the repositories with a :class:`~egov_indicators.usecases.common.Work` of
them (``fake_work``), for use-case tests with no broker or database.

A module that needs the service set up otherwise (its own units, a clock it sets) declares its
own ``service`` fixture, which takes precedence over this one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from egov_contracts.envelope import VN_TZ
from egov_contracts.topics import INDICATOR_RESULTS
from egov_devkit.testing.fakes import FakeUnitTree, RecordingTx
from egov_devkit.testing.service import RunningService, TopicReader, running_alone
from egov_indicators.domain import (
    AdminUnit,
    Decision,
    DerivedValue,
    DisaggKey,
    Hierarchy,
    HistoricValue,
    IndicatorDefinition,
    Lock,
    Period,
    PeriodState,
    RecordedValue,
    Rule,
    Submission,
    UnitValue,
    ValueChange,
    catalogue_from_data,
    rules_from_data,
)
from egov_indicators.domain.records import (
    EvaluationSnapshot,
    KeptDerived,
    NoticeSent,
    PlanTarget,
    RuleBook,
    SubmissionRecord,
    Target,
)
from egov_indicators.domain.reporting import DataSet
from egov_indicators.main import SPEC
from egov_indicators.usecases.common import Context, Work


@pytest.fixture(scope="module")
async def service(kafka_bootstrap: str, postgres_admin_dsn: str) -> AsyncIterator[RunningService]:
    async with running_alone(kafka_bootstrap, postgres_admin_dsn, SPEC) as svc:
        yield svc


@pytest.fixture(scope="module")
async def reader(kafka_bootstrap: str) -> AsyncIterator[TopicReader]:
    r = TopicReader(kafka_bootstrap, [INDICATOR_RESULTS.name])
    await r.start()
    yield r
    await r.stop()


# -- in-memory fakes of the repositories (domain/repositories.py) ------------------------------
# The use-case tests (test_indicators_usecases.py) run against these, with no broker or
# database; test_indicators_repositories.py runs one test body against each fake and its
# PostgreSQL adapter, so the fakes behave as the adapters do.


@dataclass
class FakeRuleBooks:
    definitions: dict[str, IndicatorDefinition] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)

    async def load(self) -> RuleBook | None:
        if not self.definitions:
            return None
        # through the JSON, as the adapter reads what it stored
        catalogue = catalogue_from_data(
            {
                "indicators": [
                    self.definitions[k].model_dump(mode="json") for k in sorted(self.definitions)
                ]
            }
        )
        rules = [self.rules[k].model_dump(mode="json") for k in sorted(self.rules)]
        return RuleBook(catalogue, rules_from_data({"rules": rules}, catalogue))

    async def install(self, book: RuleBook) -> None:
        for d in book.catalogue.definitions.values():
            self.definitions.setdefault(d.code, d)
        for r in book.rules:
            self.rules.setdefault(r.id, r)

    async def put_definition(self, definition: IndicatorDefinition, by: str) -> None:
        self.definitions[definition.code] = definition

    async def put_rule(self, rule: Rule, by: str) -> None:
        self.rules[rule.id] = rule

    async def delete_rule(self, rule_id: str) -> bool:
        return self.rules.pop(rule_id, None) is not None


@dataclass
class FakeSubmissions:
    records: dict[str, SubmissionRecord] = field(default_factory=dict)  # in the order received

    async def get(self, submission_id: str) -> SubmissionRecord | None:
        return self.records.get(submission_id)

    async def add(self, record: SubmissionRecord) -> None:
        if record.submission_id in self.records:
            raise ValueError(f"submission {record.submission_id} is kept already")
        self.records[record.submission_id] = record


@dataclass
class FakePeriods:
    submissions: FakeSubmissions
    # (unit, period, indicator, disaggregation) → the value as recorded
    values: dict[tuple[str, str, str, DisaggKey], RecordedValue] = field(default_factory=dict)
    changes: list[tuple[str, str, ValueChange, str]] = field(default_factory=list)
    locks: dict[tuple[str, str], Lock] = field(default_factory=dict)
    # (period, unit, indicator, disaggregation) → the derived value as kept
    kept: dict[tuple[str, str, str, DisaggKey], KeptDerived] = field(default_factory=dict)
    serialised: list[str] = field(default_factory=list)

    async def serialise(self, periods: Iterable[str]) -> None:
        self.serialised.extend(sorted(set(periods)))

    async def state(self, unit: str, period: Period) -> PeriodState:
        label = str(period)
        values = {
            (code, dis): v
            for (u, p, code, dis), v in self.values.items()
            if (u, p) == (unit, label)
        }
        accepted = tuple(
            r.submission_id
            for r in self.submissions.records.values()
            if (r.unit_code, r.period, r.status) == (unit, label, "accepted")
        )
        return PeriodState(unit, period, values, accepted, lock=self.locks.get((unit, label)))

    async def history(self, unit: str, codes: Iterable[str]) -> list[HistoricValue]:
        wanted = set(codes)
        return [
            HistoricValue(code, Period.parse(p), v.value, dis)
            for (u, p, code, dis), v in self.values.items()
            if u == unit and code in wanted
        ]

    async def record(self, submission: Submission, decision: Decision) -> None:
        label = str(submission.period)
        for ch in decision.changes:
            rv = decision.state.values[(ch.indicator_code, ch.disaggregation)]
            self.values[(submission.unit_code, label, ch.indicator_code, ch.disaggregation)] = (
                RecordedValue(
                    ch.indicator_code,
                    ch.new,
                    submission.submission_id,
                    submission.submitted_by,
                    submission.submitted_at,
                    ch.disaggregation,
                    ch.revision,
                    tuple(rv.warnings),
                )
            )
            self.changes.append((submission.unit_code, label, ch, submission.submission_id))

    async def lock(self, unit: str, period: Period, lock: Lock) -> None:
        if (unit, str(period)) in self.locks:
            raise ValueError(f"{unit} {period} is locked already")
        self.locks[(unit, str(period))] = lock

    async def reported(self, periods: Sequence[Period]) -> list[UnitValue]:
        labels = {str(p) for p in periods}
        return [
            UnitValue(code, u, Period.parse(p), v.value, dis)
            for (u, p, code, dis), v in self.values.items()
            if p in labels
        ]

    async def derived(self, period: Period) -> list[KeptDerived]:
        return [k for (p, *_), k in self.kept.items() if p == str(period)]

    async def save_derived(
        self, period: Period, kept: Sequence[KeptDerived], gone: Sequence[DerivedValue]
    ) -> None:
        label = str(period)
        for k in kept:
            d = replace(k.value, period=period)
            self.kept[(label, d.unit_code, d.indicator_code, d.disaggregation)] = replace(
                k, value=d
            )
        for d in gone:
            self.kept.pop((label, d.unit_code, d.indicator_code, d.disaggregation), None)

    async def totals(
        self, pairs: Sequence[tuple[str, str]], period: Period
    ) -> dict[tuple[str, str], Decimal]:
        label, out = str(period), {}
        for code, unit in pairs:
            reported = self.values.get((unit, label, code, ()))
            derived = self.kept.get((label, unit, code, ()))
            if reported is not None:
                out[(code, unit)] = reported.value
            elif derived is not None:
                out[(code, unit)] = derived.value.value
        return out


@dataclass
class FakeTargets:
    targets: dict[tuple[str, str, str], Target] = field(default_factory=dict)
    evaluations: dict[tuple[str, str, str], tuple[EvaluationSnapshot, datetime]] = field(
        default_factory=dict
    )
    plan_targets: dict[tuple[str, str, str, str], PlanTarget] = field(default_factory=dict)

    async def put(self, target: Target) -> None:
        self.targets[(target.indicator_code, target.unit_code, str(target.period))] = target

    async def of(self, pairs: Sequence[tuple[str, str]], period: Period) -> list[Target]:
        found = (self.targets.get((code, unit, str(period))) for code, unit in pairs)
        return sorted((t for t in found if t), key=lambda t: (t.indicator_code, t.unit_code))

    async def open(self) -> list[tuple[Target, bool | None]]:
        out = []
        for key, t in self.targets.items():
            kept = self.evaluations.get(key)
            closed = None if kept is None else kept[0].get("period_closed")
            if not closed:
                out.append((t, closed))
        return sorted(out, key=lambda x: (str(x[0].period), x[0].indicator_code, x[0].unit_code))

    async def last_evaluation(
        self, indicator: str, unit: str, period: Period
    ) -> EvaluationSnapshot | None:
        kept = self.evaluations.get((indicator, unit, str(period)))
        return None if kept is None else dict(kept[0])

    async def save_evaluation(
        self,
        indicator: str,
        unit: str,
        period: Period,
        evaluation: EvaluationSnapshot,
        at: datetime,
    ) -> None:
        self.evaluations[(indicator, unit, str(period))] = (dict(evaluation), at)

    async def put_plan(self, target: PlanTarget) -> None:
        key = (target.indicator_code, target.unit_code, target.plan_period, target.basis)
        self.plan_targets[key] = target

    async def plans(self, indicator: str, unit: str, plan_period: str) -> list[PlanTarget]:
        return [
            t
            for (code, u, p, _), t in sorted(self.plan_targets.items())
            if (code, u, p) == (indicator, unit, plan_period)
        ]


@dataclass
class FakeReporting:
    submissions: FakeSubmissions
    sets: dict[str, DataSet] = field(default_factory=dict)
    notices: dict[tuple[str, str, str, str], NoticeSent] = field(default_factory=dict)

    async def data_sets(self, code: str | None = None) -> list[DataSet]:
        return [self.sets[k] for k in sorted(self.sets) if code in (None, k)]

    async def put_data_set(self, data_set: DataSet, by: str) -> None:
        self.sets[data_set.code] = replace(data_set, units=tuple(sorted(set(data_set.units))))

    async def first_reports(
        self, units: Sequence[str], periods: Sequence[str], indicators: Sequence[str]
    ) -> dict[tuple[str, str], datetime]:
        out: dict[tuple[str, str], datetime] = {}
        for r in self.submissions.records.values():
            d = r.received
            if (
                r.status == "accepted"
                and d.unit_code in units
                and d.period in periods
                and any(v.indicator_code in indicators for v in d.values)
            ):
                key = (d.unit_code, d.period)
                out[key] = min(out.get(key, d.submitted_at), d.submitted_at)
        return out

    async def notices_sent(
        self, data_set: str, periods: Sequence[str]
    ) -> set[tuple[str, str, str]]:
        return {
            (kind, unit, period)
            for (ds, unit, period, kind) in self.notices
            if ds == data_set and period in periods
        }

    async def add_notice(self, notice: NoticeSent) -> bool:
        key = (notice.data_set, notice.unit_code, notice.period, notice.kind)
        if key in self.notices:
            return False
        self.notices[key] = notice
        return True


# the province, a district of it and two communes, one merged into the other on 2025-07-01
UNITS = Hierarchy(
    [
        AdminUnit("38", None, "Tỉnh Thanh Hóa", "province"),
        AdminUnit("38.01", "38", "Huyện Một", "district"),
        AdminUnit("38.01.01", "38.01", "Xã Một", "commune"),
        AdminUnit(
            "38.01.02",
            "38.01",
            "Xã Hai",
            "commune",
            valid_to=date(2025, 6, 30),
            successor_code="38.01.01",
        ),
    ]
)

# the clock of the use-case tests: a working morning in Vietnam
NOW = datetime(2026, 3, 16, 9, 0, tzinfo=VN_TZ)


@pytest.fixture
def fake_work() -> Work:
    """A Work of fakes: the transaction records what is emitted (``work.tx``)."""
    submissions = FakeSubmissions()
    return Work(
        RecordingTx(service="indicators", source="/vn/38/indicators"),
        FakeRuleBooks(),
        submissions,
        FakePeriods(submissions),
        FakeTargets(),
        FakeReporting(submissions),
        FakeUnitTree(UNITS),
    )


@pytest.fixture
def ctx() -> Context:
    return Context(source="/vn/38/indicators", clock=lambda: NOW)
