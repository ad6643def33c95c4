"""Delivery channels behind one port: e-mail (SMTP), webhooks (HTTP), SMS gateway (HTTP).

Every channel answers a :data:`SendOutcome` (delivered, retry, failed, gone) and never raises
for a delivery problem, so the dispatcher records each attempt the same way. The in-app feed is
written to the database by the use cases and answers the same outcome type.

Outbound HTTP goes only to https URLs whose host resolves to public addresses only (no SSRF
through webhooks), or to addresses inside the private networks the operators allowed
(``allowed_networks``: the province's WAN; never loopback or link-local), except in the local
profile (``allow_private``). The check is made when the
URL is registered and again at every connection (a name that later resolves to a private
address is refused, and the connection goes to the address that was checked); redirects are
never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol, TypeAlias
from urllib.parse import urlsplit

import aiosmtplib
import httpcore
import httpx
from egov_contracts.types import in_vn
from egov_runtime.service import utc_now

from egov_notifier.domain.retry import Outcome, Result, classify, transient
from egov_notifier.domain.webhooks import signature_headers

SendOutcome: TypeAlias = Result
USER_AGENT = "egov-events-notifier/1"
SMS_MAX_CHARS = 480  # three concatenated segments
CONTACT_REF = "ref:"  # an SMS recipient that is a contact reference, not a number


@dataclass(frozen=True)
class OutboundMessage:
    id: str  # the delivery's id: the same on every retry and replay
    channel: str
    recipient: str  # e-mail address, phone number or contact reference, or webhook URL
    subject: str
    body: str
    payload: bytes | None = None  # webhook body (the CloudEvent JSON)
    secrets: tuple[str, ...] = ()  # webhook: every current secret of the endpoint
    html: str | None = None  # e-mail: optional HTML part


class Channel(Protocol):
    async def send(self, message: OutboundMessage) -> SendOutcome: ...


class UnsafeDestination(ValueError):
    pass


Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network


def _refusal(address: str, allowed: Sequence[Network]) -> str | None:
    """Why the notifier must not connect to this address (None: it may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast:
        return "a loopback, link-local, unspecified or multicast address, never allowed"
    if ip.is_global or any(ip in net for net in allowed):
        return None
    names = ", ".join(str(net) for net in allowed) or "none"
    return f"a private address outside the allowed private networks ({names})"


async def _resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def public_addresses(host: str, port: int, allowed: Sequence[Network] = ()) -> list[str]:
    """The host's addresses, each public or inside an allowed private network, or
    :class:`UnsafeDestination` saying which address was refused and why."""
    try:
        addresses = await _resolve(host, port)
    except OSError as exc:
        raise UnsafeDestination(f"{host} does not resolve: {exc}") from exc
    if not addresses:
        raise UnsafeDestination(f"{host} resolves to no address")
    for address in addresses:
        why = _refusal(address, allowed)
        if why is not None:
            raise UnsafeDestination(f"{host} resolves to {address}, {why}")
    return addresses


async def check_destination(
    url: str, *, allow_private: bool, allowed_networks: Sequence[Network] = ()
) -> None:
    """Refuse a URL the notifier must not call (when registering and before each send)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeDestination(f"not an http(s) URL: {url}")
    if parts.username or parts.password:
        raise UnsafeDestination("credentials in the URL are not allowed")
    if allow_private:
        return
    if parts.scheme != "https":
        raise UnsafeDestination("only https endpoints are allowed")
    await public_addresses(parts.hostname, parts.port or 443, allowed_networks)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to public addresses (or ones in the allowed private networks), to the very
    address it checked (no DNS rebinding between the check and the connection). TLS still
    verifies the host name."""

    def __init__(self, allowed_networks: Sequence[Network] = ()) -> None:
        self._inner = httpcore.AnyIOBackend()
        self.allowed_networks = tuple(allowed_networks)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = (await public_addresses(host, port, self.allowed_networks))[0]
        return await self._inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeDestination("unix sockets are not a destination")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def outbound_client(
    *, allow_private: bool, timeout: float = 10.0, allowed_networks: Sequence[Network] = ()
) -> httpx.AsyncClient:
    """The HTTP client for webhooks and the SMS gateway: no redirects, no proxy from the
    environment, and (unless ``allow_private``) connections to public addresses or the allowed
    private networks only."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    if not allow_private:
        # httpx has no public hook for the network backend; its transport wraps one
        # httpcore pool, which is rebuilt here with the guarded backend
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=GuardedBackend(allowed_networks),
        )
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": USER_AGENT},
    )


async def _post(
    client: httpx.AsyncClient,
    url: str,
    *,
    content: bytes,
    headers: dict[str, str],
    timeout: float | None,
    clock: Callable[[], datetime],
) -> SendOutcome:
    """POST without following redirects or reading the answer's body; map the answer (a
    ``Retry-After`` date against ``clock``)."""
    try:
        async with client.stream(
            "POST",
            url,
            content=content,
            headers=headers,
            follow_redirects=False,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        ) as r:
            status, retry_after = r.status_code, r.headers.get("retry-after")
    except UnsafeDestination as exc:
        return Result(Outcome.FAILED, None, f"refused destination: {exc}")
    except httpx.TimeoutException as exc:
        return transient(f"timeout: {type(exc).__name__}")
    except httpx.HTTPError as exc:
        return transient(f"connection error: {exc!r}")
    return classify(status, retry_after, clock())


class WebhookChannel:
    """POSTs the CloudEvent JSON, signed as Standard Webhooks with the endpoint's secrets."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allow_private: bool,
        timeout: float | None = None,
        clock: Callable[[], datetime] = utc_now,
        allowed_networks: Sequence[Network] = (),
    ) -> None:
        self.client, self.allow_private, self.timeout, self.clock = (
            client,
            allow_private,
            timeout,
            clock,
        )
        self.allowed_networks = tuple(allowed_networks)

    async def send(self, message: OutboundMessage) -> SendOutcome:
        try:
            await check_destination(
                message.recipient,
                allow_private=self.allow_private,
                allowed_networks=self.allowed_networks,
            )
        except UnsafeDestination as exc:
            return Result(Outcome.FAILED, None, f"refused destination: {exc}")
        if not message.secrets:
            return Result(Outcome.FAILED, None, "the endpoint has no signing secret")
        body = message.payload or b""
        headers = signature_headers(message.secrets, message.id, self.clock(), body)
        headers["content-type"] = "application/cloudevents+json; charset=utf-8"
        return await _post(
            self.client,
            message.recipient,
            content=body,
            headers=headers,
            timeout=self.timeout,
            clock=self.clock,
        )


