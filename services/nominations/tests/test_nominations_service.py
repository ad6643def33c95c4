"""nominations end to end on a real broker and PostgreSQL: a proposal through the council's
tally to a decision with `award.conferred.v1` published once (read by a plain Kafka client and
checked against its published JSON Schema); an on-time rate published on
`egov.procedures.rates` appearing on a collective's nomination; bad input refused with nothing
changed. Every test works on its own unit and ids, since the broker is shared."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from egov_contracts import procedures as proc
from egov_contracts.envelope import decode, encode, new_event
from egov_contracts.topics import NOMINATION_EVENTS, RATES
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.service import RunningService, running_alone
from egov_nominations.main import SPEC
from egov_runtime.units import upsert_units

pytestmark = pytest.mark.integration
SCHEMAS = Path(__file__).resolve().parents[3] / "contracts" / "published" / "schemas"
DEPT = "38.SNV"
ALL_DOCS = ["to-trinh", "bao-cao-thanh-tich", "bien-ban-hoi-dong", "xac-nhan-sang-kien"]


@pytest.fixture(scope="module")
async def service(kafka_bootstrap: str, postgres_admin_dsn: str) -> AsyncIterator[RunningService]:
    async with running_alone(kafka_bootstrap, postgres_admin_dsn, SPEC) as svc:
        yield svc


async def new_unit(svc: RunningService) -> str:
    """A unit of its own under the department, so tests on the shared broker do not mix."""
    code = f"38.SNV.T{uuid.uuid4().hex[:8].upper()}"
    async with svc.runtime.transaction() as tx:
        await upsert_units(
            tx.conn,
            [
                {
                    "unit_code": code,
                    "name": f"Phòng thử {code}",
                    "level": "agency",
                    "parent_code": DEPT,
                }
            ],
        )
    return code


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def add_person(
    svc: RunningService, unit: str, ratings: dict[int, str], person_id: str | None = None
) -> str:
    pid = person_id or f"CB{uuid.uuid4().hex[:8].upper()}"
    officer = svc.token("officer", unit=unit)
    ok(
        await svc.client.put(
            f"/v1/register/people/{pid}",
            json={"name": f"Nguyễn Văn {pid}", "unit_code": unit},
            headers=officer,
        ),
        201,
    )
    for year, rating in ratings.items():
        r = await svc.client.put(
            f"/v1/register/people/{pid}/ratings/{year}", json={"rating": rating}, headers=officer
        )
        assert r.status_code in (200, 201), r.text
    return pid


async def add_council(svc: RunningService, size: int = 11) -> tuple[str, list[str]]:
    suffix = uuid.uuid4().hex[:6]
    members = [f"tv{i}-{suffix}" for i in range(1, size + 1)]
    body = {
        "council_id": f"HD-{suffix}",
        "unit_code": DEPT,
        "name": "Hội đồng Thi đua - Khen thưởng Sở",
        "members": [{"member_id": m, "name": f"Thành viên {m}"} for m in members],
    }
    ok(
        await svc.client.post("/v1/councils", json=body, headers=svc.token("officer", unit=DEPT)),
        201,
    )
    return body["council_id"], members


async def session(svc: RunningService, council: str, present: list[str]) -> str:
    out = ok(
        await svc.client.post(
            f"/v1/councils/{council}/sessions",
            json={"held_on": "2026-01-20", "present": present},
            headers=svc.token("officer", unit=DEPT),
        ),
        201,
    )
    return str(out["session_id"])


async def under_review(svc: RunningService, unit: str, body: dict[str, Any]) -> str:
    """Propose and submit from the unit, then the department accepts the complete file."""
    out = ok(
        await svc.client.post(
            "/v1/nominations",
            json={"documents": ALL_DOCS, "submit": True, "achievement_year": 2025, **body},
            headers=svc.token("officer", unit=unit),
        ),
        201,
    )
    assert out["status"] == "submitted"
    assert out["deciding_unit_code"] == DEPT
    nid = str(out["nomination_id"])
    checked = ok(
        await svc.client.post(
            f"/v1/nominations/{nid}/completeness-check", headers=svc.token("officer", unit=DEPT)
        )
    )
    assert checked["status"] == "under-review"
    return nid


def decision_of(
    *nomination_ids: str,
    signer: str = "Giám đốc Sở",
    decided_on: str = "2026-01-25",
    series: str = "QĐ-SNV",
) -> dict[str, Any]:
    """A decision of the department on the files, under a number of its own."""
    return {
        "number": f"{uuid.uuid4().hex[:4]}/{series}",
        "decided_on": decided_on,
        "signer": signer,
        "deciding_unit_code": DEPT,
        "nomination_ids": list(nomination_ids),
    }


async def read_to_end(bootstrap: str, topic: str) -> list[Any]:
    """Every event on `topic` up to its current end offsets (a plain Kafka consumer)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not parts:
            await consumer.force_metadata_update()
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        events = []

        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in parts])

        while await behind():
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                events.extend(decode(r.value, r.headers) for r in recs)
        return events
    finally:
        await consumer.stop()


async def outbox_drained(svc: RunningService) -> bool:
    async with svc.runtime.pool.acquire() as conn:
        return bool(
            await conn.fetchval("SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL")
        )


