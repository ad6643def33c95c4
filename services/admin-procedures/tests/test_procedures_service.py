"""admin-procedures end to end on a real broker and PostgreSQL: status reports in (plain Kafka
clients, structured and binary mode), deadlines and results out, warnings, dead letters, the
HTTP API with auth and unit scope, and the report form."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from egov_contracts import procedures as c
from egov_contracts.envelope import encode, new_event
from egov_contracts.topics import DOSSIERS, STATUS_REPORTS, dead_letter_topic
from egov_devkit.testing.service import TopicReader, running_alone
from egov_procedures.adapters import catalogue
from egov_procedures.main import DEMO, SPEC
from egov_procedures.settings import ProceduresSettings
from egov_runtime.auth import credential_header, issue_token
from egov_workdays import VN_TZ, WorkCalendar

pytestmark = pytest.mark.integration
DLQ = dead_letter_topic("admin-procedures").name


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


@pytest.fixture(scope="module")
async def service(kafka_bootstrap, postgres_admin_dsn):
    async with running_alone(
        kafka_bootstrap,
        postgres_admin_dsn,
        SPEC,
        timer_interval_s=0.2,
        rates_interval_s=3600,
    ) as svc:
        async with svc.runtime.transaction() as tx:
            procs = json.loads(DEMO.read_text(encoding="utf-8"))["procedures"]
            await catalogue.upsert_procedures(
                tx.conn,
                [
                    *procs,
                    {
                        "code": "T5",
                        "name": "Năm ngày",
                        "processing_value": 5,
                        "processing_unit": "working-days",
                    },
                    {
                        "code": "T10",
                        "name": "Mười ngày",
                        "processing_value": 10,
                        "processing_unit": "working-days",
                    },
                ],
            )
        yield svc


@pytest.fixture(scope="module")
async def producer(kafka_bootstrap):
    p = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def reader(kafka_bootstrap):
    r = TopicReader(kafka_bootstrap, [DOSSIERS.name, DLQ])
    await r.start()
    yield r
    await r.stop()


def report(code, status, at, procedure="T5", unit="38.SNV.VL", **kw) -> c.StatusReported:
    return c.StatusReported(
        dossier_code=code,
        procedure_code=procedure,
        unit_code=unit,
        status=status,
        occurred_at=at,
        **kw,
    )


def credential(unit="38", roles=("integration",)) -> tuple[str, bytes]:
    """A one-door system's credential for `unit` (the record header), signed as the service's
    tokens are."""
    secret = ProceduresSettings().jwt_secret.get_secret_value()
    return credential_header(
        issue_token(secret, subject="mot-cua", roles=list(roles), unit_code=unit)
    )


async def send(
    producer,
    data: c.StatusReported,
    *,
    binary: bool = False,
    times: int = 1,
    auth: tuple[str, bytes] | None = None,
):
    ev = new_event(data, source="/vn/38/mot-cua", subject=data.dossier_code)
    if binary:
        attrs = ev.model_dump(mode="json", exclude_none=True)
        payload = attrs.pop("data")
        headers = [(f"ce_{k}", str(v).encode()) for k, v in attrs.items()]
        headers.append(("content-type", b"application/json"))
        value = json.dumps(payload).encode()
    else:
        value, headers = encode(ev)
    headers = [*headers, auth or credential()]
    for _ in range(times):
        await producer.send_and_wait(
            STATUS_REPORTS.name, value=value, key=data.dossier_code.encode(), headers=headers
        )
    return ev


async def test_reports_in_deadline_and_timeliness_out(service, producer, reader):
    code = f"HS-{uuid.uuid4().hex[:6]}"
    received = await send(
        producer,
        report(
            code,
            "received",
            vn(2026, 2, 12, 9),
            channel="online",
            applicant={
                "national_id": "038095001234",
                "name": "Nguyễn Văn An",
                "phone": "0912348912",
            },
        ),
        times=2,
    )  # redelivered
    await send(
        producer, report(code, "resolved", vn(2026, 2, 26, 8, 30), result="granted"), binary=True
    )

    await reader.until(lambda: reader.of(code, "resolved.v1"), 20)
    everything = reader.of(code)
    # the deadline (Feb 2026) is long past, so warnings may fire before the result arrives
    got = [
        e for e in everything if "deadline-approaching" not in e.type and "overdue" not in e.type
    ]
    assert [e.type.split(".")[-2] for e in got] == ["received", "resolved"]
    assert got[0].data["due_at"] == "2026-02-26T09:00:00+07:00"  # Tết 2026 skipped
    assert got[0].causationid == received.id and got[0].correlationid == received.correlationid
    assert got[1].data["timeliness"] == "on-time"
    seqs = [int(e.sequence or 0) for e in everything]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] == 1
    body = json.dumps([e.data for e in got])
    assert "038095001234" not in body and "0912348912" not in body and "Nguyễn" not in body
    assert got[0].data["applicant_ref"].startswith("ar_")

    r = await service.client.get(f"/v1/dossiers/{code}", headers=service.token("operator"))
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["timeliness"] == "on-time" and d["status"] == "resolved"
    assert {x["day"] for x in d["deadline_explained"]["non_working_days"]} >= {
        "2026-02-16",
        "2026-02-17",
    }
    assert len(d["timeline"]) == 2


async def test_out_of_order_and_supplement_give_the_documented_deadline(service, producer, reader):
    code = f"HS-{uuid.uuid4().hex[:6]}"
    # supplement-received arrives before its request: refused at first, applied once it comes
    await send(producer, report(code, "received", vn(2026, 3, 2, 8), procedure="T10"))
    await send(producer, report(code, "supplement-received", vn(2026, 3, 9, 10), procedure="T10"))
    await send(
        producer,
        report(
            code,
            "supplement-requested",
            vn(2026, 3, 4, 15),
            procedure="T10",
            note="Thiếu giấy xác nhận",
        ),
    )
    await reader.until(lambda: reader.of(code, "supplement-received.v1"), 20)
    assert (
        reader.of(code, "supplement-received.v1")[0].data["due_at"] == "2026-03-18T14:00:00+07:00"
    )
    assert reader.of(code, "supplement-requested.v1")[0].data["used_minutes"] == 21 * 60 + 30


async def test_garbage_and_unknown_procedure_are_dead_lettered_and_the_stream_goes_on(
    service, producer, reader
):
    await producer.send_and_wait(STATUS_REPORTS.name, value=b"not json at all", key=b"X-1")
    bad = new_event(report("X-2", "received", vn(2026, 3, 2, 8)), source="/x", subject="X-2")
    raw = bad.model_dump(mode="json")
    raw["data"]["status"] = "teleported"  # schema violation
    await producer.send_and_wait(STATUS_REPORTS.name, value=json.dumps(raw).encode(), key=b"X-2")
    await send(producer, report("X-3", "received", vn(2026, 3, 2, 8), procedure="NO-SUCH"))
    code = f"HS-{uuid.uuid4().hex[:6]}"
    await send(producer, report(code, "received", vn(2026, 3, 2, 8)))
    await reader.until(lambda: reader.of(code, "received.v1"), 20)

    def reasons():  # of this test's records (other tests dead-letter on the same broker)
        return sorted(
            dict(r.headers)["dlq_reason"].decode()
            for r in reader.records
            if r.topic == DLQ and r.key in (b"X-1", b"X-2", b"X-3")
        )

    await reader.until(lambda: len(reasons()) >= 3, 20)
    assert reasons() == ["handler-failed", "not-a-cloudevent", "schema-violation"]


async def test_deadline_warnings_fire_once(service, producer, reader):
    code = f"HS-{uuid.uuid4().hex[:6]}"
    cal = WorkCalendar()
    now = datetime.now(UTC)
    # received 9.5 working days ago on a 10-day procedure: 75 % and "1 day left" are both past
    # (half a day of margin: after office hours the clock stands still at 17:00, so exactly
    # 9 days ago would leave exactly one day, on the threshold)
    received_at = cal.subtract_working_minutes(now, 9 * 480 + 240)
    await send(producer, report(code, "received", received_at, procedure="T10"))
    await reader.until(lambda: reader.of(code, "deadline-approaching.v1"), 20)

    async def fired() -> list[str]:
        async with service.runtime.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT threshold FROM dossier_timers WHERE dossier_code = $1"
                " AND fired_at IS NOT NULL ORDER BY threshold",
                code,
            )
        return [r["threshold"] for r in rows]

    assert await fired() == ["days-left-1", "used-75"]
    for _ in range(5):
        await reader.poll()
    # both thresholds fell due together: the officer is told once, of the more urgent one
    [warning] = reader.of(code, "deadline-approaching.v1")
    assert warning.data["threshold"] == "days-left-1"
    assert warning.data["procedure_name"] == "Mười ngày"
    # half a day left: too late for an apology letter, so the warning offers none
    assert "apology_deadline" not in warning.data
    assert not reader.of(code, "overdue.v1")


async def test_a_warning_offers_the_apology_while_it_is_possible(service, producer, reader):
    code = f"HS-{uuid.uuid4().hex[:6]}"
    cal = WorkCalendar()
    # 8 of 10 working days used: 75 % is past, two days are left
    received_at = cal.subtract_working_minutes(datetime.now(UTC), 8 * 480)
    await send(producer, report(code, "received", received_at, procedure="T10"))
    await reader.until(lambda: reader.of(code, "deadline-approaching.v1"), 20)
    [warning] = reader.of(code, "deadline-approaching.v1")
    assert warning.data["threshold"] == "used-75"
    due = datetime.fromisoformat(warning.data["due_at"])
    until = datetime.fromisoformat(warning.data["apology_deadline"])
    assert until == cal.subtract_working_minutes(due, 480) and until > datetime.now(UTC)
    # and the letter is accepted until then
    r = await service.client.post(
        f"/v1/dossiers/{code}/apology",
        json={"new_due_at": (due + timedelta(days=3)).isoformat(), "reason": "Chờ xác minh"},
        headers=service.token("officer", unit="38"),
    )
    assert r.status_code == 201, r.text


async def test_a_dossier_reported_after_its_deadline_is_announced_overdue_only(
    service, producer, reader
):
    code = f"HS-{uuid.uuid4().hex[:6]}"
    cal = WorkCalendar()
    received_at = cal.subtract_working_minutes(datetime.now(UTC), 12 * 480)
    await send(producer, report(code, "received", received_at, procedure="T10"))
    await reader.until(lambda: reader.of(code, "overdue.v1"), 20)
    for _ in range(5):
        await reader.poll()
    assert len(reader.of(code, "overdue.v1")) == 1
    assert reader.of(code, "deadline-approaching.v1") == []


async def test_http_auth_scope_idempotency_and_problems(service, reader):
    code = f"HS-{uuid.uuid4().hex[:6]}"
    body = report(
        code, "received", vn(2026, 3, 2, 8), unit="38.XA.SAMSON", procedure="2.000744"
    ).model_dump(mode="json")
    client = service.client
    assert (await client.post("/v1/status-reports", json=body)).status_code == 401
    officer_elsewhere = service.token("officer", unit="38.XA.BIMSON")
    r = await client.post("/v1/status-reports", json=body, headers=officer_elsewhere)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    headers = {**service.token("integration", unit="38"), "Idempotency-Key": "k-1"}
    first = await client.post("/v1/status-reports", json=body, headers=headers)
    again = await client.post("/v1/status-reports", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["event_id"] == again.json()["event_id"]
    other = await client.post("/v1/status-reports", json={**body, "note": "x"}, headers=headers)
    assert other.status_code == 409
    bad = await client.post("/v1/status-reports", json={**body, "status": "lost"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"

    await reader.until(lambda: reader.of(code, "received.v1"), 20)
    assert len(reader.of(code, "received.v1")) == 1
    officer = service.token("officer", unit="38.XA.SAMSON")
    assert (await client.get(f"/v1/dossiers/{code}", headers=officer)).status_code == 200
    # another unit's dossier answers as a missing one would (existence does not leak)
    assert (await client.get(f"/v1/dossiers/{code}", headers=officer_elsewhere)).status_code == 404
    integration = service.token("integration")
    assert (await client.get(f"/v1/dossiers/{code}", headers=integration)).status_code == 403


async def test_report_form_over_http(service, producer, reader):
    unit = "38.XA.NGASON"
    codes = [f"HS-{uuid.uuid4().hex[:6]}" for _ in range(3)]
    for code in codes:
        await send(
            producer,
            report(
                code, "received", vn(2026, 5, 4, 8), unit=unit, procedure="T5", channel="counter"
            ),
        )
    await send(
        producer,
        report(
            codes[0], "resolved", vn(2026, 5, 6, 8), unit=unit, procedure="T5", result="granted"
        ),
    )  # early
    await send(
        producer,
        report(
            codes[1], "resolved", vn(2026, 5, 20, 8), unit=unit, procedure="T5", result="granted"
        ),
    )  # late
    await send(
        producer, report(codes[2], "withdrawn", vn(2026, 5, 5, 8), unit=unit, procedure="T5")
    )
    await reader.until(
        lambda: reader.of(codes[2], "withdrawn.v1") and reader.of(codes[1], "resolved.v1"), 20
    )
    op = service.token("operator")
    r = await service.client.get(
        "/v1/reports/on-time",
        headers=op,
        params={"unit": unit, "from": "2026-05-01", "to": "2026-05-31", "group_by": "procedure"},
    )
    assert r.status_code == 200, r.text
    total = r.json()["total"]
    assert (
        total["received_counter_postal"],
        total["resolved_early"],
        total["resolved_late"],
        total["withdrawn"],
    ) == (3, 1, 1, 1)
    assert total["on_time_rate"] == "50.00"
    csv = await service.client.get(
        "/v1/reports/on-time",
        headers=op,
        params={"unit": unit, "period": "2026-05", "format": "csv"},
    )
    assert csv.status_code == 200 and "Tỷ lệ trước hạn, đúng hạn (%)" in csv.text
    xlsx = await service.client.get(
        "/v1/reports/on-time",
        headers=op,
        params={"unit": unit, "period": "2026-05", "format": "xlsx"},
    )
    assert xlsx.content[:2] == b"PK"
    bad = await service.client.get("/v1/reports/on-time", headers=op, params={"period": "2026-13"})
    assert bad.status_code == 422


async def test_ops_endpoints(service):
    assert (await service.client.get("/healthz")).status_code == 200
    ready = await service.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["migrations"] == "ok"
    metrics = await service.client.get("/metrics")
    assert "egov_events_consumed_total" in metrics.text
    days = await service.client.get(
        "/v1/calendar/working-days", params={"from": "2026-02-12", "to": "2026-02-23"}
    )
    assert days.json()["working_days"] == 3


async def test_operator_queues_overdue_due_soon_and_paused(service, producer, reader):
    """The queues an operator watches: overdue (longest first, in working days), due within N
    working days, paused; open dossiers only, filtered by unit subtree and channel."""
    unit = "38.XA.HOANGHOA"
    cal = WorkCalendar()
    day = cal.office_hours.minutes_per_day
    now = datetime.now(UTC)
    tag = uuid.uuid4().hex[:6]
    ago = {"late10": 10, "late7": 7, "soon": 3.5, "fresh": 0, "paused": 1}
    codes = {k: f"Q-{k}-{tag}" for k in ago}
    for key, days in ago.items():
        at = cal.subtract_working_minutes(now, int(days * day))
        await send(producer, report(codes[key], "received", at, unit=unit, channel="online"))
    await send(
        producer,
        report(codes["paused"], "supplement-requested", now, unit=unit, note="Thiếu giấy tờ"),
    )
    await reader.until(lambda: all(reader.of(code, "received.v1") for code in codes.values()))
    await reader.until(lambda: reader.of(codes["paused"], "supplement-requested.v1"))
    client = service.client
    officer = service.token("officer", unit=unit)

    async def queue(**params):
        r = await client.get("/v1/dossiers", params={"unit": unit, **params}, headers=officer)
        assert r.status_code == 200, r.text
        return r.json()

    late = await queue(overdue="true")
    assert [i["dossier_code"] for i in late["items"]] == [codes["late10"], codes["late7"]]
    assert late["total"] == 2
    first, second = (i["overdue_working_days"] for i in late["items"])
    assert first > second >= 1

    soon = await queue(due_within_working_days=3)
    assert [i["dossier_code"] for i in soon["items"]] == [codes["soon"]]
    assert 0 < soon["items"][0]["working_days_left"] <= 3
    everything_open = {
        i["dossier_code"] for i in (await queue(due_within_working_days=60))["items"]
    }
    assert codes["fresh"] in everything_open and codes["late10"] not in everything_open

    paused = await queue(paused="true")
    assert [i["dossier_code"] for i in paused["items"]] == [codes["paused"]]
    assert paused["items"][0]["status"] == "awaiting-supplement"

    page = await queue(overdue="true", limit=1, offset=1)
    assert [i["dossier_code"] for i in page["items"]] == [codes["late7"]] and page["total"] == 2
    assert (await queue(overdue="true", channel="counter"))["total"] == 0
    elsewhere = service.token("officer", unit="38.XA.THOXUAN")
    r = await client.get(
        "/v1/dossiers", params={"unit": unit, "overdue": "true"}, headers=elsewhere
    )
    assert r.status_code == 403
    r = await client.get(
        "/v1/dossiers", params={"overdue": "true", "paused": "true"}, headers=officer
    )
    assert r.status_code == 422

    # the same counts on /metrics for the SLA dashboard (own unit, by state)
    from egov_procedures.main import ProceduresSettings
    from egov_procedures.usecases import refresh_sla_metrics
    from prometheus_client import REGISTRY

    settings = service.settings
    assert isinstance(settings, ProceduresSettings)
    await refresh_sla_metrics(
        service.runtime, service.app.state.wiring.state["context"], settings.period_scheme
    )

    def gauge(state):
        labels = {"service": "admin-procedures", "unit": unit, "state": state}
        return REGISTRY.get_sample_value("egov_dossiers_open", labels)

    assert (gauge("overdue"), gauge("paused")) == (2, 1)
    assert gauge("within") + gauge("due_soon") == 2
    # both overdue dossiers' warnings were published (counted once each, by kind)
    await reader.until(lambda: reader.of(codes["late10"], "overdue.v1"))
    await reader.until(lambda: reader.of(codes["late7"], "overdue.v1"))
    warnings = REGISTRY.get_sample_value(
        "egov_deadline_warnings_total", {"service": "admin-procedures", "kind": "overdue"}
    )
    assert warnings is not None and warnings >= 2
