"""Use cases of admin-procedures: what happens when a status report arrives, when a deadline
warning falls due, when an officer records an apology, and when a period's rate is published.

Each write use case runs in a :class:`Work`: the caller's transaction (``Tx``) and the
repositories on it, so state, timeline, aggregates, timers and outbound events commit together.
It reads load → decide → save → emit: the repositories speak domain objects
(``domain/repositories.py``), the decisions are the domain's, the events go out through the
transaction (``tx.publish``: topic from the event type, source from the transaction).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from egov_contracts import procedures as c
from egov_contracts import reference as ref
from egov_contracts.envelope import CloudEvent, EventData
from egov_contracts.personal_data import applicant_ref
from egov_runtime.auth import Principal
from egov_runtime.consumer import Tx
from egov_runtime.db import Connection
from egov_runtime.refusals import Invalid, not_found
from egov_runtime.service import Runtime, utc_now
from egov_runtime.units import descendants
from egov_workdays import VN_TZ, CalendarException, WorkCalendar

from egov_procedures.adapters import catalogue, dossiers, rates
from egov_procedures.adapters.units import PgUnitTree
from egov_procedures.domain.dossier import (
    announced,
    apology_deadline,
    diff,
    fold,
    record_apology,
    warning_schedule,
)
from egov_procedures.domain.model import (
    Apology,
    Channel,
    DeadlineMode,
    Dossier,
    DossierState,
    Fact,
    Procedure,
    Result,
    Status,
    StatusReport,
    SupplementRule,
    TimeUnit,
)
from egov_procedures.domain.report import (
    PeriodScheme,
    Published,
    ReportForm,
    ReturnedWithdrawn,
    period_bounds,
    period_instants,
    revise,
)
from egov_procedures.domain.repositories import (
    CalendarExceptions,
    Catalogue,
    DossierRepository,
    PublishedValues,
    UnitTree,
)
from egov_procedures.domain.service_index import rule_set_for, service_index
from egov_procedures.metrics import DEADLINE_WARNINGS, ON_TIME_RATE, OPEN_DOSSIERS
from egov_procedures.metrics import SERVICE as METRICS_SERVICE


class UnknownProcedure(LookupError):
    """A report names a procedure the catalogue does not have (dead-lettered; replay it after
    adding the procedure)."""


@dataclass
class Context:
    """What the use cases need besides the transaction."""

    source: str
    personal_data_key: bytes
    calendar: WorkCalendar
    returned_withdrawn: ReturnedWithdrawn = ReturnedWithdrawn.EXCLUDED
    clock: Callable[[], datetime] = utc_now  # the runtime's (``rt.now``; tests set it)


@dataclass
class Work:
    """What a write use case runs in: the transaction (``publish``, ``refuse``) and the
    repositories on it. :meth:`on` builds it on PostgreSQL; tests build it of fakes."""

    tx: Tx
    dossiers: DossierRepository
    catalogue: Catalogue
    calendar: CalendarExceptions
    units: UnitTree
    published: PublishedValues

    @classmethod
    def on(cls, tx: Tx) -> Work:
        return cls(
            tx,
            dossiers.PgDossiers(tx.conn),
            catalogue.PgCatalogue(tx.conn),
            catalogue.PgCalendarExceptions(tx.conn),
            PgUnitTree(tx.conn),
            rates.PgPublished(tx.conn),
        )


@dataclass(frozen=True)
class IssueApology:
    """An officer's apology letter for a late dossier, with the new promised date."""

    dossier_code: str
    new_due_at: datetime
    reason: str
    issued_by: str


@dataclass(frozen=True)
class PutProcedure:
    """A procedure of the catalogue as the province enters it (create or change)."""

    code: str
    name: str
    processing_value: int
    processing_unit: TimeUnit = TimeUnit.WORKING_DAYS
    field: str = ""
    level: str = "province"
    supplement_rule: str = "pause"
    deadline_mode: str = "working-time"
    warn_used_fraction: float = 0.75
    warn_days_left: int = 1
    intake_cutoff: str | None = None  # HH:MM


