"""GET /v1/feed on a real broker and PostgreSQL: the same events as the topics for the caller's
units, in the topics' order, exactly as published, resumable from a cursor, with retention."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from egov_contracts import procedures as p
from egov_contracts.envelope import EnvelopeError, decode, encode, new_event, to_json
from egov_contracts.examples import example_for
from egov_contracts.topics import DOSSIERS, NOMINATION_EVENTS, NOTIFICATION_DELIVERIES, RATES
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.service import TopicReader
from egov_notifier.entrypoints.consumers import FEED_TOPICS
from egov_notifier.usecases import housekeeping
from egov_runtime.consumer import Tx

pytestmark = pytest.mark.integration

BATCH = "application/cloudevents-batch+json"


def overdue(code: str, unit: str, minutes: int) -> p.DossierOverdue:
    due = datetime.now(UTC) - timedelta(minutes=minutes)
    return p.DossierOverdue(
        dossier_code=code,
        procedure_code="1.001865",
        unit_code=unit,
        occurred_at=due,
        due_at=due,
        minutes_late=minutes,
    )


class Publisher:
    """Publishes events and remembers which units each concerns."""

    def __init__(self, producer) -> None:
        self.producer = producer
        self.units: dict[str, str | None] = {}  # event id -> its unit (None: names none)

    async def send(self, topic: str, data, subject: str, unit: str | None, **kw) -> str:
        event = new_event(data, source="/vn/38/test", subject=subject)
        value, headers = encode(event)
        await self.producer.send_and_wait(
            topic, value=value, key=subject.encode(), headers=headers, **kw
        )
        self.units[event.id] = unit
        return event.id

    async def send_binary(self, data, subject: str, unit: str) -> str:
        """As a producer using a CloudEvents SDK in binary mode would (ce_* headers)."""
        event = new_event(data, source="/vn/38/test", subject=subject)
        headers = [
            (f"ce_{k}", str(v).encode())
            for k, v in json.loads(to_json(event)).items()
            if k not in ("data", "datacontenttype")
        ] + [("content-type", b"application/json")]
        await self.producer.send_and_wait(
            DOSSIERS.name,
            value=json.dumps(event.data).encode(),
            key=subject.encode(),
            headers=headers,
        )
        self.units[event.id] = unit
        return event.id


def _decoded(record):
    try:
        return decode(record.value, record.headers)
    except EnvelopeError:
        return None


async def read_feed(client, headers, params) -> tuple[list[dict], str, bytes]:
    r = await client.get("/v1/feed", headers=headers, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(BATCH)
    link = r.headers["link"]
    assert link.endswith('>; rel="next"')
    return r.json(), link[1 : link.index(">")], r.content


async def follow(client, headers, url: str, want: set[str], timeout: float = 30):
    """Follow rel=next from ``url`` (long polling when at the end) until every id in ``want``
    was seen; the events (ours only, in feed order), the raw pages and the next URL."""
    if "wait=" not in url:
        url += ("&" if "?" in url else "?") + "wait=5"
    seen: list[dict] = []
    raw: list[bytes] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        r = await client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        raw.append(r.content)
        seen += [e for e in r.json() if e["id"] in want]
        link = r.headers["link"]
        url = link[1 : link.index(">")]
        if {e["id"] for e in seen} >= want:
            return seen, raw, url
    raise AssertionError(f"missing {want - {e['id'] for e in seen}}")


async def test_the_feed_is_the_topics_for_the_callers_units_in_order_and_resumable(
    notifier, producer, kafka_bootstrap
):
    client = notifier.client
    snv = notifier.token("integration", unit="38.SNV", subject="he-thong-snv")
    province = notifier.token("integration", unit="38", subject="kho-du-lieu-tinh")
    pub = Publisher(producer)
    reader = TopicReader(kafka_bootstrap, list(FEED_TOPICS))
    await reader.start()
    start = datetime.now(UTC) - timedelta(seconds=1)
    try:
        # three dossiers (two of the department's offices, one commune), interleaved
        dossiers = {
            f"HS-{uuid.uuid4().hex[:8]}": unit
            for unit in ("38.SNV.NCC", "38.SNV.VL", "38.XA.SAMSON")
        }
        for minutes in range(1, 5):
            for code, unit in dossiers.items():
                await pub.send(DOSSIERS.name, overdue(code, unit, minutes), code, unit)
        binary_code = f"HS-{uuid.uuid4().hex[:8]}"
        binary_id = await pub.send_binary(overdue(binary_code, "38.SNV", 9), binary_code, "38.SNV")
        rate = example_for("vn.egov.procedures.on-time-rate.computed.v1").model_copy(
            update={"unit_code": "38.SNV.VL"}
        )
        await pub.send(RATES.name, rate, "38.SNV.VL/2026-07", "38.SNV.VL")
        nomination = example_for("vn.egov.nominations.nomination.submitted.v1")
        await pub.send(NOMINATION_EVENTS.name, nomination, "DN-2025-0007", "38.SNV")
        delivery = example_for("vn.egov.notifications.notification.delivered.v1")
        unitless = await pub.send(NOTIFICATION_DELIVERIES.name, delivery, "n-1", None)

        mine = set(pub.units)
        snv_ids = {i for i, u in pub.units.items() if u and u.startswith("38.SNV")}
        await reader.until(lambda: {e.id for e in reader.events} >= mine, 20)
        topic = [(r, e) for r in reader.records if (e := _decoded(r)) and e.id in mine]

        first = f"/v1/feed?since={start.isoformat().replace('+', '%2B')}&limit=3"
        got, pages, head = await follow(client, snv, first, snv_ids)
        # the same events as the topics for that scope, nothing outside it
        assert {e["id"] for e in got} == snv_ids
        # in the topics' order: per subject, as the partition has them
        for subject in {e["subject"] for e in got}:
            on_topic = [e.id for _r, e in topic if e.subject == subject and e.id in snv_ids]
            assert [e["id"] for e in got if e["subject"] == subject] == on_topic
        # exactly as published (structured records verbatim), binary mode as structured
        body = b"".join(pages)
        for record, event in topic:
            if event.id in snv_ids and event.id != binary_id:
                assert record.value in body
        served = next(e for e in got if e["id"] == binary_id)
        assert served["type"] == "vn.egov.procedures.dossier.overdue.v1"
        assert served["data"]["dossier_code"] == binary_code and served["specversion"] == "1.0"

        # the province sees everything, including events that name no unit
        everything, _, _ = await follow(client, province, first, mine)
        assert unitless in {e["id"] for e in everything}

        # resumable: from the cursor, only what came after it
        code = next(iter(dossiers))
        later = await pub.send(DOSSIERS.name, overdue(code, "38.SNV.NCC", 7), code, "38.SNV.NCC")
        after, _, head = await follow(client, snv, head, {later})
        assert [e["id"] for e in after] == [later]

        # long polling: the request waits for the next event
        waiting = asyncio.create_task(
            read_feed(client, snv, {"after": head.split("after=")[1].split("&")[0], "wait": 20})
        )
        code = list(dossiers)[1]
        polled = await pub.send(DOSSIERS.name, overdue(code, "38.SNV.VL", 8), code, "38.SNV.VL")
        events, _, _ = await waiting
        assert polled in {e["id"] for e in events}

        # filters: type (wildcard), a unit below the caller's; a unit outside it is refused
        dossiers_only, _, _ = await read_feed(
            client,
            snv,
            {"since": start.isoformat(), "type": "vn.egov.procedures.dossier.*", "limit": 1000},
        )
        assert {e["type"] for e in dossiers_only if e["id"] in pub.units} == {
            "vn.egov.procedures.dossier.overdue.v1"
        }
        vl, _, _ = await read_feed(
            client, snv, {"since": start.isoformat(), "unit": "38.SNV.VL", "limit": 1000}
        )
        assert {e["id"] for e in vl if e["id"] in pub.units} == {
            i for i, u in pub.units.items() if u == "38.SNV.VL"
        }
        outside = await client.get("/v1/feed", headers=snv, params={"unit": "38.XA.SAMSON"})
        assert outside.status_code == 403
        typo = await client.get("/v1/feed", headers=snv, params={"type": "vn.egov.procedure.*"})
        assert typo.status_code == 422 and typo.json()["errors"][0]["field"] == "type"
    finally:
        await reader.stop()


async def test_retention_removes_old_events_and_an_old_cursor_is_told_so(notifier, producer):
    client = notifier.client
    op = notifier.token("operator")
    pub = Publisher(producer)
    code = f"HS-{uuid.uuid4().hex[:8]}"
    month_ago = datetime.now(UTC) - timedelta(days=40)
    old = await pub.send(
        DOSSIERS.name,
        overdue(code, "38.SNV", 3),
        code,
        "38.SNV",
        timestamp_ms=int(month_ago.timestamp() * 1000),
    )
    recent = await pub.send(DOSSIERS.name, overdue(code, "38.SNV", 4), code, "38.SNV")
    since = (month_ago - timedelta(hours=1)).isoformat()
    kept, _, _ = await follow(
        client, op, f"/v1/feed?since={since.replace('+', '%2B')}", {old, recent}
    )
    assert [e["id"] for e in kept] == [old, recent]

    async with notifier.runtime.pool.acquire() as conn:
        events, _ = await housekeeping(Tx(conn, "notifier"), datetime.now(UTC), timedelta(days=30))
    assert events >= 1
    left, _, _ = await follow(client, op, f"/v1/feed?since={since.replace('+', '%2B')}", {recent})
    assert old not in {e["id"] for e in left}
    gone = await client.get("/v1/feed", headers=op, params={"after": "0"})
    assert gone.status_code == 410 and "since=" in gone.json()["detail"]


async def test_a_later_position_never_becomes_visible_before_an_earlier_one(notifier):
    """Partition batches store concurrently; the second to take a position waits for the
    first to commit, so a reader's cursor never passes an event still being stored."""
    from egov_notifier.adapters import feed

    now = datetime.now(UTC)
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]

    def stored(n: int) -> feed.Stored:
        return feed.Stored(ids[n], "test", "s", [], "test", n, n, now, '{"test": true}')

    pool = notifier.runtime.pool
    async with pool.acquire() as first, pool.acquire() as second:
        open_tx = first.transaction()
        await open_tx.start()
        await feed.append(first, [stored(0)])

        async def store_second() -> None:
            async with second.transaction():
                await feed.append(second, [stored(1)])

        task = asyncio.create_task(store_second())

        async def second_waits() -> bool:
            async with pool.acquire() as conn:
                return bool(
                    await conn.fetchval(
                        "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1",
                        second.get_server_pid(),
                    )
                )

        await wait_for(second_waits, timeout=10)
        await open_tx.commit()
        await task
    async with pool.acquire() as conn:
        order = await conn.fetch(
            "SELECT event_id FROM feed_events WHERE event_id = ANY($1::text[]) ORDER BY position",
            ids,
        )
    assert [r["event_id"] for r in order] == ids
