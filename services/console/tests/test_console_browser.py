"""The console in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven
by Selenium): unit scope seen by an officer, the overview's rate against the report API, a
dossier going overdue while the queue is open (no reload), the export, a dossier across Tết, a
webhook endpoint answering 410, axe-core's accessibility check, and no request leaving 127.0.0.1.

The services run in this test's event loop, so every blocking browser call goes to a thread."""

from __future__ import annotations

import asyncio
import csv
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from egov_devkit.testing.fixtures import wait_for
from egov_devkit.testing.receivers import http_receiver
from egov_workdays import VN_TZ, WorkCalendar

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
HOANGHOA, THOXUAN = "38.XA.HOANGHOA", "38.XA.THOXUAN"
LIVE_WITHIN_S = 10.0

if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip(
        "Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does)",
        allow_module_level=True,
    )


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


class Browser:
    """A headless Chromium session; its blocking calls run in a thread."""

    def __init__(self, downloads: Path) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.mkdtemp(prefix="console-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1366,768",
            f"--user-data-dir={self.profile}",
        ):
            options.add_argument(flag)
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
            },
        )
        self.driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        self.driver.set_page_load_timeout(60)
        self.visited: set[str] = set()

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    async def open(self, url: str) -> None:
        await self.call(self.driver.get, url)
        await self.note_requests()

    async def js(self, script: str, *args: Any) -> Any:
        return await self.call(self.driver.execute_script, script, *args)

    async def note_requests(self) -> None:
        """Every URL the page loaded (document and resources), for the no-internet check."""
        urls = await self.js(
            "return [location.href].concat("
            "performance.getEntriesByType('resource').map(e => e.name));"
        )
        self.visited.update(urls)

    async def texts(self, selector: str) -> list[str]:
        return list(
            await self.js(
                "return Array.from(document.querySelectorAll(arguments[0]))"
                ".map(e => e.textContent);",
                selector,
            )
        )

    async def attrs(self, selector: str, name: str) -> list[str]:
        return list(
            await self.js(
                "return Array.from(document.querySelectorAll(arguments[0]))"
                ".map(e => e.getAttribute(arguments[1]));",
                selector,
                name,
            )
        )

    async def click(self, selector: str) -> None:
        await self.js("document.querySelector(arguments[0]).click();", selector)

    def quit(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
async def browser(tmp_path_factory) -> AsyncIterator[Browser]:
    downloads = tmp_path_factory.mktemp("downloads")
    b = await asyncio.to_thread(Browser, downloads)
    b.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield b
    finally:
        await asyncio.to_thread(b.quit)
        hosts = {urlsplit(u).hostname for u in b.visited if urlsplit(u).scheme in ("http", "https")}
        assert hosts <= {"127.0.0.1"}, f"requests left 127.0.0.1: {hosts}"


@pytest.fixture(scope="module")
async def data(console_stack):
    s = console_stack
    tag = uuid.uuid4().hex[:5]
    cal = WorkCalendar()
    late_at = cal.subtract_working_minutes(datetime.now(UTC), 10 * cal.office_hours.minutes_per_day)
    codes = {
        "early": f"BH-early-{tag}",
        "late": f"BH-late-{tag}",
        "overdue": f"BH-overdue-{tag}",
        "other": f"BT-overdue-{tag}",
        "tet": f"BH-tet-{tag}",
    }
    await s.report(codes["early"], "received", vn(2026, 3, 2, 9), HOANGHOA, channel="online")
    await s.report(codes["early"], "resolved", vn(2026, 3, 3, 9), HOANGHOA, result="granted")
    await s.report(codes["late"], "received", vn(2026, 3, 2, 9), HOANGHOA, channel="counter")
    await s.report(codes["late"], "resolved", vn(2026, 3, 13, 9), HOANGHOA, result="granted")
    await s.report(codes["overdue"], "received", late_at, HOANGHOA, channel="online")
    await s.report(codes["other"], "received", late_at, THOXUAN, channel="online")
    await s.report(codes["tet"], "received", vn(2026, 2, 12, 9), HOANGHOA, channel="counter")
    await s.recorded(codes.values(), resolved=codes["late"])
    return codes


async def test_an_officer_sees_their_commune_and_none_of_another(console_stack, data, browser):
    await browser.open(console_stack.sign_in_url("officer", HOANGHOA, next="/queues/overdue"))
    shown = await browser.attrs("#queue tr[data-dossier]", "data-dossier")
    assert data["overdue"] in shown and data["other"] not in shown
    await browser.open(f"{console_stack.url}/?period=2026-03")
    assert "Xã Hoằng Hóa" in (await browser.texts("h1"))[0]
    assert int((await browser.texts('[data-figure="resolved"]'))[0].replace(".", "")) >= 2
    await browser.open(f"{console_stack.url}/queues/overdue?unit={THOXUAN}")
    assert "Ngoài phạm vi" in (await browser.texts("h1"))[0]
    await browser.open(f"{console_stack.url}/dossiers/{data['other']}")
    assert data["other"] not in " ".join(await browser.texts("main"))


async def test_the_overview_rate_is_the_report_apis(console_stack, data, browser):
    s = console_stack
    api = await s.procedures.client.get(
        "/v1/reports/on-time",
        params={"unit": HOANGHOA, "period": "2026-03"},
        headers=s.procedures.token("officer", unit=HOANGHOA),
    )
    rate = api.json()["total"]["on_time_rate"]
    await browser.open(s.sign_in_url("officer", HOANGHOA, next="/?period=2026-03"))
    assert await browser.attrs("#on-time-rate", "data-rate") == [rate]
    assert (await browser.texts("#on-time-rate"))[0].strip() == rate.replace(".", ",") + "%"


async def test_a_dossier_going_overdue_appears_in_the_open_queue_without_a_reload(
    console_stack, data, browser
):
    s = console_stack
    await browser.open(s.sign_in_url("officer", HOANGHOA, next="/queues/overdue"))
    await browser.js("window.__sameDocument = true;")
    code = f"BH-live-{uuid.uuid4().hex[:5]}"
    cal = WorkCalendar()
    # received six working days ago on a five-day procedure: overdue as soon as it is known
    at = cal.subtract_working_minutes(datetime.now(UTC), 6 * cal.office_hours.minutes_per_day)
    await s.report(code, "received", at, HOANGHOA, channel="counter")

    async def shown() -> bool:
        return code in await browser.attrs("#queue tr[data-dossier]", "data-dossier")

    await wait_for(shown, timeout=LIVE_WITHIN_S, interval=0.2, message="overdue dossier shown")
    assert await browser.js("return window.__sameDocument === true;"), "the page was reloaded"


async def test_the_export_downloads_the_filtered_rows(console_stack, data, browser):
    s = console_stack
    await browser.open(
        s.sign_in_url("operator", "38", next=f"/queues/overdue?unit={HOANGHOA}&channel=online")
    )
    shown = await browser.attrs("#queue tr[data-dossier]", "data-dossier")
    total = int((await browser.attrs("#queue-total", "data-total"))[0])
    assert data["overdue"] in shown and total == len(shown)
    downloads: Path = browser.downloads  # type: ignore[attr-defined]
    await browser.click("#export-csv")
    files = await wait_for(
        lambda: [p for p in downloads.glob("hang-doi-overdue-*.csv")], timeout=15
    )
    rows = list(csv.reader(files[0].open(encoding="utf-8-sig")))
    assert rows[0][0] == "Mã hồ sơ"
    assert sorted(r[0] for r in rows[1:]) == sorted(shown)
    assert {r[5] for r in rows[1:]} == {"Trực tuyến"}


async def test_a_dossier_received_before_tet_shows_its_deadline_across_the_holiday(
    console_stack, data, browser
):
    await browser.open(console_stack.sign_in_url("operator", "38", next=f"/dossiers/{data['tet']}"))
    skipped = " ".join(await browser.texts("#skipped-days li"))
    for day in ("14/02/2026", "16/02/2026", "17/02/2026", "18/02/2026", "20/02/2026"):
        assert day in skipped
    assert "26/02/2026" in (await browser.texts("#due-at"))[0]


async def test_a_webhook_endpoint_answering_410_shows_as_disabled(console_stack, data, browser):
    s = console_stack
    async with http_receiver(respond=lambda _n, _body: 410) as gone:
        r = await s.notifier.client.post(
            "/v1/subscriptions",
            headers=s.notifier.token("admin"),
            json={
                "system": "Hệ thống đã ngừng",
                "url": gone.url,
                "event_types": ["vn.egov.procedures.dossier.received.v1"],
            },
        )
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        await browser.open(s.sign_in_url("admin", "38", next="/health"))
        await browser.js("window.__sameDocument = true;")
        await s.report(f"BH-gone-{uuid.uuid4().hex[:5]}", "received", datetime.now(UTC), HOANGHOA)

        async def disabled() -> bool:
            ids = await browser.attrs("#endpoints tr[data-endpoint]", "data-endpoint")
            return str(sid) in ids

        await wait_for(disabled, timeout=30, interval=0.2, message="endpoint shown disabled")
        row = " ".join(await browser.texts(f'#endpoints tr[data-endpoint="{sid}"]'))
        assert "Đã tắt" in row and "410" in row
        assert await browser.js("return window.__sameDocument === true;")
        # the admin turns it back on from the page
        await browser.click(f'#endpoints tr[data-endpoint="{sid}"] button')

        async def enabled() -> bool:
            subs = await s.notifier.client.get(
                "/v1/subscriptions", headers=s.notifier.token("admin")
            )
            return any(x["id"] == sid and x["enabled"] for x in subs.json()["items"])

        await wait_for(enabled, timeout=15, message="endpoint re-enabled")
        # and sends the failed delivery again from the list of the last 24 hours
        await browser.open(f"{s.url}/health")
        sent_before = len(gone.requests)
        failed = await browser.attrs('#failed tr[data-channel="webhook"]', "data-delivery")
        print("DEBUG", failed, await browser.texts("#failed tr"))
        assert failed, "the 410 delivery is listed as failed"
        await browser.click(f'#failed tr[data-delivery="{failed[0]}"] button')
        await wait_for(lambda: len(gone.requests) > sent_before, timeout=15, message="resent")


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed (make install runs npm ci)")
async def test_axe_finds_no_serious_violation(console_stack, data, browser):
    s = console_stack
    axe = AXE.read_text(encoding="utf-8")
    await browser.open(s.sign_in_url("admin", "38"))
    pages = [
        "/",
        f"/?unit={HOANGHOA}&period=2026-03",
        "/queues/overdue",
        "/queues/paused",
        f"/dossiers/{data['tet']}",
        "/health",
        "/reporting",
        "/nominations",
        "/sign-in",
    ]
    found = {}
    for page in pages:
        await browser.open(f"{s.url}{page}")
        await browser.js(axe)
        result = await browser.call(
            browser.driver.execute_async_script,
            "const done = arguments[arguments.length - 1];"
            "axe.run(document).then(r => done(r.violations.map("
            "v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))));",
        )
        serious = [v for v in result if v["impact"] in ("serious", "critical")]
        if serious:
            found[page] = serious
    assert not found, found


async def test_keyboard_reaches_the_content_and_the_menu(console_stack, data, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    await browser.open(console_stack.sign_in_url("operator", "38"))

    def tab() -> None:
        ActionChains(browser.driver).send_keys(Keys.TAB).perform()

    await browser.call(tab)
    assert await browser.js("return document.activeElement.className;") == "skip"
    await browser.call(tab)  # then the menu, in reading order
    assert await browser.js("return document.activeElement.textContent.trim();") == "Tổng quan"
    focus_ring = await browser.js("return getComputedStyle(document.activeElement).outlineStyle;")
    assert focus_ring != "none"  # the focused link is visibly marked
    width = await browser.js("return document.documentElement.scrollWidth;")
    assert width <= 1366  # no sideways scrolling on a 1366×768 laptop
