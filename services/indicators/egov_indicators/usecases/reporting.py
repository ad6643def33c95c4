"""Reporting completeness and timeliness: data sets, reporting rates, and the reminders and
overdue notices to units that have not reported."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from egov_contracts import indicators as c
from egov_contracts.envelope import VN_TZ, CloudEvent

from egov_indicators.domain import (
    Hierarchy,
    Period,
)
from egov_indicators.domain.records import NoticeSent
from egov_indicators.domain.reporting import (
    DataSet,
    NoticeKind,
    ReportingRate,
    data_set_json,
    data_set_of,
    notices_due,
    periods_to_watch,
    reporting_rates,
)
from egov_indicators.usecases.common import Context, Work, load_hierarchy, load_rulebook

__all__ = [
    "data_set_json",
    "data_set_of",
    "get_data_set",
    "put_data_set",
    "reporting_rates_of",
    "send_reporting_notices",
]


async def get_data_set(w: Work, code: str) -> DataSet | None:
    found = await w.reporting.data_sets(code)
    return found[0] if found else None


async def put_data_set(w: Work, d: DataSet, by: str) -> DataSet:
    """Add or change a data set; its indicators must be in the catalogue and its units known."""
    book = await load_rulebook(w)
    unknown = [c for c in d.indicators if c not in book.catalogue]
    if unknown:
        raise ValueError(f"unknown indicator(s): {', '.join(unknown)}")
    hierarchy = await load_hierarchy(w)
    strangers = [u for u in d.units if u not in hierarchy]
    if strangers:
        raise ValueError(f"unknown unit(s): {', '.join(strangers)}")
    await w.reporting.put_data_set(d, by)
    return d


def _sent_days(first: Mapping[tuple[str, str], datetime]) -> dict[tuple[str, str], date]:
    """The day in Vietnam each unit first reported each period."""
    return {key: at.astimezone(VN_TZ).date() for key, at in first.items()}


async def reporting_rates_of(
    w: Work, data_set: DataSet, period: Period, units: Sequence[str]
) -> tuple[list[ReportingRate], Hierarchy]:
    """Completeness and timeliness of each of ``units`` (its subtree) for a period."""
    hierarchy = await load_hierarchy(w)
    first = await w.reporting.first_reports(data_set.units, [str(period)], data_set.indicators)
    sent = {unit: day for (unit, _), day in _sent_days(first).items()}
    return reporting_rates(data_set, period, sent, hierarchy, units), hierarchy


async def send_reporting_notices(w: Work, ctx: Context, now: datetime) -> list[CloudEvent]:
    """Reminders before the due date (``report.due-soon.v1``) and notices once it has passed
    (``report.overdue.v1``) to each expected unit that has not reported, once each per data
    set, unit and period (recorded with the event, so a restart or a second run on the same
    day sends nothing again). ``now``: the clock, whose day in Vietnam decides."""
    today_vn = now.astimezone(VN_TZ).date()
    hierarchy = await load_hierarchy(w)
    events: list[CloudEvent] = []
    for d in await w.reporting.data_sets():
        periods = periods_to_watch(d, today_vn)
        if not periods or not d.units:
            continue
        texts = [str(p) for p in periods]
        sent = _sent_days(await w.reporting.first_reports(d.units, texts, d.indicators))
        already = await w.reporting.notices_sent(d.code, texts)
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
            event = w.tx.event(data, subject=f"{d.code}/{n.unit_code}/{n.period}")
            recorded = await w.reporting.add_notice(
                NoticeSent(
                    d.code, n.unit_code, str(n.period), str(n.kind), n.due_date, now, event.id
                )
            )
            if recorded:
                events.append(event)
    if events:
        await w.tx.publish_all(events)
    return events
