"""Webhook subscriptions, self-service (``/v1/subscriptions``): the routes of the use cases
in :mod:`egov_notifier.usecases.subscriptions` (who sees and changes what is said there).
Every change is audited (who, when, what) and readable at ``/v1/subscriptions/audit``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any, cast

from egov_contracts.envelope import VN_TZ
from egov_contracts.types import VnDatetime
from egov_runtime.auth import Principal, require
from egov_runtime.consumer import Tx
from egov_runtime.idempotency import run_once
from egov_runtime.pagination import Page, PageQuery
from egov_runtime.problems import Problem
from egov_runtime.service import runtime_of
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from egov_notifier.adapters import subscriptions as subs
from egov_notifier.adapters.channels import UnsafeDestination, check_destination
from egov_notifier.domain.subscriptions import (
    RotationInvalid,
    Subscription,
    retirement,
    unknown_types,
)
from egov_notifier.domain.webhooks import generate_secret
from egov_notifier.entrypoints.consumers import EVENT_TOPICS
from egov_notifier.settings import NotifierSettings
from egov_notifier.usecases import Work
from egov_notifier.usecases.subscriptions import (
    ChangeSubscription,
    RegisterSubscription,
    change_subscription,
    register_subscription,
    remove_subscription,
    retire_subscription_secrets,
    rotate_subscription_secret,
    scope_of,
    set_subscription_enabled,
    visible,
)

router = APIRouter(prefix="/v1", tags=["webhooks"])
Manager = Annotated[Principal, Depends(require("admin", "operator", "integration"))]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def _settings(request: Request) -> NotifierSettings:
    return cast(NotifierSettings, runtime_of(request).settings)


def _vn(value: Any) -> Any:
    return value.astimezone(VN_TZ) if isinstance(value, datetime) else value


async def _out(w: Work, sub: Subscription, now: datetime) -> dict[str, Any]:
    """The subscription as the API shows it, with its secrets' dates (never a secret)."""
    out = {k: _vn(v) for k, v in asdict(sub).items()}
    out["event_types"] = list(sub.event_types)
    out["secrets"] = [
        {"created_at": _vn(s.created_at), "expires_at": _vn(s.expires_at)}
        for s in sorted(await w.subscriptions.secrets(sub.id), key=lambda s: s.created_at)
        if s.expires_at is None or s.expires_at > now
    ]
    return out


def check_types(
    types: list[str], field: str = "event_types", topics: Sequence[str] = EVENT_TOPICS
) -> None:
    problems = unknown_types(types, topics)
    if problems:
        raise Problem(
            422, "Unknown event types", errors=[{"field": field, "message": m} for m in problems]
        )


async def _check_url(request: Request, url: str) -> None:
    try:
        settings = _settings(request)
        await check_destination(
            url,
            allow_private=not settings.production,
            allowed_networks=settings.private_networks,
        )
    except (UnsafeDestination, OSError) as exc:
        raise Problem(
            422, "Endpoint refused", str(exc), errors=[{"field": "url", "message": str(exc)}]
        ) from exc


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str | None = Field(
        None, min_length=2, max_length=200, description="The consuming system (default: you)"
    )
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(min_length=1, description="Types, or prefixes ending in *")
    unit_code: str | None = Field(
        None, description="Receive the events of this unit and below (default: your unit)"
    )
    owner: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Operators registering for a system: its token subject, so that system "
        "manages it (default: you)",
    )


class SubscriptionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str | None = Field(None, min_length=2, max_length=200)
    url: str | None = Field(None, max_length=2000)
    event_types: list[str] | None = Field(None, min_length=1)
    unit_code: str | None = None


class DisableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=500)


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retire_previous_at: VnDatetime | None = Field(
        None,
        description="When the previous secret stops signing (default: after the overlap "
        "setting, 24 h); now or earlier retires it at once",
    )


class RetireIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: VnDatetime | None = Field(None, description="Default: now")


async def _write(
    request: Request, principal: Principal, key: str | None, action: Any
) -> JSONResponse:
    rt = runtime_of(request)
    status, payload = await run_once(rt, principal.subject, key, await request.body(), action)
    return JSONResponse(payload, status_code=status)


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


