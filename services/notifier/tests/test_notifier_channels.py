"""The delivery channels against real local servers: aiosmtpd for e-mail, a uvicorn app for the
webhook receiver and the SMS gateway."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from egov_devkit.testing.receivers import smtp_server
from egov_notifier.adapters.channels import (
    OutboundMessage,
    SmsGatewayChannel,
    SmtpChannel,
    UnsafeDestination,
    WebhookChannel,
    check_destination,
    outbound_client,
    public_addresses,
    timed,
)
from egov_notifier.domain.delivery import Delivery, Status
from egov_notifier.domain.retry import Outcome, RetryPolicy
from egov_notifier.domain.webhooks import SignatureInvalid, generate_secret, verify
from egov_notifier.settings import NotifierSettings
from pydantic import ValidationError
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

EVENT = {
    "specversion": "1.0",
    "id": "5f0c6a2e-0000-4000-8000-000000000001",
    "source": "/vn/38/procedures",
    "type": "vn.egov.procedures.dossier.overdue.v1",
    "subject": "000.00.38.H12-260302-000123",
    "data": {"dossier_code": "000.00.38.H12-260302-000123", "unit_code": "38.XA.SAMSON"},
}
PAYLOAD = json.dumps(EVENT, ensure_ascii=False).encode()


@dataclass
class Seen:
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    url: str
    seen: list[Seen] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)


Handler = Callable[[Server, Request, bytes], Awaitable[Response]]


@asynccontextmanager
async def http_server(handler: Handler) -> AsyncIterator[Server]:
    """A uvicorn app on a socket bound and listening before the server task starts (so the
    first request waits in the backlog instead of the test waiting for the server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    server_state = Server(f"http://127.0.0.1:{port}")

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        server_state.seen.append(Seen(dict(request.headers), body))
        return await handler(server_state, request, body)

    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=["POST", "GET"])])
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield server_state
    finally:
        server_state.release.set()
        server.should_exit = True
        await task
        sock.close()


def webhook(url: str, secret: str, mid: str = "msg_1") -> OutboundMessage:
    return OutboundMessage(mid, "webhook", url, EVENT["type"], "", PAYLOAD, (secret,))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with outbound_client(allow_private=True, timeout=5) as c:
        yield c


# --- e-mail -------------------------------------------------------------------------------


async def test_email_arrives_with_headers_and_utf8_body():
    async with smtp_server() as (port, inbox):
        channel = SmtpChannel("127.0.0.1", port, "thongbao@egov.example.vn", timeout=5)
        message = OutboundMessage(
            "3b1f",
            "email",
            "canbo.samson@demo.egov.vn",
            "[Quá hạn] Hồ sơ 000.00.38.H12-260302-000123",
            "Hồ sơ đã quá hạn trả kết quả.\nĐề nghị ban hành phiếu xin lỗi.",
            html="<p>Hồ sơ <b>đã quá hạn</b></p>",
        )
        result, ms = await timed(channel, message)
    assert result.outcome is Outcome.DELIVERED and ms >= 0
    (mail,) = inbox
    assert isinstance(mail, EmailMessage)
    assert mail["From"] == "thongbao@egov.example.vn"
    assert mail["To"] == "canbo.samson@demo.egov.vn"
    assert str(mail["Subject"]) == "[Quá hạn] Hồ sơ 000.00.38.H12-260302-000123"
    assert mail["Message-ID"] == "<3b1f@egov-events>"
    assert mail["Auto-Submitted"] == "auto-generated"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content_charset() == "utf-8"
    assert "Đề nghị ban hành phiếu xin lỗi." in text.get_content()
    assert "<b>đã quá hạn</b>" in html.get_content()


