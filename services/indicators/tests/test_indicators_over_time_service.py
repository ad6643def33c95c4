"""Months into the year, end to end on a real broker and PostgreSQL: twelve monthly reports of
jobs created give the commune's derived year value (and the province's, rolled up), which the
year's target is evaluated against; a correction of one month updates the year, and only the
derived values that changed go out again as ``value.recorded.v1``.

The broker is shared by the whole test session: the test uses a far-future year of its own and
reads only events about it published since this module started."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from egov_contracts.envelope import VN_TZ, CloudEvent

pytestmark = pytest.mark.integration
STARTED = datetime.now(VN_TZ)
YEAR = "2097"
UNIT = "38.XA.SAMSON"
JOBS = [1400, 1300, 1500, 1350, 1420, 1380, 1410, 1390, 1460, 1440, 1396, 1410]  # 16,856


def headers(svc, role: str = "officer", unit: str = UNIT) -> dict[str, str]:
    return svc.token(role, unit=unit, subject=f"{role}-{unit}")


def monthly(month: int, jobs: int, **kw: Any) -> dict[str, Any]:
    return {
        "submission_id": f"OT-{YEAR}-{month:02d}-{uuid.uuid4().hex[:8]}",
        "unit_code": UNIT,
        "period": f"{YEAR}-{month:02d}",
        "values": [{"indicator_code": "VL_GQVL", "value": str(jobs)}],
        "submitted_by": "xa-samson",
        "submitted_at": datetime.now(VN_TZ).isoformat(),
        **kw,
    }


def published(reader, subject: str, suffix: str) -> list[CloudEvent]:
    return [e for e in reader.of(subject, suffix) if e.time >= STARTED]


async def values(svc, unit: str, period: str) -> dict[str, dict[str, Any]]:
    r = await svc.client.get(
        "/v1/values",
        params={"unit": unit, "period": period, "indicator": "VL_GQVL"},
        headers=headers(svc, unit="38"),
    )
    assert r.status_code == 200, r.text
    return {i["unit_code"]: i for i in r.json()["items"] if not i["disaggregation"]}


async def test_twelve_months_make_the_year_and_a_corrected_month_updates_it(service, reader):
    svc = service
    r = await svc.client.put(
        f"/v1/targets/VL_GQVL/{UNIT}/{YEAR}",
        json={"target": "16000", "note": "NQ HĐND"},
        headers=headers(svc, "operator", "38"),
    )
    assert r.status_code == 200 and r.json()["evaluation"] is None, r.text

    ids = {}
    for month, jobs in enumerate(JOBS, start=1):
        body = monthly(month, jobs)
        ids[month] = body["submission_id"]
        r = await svc.client.post("/v1/submissions", json=body, headers=headers(svc))
        assert r.status_code == 202 and r.json()["status"] == "accepted", r.text
        if month == 11:  # a month missing: no year value yet, but the complete quarters
            assert await values(svc, UNIT, YEAR) == {}
            assert (await values(svc, UNIT, f"{YEAR}-Q3"))[UNIT]["value"] == "4260"

    year = (await values(svc, UNIT, YEAR))[UNIT]
    assert (year["value"], year["derived"], year["revision"]) == ("16856", True, 1)
    assert year["sources"] == [f"{YEAR}-{m:02d}" for m in range(1, 13)]
    # the province's year rolls up from the commune's derived year
    province = (await values(svc, "38", YEAR))["38"]
    assert (province["value"], province["derived"]) == ("16856", True)

    subject = f"VL_GQVL/{UNIT}/{YEAR}"

    def year_evaluated(actual: str) -> bool:
        return any(
            e.data["actual"] == actual for e in published(reader, subject, "target.evaluated.v1")
        )

    await reader.until(lambda: year_evaluated("16856"))
    evaluation = published(reader, subject, "target.evaluated.v1")[-1].data
    assert (evaluation["target"], evaluation["achievement_pct"]) == ("16000", "105.35")
    recorded = published(reader, subject, "value.recorded.v1")
    assert [(e.data["value"], e.data["derived"]) for e in recorded] == [("16856", True)]
    r = await svc.client.get(
        "/v1/achievement",
        params={"unit": UNIT, "period": YEAR, "indicator": "VL_GQVL"},
        headers=headers(svc),
    )
    item = r.json()["items"][0]
    assert (item["actual"], item["achievement_pct"]) == ("16856", "105.35")

    # May corrected from 1,420 to 1,464: the year becomes 16,900 (105.63 % of plan)
    fix = monthly(5, 1464, replaces=ids[5], reason="Bổ sung số liệu tháng 5")
    r = await svc.client.post("/v1/submissions", json=fix, headers=headers(svc))
    assert r.status_code == 202 and r.json()["updated"] == 1, r.text
    year = (await values(svc, UNIT, YEAR))[UNIT]
    assert (year["value"], year["revision"]) == ("16900", 2)

    await reader.until(lambda: year_evaluated("16900"))
    evaluation = published(reader, subject, "target.evaluated.v1")[-1].data
    assert evaluation["achievement_pct"] == "105.63"
    await reader.until(lambda: len(published(reader, subject, "value.recorded.v1")) == 2)
    recorded = published(reader, subject, "value.recorded.v1")
    assert [(e.data["value"], e.data["revision"]) for e in recorded] == [
        ("16856", 1),
        ("16900", 2),
    ]
    # the quarter and half the month is in changed; the first quarter did not: published once
    await reader.until(
        lambda: len(published(reader, f"VL_GQVL/{UNIT}/{YEAR}-Q2", "value.recorded.v1")) == 2
    )
    assert [
        e.data["value"] for e in published(reader, f"VL_GQVL/{UNIT}/{YEAR}-Q1", "value.recorded.v1")
    ] == ["4200"]
    province_values = [f"VL_GQVL/38/{YEAR}", "value.recorded.v1"]
    await reader.until(lambda: len(published(reader, *province_values)) == 2)
    assert [e.data["value"] for e in published(reader, *province_values)] == ["16856", "16900"]