async def put_catalogue_procedure(w: Work, cmd: PutProcedure) -> Procedure:
    """Create or change a procedure of the catalogue (refused, 422 "Invalid procedure", when
    its values do not make a procedure); dossiers already received keep their deadlines until
    their next report."""
    try:
        procedure = Procedure(
            code=cmd.code,
            name=cmd.name,
            processing_value=cmd.processing_value,
            processing_unit=TimeUnit(cmd.processing_unit),
            supplement_rule=SupplementRule(cmd.supplement_rule),
            deadline_mode=DeadlineMode(cmd.deadline_mode),
            intake_cutoff=time.fromisoformat(cmd.intake_cutoff) if cmd.intake_cutoff else None,
            warn_used_fraction=cmd.warn_used_fraction,
            warn_days_left=cmd.warn_days_left,
            field=cmd.field,
            level=cmd.level,
        )
    except ValueError as exc:
        raise Invalid("Invalid procedure", str(exc)) from exc
    await w.catalogue.put(procedure)
    return procedure


async def load_calendar(w: Work) -> WorkCalendar:
    return WorkCalendar.with_exceptions(await w.calendar.all())


async def put_calendar_exception(
    w: Work, ctx: Context, exception: CalendarException, at: datetime
) -> None:
    """Record a day the province declares off (or a make-up working day) and publish it as
    reference data, so every service that counts working days counts it too; new deadlines
    use it at once."""
    await w.calendar.put(exception)
    data = ref.CalendarExceptionUpserted(
        day=exception.day,
        kind=ref.CalendarExceptionKind(str(exception.kind)),
        note=exception.note,
        entered_by=exception.entered_by,
        entered_at=at,
    )
    await _publish_calendar(w, ctx, data, exception.day)


async def withdraw_calendar_exception(
    w: Work, ctx: Context, day: date, by: str, at: datetime
) -> bool:
    """Withdraw the province's exception for a day (False: there was none)."""
    if not await w.calendar.withdraw(day):
        return False
    data = ref.CalendarExceptionWithdrawn(day=day, withdrawn_by=by, withdrawn_at=at)
    await _publish_calendar(w, ctx, data, day)
    return True


async def publish_pending_calendar(w: Work, ctx: Context) -> int:
    """Publish the exceptions recorded before they were published as reference data (the
    calendar refresh calls it; after the first run there are none); returns how many."""
    pending = await w.calendar.unpublished()
    for exception, entered_at in pending:
        kind = ref.CalendarExceptionKind(str(exception.kind))
        off = kind is ref.CalendarExceptionKind.DAY_OFF
        data = ref.CalendarExceptionUpserted(
            day=exception.day,
            kind=kind,
            note=exception.note or ("Ngày nghỉ do tỉnh công bố" if off else "Ngày làm việc bù"),
            entered_by=exception.entered_by or ctx.source,
            entered_at=entered_at,
        )
        await w.tx.publish(data, subject=ref.calendar_exception_subject(exception.day))
    if pending:
        await w.calendar.mark_published([e.day for e, _ in pending])
    return len(pending)


async def _publish_calendar(w: Work, ctx: Context, data: EventData, day: date) -> None:
    subject = ref.calendar_exception_subject(day)  # the compacted topic's key
    await w.tx.publish(data, subject=subject)
    ctx.calendar = await load_calendar(w)


# -- status reports --------------------------------------------------------------------------


def _domain_report(report_id: str, data: c.StatusReported) -> StatusReport:
    return StatusReport(
        report_id,
        data.dossier_code,
        Status(data.status.value),
        data.occurred_at,
        result=Result(data.result.value) if data.result else None,
        channel=Channel(data.channel.value) if data.channel else None,
        note=data.note or "",
    )


Reported = tuple[c.StatusReported, CloudEvent, Principal | None]
Totals = dict[tuple[str, str], Counter[tuple[date, str, str]]]