class _Refusing:
    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return self.reply


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [("550 5.1.1 No such mailbox", Outcome.FAILED), ("450 4.2.0 Try later", Outcome.RETRY)],
)
async def test_refused_recipient_fails_for_good_only_on_a_5xx(reply, outcome):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(_Refusing(reply), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = SmtpChannel("127.0.0.1", port, "thongbao@egov.example.vn", timeout=5)
        result = await channel.send(OutboundMessage("m", "email", "x@demo.egov.vn", "s", "b"))
    finally:
        controller.stop()
    assert result.outcome is outcome


async def test_smtp_server_down_is_retried():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    channel = SmtpChannel("127.0.0.1", port, "thongbao@egov.example.vn", timeout=5)
    result = await channel.send(OutboundMessage("m", "email", "x@demo.egov.vn", "s", "b"))
    assert result.outcome is Outcome.RETRY and result.error


# --- webhooks -----------------------------------------------------------------------------


async def test_receiver_failing_three_times_then_verifying_gets_one_delivery(client):
    secret = generate_secret()
    answers: list[int] = []

    async def receiver(srv: Server, request: Request, body: bytes) -> Response:
        try:
            verify([secret], dict(request.headers), body, datetime.now(UTC))
        except SignatureInvalid:
            answers.append(401)
            return Response(status_code=401)
        code = 503 if len(srv.seen) <= 3 else 204
        answers.append(code)
        return Response(status_code=code)

    policy = RetryPolicy(jitter=0)
    async with http_server(receiver) as srv:
        channel = WebhookChannel(client, allow_private=True)
        d = Delivery("msg_1", "webhook", srv.url + "/hook")
        at = datetime.now(UTC)
        while not d.final:
            d = d.claim(at, at + timedelta(minutes=1))
            result, ms = await timed(channel, webhook(srv.url + "/hook", secret))
            d = d.record(result, at=at, duration_ms=ms, policy=policy)
            at = d.next_attempt_at or at  # the next attempt, on the schedule's clock
    assert answers == [503, 503, 503, 204]
    assert d.status is Status.DELIVERED
    assert [(a.outcome, a.status_code) for a in d.attempts] == [
        (Outcome.RETRY, 503),
        (Outcome.RETRY, 503),
        (Outcome.RETRY, 503),
        (Outcome.DELIVERED, 204),
    ]
    # every attempt carries the same id, so a receiver can drop duplicates
    assert {s.headers["webhook-id"] for s in srv.seen} == {"msg_1"}
    last = srv.seen[-1]
    assert last.headers["content-type"].startswith("application/cloudevents+json")
    assert json.loads(last.body) == EVENT
    assert Webhook(secret).verify(last.body, last.headers)["type"] == EVENT["type"]


async def test_a_receiver_with_another_secret_rejects_the_message(client):
    theirs = generate_secret()

    async def receiver(srv: Server, request: Request, body: bytes) -> Response:
        try:
            verify([theirs], dict(request.headers), body, datetime.now(UTC))
        except SignatureInvalid:
            return Response(status_code=401)
        return Response(status_code=200)

    async with http_server(receiver) as srv:
        channel = WebhookChannel(client, allow_private=True)
        result = await channel.send(webhook(srv.url + "/hook", generate_secret()))
    assert result.outcome is Outcome.FAILED and result.status_code == 401


@pytest.mark.parametrize(
    ("status", "headers", "outcome", "retry_after"),
    [
        (410, {}, Outcome.GONE, None),
        (400, {}, Outcome.FAILED, None),
        (429, {"retry-after": "120"}, Outcome.RETRY, timedelta(seconds=120)),
        (408, {}, Outcome.RETRY, None),
        (500, {}, Outcome.RETRY, None),
    ],
)
async def test_webhook_answers_are_classified(client, status, headers, outcome, retry_after):
    async def receiver(srv: Server, request: Request, body: bytes) -> Response:
        return Response(status_code=status, headers=headers)

    async with http_server(receiver) as srv:
        result = await WebhookChannel(client, allow_private=True).send(
            webhook(srv.url + "/hook", generate_secret())
        )
    assert result.outcome is outcome and result.status_code == status
    assert result.retry_after == retry_after


async def test_a_redirect_is_a_failure_and_never_followed(client):
    async def receiver(srv: Server, request: Request, body: bytes) -> Response:
        if request.url.path == "/hook":
            return Response(status_code=307, headers={"location": srv.url + "/elsewhere"})
        return Response(status_code=200)

    async with http_server(receiver) as srv:
        result = await WebhookChannel(client, allow_private=True).send(
            webhook(srv.url + "/hook", generate_secret())
        )
    assert result.outcome is Outcome.FAILED and result.status_code == 307
    assert len(srv.seen) == 1  # /elsewhere was never called


async def test_a_timeout_is_retried(client):
    async def receiver(srv: Server, request: Request, body: bytes) -> Response:
        await srv.release.wait()  # answers only when the test is over
        return Response(status_code=200)

    async with http_server(receiver) as srv:
        channel = WebhookChannel(client, allow_private=True, timeout=0.2)
        result = await channel.send(webhook(srv.url + "/hook", generate_secret()))
    assert result.outcome is Outcome.RETRY and result.error and "timeout" in result.error


async def test_connection_refused_is_retried(client):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = await WebhookChannel(client, allow_private=True).send(
        webhook(f"http://127.0.0.1:{port}/hook", generate_secret())
    )
    assert result.outcome is Outcome.RETRY


async def test_without_a_secret_nothing_is_sent(client):
    async def receiver(srv: Server, request: Request, body: bytes) -> Response:
        return Response(status_code=200)

    async with http_server(receiver) as srv:
        message = OutboundMessage("m", "webhook", srv.url + "/hook", "t", "", PAYLOAD, ())
        result = await WebhookChannel(client, allow_private=True).send(message)
    assert result.outcome is Outcome.FAILED and srv.seen == []


# --- SSRF guard ---------------------------------------------------------------------------


async def test_production_refuses_loopback_and_local_accepts_it(client):
    async def receiver(srv: Server, request: Request, body: bytes) -> Response:
        return Response(status_code=200)

    async with http_server(receiver) as srv:
        secret = generate_secret()
        prod = WebhookChannel(client, allow_private=False)
        refused = await prod.send(webhook(srv.url + "/hook", secret))
        assert refused.outcome is Outcome.FAILED and "refused destination" in (refused.error or "")
        assert srv.seen == []
        local = WebhookChannel(client, allow_private=True)
        assert (await local.send(webhook(srv.url + "/hook", secret))).outcome is Outcome.DELIVERED
        assert len(srv.seen) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hook",  # public, but not https
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fe80::1]/hook",
        "https://0.0.0.0/hook",
        "https://user:pw@93.184.216.34/hook",
        "ftp://93.184.216.34/hook",
        "not a url",
    ],
)
async def test_destinations_refused_in_production(url):
    with pytest.raises(UnsafeDestination):
        await check_destination(url, allow_private=False)


