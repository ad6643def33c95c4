"""Delivery channels behind one port: e-mail (SMTP), webhooks (HTTP), SMS gateway (HTTP).

Outbound HTTP goes only to https URLs that do not resolve to private, loopback or link-local
addresses (no SSRF through webhooks), except in the local profile; redirects are never
followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import urlsplit

import aiosmtplib
import httpx

from egov_notifier.domain.delivery import Outcome, Result, classify
from egov_notifier.domain.webhooks import signature_headers


@dataclass(frozen=True)
class Message:
    id: str
    channel: str
    recipient: str  # e-mail address, phone number, or webhook URL
    subject: str
    body: str
    payload: bytes | None = None  # webhook body (the CloudEvent JSON)
    secrets: tuple[str, ...] = ()


class Sender(Protocol):
    async def send(self, message: Message) -> Result: ...


class UnsafeDestination(ValueError):
    pass


async def check_destination(url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeDestination(f"not an http(s) URL: {url}")
    if allow_private:
        return
    if parts.scheme != "https":
        raise UnsafeDestination("only https endpoints are allowed")
    infos = await asyncio.get_running_loop().getaddrinfo(
        parts.hostname, parts.port or 443, type=socket.SOCK_STREAM
    )
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if (
            addr.is_private
            or addr.is_loopback
            or addr.is_link_local
            or addr.is_reserved
            or addr.is_multicast
            or addr.is_unspecified
        ):
            raise UnsafeDestination(f"{parts.hostname} resolves to a non-public address")


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient, *, allow_private: bool) -> None:
        self.client = client
        self.allow_private = allow_private

    async def send(self, message: Message) -> Result:
        try:
            await check_destination(message.recipient, allow_private=self.allow_private)
        except (UnsafeDestination, OSError) as exc:
            return Result(Outcome.FAILED, None, f"refused destination: {exc}")
        body = (message.payload or b"").decode()
        headers = signature_headers(list(message.secrets), message.id, datetime.now(UTC), body)
        headers["content-type"] = "application/cloudevents+json; charset=UTF-8"
        try:
            r = await self.client.post(
                message.recipient, content=body.encode(), headers=headers, follow_redirects=False
            )
        except httpx.TimeoutException as exc:
            return Result(Outcome.RETRY, None, f"timeout: {exc!r}")
        except httpx.HTTPError as exc:
            return Result(Outcome.RETRY, None, f"connection error: {exc!r}")
        if 300 <= r.status_code < 400:
            return Result(Outcome.FAILED, r.status_code, "redirects are not followed")
        return classify(r.status_code, r.headers.get("retry-after"), datetime.now(UTC))


class SmsGatewaySender:
    def __init__(
        self, client: httpx.AsyncClient, url: str | None, key: str | None, *, allow_private: bool
    ) -> None:
        self.client, self.url, self.key, self.allow_private = client, url, key, allow_private

    async def send(self, message: Message) -> Result:
        if not self.url:
            return Result(Outcome.FAILED, None, "no SMS gateway configured")
        try:
            await check_destination(self.url, allow_private=self.allow_private)
            r = await self.client.post(
                self.url,
                json={"to": message.recipient, "text": message.body[:480], "reference": message.id},
                headers={"x-api-key": self.key or ""},
                follow_redirects=False,
            )
        except UnsafeDestination as exc:
            return Result(Outcome.FAILED, None, str(exc))
        except httpx.HTTPError as exc:
            return Result(Outcome.RETRY, None, repr(exc))
        return classify(r.status_code, r.headers.get("retry-after"), datetime.now(UTC))


class SmtpSender:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    async def send(self, message: Message) -> Result:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Message-ID"] = f"<{message.id}@egov-events>"  # the same id on every retry
        mail.set_content(message.body)
        try:
            await aiosmtplib.send(
                mail,
                hostname=self.host,
                port=self.port,
                username=self.user,
                password=self.password,
                start_tls=self.starttls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return Result(Outcome.FAILED, None, repr(exc))
        except (aiosmtplib.SMTPException, OSError) as exc:
            return Result(Outcome.RETRY, None, repr(exc))
        return Result(Outcome.DELIVERED)


async def timed(sender: Sender, message: Message) -> tuple[Result, int]:
    started = time.perf_counter()
    result = await sender.send(message)
    return result, int((time.perf_counter() - started) * 1000)