async def test_proposal_tally_decision_publishes_award_once(
    service: RunningService, kafka_bootstrap: str
) -> None:
    svc = service
    unit = await new_unit(svc)
    pid = await add_person(svc, unit, {2024: "hoan-thanh-tot", 2025: "hoan-thanh-xuat-sac"})
    # earlier award history comes from the unit's spreadsheet
    csv_text = (
        "nominee_ref,award,year,decision_number,level,decided_on\n"
        f"{pid},lao-dong-tien-tien,2025,15/QĐ-{unit},department,2025-12-20\n"
    )
    summary = ok(
        await svc.client.post(
            "/v1/register/imports/awards",
            content=csv_text.encode(),
            headers={**svc.token("officer", unit=unit), "Content-Type": "text/csv"},
        )
    )
    assert summary["imported"] == 1 and summary["rejected"] == []

    council, members = await add_council(svc)
    nid = await under_review(
        svc,
        unit,
        {"nominee": {"kind": "individual", "ref": pid}, "award": "chien-si-thi-dua-co-so"},
    )

    before = ok(
        await svc.client.get(
            f"/v1/nominations/{nid}/eligibility", headers=svc.token("officer", unit=unit)
        )
    )
    assert before["eligible"] == "awaiting-vote"
    assert before["rule_set_id"] == "2025-07-01"
    ldtt = next(c for c in before["criteria"] if c["kind"] == "consecutive_titles")
    assert ldtt["passed"] is True
    assert any(f["decision_number"] == f"15/QĐ-{unit}" for f in ldtt["evidence"])

    sid = await session(svc, council, members[:10])
    tally = ok(
        await svc.client.post(
            f"/v1/sessions/{sid}/tallies",
            json={"nomination_id": nid, "votes_for": 9},
            headers=svc.token("council", unit=DEPT, subject=members[0]),
        ),
        201,
    )
    assert tally["share_of_all_members_pct"] == "81.82" and tally["passed"] is True

    after = ok(
        await svc.client.get(
            f"/v1/nominations/{nid}/eligibility", headers=svc.token("officer", unit=unit)
        )
    )
    assert after["eligible"] is True
    head = svc.token("head", unit=DEPT, subject="giam-doc")
    # the administrator is not the deciding head (unless decider_roles names its role)
    admin = svc.token("admin", unit=DEPT, subject="quan-tri")
    r = await svc.client.post(f"/v1/nominations/{nid}/approve", json={}, headers=admin)
    assert r.status_code == 403, r.text
    approved = ok(await svc.client.post(f"/v1/nominations/{nid}/approve", json={}, headers=head))
    assert approved["status"] == "approved"

    decision = decision_of(nid)
    number = decision["number"]
    r = await svc.client.post("/v1/decisions", json=decision, headers=admin)
    assert r.status_code == 403, r.text
    # the head of the nominee's unit is not the head of the deciding unit
    unit_head = svc.token("head", unit=unit, subject="truong-don-vi")
    r = await svc.client.post("/v1/decisions", json=decision, headers=unit_head)
    assert r.status_code == 403, r.text
    # nor does the deciding head sign in the name of a unit above its own
    r = await svc.client.post(
        "/v1/decisions", json={**decision, "deciding_unit_code": "38"}, headers=head
    )
    assert r.status_code == 403, r.text
    first = ok(await svc.client.post("/v1/decisions", json=decision, headers=head), 201)
    again = ok(await svc.client.post("/v1/decisions", json=decision, headers=head), 200)
    assert again["decision_id"] == first["decision_id"]

    file = ok(
        await svc.client.get(f"/v1/nominations/{nid}", headers=svc.token("officer", unit=unit))
    )
    assert file["status"] == "decided"
    assert [h["action"] for h in file["history"]] == ["submit", "accept", "approve", "decide"]
    assert all(h["actor"] and h["at"] for h in file["history"])
    awards = ok(
        await svc.client.get(f"/v1/awards?nominee={pid}", headers=svc.token("officer", unit=unit))
    )
    assert {(a["award"], a["decision_number"]) for a in awards["items"]} == {
        ("lao-dong-tien-tien", f"15/QĐ-{unit}"),
        ("chien-si-thi-dua-co-so", number),
    }

    await wait_for(lambda: outbox_drained(svc), timeout=30, message="outbox relayed")
    events = await read_to_end(kafka_bootstrap, NOMINATION_EVENTS.name)
    conferred = [e for e in events if e.type.endswith("award.conferred.v1") and e.subject == number]
    assert len(conferred) == 1
    data = conferred[0].data
    schema = json.loads((SCHEMAS / "vn.egov.nominations.award.conferred.v1.json").read_text())
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    assert data["recipients"] == [{"kind": "individual", "ref": pid, "unit_code": unit}]
    assert data["decision_number"] == number and data["nomination_ids"] == [nid]
    types = [e.type.split(".")[-2] for e in events if e.subject == nid]
    assert types == ["submitted", "assessed", "voted", "approved"]

    annex = ok(
        await svc.client.get(
            f"/v1/reports/decision-annex?decision={first['decision_id']}&format=json", headers=head
        )
    )
    assert annex["rows"][0]["nominee"] == f"Nguyễn Văn {pid}"
    xlsx = await svc.client.get(
        f"/v1/reports/decision-annex?decision={first['decision_id']}&format=xlsx", headers=head
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


async def test_on_time_rate_appears_on_the_collective_nomination(
    service: RunningService, kafka_bootstrap: str
) -> None:
    svc = service
    unit = await new_unit(svc)
    for _ in range(3):
        await add_person(svc, unit, {2025: "hoan-thanh-tot"})
    rate = proc.OnTimeRateComputed(
        unit_code=unit,
        period="2025",
        period_from=date(2024, 12, 15),
        period_to=date(2025, 12, 14),
        carried_over=0,
        received_online=30,
        received_counter_postal=10,
        resolved_early=20,
        resolved_on_time=19,
        resolved_late=1,
        in_progress_within_deadline=0,
        in_progress_overdue=0,
        withdrawn=0,
        returned=0,
        on_time_rate=Decimal("97.50"),
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        event = new_event(rate, source="/vn/38/admin-procedures", subject=f"{unit}/2025")
        value, headers = encode(event)
        for _ in range(2):  # delivered twice: applied once
            await producer.send_and_wait(
                RATES.name, value=value, key=f"{unit}/2025".encode(), headers=headers
            )
    finally:
        await producer.stop()

    nid = (
        ok(
            await svc.client.post(
                "/v1/nominations",
                json={
                    "nominee": {"kind": "collective", "ref": unit},
                    "award": "tap-the-lao-dong-tien-tien",
                    "achievement_year": 2025,
                    "documents": ALL_DOCS,
                },
                headers=svc.token("officer", unit=unit),
            ),
            201,
        )
    )["nomination_id"]

    async def shown() -> Any:
        r = await svc.client.get(f"/v1/nominations/{nid}", headers=svc.token("officer", unit=unit))
        return ok(r)["unit_evidence"]["2025"]["on_time_rate"]

    seen = await wait_for(shown, timeout=30, message="on-time rate evidence")
    assert seen["on_time_rate_pct"] == "97.50"
    assert seen["source_event_id"] == event.id and seen["resolved"] == 40
    elig = ok(
        await svc.client.get(
            f"/v1/nominations/{nid}/eligibility", headers=svc.token("officer", unit=unit)
        )
    )
    facts = {f["key"]: f["value"] for f in elig["context"]}
    assert Decimal(str(facts["on_time_rate_pct"])) == Decimal("97.50")
    assert elig["unit_evidence"]["2025"]["on_time_rate"]["period"] == "2025"
    async with svc.runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", event.id) == 1


async def test_bad_input_is_refused_and_changes_nothing(service: RunningService) -> None:
    svc = service
    unit = await new_unit(svc)
    officer = svc.token("officer", unit=unit)
    pid = await add_person(svc, unit, {2025: "hoan-thanh-xuat-sac"})

    # unknown person
    r = await svc.client.post(
        "/v1/nominations",
        json={
            "nominee": {"kind": "individual", "ref": "KHONG-CO"},
            "award": "lao-dong-tien-tien",
            "achievement_year": 2025,
        },
        headers=officer,
    )
    assert r.status_code == 422 and "Unknown person" in r.json()["detail"]
    assert ok(await svc.client.get(f"/v1/nominations?unit={unit}", headers=officer))["items"] == []

    council, members = await add_council(svc)
    nid = await under_review(
        svc,
        unit,
        {"nominee": {"kind": "individual", "ref": pid}, "award": "chien-si-thi-dua-co-so"},
    )
    member = svc.token("council", unit=DEPT, subject=members[0])

    # tally above the members present / the council's size
    sid = await session(svc, council, members[:9])
    r = await svc.client.post(
        f"/v1/sessions/{sid}/tallies", json={"nomination_id": nid, "votes_for": 12}, headers=member
    )
    assert r.status_code == 422 and "present" in r.json()["detail"]
    assert ok(await svc.client.get(f"/v1/sessions/{sid}", headers=member))["tallies"] == []

    # a meeting of 7 of 11 takes no valid vote
    thin = await session(svc, council, members[:7])
    r = await svc.client.post(
        f"/v1/sessions/{thin}/tallies", json={"nomination_id": nid, "votes_for": 7}, headers=member
    )
    assert r.status_code == 409 and "quorum" in r.json()["detail"].lower()
    assert ok(await svc.client.get(f"/v1/sessions/{thin}", headers=member))["tallies"] == []

    # a council member of another council cannot record
    r = await svc.client.post(
        f"/v1/sessions/{sid}/tallies",
        json={"nomination_id": nid, "votes_for": 9},
        headers=svc.token("council", unit=DEPT, subject="nguoi-ngoai"),
    )
    assert r.status_code == 403

    # decision on a file that is not approved
    head = svc.token("head", unit=DEPT, subject="giam-doc")
    decision = decision_of(nid, signer="Giám đốc")
    r = await svc.client.post("/v1/decisions", json=decision, headers=head)
    assert r.status_code == 409 and "under-review" in r.json()["detail"]
    file = ok(await svc.client.get(f"/v1/nominations/{nid}", headers=officer))
    assert file["status"] == "under-review" and file["decision"] is None
    assert ok(await svc.client.get(f"/v1/awards?nominee={pid}", headers=officer))["items"] == []
    # only the deciding head's role records a decision (not an officer, not an administrator)
    for role in ("officer", "admin"):
        r = await svc.client.post(
            "/v1/decisions",
            json={**decision, "signer": "x"},
            headers=svc.token(role, unit=DEPT),
        )
        assert r.status_code == 403, (role, r.text)

    # another unit's officer neither sees nor proposes
    other = svc.token("officer", unit=await new_unit(svc))
    hidden = await svc.client.get(f"/v1/nominations/{nid}", headers=other)
    missing = await svc.client.get("/v1/nominations/NO-SUCH", headers=other)
    assert hidden.status_code == missing.status_code == 404  # existence does not leak
    assert hidden.json()["title"] == missing.json()["title"]
    r = await svc.client.post(f"/v1/nominations/{nid}/submit", json={}, headers=other)
    assert r.status_code == 404, r.text

    # malformed CSV rows: all rejected with their line, nothing stored
    new_id = f"CB{uuid.uuid4().hex[:8].upper()}"
    csv_text = (
        "person_id,name,unit_code,year,rating\n"
        f"{new_id},Trần Thị B,{unit},2025,hoàn thành tốt\n"
        f"{pid},,{unit},20x5,hoan-thanh\n"
        f"{pid},,{unit},2024,rất tốt\n"
        f"KHONG-CO,,,2025,htnv\n"
    )
    r = await svc.client.post(
        "/v1/register/imports/ratings",
        content=csv_text.encode(),
        headers={**officer, "Content-Type": "text/csv"},
    )
    assert r.status_code == 422, r.text
    lines = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert set(lines) == {"line 3", "line 4", "line 5"}
    assert "not a number" in lines["line 3"] and "unknown rating" in lines["line 4"]
    assert "unknown person" in lines["line 5"]
    assert (
        await svc.client.get(f"/v1/register/people/{new_id}", headers=officer)
    ).status_code == 404
    profile = ok(await svc.client.get(f"/v1/register/people/{pid}", headers=officer))
    assert [r["year"] for r in profile["ratings"]] == [2025]


async def test_a_persons_discipline_initiative_and_pending_matter_join_the_profile(
    service: RunningService,
) -> None:
    svc = service
    unit = await new_unit(svc)
    officer = svc.token("officer", unit=unit)
    pid = await add_person(svc, unit, {2025: "hoan-thanh-tot"})
    discipline = {"year": 2024, "level": "khien-trach", "decision_number": f"7/QĐ-{unit}"}
    assert ok(
        await svc.client.post(
            f"/v1/register/people/{pid}/disciplines", json=discipline, headers=officer
        ),
        201,
    ) == {"person_id": pid, **discipline}
    initiative = {
        "initiative_id": f"SK-{pid}",
        "title": "Một cửa số",
        "year": 2025,
        "recognised_by": "Hội đồng sáng kiến",
        "scope": "unit",
    }
    out = ok(
        await svc.client.post(
            f"/v1/register/people/{pid}/initiatives", json=initiative, headers=officer
        ),
        201,
    )
    assert (out["person_id"], out["initiative_id"], out["decision_number"]) == (
        pid,
        f"SK-{pid}",
        None,
    )
    matter = {
        "matter_id": f"VV-{pid}",
        "nominee_ref": pid,
        "kind": "inspection",
        "opened_on": "2026-01-05",
        "reference": "Thông báo 1",
    }
    ok(await svc.client.post("/v1/register/pending-matters", json=matter, headers=officer), 201)
    # another unit's person is as if missing; another unit's collective is out of bounds
    stranger = svc.token("officer", unit=await new_unit(svc))
    r = await svc.client.post(
        f"/v1/register/people/{pid}/disciplines", json=discipline, headers=stranger
    )
    assert r.status_code == 404, r.text
    r = await svc.client.post(
        "/v1/register/pending-matters",
        json={
            **matter,
            "matter_id": f"VV2-{pid}",
            "nominee_kind": "collective",
            "nominee_ref": unit,
        },
        headers=stranger,
    )
    assert r.status_code == 403, r.text
    profile = ok(await svc.client.get(f"/v1/register/people/{pid}", headers=officer))
    assert [(d["year"], d["level"]) for d in profile["disciplines"]] == [(2024, "khien-trach")]
    assert [i["id"] for i in profile["initiatives"]] == [f"SK-{pid}"]
    assert [(m["kind"], m["resolved"]) for m in profile["pending"]] == [("inspection", False)]


async def test_reports_and_the_people_list_read_the_unit_subtree(service: RunningService) -> None:
    svc = service
    unit = await new_unit(svc)
    officer = svc.token("officer", unit=unit)
    dept = svc.token("officer", unit=DEPT)
    head = svc.token("head", unit=DEPT, subject="giam-doc")
    pid = await add_person(svc, unit, {2024: "hoan-thanh-tot", 2025: "hoan-thanh-xuat-sac"})
    other = await add_person(svc, unit, {2025: "hoan-thanh-tot"})

    # the people list of a unit's subtree; the head reads it, another unit's officer does not
    people = ok(await svc.client.get(f"/v1/register/people?unit={unit}", headers=officer))
    assert people["items"] == [
        {"person_id": p, "name": f"Nguyễn Văn {p}", "unit_code": unit} for p in sorted([pid, other])
    ]
    assert ok(await svc.client.get(f"/v1/register/people?unit={unit}", headers=head)) == people
    stranger = svc.token("officer", unit=await new_unit(svc))
    r = await svc.client.get(f"/v1/register/people?unit={unit}", headers=stranger)
    assert r.status_code == 403

    # awards counted by kind, level and individual/collective
    csv_text = (
        "nominee_kind,nominee_ref,award,year,decision_number,level\n"
        f"individual,{pid},lao-dong-tien-tien,2024,07/QĐ-{unit},department\n"
        f"individual,{other},lao-dong-tien-tien,2024,07/QĐ-{unit},department\n"
        f"collective,{unit},tap-the-lao-dong-tien-tien,2024,08/QĐ-{unit},department\n"
    )
    summary = ok(
        await svc.client.post(
            "/v1/register/imports/awards",
            content=csv_text.encode(),
            headers={**officer, "Content-Type": "text/csv"},
        )
    )
    assert summary["imported"] == 3, summary
    report = ok(await svc.client.get(f"/v1/reports/awards?unit={unit}&year=2024", headers=head))
    assert [(r["award"], r["level"], r["nominee_kind"], r["count"]) for r in report["rows"]] == [
        ("lao-dong-tien-tien", "department", "individual", 2),
        ("tap-the-lao-dong-tien-tien", "department", "collective", 1),
    ]
    assert "02 cá nhân" in report["summary_vi"] and "01 tập thể" in report["summary_vi"]
    empty = ok(await svc.client.get(f"/v1/reports/awards?unit={unit}&year=2023", headers=head))
    assert empty["rows"] == [] and empty["summary_vi"] == "Chưa có khen thưởng"
    csv_report = await svc.client.get(
        f"/v1/reports/awards?unit={unit}&year=2024&format=csv", headers=officer
    )
    assert csv_report.status_code == 200 and csv_report.headers["content-type"].startswith(
        "text/csv"
    )
    assert (
        await svc.client.get(f"/v1/reports/awards?unit={unit}", headers=head)
    ).status_code == 422

    # the list of proposals before a council session, with the tally once recorded
    council, members = await add_council(svc)
    nid = await under_review(
        svc,
        unit,
        {"nominee": {"kind": "individual", "ref": pid}, "award": "chien-si-thi-dua-co-so"},
    )
    sid = await session(svc, council, members[:10])

    async def proposal() -> dict[str, Any]:
        table = ok(await svc.client.get(f"/v1/reports/proposals?session={sid}", headers=dept))
        assert table["session_id"] == sid
        [row] = [r for r in table["rows"] if r["nomination_id"] == nid]
        return dict(row)

    before = await proposal()
    assert before["nominee"] == f"Nguyễn Văn {pid}" and before["votes_for"] is None
    ok(
        await svc.client.post(
            f"/v1/sessions/{sid}/tallies",
            json={"nomination_id": nid, "votes_for": 9},
            headers=svc.token("council", unit=DEPT, subject=members[0]),
        ),
        201,
    )
    after = await proposal()
    assert after["votes_for"] == 9 and after["share_of_all_members_pct"] == "81.82"
    assert after["passed"] is True
    xlsx = await svc.client.get(f"/v1/reports/proposals?session={sid}&format=xlsx", headers=head)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


async def test_cluster_leader_passes_the_flag_criterion_and_a_non_leader_fails(
    service: RunningService,
) -> None:
    svc = service
    leader, other, outsider = [await new_unit(svc) for _ in range(3)]
    dept = svc.token("officer", unit=DEPT)
    cluster = f"CUM-{uuid.uuid4().hex[:8].upper()}"
    url = f"/v1/register/clusters/{cluster}/years/2025"
    body = {"name": "Cụm thi đua các phòng thử", "unit_code": DEPT, "members": [leader, other]}

    async def stored(cid: str) -> Any:
        async with svc.runtime.pool.acquire() as conn:
            return await conn.fetchrow(
                "SELECT (SELECT count(*) FROM emulation_clusters WHERE cluster_id = $1) AS c,"
                " (SELECT count(*) FROM emulation_cluster_leaders WHERE cluster_id = $1) AS l,"
                " (SELECT count(*) FROM emulation_cluster_log WHERE cluster_id = $1) AS g",
                cid,
            )

    # refused: an unknown member unit, or a unit's officer outside the department's scope
    bad = {**body, "members": [leader, "38.SNV.KHONGCO"]}
    r = await svc.client.put(url, json=bad, headers=dept)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem")
    assert "38.SNV.KHONGCO" in r.json()["detail"]
    r = await svc.client.put(url, json=body, headers=svc.token("officer", unit=leader))
    assert r.status_code == 403, r.text
    assert tuple(await stored(cluster)) == (0, 0, 0)

    created = ok(await svc.client.put(url, json=body, headers=dept), 201)
    assert created["members"] == sorted([leader, other]) and created["leaders"] == []

    # refused: a leader that is not a member, or an unknown unit; nothing stored
    meeting = {"meeting_reference": "BB-12/CTĐ-2025", "meeting_on": "2025-12-18"}
    for leaders, needle in (([outsider], "not a member"), (["38.SNV.KHONGCO"], "Unknown unit")):
        r = await svc.client.put(
            f"{url}/leaders", json={"leaders": leaders, **meeting}, headers=dept
        )
        assert r.status_code == 422, r.text
        assert needle in r.json()["detail"]
    assert tuple(await stored(cluster)) == (1, 0, 1)

    led = ok(
        await svc.client.put(f"{url}/leaders", json={"leaders": [leader], **meeting}, headers=dept)
    )
    assert led["leaders"] == [leader] and led["meeting_reference"] == "BB-12/CTĐ-2025"
    # the leader cannot leave the cluster while it is the proposed leader
    r = await svc.client.put(url, json={**body, "members": [other, outsider]}, headers=dept)
    assert r.status_code == 409, r.text
    history = ok(await svc.client.get(f"/v1/register/clusters/{cluster}", headers=dept))
    assert [h["what"] for h in history["history"]] == ["composition", "leaders"]
    listed = ok(
        await svc.client.get(
            "/v1/register/clusters", params={"year": 2025}, headers=svc.token("officer", unit=other)
        )
    )
    assert cluster in {c["cluster_id"] for c in listed["items"]}

    async def flag_criterion(unit: str) -> Any:
        officer = svc.token("officer", unit=unit)
        nid = ok(
            await svc.client.post(
                "/v1/nominations",
                json={
                    "nominee": {"kind": "collective", "ref": unit},
                    "award": "co-thi-dua-cap-tinh",
                    "achievement_year": 2025,
                    "documents": ALL_DOCS,
                },
                headers=officer,
            ),
            201,
        )["nomination_id"]
        elig = ok(await svc.client.get(f"/v1/nominations/{nid}/eligibility", headers=officer))
        assert elig["eligible"] is False  # no excellent rating, no vote yet
        return next(c for c in elig["criteria"] if c["id"] == "dan-dau-cum-khoi")

    passed = await flag_criterion(leader)
    assert passed["outcome"] == "passed", passed
    evidence = {f["key"]: f["value"] for f in passed["evidence"]}
    assert evidence[f"cluster:{cluster}"] == "Cụm thi đua các phòng thử"
    assert evidence["meeting_reference"] == "BB-12/CTĐ-2025"
    assert evidence["meeting_on"] == "2025-12-18"
    assert passed["citation"]["article"] == 26

    failed = await flag_criterion(other)
    assert failed["outcome"] == "failed"
    assert leader in failed["message_en"] and "other collectives" in failed["message_en"]


async def conferred_events(svc: RunningService, bootstrap: str, number: str) -> list[Any]:
    """`award.conferred.v1` of a decision, each valid against its published schema."""
    await wait_for(lambda: outbox_drained(svc), timeout=30, message="outbox relayed")
    events = await read_to_end(bootstrap, NOMINATION_EVENTS.name)
    schema = json.loads((SCHEMAS / "vn.egov.nominations.award.conferred.v1.json").read_text())
    out = [e for e in events if e.type.endswith("award.conferred.v1") and e.subject == number]
    for e in out:
        jsonschema.validate(e.data, schema, cls=jsonschema.Draft202012Validator)
    return out


async def test_one_year_end_decision_confers_ldtt_and_the_cstd_resting_on_it(
    service: RunningService, kafka_bootstrap: str
) -> None:
    svc = service
    unit = await new_unit(svc)
    pid = await add_person(svc, unit, {2025: "hoan-thanh-xuat-sac"})
    council, members = await add_council(svc)
    head = svc.token("head", unit=DEPT, subject="giam-doc")
    nominee = {"kind": "individual", "ref": pid}
    ldtt = await under_review(svc, unit, {"nominee": nominee, "award": "lao-dong-tien-tien"})
    cstd = await under_review(svc, unit, {"nominee": nominee, "award": "chien-si-thi-dua-co-so"})
    sid = await session(svc, council, members[:10])
    ok(
        await svc.client.post(
            f"/v1/sessions/{sid}/tallies",
            json={"nomination_id": cstd, "votes_for": 9},
            headers=svc.token("council", unit=DEPT, subject=members[0]),
        ),
        201,
    )
    # the CSTĐ is refused while its LĐTT is only proposed ...
    r = await svc.client.post(f"/v1/nominations/{cstd}/approve", json={}, headers=head)
    assert r.status_code == 409, r.text
    ok(await svc.client.post(f"/v1/nominations/{ldtt}/approve", json={}, headers=head))
    # ... and passes once the LĐTT is approved for the same decision
    seen = ok(await svc.client.get(f"/v1/nominations/{cstd}/eligibility", headers=head))
    assert seen["eligible"] is True
    prereq = next(c for c in seen["criteria"] if c["id"] == "lao-dong-tien-tien")
    assert any(f"chờ quyết định (hồ sơ {ldtt})" in str(f["value"]) for f in prereq["evidence"])
    ok(await svc.client.post(f"/v1/nominations/{cstd}/approve", json={}, headers=head))

    decision = decision_of(cstd)
    number = decision["number"]
    # a decision conferring the CSTĐ without the LĐTT it rests on is refused, nothing kept
    r = await svc.client.post("/v1/decisions", json=decision, headers=head)
    assert r.status_code == 409, r.text
    assert (
        "Danh hiệu cần có trước chưa nằm trong quyết định này" in r.text
        and "Lao động tiên tiến" in r.text
    )
    officer = svc.token("officer", unit=unit)
    none = ok(await svc.client.get(f"/v1/awards?nominee={pid}", headers=officer))
    assert none["items"] == []
    ok(
        await svc.client.post(
            "/v1/decisions", json={**decision, "nomination_ids": [ldtt, cstd]}, headers=head
        ),
        201,
    )
    awards = ok(await svc.client.get(f"/v1/awards?nominee={pid}", headers=officer))
    assert {(a["award"], a["decision_number"]) for a in awards["items"]} == {
        ("lao-dong-tien-tien", number),
        ("chien-si-thi-dua-co-so", number),
    }
    events = await conferred_events(svc, kafka_bootstrap, number)
    assert sorted(e.data["award"] for e in events) == [
        "chien-si-thi-dua-co-so",
        "lao-dong-tien-tien",
    ]


async def test_collective_and_ministry_awards_are_conferred_and_the_wrong_kind_refused(
    service: RunningService, kafka_bootstrap: str
) -> None:
    svc = service
    unit = await new_unit(svc)
    officer = svc.token("officer", unit=unit)
    head = svc.token("head", unit=DEPT, subject="giam-doc")
    # the wrong nominee kind: a clear 422 naming the award and the kind
    pid = await add_person(svc, unit, {2024: "hoan-thanh-xuat-sac", 2025: "hoan-thanh-xuat-sac"})
    for nominee, award in (
        ({"kind": "individual", "ref": pid}, "co-thi-dua-bo"),
        ({"kind": "individual", "ref": pid}, "tap-the-lao-dong-xuat-sac"),
        ({"kind": "collective", "ref": unit}, "lao-dong-tien-tien"),
    ):
        r = await svc.client.post(
            "/v1/nominations",
            json={"nominee": nominee, "award": award, "achievement_year": 2025},
            headers=officer,
        )
        assert r.status_code == 422, r.text
        assert f"no rule for {award} ({nominee['kind']})" in r.text
        assert "không xét tặng cho" in r.json()["detail"]
    r = await svc.client.post(
        "/v1/nominations",
        json={
            "nominee": {"kind": "individual", "ref": pid},
            "award": "co-thi-dua-chinh-phu",
            "achievement_year": 2025,
        },
        headers=officer,
    )
    assert "«Cờ thi đua của Chính phủ» (co-thi-dua-chinh-phu) không xét tặng cho cá nhân" in r.text
    assert "chỉ cho tập thể" in r.text
    # Giấy khen for a collective, decided by the department
    r = await svc.client.put(
        f"/v1/register/units/{unit}/ratings/2025",
        json={"rating": "hoan-thanh-tot"},
        headers=officer,
    )
    assert r.status_code in (200, 201), r.text
    gk = await under_review(
        svc, unit, {"nominee": {"kind": "collective", "ref": unit}, "award": "giay-khen"}
    )
    ok(await svc.client.post(f"/v1/nominations/{gk}/approve", json={}, headers=head))
    # a ministry's Bằng khen for a person: approved, forwarded up, the decision recorded back
    cstd = "\n".join(
        f"{pid},chien-si-thi-dua-co-so,{y},{y}/QĐ-{unit},department,{y}-12-20" for y in (2024, 2025)
    )
    ok(
        await svc.client.post(
            "/v1/register/imports/awards",
            content=f"nominee_ref,award,year,decision_number,level,decided_on\n{cstd}\n".encode(),
            headers={**officer, "Content-Type": "text/csv"},
        )
    )
    bk = await under_review(
        svc, unit, {"nominee": {"kind": "individual", "ref": pid}, "award": "bang-khen-bo"}
    )
    ok(await svc.client.post(f"/v1/nominations/{bk}/approve", json={}, headers=head))
    ok(
        await svc.client.post(
            f"/v1/nominations/{bk}/forward", json={"to_level": "central"}, headers=head
        )
    )
    decision = decision_of(gk, bk)
    number = decision["number"]
    ok(await svc.client.post("/v1/decisions", json=decision, headers=head), 201)
    events = await conferred_events(svc, kafka_bootstrap, number)
    by_award = {e.data["award"]: e.data["recipients"] for e in events}
    assert by_award == {
        "giay-khen": [{"kind": "collective", "ref": unit, "unit_code": unit}],
        "bang-khen-bo": [{"kind": "individual", "ref": pid, "unit_code": unit}],
    }
    # the forwarded award is recorded at the level that granted it
    history = ok(await svc.client.get(f"/v1/awards?nominee={pid}", headers=officer))
    levels = {a["award"]: a["level"] for a in history["items"]}
    assert levels["bang-khen-bo"] == "central"
    report = ok(await svc.client.get(f"/v1/reports/awards?unit={unit}&year=2025", headers=head))
    assert [s["sentence_vi"] for s in report["sentences"]] == [
        "Tặng Bằng khen của Bộ trưởng, Thủ trưởng cơ quan, tổ chức trung ương cho 01 cá nhân",
        "Tặng Giấy khen cho 01 tập thể",
        "Công nhận danh hiệu «Chiến sĩ thi đua cơ sở» cho 01 cá nhân",  # imported above
    ]


async def test_a_2019_file_is_judged_by_the_rules_in_force_in_2019(service: RunningService) -> None:
    svc = service
    unit = await new_unit(svc)
    pid = await add_person(svc, unit, {2019: "hoan-thanh-xuat-sac"})
    officer = svc.token("officer", unit=unit)
    history = f"nominee_ref,award,year,decision_number\n{pid},lao-dong-tien-tien,2019,9/QĐ-{unit}\n"
    ok(
        await svc.client.post(
            "/v1/register/imports/awards",
            content=history.encode(),
            headers={**officer, "Content-Type": "text/csv"},
        )
    )
    nid = await under_review(
        svc,
        unit,
        {
            "nominee": {"kind": "individual", "ref": pid},
            "award": "chien-si-thi-dua-co-so",
            "achievement_year": 2019,
        },
    )
    seen = ok(await svc.client.get(f"/v1/nominations/{nid}/eligibility", headers=officer))
    assert seen["rule_set_id"] == "2014-06-01"
    assert "Luật Thi đua, khen thưởng 2003" in seen["rule_set_title"]
    assert seen["eligible"] is False  # «hoàn thành xuất sắc» without an initiative, before 2024
    failed = [c["id"] for c in seen["criteria"] if c["outcome"] == "failed"]
    assert failed == ["sang-kien-co-so"]


async def test_the_awards_report_prints_the_conference_sentences(service: RunningService) -> None:
    svc = service
    unit = await new_unit(svc)
    teams = [f"{unit}.T{i}" for i in range(3)]
    async with svc.runtime.transaction() as tx:
        await upsert_units(
            tx.conn,
            [
                {"unit_code": t, "name": f"Tổ {t}", "level": "agency", "parent_code": unit}
                for t in teams
            ],
        )
    people = [await add_person(svc, unit, {2025: "hoan-thanh-tot"}) for _ in range(3)]
    bo = "Bộ Nội vụ"
    lines = [
        *(f"collective,{t},bang-khen-bo,2025,1/QĐ-BNV,{bo}" for t in teams[:2]),
        *(f"individual,{p},bang-khen-bo,2025,1/QĐ-BNV,{bo}" for p in people),
        f"collective,{teams[2]},giay-khen,2025,5/QĐ-SNV,department",
        *(f"individual,{p},giay-khen,2025,5/QĐ-SNV,department" for p in people[:2]),
        *(f"individual,{p},lao-dong-tien-tien,2025,4/QĐ-SNV,department" for p in people),
        f"collective,{teams[0]},huan-chuong-lao-dong-hang-ba,2025,9/QĐ-CTN,central",
    ]
    officer = svc.token("officer", unit=unit)
    csv_text = "nominee_kind,nominee_ref,award,year,decision_number,level\n" + "\n".join(lines)
    imported = ok(
        await svc.client.post(
            "/v1/register/imports/awards",
            content=csv_text.encode(),
            headers={**officer, "Content-Type": "text/csv"},
        )
    )
    assert imported["imported"] == len(lines), imported
    report = ok(await svc.client.get(f"/v1/reports/awards?unit={unit}&year=2025", headers=officer))
    said = [s["sentence_vi"] for s in report["sentences"]]
    assert said == [
        "Tặng Huân chương Lao động hạng Ba cho 01 tập thể",
        "Tặng Bằng khen của Bộ Nội vụ cho 02 tập thể và 03 cá nhân",
        "Tặng Giấy khen cho 01 tập thể và 02 cá nhân",
        "Công nhận danh hiệu «Lao động tiên tiến» cho 03 cá nhân",
    ]
    assert report["summary_vi"] == "; ".join(said)
    csv_report = await svc.client.get(
        f"/v1/reports/awards?unit={unit}&year=2025&format=csv", headers=officer
    )
    assert csv_report.status_code == 200
    text = csv_report.content.decode("utf-8-sig")
    assert "sentence_vi" in text.splitlines()[0]
    assert "Tặng Bằng khen của Bộ Nội vụ cho 02 tập thể và 03 cá nhân" in text
    xlsx = await svc.client.get(
        f"/v1/reports/awards?unit={unit}&year=2025&format=xlsx", headers=officer
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


# each higher award with the history that makes its nominee eligible: (award, kind, earlier
# awards {year: [award]}); every nominee is rated «hoàn thành xuất sắc» 2021–2025
HIGHER = [
    ("bang-khen-bo", "collective", {}),
    (
        "bang-khen-thu-tuong",
        "individual",
        {
            2020: ["bang-khen-bo"],
            2021: ["chien-si-thi-dua-co-so"],
            2023: ["chien-si-thi-dua-co-so"],
            2025: ["chien-si-thi-dua-co-so"],
        },
    ),
    (
        "bang-khen-thu-tuong",
        "collective",
        {2022: ["bang-khen-bo"], 2024: ["bang-khen-chu-tich-tinh"]},
    ),
    (
        "huan-chuong-lao-dong-hang-ba",
        "individual",
        {
            2019: ["bang-khen-thu-tuong"],
            2022: ["chien-si-thi-dua-co-so"],
            2024: ["chien-si-thi-dua-co-so"],
        },
    ),
    (
        "huan-chuong-lao-dong-hang-nhi",
        "individual",
        {
            2019: ["huan-chuong-lao-dong-hang-ba"],
            2021: ["chien-si-thi-dua-co-so"],
            2023: ["chien-si-thi-dua-co-so"],
            2025: ["chien-si-thi-dua-co-so"],
        },
    ),
    (
        "huan-chuong-lao-dong-hang-nhat",
        "individual",
        {2018: ["huan-chuong-lao-dong-hang-nhi"], 2024: ["chien-si-thi-dua-cap-tinh"]},
    ),
    (
        "huan-chuong-lao-dong-hang-ba",
        "collective",
        {2019: ["bang-khen-thu-tuong"], 2023: ["co-thi-dua-bo"]},
    ),
    (
        "huan-chuong-lao-dong-hang-nhi",
        "collective",
        {2019: ["huan-chuong-lao-dong-hang-ba"], 2022: ["co-thi-dua-chinh-phu"]},
    ),
    (
        "huan-chuong-lao-dong-hang-nhat",
        "collective",
        {
            2018: ["huan-chuong-lao-dong-hang-nhi"],
            2022: ["co-thi-dua-cap-tinh"],
            2023: ["co-thi-dua-bo"],
            2024: ["co-thi-dua-cap-tinh"],
        },
    ),
    ("co-thi-dua-chinh-phu", "collective", {2025: ["co-thi-dua-bo"]}),
]


async def test_every_higher_award_goes_from_proposal_to_a_published_decision(
    service: RunningService, kafka_bootstrap: str
) -> None:
    svc = service
    head = svc.token("head", unit=DEPT, subject="giam-doc")
    files: dict[str, tuple[str, str, str]] = {}
    for award, kind, history in HIGHER:
        unit = await new_unit(svc)
        officer = svc.token("officer", unit=unit)
        years = {y: "hoan-thanh-xuat-sac" for y in range(2021, 2026)}
        if kind == "individual":
            ref = await add_person(svc, unit, years)
        else:
            ref = unit
            for y, rating in years.items():
                r = await svc.client.put(
                    f"/v1/register/units/{unit}/ratings/{y}",
                    json={"rating": rating},
                    headers=officer,
                )
                assert r.status_code in (200, 201), r.text
        lines = [
            f"{kind},{ref},{earlier},{y},{y}/QĐ-{i}"
            for y, kinds in history.items()
            for i, earlier in enumerate(kinds)
        ]
        if lines:
            csv_text = "nominee_kind,nominee_ref,award,year,decision_number\n" + "\n".join(lines)
            done = ok(
                await svc.client.post(
                    "/v1/register/imports/awards",
                    content=csv_text.encode(),
                    headers={**officer, "Content-Type": "text/csv"},
                )
            )
            assert done["imported"] == len(lines), done
        nid = await under_review(svc, unit, {"nominee": {"kind": kind, "ref": ref}, "award": award})
        seen = ok(await svc.client.get(f"/v1/nominations/{nid}/eligibility", headers=head))
        assert seen["eligible"] is True, (award, kind, seen["criteria"])
        ok(await svc.client.post(f"/v1/nominations/{nid}/approve", json={}, headers=head))
        ok(
            await svc.client.post(
                f"/v1/nominations/{nid}/forward", json={"to_level": "central"}, headers=head
            )
        )
        files[nid] = (award, kind, ref)
    decision = decision_of(
        *files, signer="Thủ tướng Chính phủ", decided_on="2026-04-28", series="QĐ-TTg"
    )
    number = decision["number"]
    ok(await svc.client.post("/v1/decisions", json=decision, headers=head), 201)
    events = await conferred_events(svc, kafka_bootstrap, number)
    got = {(e.data["award"], r["kind"], r["ref"]) for e in events for r in e.data["recipients"]}
    assert got == set(files.values())