async def test_public_https_destination_is_accepted():
    await check_destination("https://93.184.216.34/hook", allow_private=False)
    await check_destination("http://127.0.0.1:8080/hook", allow_private=True)


async def test_the_connection_itself_is_guarded():
    """Even when the URL check is skipped (or a name re-resolves to a private address), the
    production client refuses to connect to one."""

    async def receiver(srv: Server, request: Request, body: bytes) -> Response:
        return Response(status_code=200)

    async with (
        http_server(receiver) as srv,
        outbound_client(allow_private=False, timeout=5) as guarded,
    ):
        gateway = SmsGatewayChannel(guarded, srv.url + "/sms", "k", allow_private=True)
        result = await gateway.send(OutboundMessage("m", "sms", "0912348912", "", "xin chào"))
    assert result.outcome is Outcome.FAILED and "refused destination" in (result.error or "")
    assert srv.seen == []


# --- SMS gateway --------------------------------------------------------------------------


async def test_sms_gateway_gets_json_with_the_api_key(client):
    async def gateway(srv: Server, request: Request, body: bytes) -> Response:
        ok = request.headers.get("x-api-key") == "khoa-bi-mat"
        return Response(status_code=202 if ok else 401)

    async with http_server(gateway) as srv:
        good = SmsGatewayChannel(client, srv.url + "/sms", "khoa-bi-mat", allow_private=True)
        text = "Hồ sơ 000.00.38.H12-260302-000123 đã có kết quả. " * 20
        result = await good.send(OutboundMessage("n-1", "sms", "ref-7f3a", "", text))
        bad = SmsGatewayChannel(client, srv.url + "/sms", "sai", allow_private=True)
        refused = await bad.send(OutboundMessage("n-2", "sms", "ref-7f3a", "", "x"))
        by_ref = await good.send(OutboundMessage("n-3", "sms", "ref:7f3a", "", "y"))
    assert result.outcome is Outcome.DELIVERED and by_ref.outcome is Outcome.DELIVERED
    assert refused.outcome is Outcome.FAILED and refused.status_code == 401
    sent = json.loads(srv.seen[0].body)
    assert sent == {"to": "ref-7f3a", "text": text[:480], "reference": "n-1"}
    assert json.loads(srv.seen[2].body) == {"to_ref": "7f3a", "text": "y", "reference": "n-3"}
    assert srv.seen[0].headers["content-type"].startswith("application/json")


async def test_sms_without_a_gateway_fails(client):
    channel = SmsGatewayChannel(client, None, None, allow_private=True)
    result = await channel.send(OutboundMessage("m", "sms", "ref", "", "x"))
    assert result.outcome is Outcome.FAILED and result.error == "no SMS gateway configured"


# --- allowed private networks (the province's WAN) ----------------------------------------

WAN = [ipaddress.ip_network("10.38.0.0/16")]


