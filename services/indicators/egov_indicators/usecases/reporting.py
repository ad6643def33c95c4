"""Reporting completeness and timeliness: data sets, reporting rates, and the reminders and
overdue notices to units that have not reported."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from egov_contracts import indicators as c
from egov_contracts.envelope import VN_TZ, CloudEvent, new_event
from egov_runtime.consumer import Tx

from egov_indicators.adapters import store
from egov_indicators.domain import (
    Hierarchy,
    Period,
)
from egov_indicators.domain.periods import PeriodKind
from egov_indicators.domain.reporting import (
    DataSet,
    NoticeKind,
    ReportingRate,
    notices_due,
    periods_to_watch,
    reporting_rates,
)
from egov_indicators.usecases.common import RESULTS, Context, load_hierarchy, load_rulebook


def data_set_of(row: dict[str, Any]) -> DataSet:
    return DataSet(
        code=row["code"],
        name_vi=row["name_vi"],
        period_kind=PeriodKind(row["period_kind"]),
        indicators=tuple(row["indicators"]),
        units=tuple(row["units"]),
        due_day=row["due_day"],
        due_months_after=row["due_months_after"],
        remind_days_before=row["remind_days_before"],
        first_period=Period.parse(row["first_period"]) if row.get("first_period") else None,
    )


def data_set_json(d: DataSet) -> dict[str, Any]:
    return {
        "code": d.code,
        "name_vi": d.name_vi,
        "period_kind": str(d.period_kind),
        "indicators": list(d.indicators),
        "units": list(d.units),
        "due_day": d.due_day,
        "due_months_after": d.due_months_after,
        "remind_days_before": d.remind_days_before,
        "first_period": str(d.first_period) if d.first_period else None,
    }


async def get_data_set(tx: Tx, code: str) -> DataSet | None:
    rows = await store.data_sets(tx.conn, code)
    return data_set_of(rows[0]) if rows else None


async def put_data_set(tx: Tx, data: dict[str, Any], by: str) -> DataSet:
    """Add or change a data set; its indicators must be in the catalogue and its units known."""
    book = await load_rulebook(tx)
    d = data_set_of(data)
    unknown = [c for c in d.indicators if c not in book.catalogue]
    if unknown:
        raise ValueError(f"unknown indicator(s): {', '.join(unknown)}")
    hierarchy = await load_hierarchy(tx)
    strangers = [u for u in d.units if u not in hierarchy]
    if strangers:
        raise ValueError(f"unknown unit(s): {', '.join(strangers)}")
    await store.put_data_set(tx.conn, data_set_json(d), d.units, by)
    return d


def _sent_days(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], date]:
    """The day in Vietnam each unit first reported each period."""
    return {(r["unit_code"], r["period"]): r["submitted_at"].astimezone(VN_TZ).date() for r in rows}


async def reporting_rates_of(
    tx: Tx, data_set: DataSet, period: Period, units: Sequence[str]
) -> tuple[list[ReportingRate], Hierarchy]:
    """Completeness and timeliness of each of ``units`` (its subtree) for a period."""
    hierarchy = await load_hierarchy(tx)
    rows = await store.first_reports(tx.conn, data_set.units, [str(period)], data_set.indicators)
    sent = {unit: day for (unit, _), day in _sent_days(rows).items()}
    return reporting_rates(data_set, period, sent, hierarchy, units), hierarchy


async def send_reporting_notices(tx: Tx, ctx: Context, now: datetime) -> list[CloudEvent]:
    """Reminders before the due date (``report.due-soon.v1``) and notices once it has passed
    (``report.overdue.v1``) to each expected unit that has not reported, once each per data
    set, unit and period (recorded with the event, so a restart or a second run on the same
    day sends nothing again). ``now``: the clock, whose day in Vietnam decides."""
    today_vn = now.astimezone(VN_TZ).date()
    hierarchy = await load_hierarchy(tx)
    events: list[CloudEvent] = []
    for row in await store.data_sets(tx.conn):
        d = data_set_of(row)
        periods = periods_to_watch(d, today_vn)
        if not periods or not d.units:
            continue
        texts = [str(p) for p in periods]
        sent = _sent_days(await store.first_reports(tx.conn, d.units, texts, d.indicators))
        already = {
            (r["kind"], r["unit_code"], r["period"])
            for r in await store.notices_sent(tx.conn, d.code, texts)
        }
        for n in notices_due(d, periods, sent, already, today_vn):
            unit = hierarchy.get(n.unit_code)
            kind = c.ReportDueSoon if n.kind is NoticeKind.DUE_SOON else c.ReportOverdue
            data = kind(
                data_set=d.code,
                data_set_name=d.name_vi,
                unit_code=n.unit_code,
                unit_name=(unit.name if unit and unit.name else n.unit_code),
                period=str(n.period),
                due_date=n.due_date,
                notified_at=now,
            )
            event = new_event(data, source=ctx.source, subject=f"{d.code}/{n.unit_code}/{n.period}")
            recorded = await store.insert_notice(
                tx.conn,
                {
                    "data_set": d.code,
                    "unit_code": n.unit_code,
                    "period": str(n.period),
                    "kind": str(n.kind),
                    "due_date": n.due_date,
                    "sent_at": now,
                    "event_id": event.id,
                },
            )
            if recorded:
                events.append(event)
    if events:
        await tx.emit(RESULTS, events)
    return events
