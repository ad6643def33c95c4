"""Flow across services: a data set of two communes for a month → one reports on time, the
other not → indicators' reminder job (run twice on each day, as after a restart) sends
``report.due-soon.v1`` before the due date and ``report.overdue.v1`` after it, once each → the
notifier mails the silent commune's officer and head, with the commune's name beside its code,
once per notice."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.receivers import smtp_server
from egov_devkit.testing.service import running_stack
from egov_indicators.main import SPEC as INDICATORS
from egov_indicators.usecases.common import Work
from egov_indicators.usecases.reporting import send_reporting_notices
from egov_notifier.main import SPEC as NOTIFIER
from egov_notifier.main import seed as seed_notifier
from egov_workdays import VN_TZ

pytestmark = pytest.mark.integration

SILENT, DILIGENT = "38.XA.SAMSON", "38.XA.NAMSAMSON"
# due 20 September 2025: long past, so the service's own periodic run on the real clock (which
# looks back 31 days) never touches it; the test runs the job on its own clock
PERIOD = "2025-08"


async def test_reminder_and_overdue_notice_reach_the_silent_commune_once_each(
    kafka_bootstrap, postgres_admin_dsn
):
    code = f"BC-{uuid.uuid4().hex[:6].upper()}"
    async with smtp_server() as (smtp_port, mails):
        stack = {
            "indicators": (INDICATORS, {}),
            "notifier": (NOTIFIER, {"smtp_port": smtp_port, "dispatch_interval_s": 0.1}),
        }
        async with running_stack(kafka_bootstrap, postgres_admin_dsn, stack) as svc:
            await seed_notifier(svc["notifier"].runtime)
            ind = svc["indicators"]
            r = await ind.client.put(
                f"/v1/data-sets/{code}",
                json={
                    "name_vi": "Báo cáo tháng việc làm",
                    "period_kind": "month",
                    "indicators": ["VL_GQVL"],
                    "units": [SILENT, DILIGENT],
                    "first_period": PERIOD,
                },
                headers=ind.token("admin", unit="38"),
            )
            assert r.status_code == 200, r.text
            r = await ind.client.post(
                "/v1/submissions",
                json={
                    "submission_id": f"{code}-{DILIGENT}",
                    "unit_code": DILIGENT,
                    "period": PERIOD,
                    "values": [{"indicator_code": "VL_GQVL", "value": "85"}],
                    "submitted_by": "thong-ke-xa",
                    "submitted_at": datetime(2025, 9, 10, 9, tzinfo=VN_TZ).isoformat(),
                },
                headers=ind.token("officer", unit=DILIGENT),
            )
            assert r.status_code == 202, r.text

            ctx = ind.app.state.wiring.state["context"]
            sent = []
            for day in (17, 17, 21, 21):  # each day twice: nothing is sent again
                async with ind.runtime.transaction() as tx:
                    now = datetime(2025, 9, day, 7, tzinfo=VN_TZ)
                    sent += [e.type for e in await send_reporting_notices(Work.on(tx), ctx, now)]
            assert sent == [
                "vn.egov.indicators.report.due-soon.v1",
                "vn.egov.indicators.report.overdue.v1",
            ]

            def ours() -> list:
                return [m for m in mails if code in _text(m)]

            await wait_for(lambda: len(ours()) >= 4, 30)
            notif = svc["notifier"]
            inbox = await notif.client.get(
                "/v1/inbox", headers=notif.token("officer", unit=SILENT), params={"role": "officer"}
            )
            titles = sorted(i["title"] for i in inbox.json()["items"] if code in i["body"])

    got = sorted((m["To"], m["Subject"]) for m in ours())
    soon = f"[Sắp đến hạn] Báo cáo tháng việc làm kỳ {PERIOD} — Phường Sầm Sơn"
    late = f"[Quá hạn] Báo cáo tháng việc làm kỳ {PERIOD} — Phường Sầm Sơn"
    officer, head = "canbo.38-xa-samson@demo.egov.vn", "lanhdao.38-xa-samson@demo.egov.vn"
    assert got == sorted([(officer, soon), (officer, late), (head, soon), (head, late)])
    assert "hạn gửi là ngày 20/09/2025" in _text(next(m for m in ours() if m["Subject"] == soon))
    assert titles == sorted([soon, late])


def _text(mail) -> str:
    """The plain-text part (other tests' notifications on the shared broker may be multipart)."""
    return mail.get_body(preferencelist=("plain",)).get_content()
