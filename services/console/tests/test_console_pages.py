"""The console's pages over HTTP against the real services (no browser): sign-in, unit scope end
to end, the overview's rate as the report API computes it, the queues and their export, a
dossier's deadline explained, the integration health."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from egov_workdays import VN_TZ, WorkCalendar

pytestmark = pytest.mark.integration
HOANGHOA, THOXUAN = "38.XA.HOANGHOA", "38.XA.THOXUAN"


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


@contextlib.asynccontextmanager
async def signed_in(stack, role: str, unit: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.url, follow_redirects=True, timeout=30) as client:
        r = await client.get(stack.sign_in_url(role, unit))
        assert r.status_code == 200, r.text
        yield client


@pytest.fixture(scope="module")
async def data(console_stack):
    """Dossiers of two communes: resolved ones in March 2026 (early, on time, late), one overdue
    now in each commune, one received before Tết 2026."""
    s = console_stack
    tag = uuid.uuid4().hex[:5]
    cal = WorkCalendar()
    day = cal.office_hours.minutes_per_day
    now = datetime.now(UTC)
    codes = {
        "early": f"HH-early-{tag}",
        "ontime": f"HH-ontime-{tag}",
        "late": f"HH-late-{tag}",
        "overdue": f"HH-overdue-{tag}",
        "other": f"TX-overdue-{tag}",
        "tet": f"HH-tet-{tag}",
    }
    await s.report(codes["early"], "received", vn(2026, 3, 2, 9), HOANGHOA, channel="online")
    await s.report(codes["early"], "resolved", vn(2026, 3, 4, 9), HOANGHOA, result="granted")
    await s.report(codes["ontime"], "received", vn(2026, 3, 2, 9), HOANGHOA, channel="counter")
    await s.report(codes["ontime"], "resolved", vn(2026, 3, 9, 8, 30), HOANGHOA, result="granted")
    await s.report(codes["late"], "received", vn(2026, 3, 2, 9), HOANGHOA, channel="counter")
    await s.report(codes["late"], "resolved", vn(2026, 3, 12, 9), HOANGHOA, result="granted")
    late_at = cal.subtract_working_minutes(now, 10 * day)
    await s.report(codes["overdue"], "received", late_at, HOANGHOA, channel="online")
    await s.report(codes["other"], "received", late_at, THOXUAN, channel="online")
    await s.report(codes["tet"], "received", vn(2026, 2, 12, 9), HOANGHOA, channel="counter")
    await s.recorded(codes.values(), resolved=codes["late"])
    return codes


async def test_sign_in_link_sets_an_http_only_session_and_sign_out_ends_it(console_stack, data):
    s = console_stack
    async with httpx.AsyncClient(base_url=s.url) as client:
        first = await client.get("/")
        assert first.status_code == 303 and first.headers["location"].startswith("/sign-in")
        r = await client.get(s.sign_in_url("operator", "38"))
        assert r.status_code == 303
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        home = await client.get("/")
        assert home.status_code == 200 and "Tổng quan" in home.text
        bad = await client.get("/sign-in/token", params={"token": "forged"})
        assert bad.status_code == 401
        await client.post("/sign-out")
        assert (await client.get("/")).status_code == 303
        page = await client.get("/sign-in")
        assert "Cán bộ vận hành" in page.text and "Xã Hoằng Hóa" in page.text


async def test_local_sign_in_form_with_role_and_unit(console_stack, data):
    async with httpx.AsyncClient(base_url=console_stack.url, follow_redirects=True) as client:
        r = await client.post(
            "/sign-in", data={"role": "officer", "unit": HOANGHOA, "next": "/queues/overdue"}
        )
        assert r.status_code == 200 and str(r.url).endswith("/queues/overdue")
        assert data["overdue"] in r.text and data["other"] not in r.text
        refused = await client.post("/sign-in", data={"role": "integration", "unit": "38"})
        assert refused.status_code == 422


async def test_an_officer_sees_only_their_commune(console_stack, data):
    async with signed_in(console_stack, "officer", HOANGHOA) as client:
        queue = await client.get("/queues/overdue")
        assert data["overdue"] in queue.text and data["other"] not in queue.text
        elsewhere = await client.get("/queues/overdue", params={"unit": THOXUAN})
        assert elsewhere.status_code == 403 and "Ngoài phạm vi" in elsewhere.text
        # another unit's dossier is refused as if it did not exist (the service's decision)
        other = await client.get(f"/dossiers/{data['other']}")
        assert other.status_code in (403, 404) and "Hồ sơ " + data["other"] not in other.text
        assert (await client.get("/", params={"unit": THOXUAN})).status_code == 403
        assert (await client.get("/health")).status_code == 403


async def test_overview_rate_is_the_report_apis(console_stack, data):
    s = console_stack
    api = await s.procedures.client.get(
        "/v1/reports/on-time",
        params={"unit": HOANGHOA, "period": "2026-03"},
        headers=s.procedures.token("officer", unit=HOANGHOA),
    )
    rate = api.json()["total"]["on_time_rate"]
    assert rate is not None and api.json()["total"]["resolved"] >= 3
    async with signed_in(s, "officer", HOANGHOA) as client:
        page = await client.get("/", params={"period": "2026-03"})
    assert page.status_code == 200
    assert f'data-rate="{rate}"' in page.text
    assert rate.replace(".", ",") + "%" in page.text
    assert "Tháng 03/2026" in page.text and "12 tháng" in page.text


async def test_overview_lists_sub_units_worst_first(console_stack, data):
    async with signed_in(console_stack, "operator", "38") as client:
        page = await client.get("/", params={"period": "2026-Q1"})
    assert page.status_code == 200
    assert "Quý I/2026" in page.text
    # each sub-unit's rate is the report API's for that unit and period
    api = await console_stack.procedures.client.get(
        "/v1/reports/on-time",
        params={"unit": HOANGHOA, "period": "2026-Q1"},
        headers=console_stack.procedures.token("operator"),
    )
    rate = api.json()["total"]["on_time_rate"]
    row = page.text.split('data-unit="38.XA.HOANGHOA"')[1].split("</tr>")[0]
    assert rate is not None and rate.replace(".", ",") + "%" in row
    assert page.text.index('data-unit="38.XA.HOANGHOA"') < page.text.index(
        'data-unit="38.XA.BIMSON"'
    )  # a unit with a rate comes before one with nothing resolved


async def test_export_downloads_exactly_the_filtered_rows(console_stack, data):
    async with signed_in(console_stack, "operator", "38") as client:
        r = await client.get(
            "/queues/overdue", params={"unit": HOANGHOA, "channel": "online", "format": "csv"}
        )
        html = await client.get("/queues/overdue", params={"unit": HOANGHOA, "channel": "online"})
    assert r.status_code == 200 and "text/csv" in r.headers["content-type"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    codes = [row[0] for row in rows[1:]]
    assert data["overdue"] in codes and data["other"] not in codes
    assert all(row[5] == "Trực tuyến" for row in rows[1:])
    assert f'data-total="{len(codes)}"' in html.text


async def test_dossier_received_before_tet_shows_its_deadline_explained(console_stack, data):
    async with signed_in(console_stack, "operator", "38") as client:
        page = await client.get(f"/dossiers/{data['tet']}")
    assert page.status_code == 200
    assert "16/02/2026" in page.text and "17/02/2026" in page.text  # Tết 2026 skipped
    assert "Cách tính hạn" in page.text and "Thông báo đã gửi" in page.text


async def test_integration_health_lists_every_service(console_stack, data):
    async with signed_in(console_stack, "admin", "38") as client:
        page = await client.get("/health")
    assert page.status_code == 200
    for name in ("admin-procedures", "notifier"):
        assert f'data-service="{name}"' in page.text
    assert "Sẵn sàng" in page.text


async def test_sign_in_through_the_identity_provider_with_pkce(console_stack, data):
    """OpenID Connect against a local provider: code + PKCE (S256), the ID token verified, the
    person's roles and unit taken from its claims, so unit scope applies to what they see."""
    s = console_stack
    async with httpx.AsyncClient(base_url=s.url, follow_redirects=True, timeout=30) as client:
        page = await client.get("/sign-in")
        assert 'id="oidc-sign-in"' in page.text
        r = await client.get("/auth/login", params={"next": "/queues/overdue"})
        assert r.status_code == 200 and str(r.url) == f"{s.url}/queues/overdue"
        assert "Cán bộ xử lý hồ sơ · 38.XA.HOANGHOA" in r.text  # from the ID token's claims
        assert data["overdue"] in r.text and data["other"] not in r.text
    assert s.oidc.refused == []
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as client:
        start = await client.get("/auth/login")
        authorize = start.headers["location"]
        assert authorize.startswith(f"{s.oidc.issuer}/authorize?")
        assert "code_challenge_method=S256" in authorize and "nonce=" in authorize
        assert "httponly" in start.headers["set-cookie"].lower()
        callback = (await client.get(authorize)).headers["location"]
        forged = await client.get(callback.replace("state=", "state=forged"))
        assert forged.status_code == 400
        assert (await client.get("/")).status_code == 303  # not signed in
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as stranger:
        # a callback without the login's cookie (another browser) is refused
        assert (await stranger.get(callback)).status_code == 400


