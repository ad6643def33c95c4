"""The report form's counts and the truncated on-time rate (Biểu 06/VPCP/KSTT)."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from egov_procedures.domain.model import Channel, Phase, Timeliness
from egov_procedures.domain.report import (
    DossierSnapshot,
    PeriodScheme,
    ReturnedWithdrawn,
    on_time_rate,
    period_bounds,
    report_form,
)
from egov_workdays import VN_TZ
from hypothesis import given
from hypothesis import strategies as st


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


START, END = vn(2026, 6, 15), vn(2026, 7, 15)


def snap(
    received,
    channel=Channel.COUNTER,
    phase=Phase.PROCESSING,
    finished=None,
    timeliness=None,
    due=None,
):
    return DossierSnapshot(received, channel, phase, finished, timeliness, due)


def test_counts_of_the_form():
    dossiers = [
        snap(
            vn(2026, 6, 1),
            phase=Phase.RESOLVED,
            finished=vn(2026, 6, 20),
            timeliness=Timeliness.ON_TIME,
        ),  # carried over, resolved on time
        snap(
            vn(2026, 6, 1),
            phase=Phase.RESOLVED,
            finished=vn(2026, 6, 10),
            timeliness=Timeliness.EARLY,
        ),  # ended before the period: not counted
        snap(vn(2026, 6, 20), Channel.ONLINE, Phase.RESOLVED, vn(2026, 6, 25), Timeliness.EARLY),
        snap(
            vn(2026, 6, 20),
            Channel.PUBLIC_SERVICE_PORTAL,
            Phase.REJECTED,
            vn(2026, 7, 1),
            Timeliness.LATE,
        ),
        snap(vn(2026, 6, 21), Channel.POSTAL, due=vn(2026, 7, 1)),  # in progress, overdue
        snap(vn(2026, 7, 10), due=vn(2026, 7, 20)),  # in progress, within deadline
        snap(vn(2026, 7, 1), phase=Phase.WITHDRAWN, finished=vn(2026, 7, 2)),
        snap(vn(2026, 7, 1), phase=Phase.RETURNED, finished=vn(2026, 7, 3)),
        snap(
            vn(2026, 7, 1),
            phase=Phase.RESOLVED,
            finished=vn(2026, 7, 20),
            timeliness=Timeliness.ON_TIME,
            due=vn(2026, 7, 30),
        ),  # resolved after: in progress
        snap(vn(2026, 7, 16)),  # after the period
    ]
    f = report_form(dossiers, START, END)
    assert (f.carried_over, f.received_online, f.received_counter_postal) == (1, 2, 5)
    assert (f.resolved_early, f.resolved_on_time, f.resolved_late) == (1, 1, 1)
    assert (f.in_progress_within_deadline, f.in_progress_overdue) == (2, 1)
    assert (f.withdrawn, f.returned) == (1, 1)
    assert f.resolved == 3 and f.on_time_rate == Decimal("66.66")  # truncated, not 66.67
    g = report_form(dossiers, START, END, ReturnedWithdrawn.ON_TIME)
    assert g.resolved == 5 and g.on_time_rate == Decimal("80.00")


def test_rate_is_truncated_and_null_without_results():
    assert on_time_rate(4000, 999, 5000) == Decimal("99.98")
    assert on_time_rate(2, 0, 3) == Decimal("66.66")
    assert on_time_rate(5000, 0, 5000) == Decimal("100.00")
    assert on_time_rate(0, 0, 0) is None


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_rate_never_rounds_up_to_100(early, on_time, late):
    resolved = early + on_time + late
    rate = on_time_rate(early, on_time, resolved)
    if resolved == 0:
        assert rate is None
    else:
        assert rate is not None and rate <= Decimal(100) * (early + on_time) / resolved
        assert (rate == 100) == (late == 0)


@pytest.mark.parametrize(
    ("label", "scheme", "bounds"),
    [
        ("2026-07", PeriodScheme.CUTOFF, (date(2026, 6, 15), date(2026, 7, 14))),
        ("2026-01", PeriodScheme.CUTOFF, (date(2025, 12, 15), date(2026, 1, 14))),
        ("2026-Q3", PeriodScheme.CUTOFF, (date(2026, 6, 15), date(2026, 9, 14))),
        ("2026-H1", PeriodScheme.CUTOFF, (date(2025, 12, 15), date(2026, 6, 14))),
        ("2026", PeriodScheme.CUTOFF, (date(2025, 12, 15), date(2026, 12, 14))),
        ("2026-02", PeriodScheme.CALENDAR, (date(2026, 2, 1), date(2026, 2, 28))),
        ("2026-Q4", PeriodScheme.CALENDAR, (date(2026, 10, 1), date(2026, 12, 31))),
    ],
)
def test_named_periods(label, scheme, bounds):
    assert period_bounds(label, scheme) == bounds


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "26", "2026-7", "2026-H3"])
def test_bad_period_labels(bad):
    with pytest.raises(ValueError):
        period_bounds(bad)


def test_dates_mean_whole_local_days():
    from egov_procedures.domain.report import period_instants

    start, end = period_instants(*period_bounds("2026-07"))
    assert (start, end) == (vn(2026, 6, 15), vn(2026, 7, 15))
    dossiers = [
        snap(vn(2026, 6, 15, 0, 0)),  # the first instant of the period
        snap(vn(2026, 7, 14, 23, 59)),  # the last minute of the 14th
        snap(vn(2026, 7, 15, 0, 0)),  # the next period
        snap(vn(2026, 6, 14, 23, 59)),  # carried over
    ]
    by_dates = report_form(dossiers, date(2026, 6, 15), date(2026, 7, 14))
    assert by_dates == report_form(dossiers, start, end)
    assert (by_dates.carried_over, by_dates.received) == (1, 2)


def test_rates_are_published_for_recent_months_quarters_and_the_last_year():
    from egov_procedures.main import closed_periods

    labels = [label for label, _s, _e in closed_periods(date(2026, 11, 23), PeriodScheme.CUTOFF)]
    # ND 09/2019 cut-off: "2026-11" ran 15 Oct – 14 Nov and is closed on 23 Nov
    assert labels[:4] == ["2026-11", "2026-10", "2026-09", "2026-08"]
    assert {"2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2025"} <= set(labels)
    assert "2026-Q4" not in labels and "2026" not in labels


def test_the_one_door_decree_in_force_is_dated():
    from egov_procedures.domain.report import legal_basis_for

    assert legal_basis_for(date(2025, 6, 30)).decree.startswith("Nghị định 61/2018/NĐ-CP")
    assert legal_basis_for(date(2025, 7, 1)).decree.startswith("Nghị định 118/2025/NĐ-CP")
    assert legal_basis_for(date(2026, 6, 14)).applies_to is None
    assert legal_basis_for(date(2010, 1, 1)).decree.startswith("Nghị định 61/2018/NĐ-CP")
