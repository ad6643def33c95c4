"""Reporting completeness and timeliness end to end, on a real broker and PostgreSQL: a data
set of ten communes under two districts, five reporting a month on time, three late and two not
at all; the rates and the missing list at commune, district and province level over HTTP (JSON
and CSV), and the reminders and overdue notices, each sent once however often the job runs.

The broker is shared by the whole test session, so the test reads only events about its own
data set (a code with a random suffix)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from typing import Any

import pytest
from egov_contracts.envelope import VN_TZ
from egov_devkit.testing.service import running_alone
from egov_indicators.main import SPEC
from egov_indicators.usecases.common import Work
from egov_indicators.usecases.reporting import send_reporting_notices
from egov_runtime.units import upsert_units

pytestmark = pytest.mark.integration

TAG = uuid.uuid4().hex[:6].upper()
DATA_SET = f"BC-THU-{TAG}"
H1, H2 = f"38.H{TAG}1", f"38.H{TAG}2"
COMMUNES = [f"38.X{TAG}{i:02d}" for i in range(1, 11)]  # 1–6 in H1, 7–10 in H2
LATE = {COMMUNES[2], COMMUNES[6], COMMUNES[7]}
MISSING = {COMMUNES[4], COMMUNES[9]}
ON_TIME = [c for c in COMMUNES if c not in LATE | MISSING]
# due 20 August 2025: long past, so the service's own periodic run (on the real clock, which
# looks back 31 days) never sends notices for it; the test runs the job on its own clock
PERIOD = "2025-07"


@pytest.fixture(scope="module")
async def service(kafka_bootstrap, postgres_admin_dsn):
    async with running_alone(kafka_bootstrap, postgres_admin_dsn, SPEC) as svc:
        units: list[dict[str, Any]] = [
            {"unit_code": d, "name": f"Huyện thử {d}", "level": "district", "parent_code": "38"}
            for d in (H1, H2)
        ]
        units += [
            {
                "unit_code": c,
                "name": f"Xã thử số {i + 1}",
                "level": "commune",
                "parent_code": H1 if i < 6 else H2,
            }
            for i, c in enumerate(COMMUNES)
        ]
        async with svc.runtime.transaction() as tx:
            await upsert_units(tx.conn, units)
        yield svc


async def submit(svc, unit: str, sent: datetime) -> None:
    body = {
        "submission_id": f"{unit}-{PERIOD}",
        "unit_code": unit,
        "period": PERIOD,
        "values": [{"indicator_code": "VL_GQVL", "value": "120"}],
        "submitted_by": "bao-cao-xa",
        "submitted_at": sent.isoformat(),
    }
    r = await svc.client.post("/v1/submissions", json=body, headers=svc.token("officer", unit=unit))
    assert r.status_code == 202, r.text


async def run_job(svc, now: datetime) -> list[str]:
    ctx = svc.app.state.wiring.state["context"]
    async with svc.runtime.transaction() as tx:
        events = await send_reporting_notices(Work.on(tx), ctx, now)
    return [f"{e.type.rsplit('.', 2)[-2]} {e.subject}" for e in events]


def notices(reader) -> list[tuple[str, str]]:
    return sorted(
        (e.type, e.data["unit_code"])
        for e in reader.events
        if e.subject and e.subject.startswith(f"{DATA_SET}/")
    )


async def test_rates_missing_list_and_notices_once_each(service, reader):
    admin = service.token("admin", unit="38")
    r = await service.client.put(
        f"/v1/data-sets/{DATA_SET}",
        json={
            "name_vi": "Báo cáo tháng thử",
            "period_kind": "month",
            "indicators": ["VL_GQVL"],
            "units": COMMUNES,
            "first_period": PERIOD,
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["due_day"] == 20
    for unit in ON_TIME:
        await submit(service, unit, datetime(2025, 8, 14, 9, tzinfo=VN_TZ))

    # 17 August: reminders to the five that have not reported; a second run sends nothing
    seventeenth = datetime(2025, 8, 17, 7, tzinfo=VN_TZ)
    first = await run_job(service, seventeenth)
    assert sorted(first) == sorted(f"due-soon {DATA_SET}/{c}/{PERIOD}" for c in LATE | MISSING)
    assert await run_job(service, seventeenth) == []
    # 21 August (the day after the due date): the same five are overdue, once
    twenty_first = datetime(2025, 8, 21, 7, tzinfo=VN_TZ)
    assert len(await run_job(service, twenty_first)) == 5
    assert await run_job(service, twenty_first) == []
    for unit in LATE:
        await submit(service, unit, datetime(2025, 8, 25, 16, tzinfo=VN_TZ))
    assert await run_job(service, datetime(2025, 8, 26, 7, tzinfo=VN_TZ)) == []

    due_soon = "vn.egov.indicators.report.due-soon.v1"
    overdue = "vn.egov.indicators.report.overdue.v1"
    expected = sorted(
        [(due_soon, c) for c in LATE | MISSING] + [(overdue, c) for c in LATE | MISSING]
    )
    await reader.until(lambda: len(notices(reader)) >= 10, timeout=30)
    assert notices(reader) == expected
    sample = next(e for e in reader.events if e.subject == f"{DATA_SET}/{COMMUNES[4]}/{PERIOD}")
    assert sample.data["unit_name"] == "Xã thử số 5"
    assert sample.data["due_date"] == "2025-08-20"
    assert sample.data["data_set_name"] == "Báo cáo tháng thử"

    # rates: province, districts and communes
    reader_token = service.token("council", unit="38")
    r = await service.client.get(
        "/v1/reporting-rates",
        params={"data_set": DATA_SET, "unit": "38", "period": PERIOD},
        headers=reader_token,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["due_date"], body["overdue"], body["total"]) == ("2025-08-20", True, 13)
    rows = {i["unit_code"]: i for i in body["items"]}

    def counts(unit: str) -> tuple[Any, ...]:
        i = rows[unit]
        keys = ("expected", "received", "on_time", "late", "missing", "rate", "rate_on_time")
        return tuple(i[k] for k in keys)

    assert counts("38") == (10, 8, 5, 3, 2, "80.00", "50.00")
    assert counts(H1) == (6, 5, 4, 1, 1, "83.33", "66.67")
    assert counts(H2) == (4, 3, 1, 2, 1, "75.00", "25.00")
    assert counts(COMMUNES[2]) == (1, 1, 0, 1, 0, "100.00", "0.00")
    assert counts(COMMUNES[4]) == (1, 0, 0, 0, 1, "0.00", "0.00")
    assert rows[H1]["unit_name"] == f"Huyện thử {H1}"

    r = await service.client.get(
        "/v1/reporting-rates/missing",
        params={"data_set": DATA_SET, "unit": "38", "period": PERIOD},
        headers=reader_token,
    )
    assert [(i["unit_code"], i["parent_code"]) for i in r.json()["items"]] == [
        (COMMUNES[4], H1),
        (COMMUNES[9], H2),
    ]
    r = await service.client.get(
        "/v1/reporting-rates/missing",
        params={"data_set": DATA_SET, "unit": H2, "period": PERIOD},
        headers=reader_token,
    )
    assert [i["unit_code"] for i in r.json()["items"]] == [COMMUNES[9]]
    assert r.json()["total"] == 1

    r = await service.client.get(
        "/v1/reporting-rates",
        params={"data_set": DATA_SET, "unit": H2, "period": PERIOD, "format": "csv"},
        headers=reader_token,
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["unit_code", "unit_name", "expected"]
    assert table[1][:9] == [H2, f"Huyện thử {H2}", "4", "3", "1", "2", "1", "75.00", "25.00"]
    assert len(table) == 1 + 5

    # overdue or not is the service's clock's day against the due date, not the machine's
    wall = service.runtime.clock
    service.runtime.clock = lambda: datetime(2025, 8, 20, 16, 30, tzinfo=VN_TZ)
    try:
        for path in ("/v1/reporting-rates", "/v1/reporting-rates/missing"):
            r = await service.client.get(
                path,
                params={"data_set": DATA_SET, "unit": "38", "period": PERIOD},
                headers=reader_token,
            )
            assert (r.json()["due_date"], r.json()["overdue"]) == ("2025-08-20", False), path
    finally:
        service.runtime.clock = wall


async def test_a_period_of_another_kind_or_an_unknown_data_set_is_refused(service):
    token = service.token("council", unit="38")
    r = await service.client.get(
        "/v1/reporting-rates",
        params={"data_set": "KHONG-CO", "unit": "38", "period": PERIOD},
        headers=token,
    )
    assert r.status_code == 404
    r = await service.client.put(
        f"/v1/data-sets/{DATA_SET}-X",
        json={"name_vi": "X", "period_kind": "month", "indicators": ["KHONG_CO"], "units": []},
        headers=service.token("admin", unit="38"),
    )
    assert r.status_code == 422
    officer = service.token("admin", unit=COMMUNES[0])
    r = await service.client.put(
        f"/v1/data-sets/{DATA_SET}-Y",
        json={"name_vi": "Y", "period_kind": "month", "indicators": ["VL_GQVL"], "units": []},
        headers=officer,
    )
    assert r.status_code == 403


JOBS = {
    2011: 58000, 2012: 59000, 2013: 60000, 2014: 61000, 2015: 62000,
    2016: 64000, 2017: 66500, 2018: 68000, 2019: 70200, 2020: 71200,
}  # fmt: skip


async def test_a_plan_period_with_its_yearly_average_the_earlier_period_and_a_range(service):
    unit = COMMUNES[0]
    for year, jobs in JOBS.items():
        body = {
            "submission_id": f"{unit}-{year}",
            "unit_code": unit,
            "period": str(year),
            "values": [{"indicator_code": "VL_GQVL", "value": str(jobs)}],
            "submitted_by": "bao-cao-xa",
            "submitted_at": datetime(year + 1, 1, 15, 9, tzinfo=VN_TZ).isoformat(),
        }
        r = await service.client.post(
            "/v1/submissions", json=body, headers=service.token("officer", unit=unit)
        )
        assert r.status_code == 202, r.text
    planner = service.token("operator", unit="38")
    r = await service.client.put(
        f"/v1/plan-targets/VL_GQVL/{unit}/2016-2020",
        json={"target_low": "65000", "target_high": "70000", "basis": "yearly-average",
              "note": "từ 6,5 đến 7 vạn lao động mỗi năm"},
        headers=planner,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    r = await service.client.put(
        f"/v1/plan-targets/VL_GQVL/{unit}/2016-2020",
        json={"target_low": "350000", "target_high": "360000"},
        headers=planner,
    )
    assert r.status_code == 200, r.text
    r = await service.client.get(
        "/v1/plan-periods/2016-2020",
        params={"indicator": "VL_GQVL", "unit": unit, "compare_with": "2011-2015"},
        headers=service.token("council", unit="38"),
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["value"], got["yearly_average"], got["period_label_vi"]) == (
        "339900",
        "67980",
        "giai đoạn 2016–2020",
    )
    assert (got["compare_with"]["value"], got["compare_with"]["ratio_pct"]) == ("300000", "113.30")
    targets = {t["basis"]: t for t in got["targets"]}
    yearly = targets["yearly-average"]
    assert (yearly["status"], yearly["within_range"], yearly["pct_of_low"]) == (
        "achieved",
        True,
        "104.58",
    )
    total = targets["period"]
    assert (total["actual"], total["status"], total["within_range"]) == ("339900", "missed", False)

    r = await service.client.get(
        "/v1/plan-periods/2020-2016",
        params={"indicator": "VL_GQVL", "unit": unit},
        headers=service.token("council", unit="38"),
    )
    assert r.status_code == 422


async def test_an_open_year_is_judged_by_its_months_so_far(service):
    from decimal import Decimal

    from egov_indicators.domain.achievement import load_seasonal_profiles
    from egov_indicators.domain.definitions import load_catalogue
    from egov_indicators.domain.year_to_date import judge_year_to_date, year_to_date

    unit = COMMUNES[1]
    for month in range(1, 8):
        body = {
            "submission_id": f"{unit}-2026-{month:02d}",
            "unit_code": unit,
            "period": f"2026-{month:02d}",
            "values": [{"indicator_code": "VL_GQVL", "value": "1400"}],
            "submitted_by": "bao-cao-xa",
            "submitted_at": datetime(2026, month + 1, 10, 9, tzinfo=VN_TZ).isoformat(),
        }
        r = await service.client.post(
            "/v1/submissions", json=body, headers=service.token("officer", unit=unit)
        )
        assert r.status_code == 202, r.text
    r = await service.client.put(
        f"/v1/targets/VL_GQVL/{unit}/2026",
        json={"target": "16000"},
        headers=service.token("operator", unit="38"),
    )
    assert r.status_code == 200, r.text
    reader_token = service.token("council", unit="38")
    r = await service.client.get(
        "/v1/year-to-date",
        params={"indicator": "VL_GQVL", "unit": unit, "year": 2026},
        headers=reader_token,
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["value"], got["completeness"], got["derivation"], got["months"]) == (
        "9800",
        "partial",
        "sum 2026-01..2026-07",
        7,
    )
    jobs = load_catalogue()["VL_GQVL"]
    ytd = year_to_date(jobs, 2026, {m: Decimal(1400) for m in range(1, 8)})
    assert ytd is not None
    e = judge_year_to_date(jobs, ytd, Decimal(16000), profile=load_seasonal_profiles()["VL_GQVL"])
    evaluation = got["evaluation"]
    assert (evaluation["as_of"], evaluation["expectation"], evaluation["period_closed"]) == (
        "2026-07-31",
        "seasonal",
        False,
    )
    assert evaluation["expected_to_date"] == format(e.expected_to_date, "f")
    assert evaluation["status"] == e.status.value
    # the district's months are rolled up from the commune's, so its year so far is the same
    r = await service.client.get(
        "/v1/year-to-date",
        params={"indicator": "VL_GQVL", "unit": H1, "year": 2026},
        headers=reader_token,
    )
    assert (r.json()["value"], r.json()["evaluation"]) == ("9800", None)