def _submission(unit: str, period: str, values: dict) -> dict:
    return {
        "submission_id": f"RP-{uuid.uuid4().hex[:8]}",
        "unit_code": unit,
        "period": period,
        "values": [{"indicator_code": k, "value": str(v)} for k, v in values.items()],
        "submitted_by": "bao-cao-test",
        "submitted_at": datetime.now(VN_TZ).isoformat(),
    }


async def test_reporting_page_shows_who_has_not_reported_and_the_rejections(console_stack, data):
    ind = console_stack.indicators
    good = _submission(HOANGHOA, "2026-10", {"VL_GQVL": 80})
    r = await ind.client.post(
        "/v1/submissions", json=good, headers=ind.token("officer", unit=HOANGHOA)
    )
    assert r.status_code == 202, r.text
    # more poor households than households: rejected with its violation
    bad = _submission(THOXUAN, "2026-10", {"HO_TONG": 500, "HO_NGHEO": 600, "HO_CAN_NGHEO": 10})
    r = await ind.client.post(
        "/v1/submissions", json=bad, headers=ind.token("officer", unit=THOXUAN)
    )
    assert r.status_code == 422, r.text
    async with signed_in(console_stack, "operator", "38") as client:
        page = await client.get("/reporting", params={"period": "2026-10"})
    assert page.status_code == 200, page.text
    assert 'data-unit="38.XA.HOANGHOA" data-reported="yes"' in page.text
    assert 'data-unit="38.XA.THOXUAN" data-reported="no"' in page.text
    row = page.text.split('data-unit="38.XA.THOXUAN"')[1].split("</tr>")[0]
    assert "1 lần" in row and "Chưa báo cáo" in row
    assert 'data-unit="38.XA.NGASON" data-reported="no"' in page.text


async def test_nominations_page_lists_the_files_waiting_for_an_action(console_stack, data):
    nom = console_stack.nominations
    listed = (await nom.client.get("/v1/nominations", headers=nom.token("operator"))).json()[
        "items"
    ]
    waiting = {
        n["nomination_id"]
        for n in listed
        if n["status"] in ("submitted", "returned", "under-review", "approved", "forwarded")
    }
    assert waiting
    async with signed_in(console_stack, "operator", "38") as client:
        page = await client.get("/nominations")
    assert page.status_code == 200, page.text
    shown = set(re.findall(r'data-nomination="([^"]+)"', page.text))
    assert len(waiting) <= 100 and shown == waiting
    assert "Khen thưởng" in page.text and "Hạn" in page.text
