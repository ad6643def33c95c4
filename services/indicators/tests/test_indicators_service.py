"""indicators end to end on a real broker and PostgreSQL: submissions in over Kafka and HTTP,
accepted/rejected, values (reported and rolled up) and target evaluations out on
``egov.indicators.results``; duplicates, approval locks and corrections, CSV import summary,
roll-up across the 2025 reform.

The broker is shared by the whole test session, so every assertion on a topic filters by the
ids of its own submissions (correlation ids) or by this module's start time."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts import indicators as c
from egov_contracts.envelope import VN_TZ, CloudEvent, encode, new_event
from egov_contracts.topics import (
    INDICATOR_SUBMISSIONS,
)
from egov_devkit.devstack.postgres import create_database, drop_database
from egov_devkit.testing.fixtures import wait_for
from egov_indicators.demo import data
from egov_indicators.main import SPEC
from egov_indicators.settings import IndicatorsSettings
from egov_runtime.auth import credential_header, issue_token
from egov_runtime.db import all_migrations, migrate
from openpyxl import load_workbook

pytestmark = pytest.mark.integration
STARTED = datetime.now(VN_TZ)


@pytest.fixture(scope="module")
async def producer(kafka_bootstrap):
    p = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await p.start()
    yield p
    await p.stop()


def officer(svc, unit: str = "38", role: str = "officer") -> dict[str, str]:
    return svc.token(role, unit=unit, subject=f"{role}-{unit}")


def payload(sid: str, unit: str, period: str, values: dict[str, Any], **kw: Any) -> dict:
    return {
        "submission_id": sid,
        "unit_code": unit,
        "period": period,
        "values": [{"indicator_code": k, "value": str(v)} for k, v in values.items()],
        "submitted_by": "bao-cao-test",
        "submitted_at": datetime.now(VN_TZ).isoformat(),
        **kw,
    }


def sid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def credential(unit: str = "38") -> tuple[str, bytes]:
    """A statistics system's credential for `unit` (the record header), signed as the
    service's tokens are."""
    secret = IndicatorsSettings().jwt_secret.get_secret_value()
    return credential_header(
        issue_token(secret, subject="thong-ke", roles=["integration"], unit_code=unit)
    )


async def send(
    producer, body: dict, *, times: int = 1, auth: tuple[str, bytes] | None = None
) -> CloudEvent:
    """Publish ``submission.received.v1`` as a district's system would (structured mode), with
    its credential (default: the province's)."""
    received = c.SubmissionReceived.model_validate(body)
    key = f"{received.unit_code}/{received.period}"
    event = new_event(received, source="/vn/38/thong-ke-huyen", subject=key)
    value, headers = encode(event)
    headers = [*headers, auth or credential()]
    for _ in range(times):
        await producer.send_and_wait(
            INDICATOR_SUBMISSIONS.name, value=value, key=key.encode(), headers=headers
        )
    return event


def caused_by(reader, ids: set[str], suffix: str) -> list[CloudEvent]:
    return [e for e in reader.events if e.correlationid in ids and e.type.endswith(suffix)]


def outcome_of(reader, submission_id: str) -> list[CloudEvent]:
    return [
        e
        for e in reader.events
        if ".submission." in e.type and e.data.get("submission_id") == submission_id
    ]


# -- seed figures -----------------------------------------------------------------------------


