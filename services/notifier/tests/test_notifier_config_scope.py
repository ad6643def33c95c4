"""Who may change the notifier's configuration and act on deliveries: templates, rules and the
recovery of every unit's failures need a role scoped at the province; recipients and deliveries
belong to a unit subtree; another unit's delivery answers as a missing one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from egov_contracts import procedures as p
from egov_contracts.envelope import encode, new_event
from egov_contracts.topics import DOSSIERS
from egov_devkit.testing.fixtures import wait_for

pytestmark = pytest.mark.integration

COMMUNE, OTHER = "38.XA.SAMSON", "38.XA.HAMRONG"


async def test_province_wide_configuration_needs_the_province(notifier):
    client = notifier.client
    templates = (await client.get("/v1/templates", headers=notifier.token("admin"))).json()
    rules = (await client.get("/v1/rules", headers=notifier.token("admin"))).json()
    assert templates["items"] and rules["items"]
    for role in ("admin", "operator"):
        head = notifier.token(role, unit=COMMUNE)
        r = await client.put(
            "/v1/templates/dossier-overdue", headers=head, json={"subject": "x", "body": "y"}
        )
        assert r.status_code == 403, r.text
        first = rules["items"][0]
        rule = {k: v for k, v in first.items() if k != "id"}
        r = await client.put(f"/v1/rules/{first['id']}", headers=head, json=rule)
        assert r.status_code == 403, r.text
        r = await client.post(
            "/v1/deliveries/recover", headers=head, json={"since": "2026-01-01T00:00:00+07:00"}
        )
        assert r.status_code == 403, r.text
    assert (await client.get("/v1/templates", headers=notifier.token("admin"))).json() == templates
    assert (await client.get("/v1/rules", headers=notifier.token("admin"))).json() == rules


async def test_recipients_belong_to_a_unit_subtree(notifier):
    client = notifier.client
    pid = f"p-{uuid.uuid4().hex[:6]}"
    person = {"unit_code": COMMUNE, "role": "head", "name": "Lê Văn Bình", "email": "b@x.vn"}
    commune_admin = notifier.token("admin", unit=COMMUNE)
    r = await client.put(f"/v1/recipients/{pid}", headers=commune_admin, json=person)
    assert r.status_code == 200, r.text
    other_admin = notifier.token("admin", unit=OTHER)
    # neither a person of another unit, nor taking this one over into one's own unit
    r = await client.put(f"/v1/recipients/{pid}", headers=other_admin, json=person)
    assert r.status_code == 403
    r = await client.put(
        f"/v1/recipients/{pid}", headers=other_admin, json={**person, "unit_code": OTHER}
    )
    assert r.status_code == 403
    async with notifier.runtime.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT unit_code, email FROM recipients WHERE id = $1", pid)
    assert (row["unit_code"], row["email"]) == (COMMUNE, "b@x.vn")


async def test_deliveries_of_another_unit_are_invisible(notifier, producer, smtp):
    code = f"HS-{uuid.uuid4().hex[:6]}"
    due = datetime.now(UTC) - timedelta(minutes=5)
    data = p.DossierOverdue(
        dossier_code=code,
        procedure_code="1.001865",
        unit_code=COMMUNE,
        occurred_at=due,
        due_at=due,
        minutes_late=5,
    )
    event = new_event(data, source="/vn/38/admin-procedures", subject=code)
    value, headers = encode(event)
    await producer.send_and_wait(DOSSIERS.name, value=value, key=code.encode(), headers=headers)
    client = notifier.client

    async def listed(unit: str) -> list[dict]:
        r = await client.get(
            "/v1/deliveries",
            headers=notifier.token("operator", unit=unit),
            params={"event_id": event.id},
        )
        assert r.status_code == 200, r.text
        return [d for d in r.json()["items"] if d["channel"] != "in-app"]

    everything = await wait_for(lambda: listed("38"), 20, message="deliveries made")
    own = [d for d in await listed(COMMUNE)]
    assert own and {d["unit_code"] for d in own} == {COMMUNE}
    assert len(own) < len(everything)  # the province's own recipients are not the commune's
    assert await listed(OTHER) == []

    missing = await client.post(
        f"/v1/deliveries/{uuid.uuid4()}/replay", headers=notifier.token("operator", unit=OTHER)
    )
    hidden = await client.post(
        f"/v1/deliveries/{own[0]['id']}/replay", headers=notifier.token("operator", unit=OTHER)
    )
    assert missing.status_code == hidden.status_code == 404
    assert hidden.json()["title"] == missing.json()["title"]
    mine = await client.post(
        f"/v1/deliveries/{own[0]['id']}/replay", headers=notifier.token("operator", unit=COMMUNE)
    )
    assert mine.status_code == 200 and mine.json() == {"replayed": 1}
