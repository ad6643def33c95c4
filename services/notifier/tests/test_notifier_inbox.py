"""The in-app inbox is read by its recipients only — the person it is for (token subject) or
whoever holds its role at its unit, the head of a unit included — and has read/unread state."""

from __future__ import annotations

import uuid

import pytest
from egov_contracts import indicators as ind
from egov_contracts.envelope import encode, new_event
from egov_contracts.examples import example_for
from egov_devkit.testing.fixtures import wait_for

pytestmark = pytest.mark.integration

UNIT = "38.XA.SAMSON"


async def items(notifier, headers, **params) -> list[dict]:
    r = await notifier.client.get("/v1/inbox", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_each_reads_their_own_items_and_marks_them_read(notifier, producer):
    sid = f"SUB-{uuid.uuid4().hex[:6]}"
    rejected = example_for(ind.SubmissionRejected.event_type).model_copy(
        update={"submission_id": sid, "unit_code": UNIT}
    )
    event = new_event(rejected, source="/x", subject=sid)
    value, headers = encode(event)
    await producer.send_and_wait(
        type(rejected).topic, value=value, key=sid.encode(), headers=headers
    )
    head = notifier.token("head", unit=UNIT, subject="lanh-dao")
    officer = notifier.token("officer", unit=UNIT, subject="can-bo")

    async def mine(who) -> list[dict]:
        return [i for i in await items(notifier, who) if sid in i["body"]]

    [for_head] = await wait_for(lambda: mine(head), timeout=20, message="the head's item")
    [for_officer] = await wait_for(lambda: mine(officer), timeout=20, message="the officer's")
    # the head reads their own inbox (it answered 403 before), and only the head's items
    assert for_head["role"] == "head" and for_officer["role"] == "officer"
    assert for_head["id"] != for_officer["id"]
    assert for_head["read"] is False and for_head["read_at"] is None
    assert for_head["created_at"].endswith("+07:00")
    # the province's officer does not read a commune's items
    province = notifier.token("officer", unit="38", subject="can-bo-tinh")
    assert [i for i in await items(notifier, province) if sid in i["body"]] == []
    # nor does an officer the head's item: it is not there for them (404, as a missing one)
    r = await notifier.client.post(f"/v1/inbox/{for_head['id']}/read", headers=officer)
    assert r.status_code == 404
    # the person it is for reads it whatever their token's role and unit
    person = notifier.token("council", unit="38", subject=for_head["recipient"])
    assert for_head["id"] in [i["id"] for i in await items(notifier, person)]

    # read / unread
    unread = await items(notifier, head, unread="true")
    assert for_head["id"] in [i["id"] for i in unread]
    r = await notifier.client.post(f"/v1/inbox/{for_head['id']}/read", headers=head)
    assert r.status_code == 200, r.text
    read = r.json()
    assert read["read"] is True and read["read_at"].endswith("+07:00")
    again = await notifier.client.post(f"/v1/inbox/{for_head['id']}/read", headers=head)
    assert again.json()["read_at"] == read["read_at"]  # marking twice changes nothing
    assert for_head["id"] not in [i["id"] for i in await items(notifier, head, unread="true")]
    assert for_head["id"] in [i["id"] for i in await items(notifier, head)]
    # the officer's item is still unread
    assert for_officer["id"] in [i["id"] for i in await items(notifier, officer, unread="true")]
    r = await notifier.client.post("/v1/inbox/999999999/read", headers=head)
    assert r.status_code == 404