async def test_seed_figures_reproduce_through_http(service, reader):
    svc = service
    for body in data.submissions("2024", "2025", prefix=sid("HTTP")):
        r = await svc.client.post("/v1/submissions", json=body, headers=officer(svc))
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "accepted"
    for code, unit, period, target in data.targets("2025"):
        r = await svc.client.put(
            f"/v1/targets/{code}/{unit}/{period}",
            json={"target": target, "note": "NQ HĐND"},
            headers=officer(svc, role="operator"),
        )
        assert r.status_code == 200, r.text
    # a target the catalogue does not admit: the use case's refusal, as problem details
    r = await svc.client.put(
        "/v1/targets/NO-SUCH/38/2025",
        json={"target": "1", "note": "NQ HĐND"},
        headers=officer(svc, role="operator"),
    )
    assert r.status_code == 422, r.text
    assert r.json()["title"] == "Chỉ tiêu kế hoạch không hợp lệ"
    assert r.json()["errors"] == [{"field": "indicator", "message": "unknown indicator NO-SUCH"}]

    r = await svc.client.get(
        "/v1/achievement", params={"unit": "38", "period": "2025"}, headers=officer(svc)
    )
    assert r.status_code == 200, r.text
    got = {i["indicator_code"]: i for i in r.json()["items"]}
    for code, expected in data.EXPECTED.items():
        assert {k: got[code][k] for k in expected} == expected, code
    # the download says the same: direction, planned versus achieved change, verdict in words
    r = await svc.client.get(
        "/v1/export", params={"unit": "38", "period": "2025", "format": "csv"}, headers=officer(svc)
    )
    [poor] = [
        x
        for x in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))
        if (x["unit_code"], x["indicator_code"], x["disaggregation"]) == ("38", "TL_HO_NGHEO", "")
    ]
    assert (poor["direction"], poor["status"], poor["planned_change"]) == (
        "lower-is-better",
        "achieved",
        "-1.24",
    )
    assert (poor["achieved_change"], poor["change_achievement_pct"]) == ("-1.41", "113.71")
    assert "kế hoạch giảm 1,24 điểm %, thực hiện giảm 1,41 điểm %" in poor["verdict_vi"]

    # the province's poverty rate is the weighted mean of the units' rates (from numerator and
    # denominator), not their simple mean
    r = await svc.client.get(
        "/v1/values",
        params={"unit": "38", "period": "2025", "indicator": "TL_HO_NGHEO", "subunits": "true"},
        headers=officer(svc),
    )
    rates = {i["unit_code"]: i for i in r.json()["items"] if not i["disaggregation"]}
    assert rates["38"]["value"] == "5.33" and rates["38"]["derived"] is True
    assert (rates["38"]["numerator"], rates["38"]["denominator"]) == ("5330", "100000")
    simple = (
        Decimal(rates["38.XA.HACTHANH"]["value"]) + Decimal(rates["38.XA.DONGSON"]["value"])
    ) / 2
    assert simple.quantize(Decimal("0.01")) == Decimal("5.92")  # (3.00 + 8.83) / 2
    assert Decimal(rates["38"]["value"]) != simple.quantize(Decimal("0.01"))

    # the same figures went out as target.evaluated.v1 on the results topic
    def evaluated(subject: str) -> list[CloudEvent]:
        return [
            e
            for e in reader.of(subject, "target.evaluated.v1")
            if e.time >= STARTED and e.data["period"] == "2025"
        ]

    await reader.until(lambda: evaluated("VL_GQVL/38/2025") and evaluated("TL_HO_NGHEO/38/2025"))
    jobs = evaluated("VL_GQVL/38/2025")[-1].data
    assert (jobs["target"], jobs["actual"], jobs["achievement_pct"], jobs["status"]) == (
        "16000",
        "16856",
        "105.35",
        "achieved",
    )
    poverty = evaluated("TL_HO_NGHEO/38/2025")[-1].data
    assert (poverty["actual"], poverty["change_vs_previous"], poverty["change_unit"]) == (
        "5.33",
        "-1.41",
        "pp",
    )
    assert (poverty["direction"], poverty["planned_change"], poverty["achieved_change"]) == (
        "lower-is-better",
        "-1.24",
        "-1.41",
    )
    assert poverty["change_achievement_pct"] == "113.71"
    assert poverty["verdict_vi"].startswith("Đạt kế hoạch: thực hiện 5,33% (chỉ tiêu càng thấp")
    assert poverty["direction"] == "lower-is-better" and poverty["status"] == "achieved"


