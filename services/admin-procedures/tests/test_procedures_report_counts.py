"""The report the service answers (monthly sums before the period's month, daily aggregates
from it, the open dossiers overdue at the end, through ``build_on_time_report``) is exactly
the pure reference ``report_form`` over the same dossiers: several hundred of them with every
ending (early, on time, late, rejected, withdrawn, returned, still open, paused), instants
falling exactly on the periods' bounds, for past periods and for one not over yet, in total and
by procedure, unit and channel; with the monthly sums' changes folded, in part or not at all."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
from egov_contracts.procedures import REPORT_COUNTS
from egov_procedures.adapters import dossiers
from egov_procedures.domain.model import Channel, DossierState, Phase, Result, Timeliness
from egov_procedures.domain.report import (
    DossierSnapshot,
    ReportForm,
    ReturnedWithdrawn,
    period_instants,
    report_form,
)
from egov_procedures.main import SPEC
from egov_procedures.usecases import build_on_time_report
from egov_runtime.db import all_migrations, connect, migrate
from egov_workdays import VN_TZ

pytestmark = pytest.mark.integration

UNITS = ("38.XA.SAMSON", "38.XA.NGASON", "38.SNV.VL")
PROCEDURES = ("P1", "P2", "P3")
# (first day, last day, "now" the report is asked at)
PERIODS = (
    (date(2026, 3, 15), date(2026, 4, 14), datetime(2026, 9, 1, 10, tzinfo=VN_TZ)),
    (date(2026, 1, 1), date(2026, 6, 30), datetime(2026, 9, 1, 10, tzinfo=VN_TZ)),
    (date(2026, 5, 1), date(2026, 5, 31), datetime(2026, 9, 1, 10, tzinfo=VN_TZ)),
    # not over yet: the open dossiers are judged at "now" (after every receipt and ending)
    (date(2026, 7, 15), date(2026, 8, 14), datetime(2026, 8, 1, 9, 30, tzinfo=VN_TZ)),
)
BOUNDS = [b for first, last, _now in PERIODS for b in period_instants(first, last)]


def the_dossiers(rng: random.Random, n: int) -> list[tuple[str, str, DossierState]]:
    """(unit, procedure, state) of ``n`` dossiers received in the first half of 2026."""
    out = []
    base = datetime(2026, 1, 1, tzinfo=VN_TZ)
    for i in range(n):
        received = base + timedelta(minutes=rng.randrange(0, 181 * 24 * 60))
        due = received + timedelta(hours=rng.randrange(4, 20 * 24))
        ending = rng.choice(
            ["early", "on-time", "late", "rejected", "withdrawn", "returned", "open", "paused"]
        )
        finished = received + timedelta(hours=rng.randrange(1, 30 * 24))
        # a deadline or an ending exactly on a period's bound (as received, every instant of
        # the data is before the last period's "now")
        if rng.random() < 0.25:
            bound = rng.choice(BOUNDS)
            if received < bound - timedelta(hours=12) < received + timedelta(days=30):
                straddle = timedelta(hours=rng.randrange(1, 12))
                due, finished = rng.choice(
                    [
                        (bound, finished),
                        (due, bound),
                        (bound, bound),
                        (bound - straddle, bound + straddle),  # overdue at the bound, open
                    ]
                )
        if ending == "early":
            finished = min(finished, due - timedelta(minutes=1))
        elif ending == "on-time":
            finished = due
        elif ending == "late":
            finished = max(finished, due + timedelta(minutes=1))
        phase = {
            "rejected": Phase.REJECTED,
            "withdrawn": Phase.WITHDRAWN,
            "returned": Phase.RETURNED,
            "open": Phase.PROCESSING,
            "paused": Phase.AWAITING_SUPPLEMENT,
        }.get(ending, Phase.RESOLVED)
        done = phase not in (Phase.PROCESSING, Phase.AWAITING_SUPPLEMENT)
        timeliness = None
        if phase in (Phase.RESOLVED, Phase.REJECTED) and finished > received:
            timeliness = (
                Timeliness.LATE
                if finished > due
                else Timeliness.ON_TIME
                if finished == due
                else Timeliness.EARLY
            )
        state = DossierState(
            dossier_code=f"HS-{i:05d}",
            phase=phase,
            channel=rng.choice(list(Channel)),
            received_at=received,
            due_at=None if phase == Phase.AWAITING_SUPPLEMENT else due,
            finished_at=finished if done and finished > received else None,
            result=Result.GRANTED if phase == Phase.RESOLVED else None,
            timeliness=timeliness,
        )
        if done and state.finished_at is None:
            state = DossierState(
                dossier_code=state.dossier_code, phase=Phase.PROCESSING, channel=state.channel,
                received_at=received, due_at=due,
            )  # fmt: skip
        out.append((rng.choice(UNITS), rng.choice(PROCEDURES), state))
    return out


def snapshot(state: DossierState) -> DossierSnapshot:
    assert state.received_at is not None and state.phase is not None
    return DossierSnapshot(
        state.received_at,
        state.channel,
        state.phase,
        state.finished_at,
        state.timeliness,
        state.due_at,
    )


GROUP_OF = {
    None: lambda unit, procedure, state: None,
    "procedure": lambda unit, procedure, state: procedure,
    "unit": lambda unit, procedure, state: unit,
    "channel": lambda unit, procedure, state: str(state.channel),
}


async def store(conn, changes: list[tuple[str, str, DossierState | None, DossierState]]) -> None:
    """Save dossiers and move the daily aggregates as the status-report handler does: the
    contributions of each dossier's new state minus those of its former one."""
    totals: dict[tuple[str, str], Counter[tuple[date, str, str]]] = defaultdict(Counter)
    for unit, procedure, before, after in changes:
        await dossiers.save_dossier(conn, after, procedure, unit, None, 1)
        totals[(unit, procedure)].update(dossiers.contributions(after, VN_TZ))
        totals[(unit, procedure)].subtract(dossiers.contributions(before, VN_TZ))
    for (unit, procedure), delta in sorted(totals.items()):
        await dossiers.apply_aggregate_delta(conn, unit, procedure, dict(delta))


