"""The demo year of dossiers looks like a one-door office's, at any clock: desk dossiers in
office hours, nothing after "now", whole seconds, a plausible on-time rate, and the overdue and
due-soon queues non-empty on a fresh start. Pure: the generator and the domain's fold."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from egov_contracts import procedures as c
from egov_procedures.demo.generate import DESK_CHANNELS, generate
from egov_procedures.domain.dossier import fold
from egov_procedures.domain.model import (
    Channel,
    DeadlineMode,
    Phase,
    Procedure,
    Result,
    Status,
    StatusReport,
    SupplementRule,
    Timeliness,
    TimeUnit,
)
from egov_workdays import VN_TZ, WorkCalendar

CATALOGUE = Path(__file__).parents[1] / "egov_procedures" / "demo" / "procedures.json"
PROCEDURES = json.loads(CATALOGUE.read_text(encoding="utf-8"))["procedures"]
CAL = WorkCalendar()

# a Monday in office hours, a Sunday night, the afternoon before Tết (clocks with microseconds,
# as datetime.now() gives)
CLOCKS = [
    datetime(2026, 11, 23, 10, 15, 42, 123456, tzinfo=VN_TZ),
    datetime(2026, 11, 29, 22, 5, 7, 654321, tzinfo=VN_TZ),
    datetime(2027, 2, 5, 16, 59, 59, 999999, tzinfo=VN_TZ),
]


def _procedure(p: dict[str, object]) -> Procedure:
    return Procedure(
        code=str(p["code"]),
        name=str(p["name"]),
        processing_value=int(str(p["processing_value"])),
        processing_unit=TimeUnit(p["processing_unit"]),
        supplement_rule=SupplementRule(p.get("supplement_rule", "pause")),
        deadline_mode=DeadlineMode(p.get("deadline_mode", "working-time")),
    )


BY_CODE = {str(p["code"]): _procedure(p) for p in PROCEDURES}


def _reports(now: datetime) -> list[c.StatusReported]:
    return list(generate(PROCEDURES, count=3000, now=now))


def _states(reports: list[c.StatusReported]):
    per: dict[str, list[c.StatusReported]] = defaultdict(list)
    for r in reports:
        per[r.dossier_code].append(r)
    for code, rs in per.items():
        domain = [
            StatusReport(
                report_id=f"{code}/{i}",
                dossier_code=code,
                status=Status(r.status.value),
                occurred_at=r.occurred_at,
                result=Result(r.result.value) if r.result else None,
                channel=Channel(r.channel.value) if r.channel else None,
            )
            for i, r in enumerate(rs)
        ]
        state = fold(code, BY_CODE[rs[0].procedure_code], CAL, domain)
        assert not state.refused, state.refused  # every report fits the lifecycle
        yield state


def _in_office_hours(at: datetime, *, closing: bool = False) -> bool:
    """In an office period of a working day (``closing``: its closing instant included, as
    for work finished at 17:00)."""
    local = at.astimezone(VN_TZ)
    return CAL.is_working_day(local.date()) and any(
        opens <= local.time() < closes or (closing and local.time() == closes)
        for opens, closes in CAL.office_hours.periods
    )


@pytest.mark.parametrize("now", CLOCKS, ids=["monday-morning", "sunday-night", "before-tet"])
def test_desk_dossiers_in_office_hours_online_at_any_time(now: datetime) -> None:
    received = [r for r in _reports(now) if r.status == c.DossierStatus.RECEIVED]

    desk = [r for r in received if r.channel in DESK_CHANNELS]
    online = [r for r in received if r.channel not in DESK_CHANNELS]
    assert len(desk) > 1000 and len(online) > 1000
    outside = [r.occurred_at for r in desk if not _in_office_hours(r.occurred_at)]
    assert outside == []
    # online submissions keep their hour: evenings, nights and weekends are there
    assert sum(not _in_office_hours(r.occurred_at) for r in online) > len(online) // 2


@pytest.mark.parametrize("now", CLOCKS, ids=["monday-morning", "sunday-night", "before-tet"])
def test_nothing_after_now_and_every_instant_a_whole_second(now: datetime) -> None:
    reports = _reports(now)

    assert max(r.occurred_at for r in reports) < now
    assert min(r.occurred_at for r in reports) >= now - timedelta(days=366)
    assert [r.occurred_at for r in reports if r.occurred_at.microsecond] == []
    for state in _states(reports):
        for at in (state.received_at, state.initial_due_at, state.due_at, state.finished_at):
            assert at is None or at.microsecond == 0, state


@pytest.mark.parametrize("now", CLOCKS, ids=["monday-morning", "sunday-night", "before-tet"])
def test_a_plausible_rate_and_non_empty_overdue_and_due_soon_queues(now: datetime) -> None:
    states = list(_states(_reports(now)))

    resolved = [s for s in states if s.counts_as_resolved]
    late = [s for s in resolved if s.timeliness == Timeliness.LATE]
    rate = 1 - len(late) / len(resolved)
    assert 1 <= len(late) <= 6 and 0.998 <= rate < 1  # near the 99.9 % provinces publish
    assert all(_in_office_hours(s.finished_at, closing=True) for s in late if s.finished_at)

    processing = [s for s in states if s.phase == Phase.PROCESSING]
    overdue = [s for s in processing if s.due_at and s.due_at < now]
    soon_until = CAL.add_working_days(now, 1)
    due_soon = [s for s in processing if s.due_at and now <= s.due_at <= soon_until]
    assert len(overdue) >= 3, "the overdue queue is empty on a fresh start"
    assert len(overdue) <= len(processing) // 4, "most dossiers in progress are within time"
    assert all(now - s.due_at < timedelta(days=21) for s in overdue if s.due_at)
    assert len(due_soon) >= 3, "nothing is due within a working day"
    assert any(s.phase == Phase.AWAITING_SUPPLEMENT for s in states) or len(states) < 3000


def test_the_same_clock_gives_the_same_year() -> None:
    now = CLOCKS[0]
    assert _reports(now) == _reports(now)
    assert _reports(now) != _reports(now + timedelta(days=1))


def test_office_hours_of_the_demo_are_the_calendars() -> None:
    assert CAL.office_hours.periods == ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))