async def test_seed_figures_reproduce_through_kafka(service, producer, reader):
    svc = service
    # targets first: the values arriving on Kafka are what gets evaluated
    for code, unit, period, target in data.targets("2023"):
        r = await svc.client.put(
            f"/v1/targets/{code}/{unit}/{period}",
            json={"target": target},
            headers=officer(svc, role="admin"),
        )
        assert r.status_code == 200 and r.json()["evaluation"] is None
    bodies = data.submissions(
        "2022", "2023", before_units=data.DISTRICTS, after_units=data.DISTRICTS, prefix=sid("K")
    )
    ids = {(await send(producer, b)).id for b in bodies}

    def latest(code: str) -> dict | None:
        found = [
            e
            for e in caused_by(reader, ids, "target.evaluated.v1")
            if e.subject == f"{code}/38/2023"
        ]
        return found[-1].data if found else None

    def complete() -> bool:
        jobs, poverty = latest("VL_GQVL"), latest("TL_HO_NGHEO")
        return bool(
            jobs
            and jobs["actual"] == "16856"
            and poverty
            and poverty["actual"] == "5.33"
            and poverty.get("change_vs_previous") == "-1.41"
        )

    # two years of every district's submissions, evaluated in whatever order the partitions
    # deliver them: a longer deadline than the reader's default
    await reader.until(complete, timeout=60)
    assert len(caused_by(reader, ids, "submission.accepted.v1")) == len(bodies)
    for code, expected in data.EXPECTED.items():
        await reader.until(
            lambda code=code, want=expected["actual"]: (latest(code) or {}).get("actual") == want
        )
        got = latest(code)
        assert got is not None
        assert {k: got[k] for k in expected} == expected, code
    derived = [
        e.data
        for e in caused_by(reader, ids, "value.recorded.v1")
        if e.subject == "TL_HO_NGHEO/38/2022"
    ]
    assert derived[-1]["derived"] is True and derived[-1]["value"] == "6.74"


# -- rejection with every violation -----------------------------------------------------------

BROKEN = {
    "LD_TONG": 1000,
    "LD_QUA_DAO_TAO": 1200,  # more trained workers than the labour force
    "LD_CO_BANG_CC": 1300,  # more with a certificate than trained
    "TL_LD_QUA_DAO_TAO": "50.00",  # is not 1200 / 1000 × 100
    "HO_TONG": 500,
    "HO_NGHEO": 600,  # more poor households than households
    "HO_CAN_NGHEO": 10,
}
BROKEN_RULES = {
    "trained-within-labour-force",
    "certificate-within-trained",
    "rate-matches-tl-ld-qua-dao-tao",
    "poor-within-households",
    "poor-and-near-poor-within-households",
}