async def record_status_reports(w: Work, ctx: Context, items: list[Reported]) -> int:
    """Apply a batch of status reports; returns the number of outbound events emitted.

    Each report comes with its reporter (the principal of its credential; None where credentials
    are not required and none was sent). A report is refused (``refuse``: dead-lettered with its
    reason, nothing changed) when it names a unit other than its dossier's, or when its
    reporter's unit scope does not cover the dossier's unit.
    """
    by_dossier: dict[str, list[Reported]] = defaultdict(list)
    for item in items:
        by_dossier[item[0].dossier_code].append(item)
    emitted = 0
    totals: Totals = defaultdict(Counter)
    scopes: dict[str, list[str]] = {}  # ancestry per unit, for this batch
    for code in sorted(by_dossier):  # a fixed lock order across concurrent batches
        dossier = await w.dossiers.get(code, lock=True)
        admitted = await _admitted(w, ctx, code, dossier, by_dossier[code], scopes)
        if admitted:
            emitted += await _record_for_dossier(w, ctx, code, dossier, admitted, totals)
    # the aggregates of the whole batch at once, in one key order: concurrent batches of other
    # partitions touch the same daily rows, and one order means no deadlock
    for (unit_code, procedure_code), delta in sorted(totals.items()):
        await w.dossiers.add_to_daily(unit_code, procedure_code, delta)
    return emitted


async def _admitted(
    w: Work,
    ctx: Context,
    code: str,
    dossier: Dossier | None,
    items: list[Reported],
    scopes: dict[str, list[str]],
) -> list[tuple[c.StatusReported, CloudEvent]]:
    """The reports of one dossier that may be applied; the others are refused on ``tx``. The
    dossier's unit is its stored one, or for a new dossier the first admitted report's."""
    owner: str | None = dossier.unit_code if dossier else None
    admitted = []
    for data, event, reporter in items:
        unit = owner or data.unit_code
        if data.unit_code != unit:
            w.tx.refuse(
                event.id,
                "unit-mismatch",
                f"the report names unit {data.unit_code}; dossier {code} belongs to {unit}",
            )
            continue
        if reporter is not None:
            if unit not in scopes:
                # the unit itself (a credential of a unit since merged away keeps covering
                # its own dossiers), then the unit answering for it today and those above
                today = ctx.clock().astimezone(VN_TZ).date()
                scopes[unit] = [unit, *(await w.units.hierarchy()).ancestry(unit, today)]
            if not reporter.unit_code or not reporter.in_scope(scopes[unit]):
                w.tx.refuse(
                    event.id,
                    "out-of-scope",
                    f"the credential of {reporter.subject} covers unit {reporter.unit_code},"
                    f" not {unit}",
                )
                continue
        owner = unit
        admitted.append((data, event))
    return admitted


