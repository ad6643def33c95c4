"""What the write use cases of indicators need from storage, in domain terms (cosmicpython's
repositories).

The PostgreSQL adapters (``egov_indicators.adapters.repositories``) implement these; the
use-case tests use in-memory fakes of them (``tests/conftest.py``), and one test body per
repository runs against both (``tests/test_indicators_repositories.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from egov_units import Hierarchy

from egov_indicators.domain.definitions import IndicatorDefinition
from egov_indicators.domain.hierarchy import DerivedValue
from egov_indicators.domain.periods import Period
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
from egov_indicators.domain.submissions import Decision, Lock, PeriodState
from egov_indicators.domain.validation import Rule
from egov_indicators.domain.values import HistoricValue, Submission, UnitValue

# (indicator, unit)
Pair = tuple[str, str]


class RuleBooks(Protocol):
    async def load(self) -> RuleBook | None:
        """The definitions and rules in force (None while there is no definition at all)."""
        ...

    async def install(self, book: RuleBook) -> None:
        """Add the definitions and rules not there yet (edits already made are kept)."""
        ...

    async def put_definition(self, definition: IndicatorDefinition, by: str) -> None: ...

    async def put_rule(self, rule: Rule, by: str) -> None: ...

    async def delete_rule(self, rule_id: str) -> bool:
        """False: there was no such rule."""
        ...


class Submissions(Protocol):
    async def get(self, submission_id: str) -> SubmissionRecord | None: ...

    async def add(self, record: SubmissionRecord) -> None:
        """Keep a submission once decided (an id is kept once)."""
        ...


class Periods(Protocol):
    """The values of units' periods: reported (with their history and the period's lock) and
    derived."""

    async def serialise(self, periods: Iterable[str]) -> None:
        """Work on these periods (their values and roll-up) waits for any other transaction
        working on them, until this one ends."""
        ...

    async def state(self, unit: str, period: Period) -> PeriodState:
        """What the unit has reported for the period: its values, accepted submissions and
        lock."""
        ...

    async def history(self, unit: str, codes: Iterable[str]) -> list[HistoricValue]:
        """Every reported value of the unit for these indicators, in every (valid) period."""
        ...

    async def record(self, submission: Submission, decision: Decision) -> None:
        """Keep the values an accepted submission changed (``decision.changes``, as
        ``decision.state`` has them) and their history."""
        ...

    async def lock(self, unit: str, period: Period, lock: Lock) -> None: ...

    async def reported(self, periods: Sequence[Period]) -> list[UnitValue]:
        """The reported values of every unit for these periods."""
        ...

    async def derived(self, period: Period) -> list[KeptDerived]: ...

    async def save_derived(
        self, period: Period, kept: Sequence[KeptDerived], gone: Sequence[DerivedValue]
    ) -> None:
        """Keep (add or replace) ``kept`` and forget ``gone`` (by unit, indicator and
        disaggregation)."""
        ...

    async def totals(self, pairs: Sequence[Pair], period: Period) -> dict[Pair, Decimal]:
        """The total (undisaggregated) value of each (indicator, unit) in the period: the
        unit's reported value, else its derived one (absent: neither)."""
        ...


class Targets(Protocol):
    async def put(self, target: Target) -> None:
        """Add or replace the target of an indicator, unit and period."""
        ...

    async def of(self, pairs: Sequence[Pair], period: Period) -> list[Target]:
        """The targets of these (indicator, unit) in the period."""
        ...

    async def open(self) -> list[tuple[Target, bool | None]]:
        """Every target whose last evaluation did not see its period closed, with whether it
        did (None: never evaluated): the candidates for re-evaluation as days pass."""
        ...

    async def last_evaluation(
        self, indicator: str, unit: str, period: Period
    ) -> EvaluationSnapshot | None: ...

    async def save_evaluation(
        self,
        indicator: str,
        unit: str,
        period: Period,
        evaluation: EvaluationSnapshot,
        at: datetime,
    ) -> None: ...

    async def put_plan(self, target: PlanTarget) -> None:
        """Add or replace the range target of an indicator, unit, plan period and basis."""
        ...

    async def plans(self, indicator: str, unit: str, plan_period: str) -> list[PlanTarget]:
        """The range targets of a plan period, by basis."""
        ...


class Reporting(Protocol):
    """The data sets units are expected to report, and the notices sent about them."""

    async def data_sets(self, code: str | None = None) -> list[DataSet]: ...

    async def put_data_set(self, data_set: DataSet, by: str) -> None: ...

    async def first_reports(
        self, units: Sequence[str], periods: Sequence[str], indicators: Sequence[str]
    ) -> dict[tuple[str, str], datetime]:
        """When each unit first sent, for each period, an accepted submission carrying one of
        the indicators (``submitted_at``), by (unit, period)."""
        ...

    async def notices_sent(
        self, data_set: str, periods: Sequence[str]
    ) -> set[tuple[str, str, str]]:
        """(kind, unit, period) of the notices already sent."""
        ...

    async def add_notice(self, notice: NoticeSent) -> bool:
        """Keep a notice; False when one of its kind was sent before for the unit and period
        (so it is not sent twice)."""
        ...


class UnitTree(Protocol):
    async def hierarchy(self) -> Hierarchy:
        """The admin-unit hierarchy (with validity dates and successors) as the reference data
        has it now."""
        ...