async def test_cross_rule_breaking_submission_is_rejected_with_every_violation(
    service, producer, reader
):
    svc = service
    # HTTP: 422 problem details listing every violation; nothing recorded
    http_id = sid("BAD-HTTP")
    r = await svc.client.post(
        "/v1/submissions",
        json=payload(http_id, "38.XA.SAMSON", "2026", BROKEN),
        headers=officer(svc, "38.XA.SAMSON"),
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == 422 and problem["title"] == "Báo cáo không được tiếp nhận"
    assert {e["rule"] for e in problem["errors"]} == BROKEN_RULES
    r = await svc.client.get(
        "/v1/values", params={"unit": "38.XA.SAMSON", "period": "2026"}, headers=officer(svc)
    )
    assert r.json()["items"] == []

    # Kafka: submission.rejected.v1 with the same violations
    kafka_id = sid("BAD-KAFKA")
    await send(producer, payload(kafka_id, "38.XA.NAMSAMSON", "2026", BROKEN))
    await reader.until(lambda: outcome_of(reader, kafka_id))
    [rejected] = outcome_of(reader, kafka_id)
    assert rejected.type == c.SubmissionRejected.event_type
    assert {v["rule"] for v in rejected.data["violations"]} == BROKEN_RULES
    broken_trained = next(
        v for v in rejected.data["violations"] if v["rule"] == "trained-within-labour-force"
    )
    assert (broken_trained["indicator_code"], broken_trained["value"]) == ("LD_QUA_DAO_TAO", "1200")

    # the HTTP rejection is published too
    await reader.until(lambda: outcome_of(reader, http_id))
    assert {v["rule"] for v in outcome_of(reader, http_id)[0].data["violations"]} == BROKEN_RULES


# -- duplicates -------------------------------------------------------------------------------


async def test_duplicates_change_nothing(service, producer, reader):
    svc = service
    unit, period = "38.XA.QUANGPHU", "2026-09"
    # Kafka: the same event delivered three times, and the same submission under a new event id
    dup = payload(sid("DUP"), unit, period, {"VL_GQVL": 120})
    await send(producer, dup, times=3)
    await send(producer, dup)
    # a later submission on the same key (same partition, so after the duplicates)
    barrier = payload(sid("BARRIER"), unit, period, {"NCC_DUOC_HO_TRO": 7})
    await send(producer, barrier)
    await reader.until(lambda: outcome_of(reader, barrier["submission_id"]))
    assert [e.type for e in outcome_of(reader, dup["submission_id"])] == [
        c.SubmissionAccepted.event_type
    ]
    r = await svc.client.get(f"/v1/reports/{unit}/{period}", headers=officer(svc))
    report = r.json()
    assert [s["submission_id"] for s in report["submissions"]] == [
        dup["submission_id"],
        barrier["submission_id"],
    ]
    assert [(h["indicator_code"], h["revision"]) for h in report["history"]] == [
        ("VL_GQVL", 1),
        ("NCC_DUOC_HO_TRO", 1),
    ]

    # HTTP: the same Idempotency-Key answers the same and acts once
    body = payload(sid("IDEM"), unit, "2026-10", {"VL_GQVL": 80})
    headers = {**officer(svc), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await svc.client.post("/v1/submissions", json=body, headers=headers)
    again = await svc.client.post("/v1/submissions", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json() == again.json()
    # the same submission without the key: recognised by its id, nothing changes
    third = await svc.client.post("/v1/submissions", json=body, headers=officer(svc))
    assert third.status_code == 200 and third.json()["status"] == "duplicate"
    # the same id with other content is a conflict
    changed = {**body, "values": [{"indicator_code": "VL_GQVL", "value": "81"}]}
    r = await svc.client.post("/v1/submissions", json=changed, headers=officer(svc))
    assert r.status_code == 409
    r = await svc.client.get(f"/v1/reports/{unit}/2026-10", headers=officer(svc))
    assert [(h["new_value"], h["revision"]) for h in r.json()["history"]] == [("80", 1)]
    await reader.until(lambda: outcome_of(reader, body["submission_id"]))
    assert len(outcome_of(reader, body["submission_id"])) == 1


# -- approval, lock and corrections ------------------------------------------------------------


async def test_correction_after_lock_needs_a_correction_with_reason(service, producer, reader):
    svc = service
    unit, period = "38.XA.NGASON", "2026-Q1"
    commune = officer(svc, unit)
    first = payload(sid("Q1"), unit, period, {"VL_GQVL": 100})
    r = await svc.client.post("/v1/submissions", json=first, headers=commune)
    assert r.status_code == 202

    # only the level above approves
    r = await svc.client.post(
        "/v1/approvals", json={"unit_code": unit, "period": period}, headers=commune
    )
    assert r.status_code == 403
    r = await svc.client.post(
        "/v1/approvals", json={"unit_code": unit, "period": period}, headers=officer(svc)
    )
    assert r.status_code == 201, r.text
    r = await svc.client.post(
        "/v1/approvals", json={"unit_code": unit, "period": period}, headers=officer(svc)
    )
    assert r.status_code == 409

    # after the lock: a plain submission is refused, a correction without a reason too
    r = await svc.client.post(
        "/v1/submissions", json=payload(sid("Q1"), unit, period, {"VL_GQVL": 110}), headers=commune
    )
    assert r.status_code == 422
    assert [e["rule"] for e in r.json()["errors"]] == ["period-locked"]
    no_reason = payload(sid("Q1"), unit, period, {"VL_GQVL": 120}, replaces=first["submission_id"])
    r = await svc.client.post("/v1/submissions", json=no_reason, headers=commune)
    assert [e["rule"] for e in r.json()["errors"]] == ["correction-reason-required"]

    # a correction with its reason is accepted; the history keeps who, when, what and why
    fixed = {**no_reason, "submission_id": sid("Q1-FIX"), "reason": "Bỏ sót xã Nga Thạch"}
    r = await svc.client.post("/v1/submissions", json=fixed, headers=commune)
    assert r.status_code == 202, r.text
    assert r.json()["updated"] == 1
    # and the same over Kafka
    kafka_fix = payload(
        sid("Q1-FIX-K"), unit, period, {"VL_GQVL": 125}, replaces=first["submission_id"]
    )
    kafka_fix["reason"] = "Số liệu chính thức của Chi cục Thống kê"
    await send(producer, kafka_fix)
    await reader.until(lambda: outcome_of(reader, kafka_fix["submission_id"]))
    assert outcome_of(reader, kafka_fix["submission_id"])[0].type == c.SubmissionAccepted.event_type

    r = await svc.client.get(f"/v1/reports/{unit}/{period}", headers=commune)
    report = r.json()
    assert report["locked"] is True and report["lock"]["approver_unit"] == "38"
    assert [
        (h["old_value"], h["new_value"], h["revision"], h["reason"]) for h in report["history"]
    ] == [
        (None, "100", 1, None),
        ("100", "120", 2, "Bỏ sót xã Nga Thạch"),
        ("120", "125", 3, "Số liệu chính thức của Chi cục Thống kê"),
    ]
    assert {s["status"] for s in report["submissions"]} == {"accepted", "rejected"}
    r = await svc.client.get("/v1/values", params={"unit": unit, "period": period}, headers=commune)
    [value] = r.json()["items"]
    assert (value["value"], value["revision"]) == ("125", 3)


# -- CSV import -------------------------------------------------------------------------------


async def test_csv_import_summary(service):
    svc = service
    unit = "38.XA.BIMSON"
    commune = officer(svc, unit)
    r = await svc.client.post(
        "/v1/submissions",
        json=payload(sid("PRE"), unit, "2026-10", {"VL_GQVL": 50, "VL_XKLD": 5}),
        headers=commune,
    )
    assert r.status_code == 202
    text = (
        "unit_code,period,indicator_code,value,disaggregation\n"
        f"{unit},2026-10,VL_GQVL,50,\n"  # 2: unchanged
        f"{unit},2026-10,VL_XKLD,7,\n"  # 3: updated
        f"{unit},2026-10,NCC_DUOC_HO_TRO,30,\n"  # 4: imported
        f'{unit},2026-10,GDNN_TUYEN_SINH,"16,856",\n'  # 5: not a number
        f"{unit},2026-10,NOPE,1,\n"  # 6: unknown indicator
        f"{unit},2026-10,NCC_DUOC_HO_TRO,30,\n"  # 7: the same cell again, same value
        "38.XA.QUANGTRUNG,2026-10,VL_GQVL,10,\n"  # 8: outside the officer's unit
        f"{unit},2026,HO_TONG,100,\n"  # 9-11: a poverty review breaking two rules
        f"{unit},2026,HO_NGHEO,150,\n"
        f"{unit},2026,HO_CAN_NGHEO,0,\n"
    )
    r = await svc.client.post(
        "/v1/imports",
        content=text.encode(),
        headers={**commune, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    s = r.json()
    assert (s["status"], s["imported"], s["updated"], s["ignored"]) == ("WARNING", 1, 1, 8)
    assert [(x["row"], x.get("rule")) for x in s["conflicts"]] == [
        (5, None),
        (6, None),
        (8, None),
        (10, "poor-within-households"),
        (11, "poor-and-near-poor-within-households"),
    ]
    assert sorted(x["status"] for x in s["submissions"]) == ["accepted", "rejected"]
    r = await svc.client.get(
        "/v1/values", params={"unit": unit, "period": "2026-10"}, headers=commune
    )
    values = {i["indicator_code"]: (i["value"], i["revision"]) for i in r.json()["items"]}
    assert values == {"VL_GQVL": ("50", 1), "VL_XKLD": ("7", 2), "NCC_DUOC_HO_TRO": ("30", 1)}
    r = await svc.client.get("/v1/values", params={"unit": unit, "period": "2026"}, headers=commune)
    assert r.json()["items"] == []

    # the period's table exports as CSV and XLSX
    r = await svc.client.get(
        "/v1/export", params={"unit": unit, "period": "2026-10", "format": "csv"}, headers=commune
    )
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {x["unit_name"] for x in rows} == {"Phường Bỉm Sơn"}  # names beside codes
    assert {(x["indicator_code"], x["value"]) for x in rows} == {
        ("VL_GQVL", "50"),
        ("VL_XKLD", "7"),
        ("NCC_DUOC_HO_TRO", "30"),
    }
    r = await svc.client.get(
        "/v1/export", params={"unit": unit, "period": "2026-10"}, headers=commune
    )
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None and sheet.max_row == 2 + 3


async def test_a_dry_run_checks_everything_and_stores_and_sends_nothing(service, reader):
    svc = service
    unit = "38.XA.THOXUAN"
    commune = officer(svc, unit)
    text = (
        "unit_code,period,indicator_code,value\n"
        f"{unit},2026-09,VL_GQVL,40\n"
        f"{unit},2026-09,VL_XKLD,ba\n"  # 3: not a number
    )
    headers = {**commune, "Content-Type": "text/csv", "Idempotency-Key": sid("dry")}

    dry = await svc.client.post(
        "/v1/imports", params={"dry_run": "true"}, content=text.encode(), headers=headers
    )

    assert dry.status_code == 200, dry.text
    d = dry.json()
    assert (d["dry_run"], d["status"], d["imported"], d["updated"]) == (True, "WARNING", 1, 0)
    assert [x["row"] for x in d["conflicts"]] == [3]
    assert [x["status"] for x in d["submissions"]] == ["accepted"]
    r = await svc.client.get(
        "/v1/values", params={"unit": unit, "period": "2026-09"}, headers=commune
    )
    assert r.json()["items"] == []
    # the same key for the real import: a dry run is not remembered either
    real = await svc.client.post("/v1/imports", content=text.encode(), headers=headers)
    assert real.status_code == 200, real.text
    assert (real.json()["dry_run"], real.json()["imported"]) == (False, 1)  # not "unchanged"
    subject = f"VL_GQVL/{unit}/2026-09"
    await reader.until(lambda: reader.of(subject, "value.recorded.v1"))
    # the outbox publishes in order: a dry run's event would have come first
    assert [e.correlationid for e in reader.of(subject, "value.recorded.v1")] == [
        real.json()["correlation_id"]
    ]


async def test_an_xlsx_upload_is_imported_like_its_csv_with_the_sheets_row_numbers(service):
    from openpyxl import Workbook

    svc = service
    unit = "38.XA.TRIEUSON"
    commune = officer(svc, unit)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["unit_code", "period", "indicator_code", "value"])
    sheet.append([unit, datetime(2026, 9, 1), "VL_GQVL", 35])  # Excel's date for "2026-09"
    sheet.append([])
    sheet.append([unit, "2026-09", "VL_XKLD", 12.0])
    sheet.append([unit, "2026-09", "NOPE", 1])  # row 5: unknown indicator
    buf = io.BytesIO()
    book.save(buf)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    r = await svc.client.post(
        "/v1/imports", content=buf.getvalue(), headers={**commune, "Content-Type": xlsx}
    )

    assert r.status_code == 200, r.text
    s = r.json()
    assert (s["status"], s["imported"], s["updated"]) == ("WARNING", 2, 0)
    assert [(x["row"], x["value"]) for x in s["conflicts"]] == [(5, "NOPE")]
    r = await svc.client.get(
        "/v1/values", params={"unit": unit, "period": "2026-09"}, headers=commune
    )
    assert {i["indicator_code"]: i["value"] for i in r.json()["items"]} == {
        "VL_GQVL": "35",
        "VL_XKLD": "12",
    }
    broken = await svc.client.post(
        "/v1/imports", content=b"PK\x03\x04 not a workbook", headers=commune
    )
    assert broken.status_code == 422
    assert broken.json()["title"] == "Không đọc được bảng tính"


# -- roll-up across the 2025 reform -----------------------------------------------------------


async def test_rollup_across_the_2025_reform(service, reader):
    svc = service
    province = officer(svc)

    async def submit(unit: str, period: str, value: int) -> dict:
        body = payload(sid("XKLD"), unit, period, {"VL_XKLD": value})
        r = await svc.client.post("/v1/submissions", json=body, headers=province)
        return r.json() | {"http_status": r.status_code}

    # 2024: the districts roll up straight into the province
    assert (await submit("38.389", "2024", 40))["http_status"] == 202
    assert (await submit("38.380", "2024", 60))["http_status"] == 202
    r = await svc.client.get(
        "/v1/values",
        params={"unit": "38", "period": "2024", "indicator": "VL_XKLD", "subunits": "true"},
        headers=province,
    )
    items = {i["unit_code"]: i for i in r.json()["items"]}
    assert (items["38"]["value"], items["38"]["derived"]) == ("100", True)
    assert items["38"]["sources"] == ["38.380", "38.389"]
    assert "38.XA.DONGSON" not in items  # the commune did not exist in 2024
    # restated in today's units: the 2024 district report shows under its successor
    r = await svc.client.get(
        "/v1/values",
        params={
            "unit": "38.XA.DONGSON",
            "period": "2024",
            "indicator": "VL_XKLD",
            "structure_on": "2026-01-01",
        },
        headers=province,
    )
    [restated] = r.json()["items"]
    assert (restated["value"], restated["derived"], restated["sources"]) == ("40", True, ["38.389"])

    # 2025: the former district's annual report rolls up through the commune that succeeded it
    accepted = await submit("38.389", "2025", 25)
    assert accepted["http_status"] == 202
    assert (await submit("38.XA.DONGTIEN", "2025", 15))["http_status"] == 202
    r = await svc.client.get(
        "/v1/values",
        params={"unit": "38", "period": "2025", "indicator": "VL_XKLD", "subunits": "true"},
        headers=province,
    )
    items = {i["unit_code"]: i for i in r.json()["items"]}
    assert (items["38.389"]["value"], items["38.389"]["derived"]) == ("25", False)
    assert (items["38.XA.DONGSON"]["value"], items["38.XA.DONGSON"]["sources"]) == (
        "25",
        ["38.389"],
    )
    assert items["38"]["value"] == "40"
    assert set(items["38"]["sources"]) == {"38.XA.DONGSON", "38.XA.DONGTIEN"}

    def successor_events() -> list[CloudEvent]:
        return [
            e
            for e in reader.of("VL_XKLD/38.XA.DONGSON/2025", "value.recorded.v1")
            if e.data["derived"] and e.correlationid == accepted["correlation_id"]
        ]

    await reader.until(successor_events)
    assert successor_events()[0].data["value"] == "25"

    # a district cannot report for a period after it was abolished
    late = await submit("38.389", "2026", 5)
    assert late["http_status"] == 422
    assert [v["rule"] for v in late["violations"]] == ["unit-not-valid-in-period"]


async def test_submissions_on_kafka_need_a_credential_covering_their_unit(service, producer):
    """Another district's system cannot report for this commune; without a credential, with a
    forged one or a role that does not submit, nothing is recorded either."""
    secret = service.settings.jwt_secret.get_secret_value()
    refused = {
        (
            await send(
                producer,
                payload(sid("K"), "38.XA.HAMRONG", "2026-09", {"VL_GQVL": 1}),
                auth=credential("38.XA.SAMSON"),
            )
        ).id: "out-of-scope",
        (
            await send(
                producer,
                payload(sid("K"), "38.XA.HAMRONG", "2026-09", {"VL_GQVL": 1}),
                auth=("authorization", b"Bearer not.a.token"),
            )
        ).id: "unauthenticated",
        (
            await send(
                producer,
                payload(sid("K"), "38.XA.HAMRONG", "2026-09", {"VL_GQVL": 1}),
                auth=credential_header(
                    issue_token(secret, subject="hd", roles=["council"], unit_code="38")
                ),
            )
        ).id: "unauthorized",
    }
    own = payload(sid("K"), "38.XA.HAMRONG", "2026-08", {"VL_GQVL": 2})
    accepted = await send(producer, own, auth=credential("38.XA.HAMRONG"))

    async def settled():
        async with service.runtime.pool.acquire() as conn:
            dead = {
                r["event_id"]: r["reason"]
                for r in await conn.fetch(
                    "SELECT event_id, reason FROM dead_letters WHERE event_id = ANY($1::text[])",
                    list(refused),
                )
            }
            recorded = await conn.fetchval(
                "SELECT count(*) FROM inbox WHERE event_id = $1", accepted.id
            )
        return dead if len(dead) == len(refused) and recorded else None

    assert await wait_for(settled, 20, message="refused dead-lettered, valid handled") == refused


async def test_auth_and_unit_scope(service):
    svc = service
    body = payload(sid("SCOPE"), "38.XA.HAMRONG", "2026-11", {"VL_GQVL": 1})
    r = await svc.client.post("/v1/submissions", json=body)
    assert r.status_code == 401
    r = await svc.client.post("/v1/submissions", json=body, headers=officer(svc, "38.XA.SAMSON"))
    assert r.status_code == 403
    r = await svc.client.post("/v1/submissions", json=body, headers=officer(svc, role="council"))
    assert r.status_code == 403
    r = await svc.client.get(
        "/v1/values", params={"unit": "38", "period": "2025"}, headers=officer(svc, "38.XA.SAMSON")
    )
    assert r.status_code == 403
    r = await svc.client.put(
        "/v1/targets/VL_GQVL/38/2026", json={"target": "1"}, headers=officer(svc)
    )
    assert r.status_code == 403
    r = await svc.client.get("/v1/rules", headers=officer(svc))
    assert {x["type"] for x in r.json()["items"]} == {"required", "compare", "outlier", "jump"}
    r = await svc.client.get("/v1/definitions/TL_HO_NGHEO", headers=officer(svc))
    assert (r.json()["aggregation"], r.json()["denominator"]) == ("ratio", "HO_TONG")
    definition = r.json()
    # an integration system reports only for its own subtree
    r = await svc.client.post(
        "/v1/submissions", json=body, headers=officer(svc, "38.XA.SAMSON", role="integration")
    )
    assert r.status_code == 403
    # the catalogue and the rules are province-wide: a commune's admin changes neither
    commune_admin = officer(svc, "38.XA.HAMRONG", role="admin")
    r = await svc.client.put(
        "/v1/definitions/TL_HO_NGHEO", json={**definition, "max": 1}, headers=commune_admin
    )
    assert r.status_code == 403, r.text
    rules = (await svc.client.get("/v1/rules", headers=officer(svc))).json()["items"]
    r = await svc.client.put(f"/v1/rules/{rules[0]['id']}", json=rules[0], headers=commune_admin)
    assert r.status_code == 403, r.text
    r = await svc.client.delete(f"/v1/rules/{rules[0]['id']}", headers=commune_admin)
    assert r.status_code == 403, r.text
    after = (await svc.client.get("/v1/rules", headers=officer(svc))).json()["items"]
    assert after == rules
    r = await svc.client.get("/v1/definitions/TL_HO_NGHEO", headers=officer(svc))
    assert r.json() == definition


# -- demo seed --------------------------------------------------------------------------------


async def test_demo_seed_gives_the_seed_figures_and_is_idempotent(
    kafka_bootstrap, postgres_admin_dsn, producer
):
    from egov_indicators.demo.seed import seed
    from egov_runtime.db import create_pool
    from egov_runtime.service import Runtime

    name = f"indicators_seed_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(postgres_admin_dsn, name)
    try:
        await migrate(dsn, all_migrations(SPEC.migrations))
        pool = await create_pool(dsn)
        try:
            rt = Runtime("indicators", IndicatorsSettings(database_url=dsn), pool, producer)
            first = await seed(rt)
            async with pool.acquire() as conn:
                outbox = await conn.fetchval("SELECT count(*) FROM outbox")
                rows = await conn.fetch(
                    "SELECT indicator_code, evaluation FROM evaluations"
                    " WHERE unit_code = '38' AND period = '2025'"
                )
            second = await seed(rt)
            async with pool.acquire() as conn:
                assert await conn.fetchval("SELECT count(*) FROM outbox") == outbox
        finally:
            await pool.close()
    finally:
        await drop_database(postgres_admin_dsn, name)
    assert "accepted" in first and "duplicate" in second and "accepted" not in second
    got = {r["indicator_code"]: r["evaluation"] for r in rows}
    for code, expected in data.EXPECTED.items():
        assert {k: got[code][k] for k in expected} == expected, code