async def check_every_period(conn, found, policy) -> int:
    checked = 0
    for first, last, now in PERIODS:
        start, end = period_instants(first, last)
        at = min(end, now)
        for group_by, group_of in GROUP_OF.items():
            report = await build_on_time_report(
                conn, policy, units=list(UNITS), start=first, end=last, now=now, group_by=group_by
            )
            by_group = defaultdict(list)
            for unit, procedure, state in found:
                assert state.received_at is not None
                if state.received_at < at:
                    by_group[group_of(unit, procedure, state)].append(snapshot(state))
            expected = {g: report_form(snaps, start, at, policy) for g, snaps in by_group.items()}
            assert dict(report.groups) == expected, (first, last, group_by)
            assert report.total == ReportForm.total(expected.values(), policy)
            checked += len(expected)
    return checked


@pytest.mark.parametrize("policy", list(ReturnedWithdrawn))
async def test_the_served_report_is_the_reference_form(database_dsn, policy):
    await migrate(database_dsn, all_migrations(SPEC.migrations))
    found = the_dossiers(random.Random(20260615), 600)
    conn = await connect(database_dsn)
    try:
        # first every dossier as received only (still open), the monthly sums folded; then
        # their endings, as later reports: the monthly sums are part folded, part changes
        opened = [
            DossierState(
                dossier_code=s.dossier_code, phase=Phase.PROCESSING, channel=s.channel,
                received_at=s.received_at, due_at=s.due_at,
            )
            for _u, _p, s in found
        ]  # fmt: skip
        await store(conn, [(u, p, None, o) for (u, p, _s), o in zip(found, opened, strict=True)])
        assert await dossiers.fold_monthly_changes(conn) > 0
        await store(conn, [(u, p, o, s) for (u, p, s), o in zip(found, opened, strict=True)])
        assert await check_every_period(conn, found, policy) > 40
        assert await dossiers.fold_monthly_changes(conn) > 0
        assert await dossiers.fold_monthly_changes(conn) == 0
        assert await check_every_period(conn, found, policy) > 40
        # the figures are not all zero: every count of the form occurs
        spring = await build_on_time_report(
            conn, policy, units=list(UNITS), start=date(2026, 3, 1), end=date(2026, 5, 31),
            now=datetime(2026, 9, 1, tzinfo=VN_TZ),
        )  # fmt: skip
        assert all(v > 0 for v in spring.total.counts().values()), spring.total
    finally:
        await conn.close()


def test_the_form_declares_the_contracts_counts():
    names = tuple(f for f in ReportForm.__dataclass_fields__ if f != "returned_withdrawn")
    assert names == REPORT_COUNTS
    form = ReportForm.of({k: i + 1 for i, k in enumerate(REPORT_COUNTS)})
    assert list(form.counts().values()) == list(range(1, len(REPORT_COUNTS) + 1))
