"""An event naming a unit that was merged away (the 2025 reform) is answered for by its
successor: the successor's staff receive it, not the former unit's parent chain (use case
``decide`` on the real database, the demo hierarchy and recipients)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from egov_contracts import indicators as ind
from egov_contracts import procedures as p
from egov_contracts.envelope import VN_TZ, EventData, new_event
from egov_contracts.examples import example_for
from egov_notifier.usecases import Work, decide

pytestmark = pytest.mark.integration

AFTER_REFORM = datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)


async def decided(notifier, data: EventData, now: datetime) -> set[tuple[str, str]]:
    """(channel, recipient label) of the in-app and e-mail notifications decided for it."""
    event = new_event(data, source="/vn/38/test", subject=uuid.uuid4().hex[:8])
    async with notifier.runtime.transaction() as tx:
        await decide(Work.on(tx), notifier.app.state.wiring.state["context"], [event], now=now)
        rows = await tx.conn.fetch(
            "SELECT channel, recipient_label, unit_code FROM notifications"
            " WHERE event_id = $1 AND channel = 'in-app'",
            event.id,
        )
    return {(r["unit_code"], r["recipient_label"]) for r in rows}


async def test_an_overdue_dossier_of_a_merged_district_reaches_the_successor_head(notifier):
    # Thành phố Thanh Hóa (38.380) was merged into Phường Hạc Thành on 2025-07-01
    overdue = p.DossierOverdue(
        dossier_code=f"HS-{uuid.uuid4().hex[:6]}",
        procedure_code="1.001865",
        unit_code="38.380",
        occurred_at=AFTER_REFORM,
        due_at=AFTER_REFORM - timedelta(days=1),
        minutes_late=24 * 60,
    )
    assert await decided(notifier, overdue, AFTER_REFORM) == {
        ("38.XA.HACTHANH", "38-xa-hacthanh-head"),  # roles at the unit: its successor's
        ("38", "38-operator"),  # roles above: the successor's parents
    }


async def test_a_rejected_submission_of_the_former_department_reaches_its_successor(notifier):
    # Sở LĐ-TB&XH (38.SLDTBXH) handed over to Sở Nội vụ (38.SNV) on 2025-03-01
    rejected = example_for(ind.SubmissionRejected.event_type).model_copy(
        update={"submission_id": f"SUB-{uuid.uuid4().hex[:6]}", "unit_code": "38.SLDTBXH"}
    )
    assert await decided(notifier, rejected, AFTER_REFORM) == {
        ("38.SNV", "38-snv-officer"),
        ("38.SNV", "38-snv-head"),
    }
