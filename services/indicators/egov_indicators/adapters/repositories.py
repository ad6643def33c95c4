"""The repositories of indicators on PostgreSQL (:mod:`egov_indicators.domain.repositories`):
domain objects in and out, the statements in :mod:`egov_indicators.adapters.store`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import asyncpg
from egov_contracts import indicators as c
from egov_runtime import units
from egov_units import Hierarchy

from egov_indicators.adapters import store
from egov_indicators.domain import (
    DerivedValue,
    HistoricValue,
    IndicatorDefinition,
    Lock,
    Period,
    PeriodError,
    PeriodState,
    RecordedValue,
    Rule,
    Submission,
    UnitValue,
    catalogue_from_data,
    format_disagg,
    parse_disagg,
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
    violation_json,
    violation_of,
)
from egov_indicators.domain.reporting import DataSet, data_set_json, data_set_of
from egov_indicators.domain.submissions import Decision

Pair = tuple[str, str]


@dataclass
class PgRuleBooks:
    conn: asyncpg.Connection

    async def load(self) -> RuleBook | None:
        defs = await store.definitions(self.conn)
        if not defs:
            return None
        catalogue = catalogue_from_data({"indicators": [r["definition"] for r in defs]})
        rows = await store.rules(self.conn)
        return RuleBook(catalogue, rules_from_data({"rules": [r["rule"] for r in rows]}, catalogue))

    async def install(self, book: RuleBook) -> None:
        await store.install_catalogue(
            self.conn,
            [d.model_dump(mode="json") for d in book.catalogue.definitions.values()],
            [r.model_dump(mode="json") for r in book.rules],
        )

    async def put_definition(self, definition: IndicatorDefinition, by: str) -> None:
        await store.put_definition(
            self.conn, definition.code, definition.model_dump(mode="json"), by
        )

    async def put_rule(self, rule: Rule, by: str) -> None:
        await store.put_rule(self.conn, rule.id, rule.model_dump(mode="json"), by)

    async def delete_rule(self, rule_id: str) -> bool:
        return await store.delete_rule(self.conn, rule_id)


@dataclass
class PgSubmissions:
    conn: asyncpg.Connection

    async def get(self, submission_id: str) -> SubmissionRecord | None:
        row = await store.get_submission(self.conn, submission_id)
        if row is None:
            return None
        return SubmissionRecord(
            received=c.SubmissionReceived.model_validate(row["payload"]),
            status=row["status"],
            channel=row["channel"],
            payload_hash=row["payload_hash"],
            event_id=row["event_id"] or "",
            reason=row["reason"],
            violations=tuple(violation_of(v) for v in row["violations"]),
            warnings=tuple(violation_of(v) for v in row["warnings"]),
        )

    async def add(self, record: SubmissionRecord) -> None:
        d = record.received
        await store.insert_submission(
            self.conn,
            {
                "submission_id": d.submission_id,
                "unit_code": d.unit_code,
                "period": d.period,
                "submitted_by": d.submitted_by,
                "submitted_at": d.submitted_at,
                "replaces": d.replaces,
                "reason": record.reason,
                "channel": record.channel,
                "payload_hash": record.payload_hash,
                "payload": d.model_dump(mode="json"),
                "warnings": [violation_json(v) for v in record.warnings],
                "event_id": record.event_id,
                "status": record.status,
                "violations": [violation_json(v) for v in record.violations],
            },
        )


def _periods(rows: Iterable[store.Row]) -> Iterable[tuple[Period, store.Row]]:
    """The rows with their period parsed (a row whose period is not one is left out)."""
    for r in rows:
        try:
            yield Period.parse(r["period"]), r
        except PeriodError:
            continue


@dataclass
class PgPeriods:
    conn: asyncpg.Connection

    async def serialise(self, periods: Iterable[str]) -> None:
        await store.lock_periods(self.conn, periods)

    async def state(self, unit: str, period: Period) -> PeriodState:
        values = {}
        for r in await store.cell_values(self.conn, unit, str(period)):
            rv = RecordedValue(
                indicator_code=r["indicator_code"],
                value=r["value"],
                submission_id=r["submission_id"],
                recorded_by=r["recorded_by"],
                recorded_at=r["recorded_at"],
                disaggregation=parse_disagg(r["disaggregation"]),
                revision=r["revision"],
                warnings=tuple(r["warnings"]),
            )
            values[rv.key] = rv
        lock = await store.get_lock(self.conn, unit, str(period))
        return PeriodState(
            unit_code=unit,
            period=period,
            values=values,
            submissions=tuple(await store.accepted_submissions(self.conn, unit, str(period))),
            lock=Lock(lock["approved_by"], lock["approver_unit"], lock["locked_at"])
            if lock
            else None,
        )

    async def history(self, unit: str, codes: Iterable[str]) -> list[HistoricValue]:
        rows = await store.unit_history(self.conn, unit, sorted(set(codes)))
        return [
            HistoricValue(r["indicator_code"], p, r["value"], parse_disagg(r["disaggregation"]))
            for p, r in _periods(rows)
        ]

    async def record(self, submission: Submission, decision: Decision) -> None:
        period = str(submission.period)
        values, history = [], []
        for ch in decision.changes:
            rv = decision.state.values[(ch.indicator_code, ch.disaggregation)]
            cell = {
                "unit_code": submission.unit_code,
                "period": period,
                "indicator_code": ch.indicator_code,
                "disaggregation": format_disagg(ch.disaggregation),
            }
            values.append(
                {
                    **cell,
                    "value": ch.new,
                    "submission_id": submission.submission_id,
                    "recorded_by": submission.submitted_by,
                    "recorded_at": submission.submitted_at,
                    "revision": ch.revision,
                    "warnings": list(rv.warnings),
                }
            )
            history.append(
                {
                    **cell,
                    "old_value": ch.old,
                    "new_value": ch.new,
                    "revision": ch.revision,
                    "submission_id": submission.submission_id,
                    "replaces": submission.replaces,
                    "reason": submission.reason,
                    "changed_by": submission.submitted_by,
                    "changed_at": submission.submitted_at,
                }
            )
        await store.upsert_values(self.conn, values)
        await store.insert_history(self.conn, history)

    async def lock(self, unit: str, period: Period, lock: Lock) -> None:
        await store.insert_lock(
            self.conn, unit, str(period), lock.approved_by, lock.approver_unit, lock.locked_at
        )

    async def reported(self, periods: Sequence[Period]) -> list[UnitValue]:
        rows = await store.values_of_periods(self.conn, [str(p) for p in periods])
        return [
            UnitValue(
                r["indicator_code"],
                r["unit_code"],
                p,
                r["value"],
                parse_disagg(r["disaggregation"]),
            )
            for p, r in _periods(rows)
        ]

    async def derived(self, period: Period) -> list[KeptDerived]:
        return [
            KeptDerived(
                DerivedValue(
                    r["indicator_code"],
                    r["unit_code"],
                    period,
                    r["value"],
                    parse_disagg(r["disaggregation"]),
                    tuple(r["sources"]),
                    r["numerator"],
                    r["denominator"],
                ),
                r["revision"],
            )
            for r in await store.derived_of_period(self.conn, str(period))
        ]

    async def save_derived(
        self, period: Period, kept: Sequence[KeptDerived], gone: Sequence[DerivedValue]
    ) -> None:
        label = str(period)
        await store.upsert_derived(
            self.conn,
            [
                {
                    "unit_code": k.value.unit_code,
                    "period": label,
                    "indicator_code": k.value.indicator_code,
                    "disaggregation": format_disagg(k.value.disaggregation),
                    "value": k.value.value,
                    "numerator": k.value.numerator,
                    "denominator": k.value.denominator,
                    "sources": list(k.value.sources),
                    "revision": k.revision,
                }
                for k in kept
            ],
        )
        await store.delete_derived(
            self.conn,
            label,
            [
                {
                    "unit_code": d.unit_code,
                    "indicator_code": d.indicator_code,
                    "disaggregation": format_disagg(d.disaggregation),
                }
                for d in gone
            ],
        )

    async def totals(self, pairs: Sequence[Pair], period: Period) -> dict[Pair, Decimal]:
        return await store.totals_of(self.conn, pairs, str(period))


def _target(r: store.Row) -> Target:
    return Target(
        r["indicator_code"],
        r["unit_code"],
        Period.parse(r["period"]),
        r["target"],
        r.get("note") or "",
        r.get("set_by") or "",
    )


def _plan_target(r: store.Row) -> PlanTarget:
    return PlanTarget(
        r["indicator_code"],
        r["unit_code"],
        r["plan_period"],
        r["basis"],
        r["target_low"],
        r["target_high"],
        r["note"] or "",
        r["set_by"] or "",
    )


@dataclass
class PgTargets:
    conn: asyncpg.Connection

    async def put(self, target: Target) -> None:
        await store.put_target(
            self.conn,
            target.indicator_code,
            target.unit_code,
            str(target.period),
            target.target,
            target.note,
            target.set_by,
        )

    async def of(self, pairs: Sequence[Pair], period: Period) -> list[Target]:
        return [_target(r) for r in await store.targets_for(self.conn, pairs, str(period))]

    async def open(self) -> list[tuple[Target, bool | None]]:
        rows = await store.targets_not_closed(self.conn)
        return [(_target(r), r["last_closed"]) for _, r in _periods(rows)]

    async def last_evaluation(
        self, indicator: str, unit: str, period: Period
    ) -> EvaluationSnapshot | None:
        return await store.get_evaluation(self.conn, indicator, unit, str(period))

    async def save_evaluation(
        self,
        indicator: str,
        unit: str,
        period: Period,
        evaluation: EvaluationSnapshot,
        at: datetime,
    ) -> None:
        await store.put_evaluation(self.conn, indicator, unit, str(period), dict(evaluation), at)

    async def put_plan(self, target: PlanTarget) -> None:
        await store.put_plan_target(
            self.conn,
            {
                "indicator_code": target.indicator_code,
                "unit_code": target.unit_code,
                "plan_period": target.plan_period,
                "basis": target.basis,
                "target_low": target.target_low,
                "target_high": target.target_high,
                "note": target.note,
                "set_by": target.set_by,
            },
        )

    async def plans(self, indicator: str, unit: str, plan_period: str) -> list[PlanTarget]:
        rows = await store.plan_targets(self.conn, indicator, unit, plan_period)
        return [_plan_target(r) for r in rows]


@dataclass
class PgReporting:
    conn: asyncpg.Connection

    async def data_sets(self, code: str | None = None) -> list[DataSet]:
        return [data_set_of(r) for r in await store.data_sets(self.conn, code)]

    async def put_data_set(self, data_set: DataSet, by: str) -> None:
        await store.put_data_set(self.conn, data_set_json(data_set), data_set.units, by)

    async def first_reports(
        self, units: Sequence[str], periods: Sequence[str], indicators: Sequence[str]
    ) -> dict[tuple[str, str], datetime]:
        rows = await store.first_reports(self.conn, units, periods, indicators)
        return {(r["unit_code"], r["period"]): r["submitted_at"] for r in rows}

    async def notices_sent(
        self, data_set: str, periods: Sequence[str]
    ) -> set[tuple[str, str, str]]:
        rows = await store.notices_sent(self.conn, data_set, periods)
        return {(r["kind"], r["unit_code"], r["period"]) for r in rows}

    async def add_notice(self, notice: NoticeSent) -> bool:
        n = notice
        return await store.insert_notice(
            self.conn,
            {
                "data_set": n.data_set,
                "unit_code": n.unit_code,
                "period": n.period,
                "kind": n.kind,
                "due_date": n.due_date,
                "sent_at": n.sent_at,
                "event_id": n.event_id,
            },
        )


@dataclass
class PgUnitTree:
    conn: asyncpg.Connection

    async def hierarchy(self) -> Hierarchy:
        return await units.load_hierarchy(self.conn)