async def _record_for_dossier(
    w: Work,
    ctx: Context,
    code: str,
    dossier: Dossier | None,
    items: list[tuple[c.StatusReported, CloudEvent]],
    totals: Totals,
) -> int:
    first = items[0][0]
    procedure_code = dossier.procedure_code if dossier else first.procedure_code
    unit_code = dossier.unit_code if dossier else first.unit_code
    procedure = await w.catalogue.procedure(procedure_code)
    if procedure is None:
        raise UnknownProcedure(f"procedure {procedure_code!r} is not in the catalogue")
    existing = list(dossier.reports) if dossier else []
    known = {r.report_id for r in existing}
    new = [(_domain_report(ev.id, d), d) for d, ev in items if ev.id not in known]
    if not new:
        return 0
    await w.dossiers.add_reports(code, new)
    before = fold(code, procedure, ctx.calendar, existing) if existing else None
    after = fold(code, procedure, ctx.calendar, [*existing, *(r for r, _ in new)])

    ref = None
    for _r, d in new:
        if d.applicant is not None and d.applicant.national_id:
            ref = applicant_ref(d.applicant.national_id, ctx.personal_data_key)
            await w.dossiers.save_applicant(code, ref, d.applicant)
    ref = ref or (dossier.applicant_ref if dossier else None)

    facts = diff(before, after)
    saved = Dossier(
        code,
        procedure_code,
        unit_code,
        version=(dossier.version if dossier else 0) + len(facts),
        applicant_ref=ref,
        due_at=after.due_at,
        reports=(*existing, *(r for r, _ in new)),
        apology=dossier.apology if dossier else None,
    )
    await w.dossiers.save(saved, after)
    delta = totals[(unit_code, procedure_code)]
    delta.update(dossiers.contributions(after, VN_TZ))
    delta.subtract(dossiers.contributions(before, VN_TZ))
    await w.dossiers.schedule(code, warning_schedule(after, procedure, ctx.calendar))

    # each fact's cause is the report that stated it; a corrected fact's, the latest report
    causes = {(d.status.value, d.occurred_at): ev for d, ev in items}
    seq0 = saved.version - len(facts)
    events = [
        w.tx.event(
            _outbound(f, after, procedure, unit_code, ref, new),
            subject=code,
            sequence=seq0 + i + 1,
            cause=causes.get((f.kind, f.at), items[-1][1]),
        )
        for i, f in enumerate(facts)
    ]
    await w.tx.publish_all(events)
    return len(events)


def _outbound(
    fact: Fact,
    state: DossierState,
    procedure: Procedure,
    unit_code: str,
    ref: str | None,
    new: list[tuple[StatusReport, c.StatusReported]],
) -> EventData:
    base: dict[str, Any] = {
        "dossier_code": state.dossier_code,
        "procedure_code": procedure.code,
        "procedure_name": procedure.name or None,
        "unit_code": unit_code,
        "occurred_at": fact.at,
    }
    a = fact.attributes
    note = next((d.note for r, d in new if r.occurred_at == fact.at and d.note), None)
    officer = next(
        (d.officer_ref for r, d in new if r.occurred_at == fact.at and d.officer_ref), None
    )
    if officer is not None:
        base["officer_ref"] = officer  # the actor, for one-door audits
    match fact.kind:
        case "received":
            return c.DossierReceived(
                **base,
                received_at=fact.at,
                due_at=a["due_at"],
                processing_time=procedure.processing_value,
                processing_time_unit=c.ProcessingTimeUnit(procedure.processing_unit.value),
                channel=c.Channel(state.channel.value) if state.channel else None,
                applicant_ref=ref,
            )
        case "supplement-requested":
            return c.DossierSupplementRequested(
                **base, requested_at=fact.at, used_minutes=a["used"], note=note
            )
        case "supplement-received":
            return c.DossierSupplementReceived(
                **base, supplement_received_at=fact.at, due_at=a["due_at"]
            )
        case "suspended":
            return c.DossierSuspended(
                **base, suspended_at=fact.at, used_minutes=a["used"], note=note
            )
        case "resumed":
            return c.DossierResumed(**base, resumed_at=fact.at, due_at=a["due_at"])
        case "resolved":
            return c.DossierResolved(
                **base,
                resolved_at=fact.at,
                due_at=a["due_at"],
                timeliness=c.Timeliness(str(a["timeliness"])),
                result=c.ResolutionResult(str(a["result"])),
                applicant_ref=ref,
            )
        case "rejected":
            return c.DossierRejected(
                **base,
                rejected_at=fact.at,
                due_at=a["due_at"],
                timeliness=c.Timeliness(str(a["timeliness"])),
                note=note,
            )
        case "withdrawn":
            return c.DossierWithdrawn(**base, withdrawn_at=fact.at)
        case "returned":
            return c.DossierReturned(**base, returned_at=fact.at)
    raise ValueError(f"no outbound event for fact {fact.kind}")


# -- deadline timers -------------------------------------------------------------------------