class SmsGatewayChannel:
    """POSTs ``{"to", "text", "reference"}`` as JSON to the gateway with an API key header;
    ``reference`` (the delivery id) lets the gateway drop a resent duplicate. An applicant is
    addressed by the contact reference the event carries (``{"to_ref", ...}``): the gateway of
    the one-door system, which holds the number, resolves it; the notifier never sees it."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str | None,
        key: str | None,
        *,
        allow_private: bool,
        key_header: str = "x-api-key",
        timeout: float | None = None,
        allowed_networks: Sequence[Network] = (),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.client, self.url, self.key, self.allow_private = client, url, key, allow_private
        self.clock = clock
        self.key_header, self.timeout = key_header, timeout
        self.allowed_networks = tuple(allowed_networks)

    async def send(self, message: OutboundMessage) -> SendOutcome:
        if not self.url:
            return Result(Outcome.FAILED, None, "no SMS gateway configured")
        try:
            await check_destination(
                self.url, allow_private=self.allow_private, allowed_networks=self.allowed_networks
            )
        except UnsafeDestination as exc:
            return Result(Outcome.FAILED, None, f"refused destination: {exc}")
        to = (
            {"to_ref": message.recipient.removeprefix(CONTACT_REF)}
            if message.recipient.startswith(CONTACT_REF)
            else {"to": message.recipient}
        )
        content = json.dumps(
            {**to, "text": message.body[:SMS_MAX_CHARS], "reference": message.id},
            ensure_ascii=False,
        ).encode()
        headers = {"content-type": "application/json; charset=utf-8"}
        if self.key:
            headers[self.key_header] = self.key
        return await _post(
            self.client,
            self.url,
            content=content,
            headers=headers,
            timeout=self.timeout,
            clock=self.clock,
        )


class SmtpChannel:
    """E-mail over SMTP (aiosmtplib): implicit TLS or STARTTLS, optional login."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_tls: bool = False,
        timeout: float = 10,
        message_domain: str = "egov-events",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.clock = clock
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.use_tls = user, password, starttls, use_tls
        self.timeout, self.message_domain = timeout, message_domain

    def compose(self, message: OutboundMessage, now: datetime | None = None) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(in_vn(now or self.clock()))  # "… +0700"
        mail["Message-ID"] = f"<{message.id}@{self.message_domain}>"  # the same on every retry
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
        mail.set_content(message.body, charset="utf-8")
        if message.html is not None:
            mail.add_alternative(message.html, subtype="html", charset="utf-8")
        return mail

    async def send(self, message: OutboundMessage) -> SendOutcome:
        try:
            await aiosmtplib.send(
                self.compose(message),
                hostname=self.host,
                port=self.port,
                username=self.user,
                password=self.password,
                use_tls=self.use_tls,
                start_tls=self.starttls if not self.use_tls else False,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            final = bool(codes) and all(c >= 500 for c in codes)
            return Result(Outcome.FAILED if final else Outcome.RETRY, None, repr(exc))
        except aiosmtplib.SMTPAuthenticationError as exc:  # settings can be fixed in time
            return transient(repr(exc))
        except aiosmtplib.SMTPResponseException as exc:
            final = exc.code >= 500
            return Result(Outcome.FAILED if final else Outcome.RETRY, None, repr(exc))
        except (aiosmtplib.SMTPException, OSError) as exc:
            return transient(repr(exc))
        return Result(Outcome.DELIVERED)


async def timed(channel: Channel, message: OutboundMessage) -> tuple[SendOutcome, int]:
    """Send and measure (milliseconds) for the attempt record."""
    started = time.perf_counter()
    result = await channel.send(message)
    return result, int((time.perf_counter() - started) * 1000)


# the names the use cases and composition root were written against
Message = OutboundMessage
Sender = Channel
WebhookSender = WebhookChannel
SmsGatewaySender = SmsGatewayChannel
SmtpSender = SmtpChannel