async def _in_work(
    request: Request, act: Callable[[Work, datetime], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """Run one use case in a transaction of its own, at the runtime's time."""
    rt = runtime_of(request)
    async with rt.transaction() as tx:
        return await act(Work.on(tx), rt.now())


@router.post("/subscriptions", status_code=201)
async def create_subscription(
    body: SubscriptionIn, request: Request, principal: Manager, key: IdemKey = None
) -> JSONResponse:
    """Register a webhook endpoint for your unit (or a unit below it). The signing secret is
    shown once, in this answer. Send an ``Idempotency-Key`` to make a retry safe."""
    check_types(body.event_types)
    await _check_url(request, body.url)
    rt = runtime_of(request)
    cmd = RegisterSubscription(
        body.url, tuple(body.event_types), body.system, body.unit_code, body.owner
    )

    async def action(tx: Tx) -> tuple[int, dict[str, Any]]:
        w, now, secret = Work.on(tx), rt.now(), generate_secret()
        sub = await register_subscription(w, principal, cmd, secret, now)
        return 201, _json({**await _out(w, sub, now), "secret": secret})

    return await _write(request, principal, key, action)


@router.get("/subscriptions")
async def list_subscriptions(request: Request, principal: Manager, page: PageQuery) -> Page:
    """Your subscriptions (integration), or those within your unit (operator, admin)."""
    rt = runtime_of(request)
    async with rt.transaction() as tx:
        w, now = Work.on(tx), rt.now()
        rows = await subs.listing(tx.conn, await scope_of(w, principal, now))
        shown = [subs.subscription(r) for r in rows[page.offset : page.offset + page.limit]]
        return page.of([await _out(w, s, now) for s in shown], len(rows))


@router.get("/subscriptions/audit")
async def subscription_audit(
    request: Request,
    principal: Manager,
    page: PageQuery,
    subscription_id: str | None = None,
    since: VnDatetime | None = None,
) -> Page:
    """Every change to the subscriptions you may see, newest first: when, who (token subject
    and roles), what (``created``, ``updated``, ``disabled``, ``enabled``,
    ``secret-rotated``, ``secret-retired``, ``deleted``) and the fields that changed (from,
    to; never a secret). Deleted subscriptions keep their history."""
    rt = runtime_of(request)
    async with rt.transaction() as tx:
        rows, total = await subs.audit_log(
            tx.conn,
            await scope_of(Work.on(tx), principal, rt.now()),
            subscription_id=subscription_id,
            since=since,
            limit=page.limit,
            offset=page.offset,
        )
    return page.of([{k: _vn(v) for k, v in r.items()} for r in rows], total)


@router.get("/subscriptions/{sid}")
async def get_subscription(sid: str, request: Request, principal: Manager) -> dict[str, Any]:
    async def act(w: Work, now: datetime) -> dict[str, Any]:
        sub, _ = await visible(w, principal, sid, now)
        return await _out(w, sub, now)

    return await _in_work(request, act)


@router.patch("/subscriptions/{sid}")
async def update_subscription(
    sid: str, body: SubscriptionPatch, request: Request, principal: Manager
) -> dict[str, Any]:
    """Change the URL, the event types, the system's name or the unit (within yours)."""
    if body.event_types is not None:
        check_types(body.event_types)
    if body.url is not None:
        await _check_url(request, body.url)
    cmd = ChangeSubscription(
        body.system,
        body.url,
        tuple(body.event_types) if body.event_types is not None else None,
        body.unit_code,
    )

    async def act(w: Work, now: datetime) -> dict[str, Any]:
        return await _out(w, await change_subscription(w, principal, sid, cmd, now), now)

    return await _in_work(request, act)


@router.delete("/subscriptions/{sid}", status_code=204)
async def delete_subscription(sid: str, request: Request, principal: Manager) -> Response:
    """Remove the endpoint and its secrets; deliveries still due to it fail as 'gone'."""

    async def act(w: Work, now: datetime) -> dict[str, Any]:
        await remove_subscription(w, principal, sid, now)
        return {}

    await _in_work(request, act)
    return Response(status_code=204)


async def _set_enabled(
    request: Request, principal: Principal, sid: str, enabled: bool, reason: str | None
) -> dict[str, Any]:
    async def act(w: Work, now: datetime) -> dict[str, Any]:
        sub = await set_subscription_enabled(w, principal, sid, enabled, reason, now)
        return await _out(w, sub, now)

    return await _in_work(request, act)


@router.post("/subscriptions/{sid}/disable")
async def disable_subscription(
    sid: str, request: Request, principal: Manager, body: DisableIn | None = None
) -> dict[str, Any]:
    """Stop sending to the endpoint (nothing is decided for it while disabled)."""
    return await _set_enabled(request, principal, sid, False, body.reason if body else None)


@router.post("/subscriptions/{sid}/enable")
async def enable_subscription(sid: str, request: Request, principal: Manager) -> dict[str, Any]:
    """Send again (after a manual disable, a 410, or failing for ``DISABLE_AFTER_S``)."""
    return await _set_enabled(request, principal, sid, True, None)


@router.post("/subscriptions/{sid}/rotate-secret")
async def rotate_secret(
    sid: str,
    request: Request,
    principal: Manager,
    body: RotateIn | None = None,
    key: IdemKey = None,
) -> JSONResponse:
    """A new signing secret (shown once, in this answer). Until the previous one is retired
    (``retire_previous_at``, default after ``SECRET_OVERLAP_S``), every message carries both
    signatures, so the receiver can switch at its own pace."""
    settings = _settings(request)
    rt = runtime_of(request)
    now = rt.now()
    try:
        retire_at = retirement(
            now,
            body.retire_previous_at if body else None,
            timedelta(seconds=settings.secret_overlap_s),
            timedelta(seconds=settings.secret_overlap_max_s),
        )
    except RotationInvalid as exc:
        raise Problem(
            422,
            "Invalid rotation",
            str(exc),
            errors=[{"field": "retire_previous_at", "message": str(exc)}],
        ) from exc

    async def action(tx: Tx) -> tuple[int, dict[str, Any]]:
        w, secret = Work.on(tx), generate_secret()
        sub = await rotate_subscription_secret(w, principal, sid, secret, retire_at, now)
        return 200, _json({**await _out(w, sub, now), "secret": secret})

    return await _write(request, principal, key, action)


@router.post("/subscriptions/{sid}/secrets/retire")
async def retire_previous_secrets(
    sid: str, request: Request, principal: Manager, body: RetireIn | None = None
) -> dict[str, Any]:
    """End a rotation's overlap early: every secret but the newest stops signing at ``at``
    (default now)."""

    async def act(w: Work, now: datetime) -> dict[str, Any]:
        at = max(body.at, now) if body and body.at else now
        sub = await retire_subscription_secrets(w, principal, sid, at, now)
        return await _out(w, sub, now)

    return await _in_work(request, act)