async def fire_due_timers(w: Work, ctx: Context, now: datetime, limit: int = 200) -> int:
    """Publish due deadline warnings, each exactly once (the timer rows are marked in the same
    transaction as the outbound event); warnings of one dossier falling due together are
    announced once (:func:`announced`)."""
    emitted = 0
    for code in await w.dossiers.due(now, limit):
        dossier = await w.dossiers.get(code, lock=True)  # first, as the report handler does
        fired = await w.dossiers.claim_due(code, now)
        if dossier is None or not fired:
            continue
        procedure = await w.catalogue.procedure(dossier.procedure_code)
        told = announced(fired)
        saved = replace(dossier, version=dossier.version + len(told))
        await w.dossiers.save(saved)
        due_at = dossier.due_at
        assert due_at is not None  # a dossier with a warning to give has a deadline
        events = []
        for i, t in enumerate(told):
            base = {
                "dossier_code": code,
                "procedure_code": dossier.procedure_code,
                "procedure_name": procedure.name if procedure else None,
                "unit_code": dossier.unit_code,
                "occurred_at": t.at,
                "due_at": due_at,
            }
            data: EventData
            if t.kind == "overdue":
                late = max(int((now - due_at).total_seconds() // 60), 0)
                data = c.DossierOverdue(**base, minutes_late=late)
            else:
                issued = dossier.apology is not None
                data = c.DossierDeadlineApproaching(
                    **base,
                    threshold=t.threshold,
                    minutes_left=ctx.calendar.working_minutes_between(now, due_at),
                    apology_deadline=apology_deadline(due_at, ctx.calendar, now, issued),
                )
            sequence = saved.version - len(told) + i + 1
            events.append(w.tx.event(data, subject=code, sequence=sequence))
        await w.tx.publish_all(events)
        emitted += len(events)
        for t in told:
            DEADLINE_WARNINGS.labels(METRICS_SERVICE, t.kind).inc()
    return emitted


# -- apology ------------------------------------------------------------------------------


async def issue_apology(
    w: Work, ctx: Context, cmd: IssueApology, now: datetime
) -> c.DossierApologyIssued:
    """Record the apology (once per dossier, before its deadline: :func:`record_apology`) and
    publish it; the dossier's promised date is the new one."""
    code = cmd.dossier_code
    dossier = await w.dossiers.get(code, lock=True)
    if dossier is None:
        raise not_found("Dossier", code)
    procedure = await w.catalogue.procedure(dossier.procedure_code)
    assert procedure is not None
    state = fold(code, procedure, ctx.calendar, list(dossier.reports))
    apology = record_apology(
        state,
        Apology(now, cmd.new_due_at, cmd.reason, cmd.issued_by),
        dossier.apology,
        ctx.calendar,
    )
    saved = replace(dossier, version=dossier.version + 1, apology=apology)
    await w.dossiers.save(saved)
    assert state.due_at is not None
    data = c.DossierApologyIssued(
        dossier_code=code,
        procedure_code=procedure.code,
        unit_code=dossier.unit_code,
        occurred_at=now,
        due_at=state.due_at,
        new_due_at=cmd.new_due_at,
        reason=cmd.reason,
    )
    await w.tx.publish(data, subject=code, sequence=saved.version)
    return data


# -- reports and rates ------------------------------------------------------------------------


@dataclass(frozen=True)
class OnTimeReport:
    """The report form of a unit's subtree for a period: one form per group (one group, named
    None, without ``group_by``) and their total. No group: no dossier on record for it."""

    groups: list[tuple[str | None, ReportForm]]
    total: ReportForm


async def build_on_time_report(
    conn: Connection,
    policy: ReturnedWithdrawn,
    *,
    units: list[str],
    start: date,
    end: date,
    now: datetime,
    procedure: str | None = None,
    group_by: str | None = None,
) -> OnTimeReport:
    """The report form (Biểu 06/VPCP/KSTT) of ``units`` for the days ``start``..``end``, by
    ``group_by`` (procedure, unit, channel) or not; dossiers in progress are judged at the end
    of the period, or ``now`` for a period not over yet. The one assembly of the report: the
    API, the published rates and the SLA gauges all read it here."""
    rows = await dossiers.report_counts(
        conn,
        units=units,
        start=start,
        end=end,
        procedure=procedure,
        group_by=group_by,
        now=now,
        tz=VN_TZ,
    )
    groups = [(r["grp"], ReportForm.of(r, policy)) for r in rows]
    return OnTimeReport(groups, ReportForm.total((f for _g, f in groups), policy))


async def fold_monthly_sums(rt: Runtime) -> int:
    """Fold the daily aggregates' recent changes into the monthly sums the report reads for
    the months before a period (the periodic job); returns how many changes were folded."""
    async with rt.pool.acquire() as conn:
        return await dossiers.fold_monthly_changes(conn)


def form_json(form: ReportForm) -> dict[str, Any]:
    """The counts, the totals and the rate as the API answers and the rates are kept."""
    rate = form.on_time_rate
    return {
        **form.counts(),
        "received": form.received,
        "resolved": form.resolved,
        "on_time_rate": str(rate) if rate is not None else None,
        "returned_withdrawn": form.returned_withdrawn.value,
    }


async def publish_rate_if_changed(
    w: Work, unit_code: str, label: str, start: date, end: date, form: ReportForm
) -> bool:
    """``on-time-rate.computed.v1`` for a closed period, again whenever late events change it
    (:func:`revise`: the same figures are not published twice)."""
    last = await w.published.last(unit_code, label, Published.RATE)
    published = revise(last, unit_code, label, Published.RATE, form_json(form))
    if published is None:
        return False
    await w.published.save(published)
    rate = form.on_time_rate
    data = c.OnTimeRateComputed(
        unit_code=unit_code,
        period=label,
        period_from=start,
        period_to=end,
        **form.counts(),
        on_time_rate=Decimal(rate) if rate is not None else None,
        returned_withdrawn=c.ReturnedWithdrawnPolicy(form.returned_withdrawn.value),
        revision=published.revision,
    )
    await w.tx.publish(data, subject=f"{unit_code}/{label}", sequence=published.revision)
    return True


async def publish_rates(rt: Runtime, ctx: Context, periods: list[tuple[str, date, date]]) -> int:
    """The on-time rate of every reporting unit (over its subtree) for each of ``periods``
    (label, first day, last day), each unit and period in its own transaction; a unit with no
    dossier on record is skipped. Returns how many were published (new or changed)."""
    async with rt.pool.acquire() as conn:
        units = await rates.reporting_units(conn)
    published = 0
    for label, start, end in periods:
        for unit in units:
            async with rt.transaction() as tx:
                report = await build_on_time_report(
                    tx.conn,
                    ctx.returned_withdrawn,
                    units=await descendants(tx.conn, unit),
                    start=start,
                    end=end,
                    now=rt.now(),
                )
                if report.groups:
                    published += await publish_rate_if_changed(
                        Work.on(tx), unit, label, start, end, report.total
                    )
    return published


async def service_index_of(
    conn: Connection,
    ctx: Context,
    unit_code: str,
    units: list[str],
    label: str,
    first: date,
    last: date,
) -> c.ServiceIndexComputed | None:
    """The service index of a unit (over ``units``, its subtree) for a month, as published
    (without its revision); None when no dossier is on record for it (the read side)."""
    start, end = period_instants(first, last)
    found = await dossiers.index_dossiers(conn, units=units, start=start, end=end)
    if not found:
        return None
    index = service_index(found, start, end, rule_set_for(last), ctx.returned_withdrawn)
    p, rules = index.progress, index.rule_set
    lacking = {i.code for i in index.lacking_data}
    scores = []
    for i in rules.indicators:
        share = index.shares.get(i.code)
        rate, points = (
            (p.rate, p.score)
            if i.code == p.indicator.code
            else (share.rate, share.score)
            if share is not None and i.code not in lacking
            else (None, None)
        )
        scores.append(
            c.IndicatorScore(
                code=i.code,
                points=i.points,
                rate=rate,
                score=points,
                has_data=i.code not in lacking,
                needs_legal_check=i.needs_legal_check,
            )
        )
    return c.ServiceIndexComputed(
        unit_code=unit_code,
        period=label,
        period_from=first,
        period_to=last,
        rule_set=rules.version,
        progress_denominator=p.denominator,
        progress_in_time=p.in_time,
        progress_rate=p.rate,
        progress_score=p.score,
        form_on_time_rate=index.comparison.form_rate,
        difference_pp=index.comparison.difference_pp,
        indicators=scores,
        needs_legal_check=rules.needs_legal_check,
    )


async def publish_index_if_changed(w: Work, data: c.ServiceIndexComputed) -> bool:
    """``service-index.computed.v1`` of a unit's closed month, again with a higher revision
    whenever late events change it (kept beside the rates; :func:`revise`)."""
    figures = data.model_dump(mode="json", exclude={"revision"})
    kind = Published.SERVICE_INDEX
    last = await w.published.last(data.unit_code, data.period, kind)
    published = revise(last, data.unit_code, data.period, kind, figures)
    if published is None:
        return False
    await w.published.save(published)
    data = data.model_copy(update={"revision": published.revision})
    await w.tx.publish(data, subject=f"{data.unit_code}/{data.period}", sequence=published.revision)
    return True


async def publish_service_index(
    w: Work, ctx: Context, unit_code: str, units: list[str], label: str, first: date, last: date
) -> bool:
    """The service index of a unit (over ``units``, its subtree) for a closed month, published
    when new or changed (:func:`publish_index_if_changed`)."""
    data = await service_index_of(w.tx.conn, ctx, unit_code, units, label, first, last)
    return data is not None and await publish_index_if_changed(w, data)


async def publish_service_indexes(
    rt: Runtime, ctx: Context, months: list[tuple[str, date, date]]
) -> int:
    """The service index of every reporting unit (over its subtree) for each of ``months``
    (label, first day, last day), each unit and month in its own transaction; returns how many
    were published (new or changed)."""
    async with rt.pool.acquire() as conn:
        units = await rates.reporting_units(conn)
    published = 0
    for label, first, last in months:
        for unit in units:
            async with rt.transaction() as tx:
                scope = await descendants(tx.conn, unit)
                published += await publish_service_index(
                    Work.on(tx), ctx, unit, scope, label, first, last
                )
    return published


# -- SLA metrics ---------------------------------------------------------------------------


async def refresh_sla_metrics(rt: Runtime, ctx: Context, scheme: PeriodScheme) -> None:
    """Set the SLA gauges: open dossiers by unit and state (due_soon: within one working day),
    and this month's on-time rate of each root unit and its direct sub-units (over their
    subtrees, by the report form's rule)."""
    now = rt.now()
    soon = ctx.calendar.add_working_days(now, 1)
    label = f"{now.astimezone(VN_TZ):%Y-%m}"
    start, end = period_bounds(label, scheme)
    async with rt.pool.acquire() as conn:
        counts = await dossiers.open_counts(conn, now, soon)
        on_time: dict[str, Decimal | None] = {}
        for unit in await rates.top_units(conn):
            report = await build_on_time_report(
                conn,
                ctx.returned_withdrawn,
                units=await descendants(conn, unit),
                start=start,
                end=end,
                now=now,
            )
            if report.groups:
                on_time[unit] = report.total.on_time_rate
    OPEN_DOSSIERS.clear()
    for r in counts:
        for state in ("within", "due_soon", "overdue", "paused"):
            OPEN_DOSSIERS.labels(METRICS_SERVICE, r["unit_code"], state).set(r[state])
    ON_TIME_RATE.clear()
    for unit, rate in on_time.items():
        if rate is not None:
            ON_TIME_RATE.labels(METRICS_SERVICE, unit, label).set(float(rate))
