"""Flow across services: a commune submits indicator values that break cross-indicator rules →
indicators rejects the whole submission (422 to the sender, ``submission.rejected.v1`` on the
results topic) → the notifier tells the commune's officer and head, every violation listed."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from egov_contracts.reference import load_units
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.receivers import smtp_server
from egov_devkit.testing.service import running_stack
from egov_indicators.main import SPEC as INDICATORS
from egov_notifier.main import SPEC as NOTIFIER
from egov_notifier.main import seed as seed_notifier
from egov_workdays import VN_TZ

pytestmark = pytest.mark.integration

UNIT = "38.XA.SAMSON"


async def test_rejected_submission_reaches_the_reporting_commune(
    kafka_bootstrap, postgres_admin_dsn
):
    sid = f"BC-{uuid.uuid4().hex[:8]}"
    submission = {
        "submission_id": sid,
        "unit_code": UNIT,
        "period": "2026",
        "values": [
            {"indicator_code": "HO_TONG", "value": "500"},
            {"indicator_code": "HO_NGHEO", "value": "600"},  # more poor than households
            {"indicator_code": "HO_CAN_NGHEO", "value": "10"},
        ],
        "submitted_by": "thong-ke-xa",
        "submitted_at": datetime.now(VN_TZ).isoformat(),
    }
    async with smtp_server() as (smtp_port, mails):
        stack = {
            "indicators": (INDICATORS, {}),
            "notifier": (NOTIFIER, {"smtp_port": smtp_port, "dispatch_interval_s": 0.1}),
        }
        async with running_stack(kafka_bootstrap, postgres_admin_dsn, stack) as svc:
            await seed_notifier(svc["notifier"].runtime)
            ind = svc["indicators"]
            r = await ind.client.post(
                "/v1/submissions",
                json=submission,
                headers=ind.token("officer", unit=UNIT, subject="canbo-samson"),
            )
            assert r.status_code == 422, r.text
            rules = {e["rule"] for e in r.json()["errors"]}
            assert {"poor-within-households", "poor-and-near-poor-within-households"} <= rules

            notif = svc["notifier"]
            officer = notif.token("officer", unit=UNIT)

            async def item() -> list[dict]:
                feed = await notif.client.get(
                    "/v1/inbox", headers=officer, params={"role": "officer"}
                )
                return [i for i in feed.json()["items"] if sid in i["body"]]

            [notice] = await wait_for(item, timeout=30)
            await wait_for(lambda: len([m for m in mails if sid in _text(m)]) >= 2, 30)

    name = next(u.name for u in load_units() if u.unit_code == UNIT)
    assert notice["title"] == f"[Trả lại] Báo cáo chỉ tiêu kỳ 2026 của {name} ({UNIT})"
    assert notice["body"].count("- Chỉ tiêu") == len(r.json()["errors"])
    assert sorted(m["To"] for m in mails if sid in _text(m)) == [
        "canbo.38-xa-samson@demo.egov.vn",
        "lanhdao.38-xa-samson@demo.egov.vn",
    ]


def _text(mail) -> str:
    """The plain-text part (other tests' notifications on the shared broker may be multipart)."""
    return mail.get_body(preferencelist=("plain",)).get_content()