async def test_an_allowed_private_network_is_reachable_in_production():
    await check_destination("https://10.38.4.5/hook", allow_private=False, allowed_networks=WAN)
    assert await public_addresses("10.38.4.5", 443, WAN) == ["10.38.4.5"]
    # still https only, and the rest of the private space stays closed
    with pytest.raises(UnsafeDestination, match="only https"):
        await check_destination("http://10.38.4.5/hook", allow_private=False, allowed_networks=WAN)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        (
            "https://10.1.2.3/hook",
            "10.1.2.3 resolves to 10.1.2.3, a private address outside the allowed private"
            " networks (10.38.0.0/16)",
        ),
        ("https://192.168.1.10/hook", "outside the allowed private networks (10.38.0.0/16)"),
        (
            "https://127.0.0.1/hook",
            "127.0.0.1 resolves to 127.0.0.1, a loopback, link-local, unspecified or multicast"
            " address, never allowed",
        ),
        ("https://169.254.169.254/latest/meta-data", "never allowed"),
        ("https://[::ffff:127.0.0.1]/hook", "never allowed"),
    ],
)
async def test_a_refused_address_says_why(url, why):
    with pytest.raises(UnsafeDestination) as refused:
        await check_destination(url, allow_private=False, allowed_networks=WAN)
    assert why in str(refused.value)
    with pytest.raises(UnsafeDestination, match=r"allowed private networks \(none\)|never allowed"):
        await check_destination(url, allow_private=False)


async def test_the_channels_pass_the_allowed_networks_to_the_guard():
    """A webhook and the SMS gateway on the WAN pass the guard (the send then fails on the
    connection, nothing listens there); outside the WAN they are refused before any connection."""
    async with outbound_client(allow_private=False, timeout=0.2, allowed_networks=WAN) as client:
        inside = await SmsGatewayChannel(
            client, "https://10.38.0.9:1/sms", "k", allow_private=False, allowed_networks=WAN
        ).send(OutboundMessage("m", "sms", "0912348912", "", "xin chào"))
        assert inside.outcome is Outcome.RETRY, inside.error
        outside = await SmsGatewayChannel(
            client, "https://10.39.0.9:1/sms", "k", allow_private=False, allowed_networks=WAN
        ).send(OutboundMessage("m", "sms", "0912348912", "", "xin chào"))
        assert outside.outcome is Outcome.FAILED
        assert "outside the allowed private networks (10.38.0.0/16)" in (outside.error or "")
        hook = await WebhookChannel(client, allow_private=False, allowed_networks=WAN).send(
            webhook("https://10.38.0.9:1/hook", generate_secret())
        )
        assert hook.outcome is Outcome.RETRY, hook.error


def test_the_production_settings_read_the_allowlist_and_refuse_unsafe_networks(monkeypatch):
    monkeypatch.setenv("EGOV_NOTIFIER_PRIVATE_NETWORKS", '["10.38.0.0/16", "172.18.0.0/16"]')
    monkeypatch.setenv("EGOV_NOTIFIER_SMTP_TLS", "tls")
    settings = NotifierSettings()
    assert [str(n) for n in settings.private_networks] == ["10.38.0.0/16", "172.18.0.0/16"]
    assert settings.smtp_tls_mode == "tls"
    monkeypatch.delenv("EGOV_NOTIFIER_PRIVATE_NETWORKS")
    assert NotifierSettings().private_networks == [], "none unless configured"
    for unsafe, why in [
        ("0.0.0.0/0", "not (entirely) a private network"),
        ("8.8.8.0/24", "not (entirely) a private network"),
        ("127.0.0.0/8", "loopback, link-local"),
        ("169.254.0.0/16", "loopback, link-local"),
    ]:
        monkeypatch.setenv("EGOV_NOTIFIER_PRIVATE_NETWORKS", f'["{unsafe}"]')
        with pytest.raises(ValidationError, match=re.escape(why)):
            NotifierSettings()
    monkeypatch.delenv("EGOV_NOTIFIER_PRIVATE_NETWORKS")
    monkeypatch.delenv("EGOV_NOTIFIER_SMTP_TLS")
    assert NotifierSettings(smtp_starttls=True).smtp_tls_mode == "starttls"
    assert NotifierSettings().smtp_tls_mode == "none"
    # what docker-compose passes for settings .env leaves out: empty means unset
    for name in ("SMTP_USER", "SMTP_PASSWORD", "SMS_GATEWAY_URL", "SMS_GATEWAY_KEY"):
        monkeypatch.setenv(f"EGOV_NOTIFIER_{name}", "")
    monkeypatch.setenv("EGOV_NOTIFIER_PRIVATE_NETWORKS", "")
    empty = NotifierSettings()
    assert empty.smtp_user is None and empty.smtp_password is None
    assert empty.sms_gateway_url is None and empty.sms_gateway_key is None
    assert empty.private_networks == []
