"""Flow across services: the department's head records the decision on an approved nomination
file → nominations publishes ``award.conferred.v1`` once → the notifier puts a notice in the
in-app feed of the nominee's unit (and e-mails its head). The proposal → council tally →
approval part is covered by the nominations service tests; here the file comes from its demo
review."""

from __future__ import annotations

import uuid

import pytest
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.receivers import smtp_server
from egov_devkit.testing.service import running_stack
from egov_nominations.main import SPEC as NOMINATIONS
from egov_notifier.main import SPEC as NOTIFIER
from egov_notifier.main import seed as seed_notifier

pytestmark = pytest.mark.integration

DEPT = "38.SNV"


async def test_decided_award_reaches_the_nominees_unit(kafka_bootstrap, postgres_admin_dsn):
    number = f"{uuid.uuid4().hex[:4]}/QĐ-SNV"
    async with smtp_server() as (smtp_port, mails):
        stack = {
            "notifier": (NOTIFIER, {"smtp_port": smtp_port, "dispatch_interval_s": 0.1}),
            "nominations": (NOMINATIONS, {"demo_people": 60}),
        }
        async with running_stack(kafka_bootstrap, postgres_admin_dsn, stack) as svc:
            await seed_notifier(svc["notifier"].runtime)
            nom = svc["nominations"]
            assert NOMINATIONS.seed is not None
            await NOMINATIONS.seed(nom.runtime)
            head = nom.token("head", unit=DEPT, subject="giam-doc-so")
            r = await nom.client.get(
                "/v1/nominations", params={"unit": DEPT, "status": "approved"}, headers=head
            )
            assert r.status_code == 200, r.text
            approved = [f for f in r.json()["items"] if f["deciding_unit_code"] == DEPT]
            assert approved, r.json()
            file = approved[0]
            unit = file["nominee"]["unit_code"]
            decision = {
                "number": number,
                "decided_on": "2026-01-25",
                "signer": "Giám đốc Sở",
                "deciding_unit_code": DEPT,
                "nomination_ids": [file["nomination_id"]],
            }
            r = await nom.client.post("/v1/decisions", json=decision, headers=head)
            assert r.status_code == 201, r.text
            again = await nom.client.post("/v1/decisions", json=decision, headers=head)
            assert again.status_code == 200, again.text  # the same decision: nothing new

            notif = svc["notifier"]
            feed_of_unit = notif.token("head", unit=unit)

            async def notices() -> list[dict]:
                feed = await notif.client.get("/v1/inbox", headers=feed_of_unit)
                return [i for i in feed.json()["items"] if number in i["title"]]

            [notice] = await wait_for(notices, timeout=30)
            await wait_for(lambda: [m for m in mails if number in str(m["Subject"])], 30)
            deliveries = await notif.client.get(
                "/v1/deliveries",
                headers=notif.token("operator"),
                params={"channel": "in-app", "limit": 500},
            )
            mine = [d for d in deliveries.json()["items"] if number in d["subject"]]

    assert notice["unit_code"] == unit and notice["role"] == "head"
    assert notice["title"] == f"[Khen thưởng] Quyết định {number}"
    assert len(mine) == 1  # one award event, one notice, despite the repeated decision
