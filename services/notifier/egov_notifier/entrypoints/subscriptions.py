"""Webhook subscriptions, self-service (``/v1/subscriptions``).

Who sees and changes what: an ``integration`` token (another system) manages the subscriptions
it registered (owner = the token's subject) and nothing else: another system's subscription is
a 404, as if it did not exist. ``operator`` and ``admin`` manage every subscription scoped
within their unit's subtree. A subscription receives the events of one unit subtree: the
registering token's unit or a narrower one it names, never a wider one. Every change is
audited (who, when, what) and readable at ``/v1/subscriptions/audit``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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
from egov_runtime.units import descendants
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from egov_notifier.adapters import subscriptions as subs
from egov_notifier.adapters.channels import UnsafeDestination, check_destination
from egov_notifier.domain.subscriptions import RotationInvalid, Scope, retirement, unknown_types
from egov_notifier.domain.webhooks import generate_secret
from egov_notifier.entrypoints.consumers import EVENT_TOPICS
from egov_notifier.settings import NotifierSettings

router = APIRouter(prefix="/v1", tags=["webhooks"])
Manager = Annotated[Principal, Depends(require("admin", "operator", "integration"))]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]
STAFF = ("admin", "operator")


async def _scope(tx: Tx, principal: Principal) -> Scope:
    """What the caller sees: its own subscriptions (an integration token), or those within its
    unit's subtree (staff); every route reads and changes through it."""
    owner = None if principal.has_any(STAFF) else principal.subject
    units = await descendants(tx.conn, principal.unit_code)
    return Scope(owner, tuple(units), await subs.is_province(tx.conn, principal.unit_code))


def _settings(request: Request) -> NotifierSettings:
    return cast(NotifierSettings, runtime_of(request).settings)


def _vn(value: Any) -> Any:
    return value.astimezone(VN_TZ) if isinstance(value, datetime) else value


async def _out(tx: Tx, sub: dict[str, Any], now: datetime) -> dict[str, Any]:
    out = {k: _vn(v) for k, v in sub.items()}
    out["secrets"] = [
        {"created_at": _vn(s.created_at), "expires_at": _vn(s.expires_at)}
        for s in sorted(await subs.secrets(tx.conn, sub["id"]), key=lambda s: s.created_at)
        if s.expires_at is None or s.expires_at > now
    ]
    return out


async def _visible(tx: Tx, principal: Principal, sid: str) -> tuple[dict[str, Any], Scope]:
    """The subscription, locked for a change, if the caller may see it (else 404)."""
    scope = await _scope(tx, principal)
    sub = await subs.get(tx.conn, sid, lock=True)
    if sub is None or not scope.sees(sub):
        raise Problem(404, "No such subscription", f"No subscription {sid} of yours.")
    return sub, scope


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


def _check_unit(scope: Scope, principal: Principal, unit: str) -> None:
    if unit not in scope.units:
        raise Problem(
            403,
            "Outside your unit",
            f"A subscription of {principal.unit_code} may cover that unit or units below it.",
            errors=[{"field": "unit_code", "message": f"{unit} is not within your unit"}],
        )


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


@router.post("/subscriptions", status_code=201)
async def create_subscription(
    body: SubscriptionIn, request: Request, principal: Manager, key: IdemKey = None
) -> JSONResponse:
    """Register a webhook endpoint for your unit (or a unit below it). The signing secret is
    shown once, in this answer. Send an ``Idempotency-Key`` to make a retry safe."""
    check_types(body.event_types)
    await _check_url(request, body.url)

    if body.owner not in (None, principal.subject) and not principal.has_any(STAFF):
        raise Problem(
            403,
            "Only operators register for another system",
            errors=[{"field": "owner", "message": "must be your own token subject"}],
        )

    rt = runtime_of(request)

    async def action(tx: Tx) -> tuple[int, dict[str, Any]]:
        scope = await _scope(tx, principal)
        unit = body.unit_code or principal.unit_code
        _check_unit(scope, principal, unit)
        secret = generate_secret()
        sub = await subs.insert(
            tx.conn,
            {
                "id": f"sub_{uuid.uuid4().hex[:12]}",
                "system": body.system or principal.subject,
                "url": body.url,
                "event_types": body.event_types,
                "unit_code": unit,
                "owner": body.owner or principal.subject,
            },
            secret,
        )
        await subs.audit(
            tx.conn,
            before=None,
            after=sub,
            actor=principal.subject,
            roles=principal.roles,
            action="created",
        )
        out = await _out(tx, sub, rt.now())
        return 201, _json({**out, "secret": secret})

    return await _write(request, principal, key, action)


@router.get("/subscriptions")
async def list_subscriptions(request: Request, principal: Manager, page: PageQuery) -> Page:
    """Your subscriptions (integration), or those within your unit (operator, admin)."""
    rt = runtime_of(request)
    async with rt.transaction() as tx:
        scope = await _scope(tx, principal)
        rows = await subs.listing(tx.conn, scope)
        shown = rows[page.offset : page.offset + page.limit]
        return page.of([await _out(tx, r, rt.now()) for r in shown], len(rows))


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
    async with runtime_of(request).transaction() as tx:
        scope = await _scope(tx, principal)
        rows, total = await subs.audit_log(
            tx.conn,
            scope,
            subscription_id=subscription_id,
            since=since,
            limit=page.limit,
            offset=page.offset,
        )
    return page.of([{k: _vn(v) for k, v in r.items()} for r in rows], total)


@router.get("/subscriptions/{sid}")
async def get_subscription(sid: str, request: Request, principal: Manager) -> dict[str, Any]:
    rt = runtime_of(request)
    async with rt.transaction() as tx:
        sub, _ = await _visible(tx, principal, sid)
        return await _out(tx, sub, rt.now())


@router.patch("/subscriptions/{sid}")
async def update_subscription(
    sid: str, body: SubscriptionPatch, request: Request, principal: Manager
) -> dict[str, Any]:
    """Change the URL, the event types, the system's name or the unit (within yours)."""
    fields = body.model_dump(exclude_unset=True, exclude_none=True)
    if "event_types" in fields:
        check_types(fields["event_types"])
    if "url" in fields:
        await _check_url(request, fields["url"])
    rt = runtime_of(request)
    async with rt.transaction() as tx:
        before, scope = await _visible(tx, principal, sid)
        if "unit_code" in fields:
            _check_unit(scope, principal, fields["unit_code"])
        if not fields:
            return await _out(tx, before, rt.now())
        after = await subs.update(tx.conn, sid, fields)
        await subs.audit(
            tx.conn,
            before=before,
            after=after,
            actor=principal.subject,
            roles=principal.roles,
            action="updated",
        )
        return await _out(tx, after, rt.now())


@router.delete("/subscriptions/{sid}", status_code=204)
async def delete_subscription(sid: str, request: Request, principal: Manager) -> Response:
    """Remove the endpoint and its secrets; deliveries still due to it fail as 'gone'."""
    async with runtime_of(request).transaction() as tx:
        before, _ = await _visible(tx, principal, sid)
        await subs.delete(tx.conn, sid)
        await subs.audit(
            tx.conn,
            before=before,
            after=None,
            actor=principal.subject,
            roles=principal.roles,
            action="deleted",
        )
    return Response(status_code=204)


async def _set_enabled(
    request: Request, principal: Principal, sid: str, enabled: bool, reason: str | None
) -> dict[str, Any]:
    rt = runtime_of(request)
    async with rt.transaction() as tx:
        before, _ = await _visible(tx, principal, sid)
        after = await subs.update(
            tx.conn,
            sid,
            {
                "enabled": enabled,
                "disabled_reason": None
                if enabled
                else f"disabled by {principal.subject}" + (f": {reason}" if reason else ""),
            },
        )
        await subs.audit(
            tx.conn,
            before=before,
            after=after,
            actor=principal.subject,
            roles=principal.roles,
            action="enabled" if enabled else "disabled",
        )
        return await _out(tx, after, rt.now())


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
    now = runtime_of(request).now()
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
        sub, _ = await _visible(tx, principal, sid)
        secret = generate_secret()
        await subs.rotate(tx.conn, sid, secret, retire_at)
        await subs.audit(
            tx.conn,
            before=sub,
            after=sub,
            actor=principal.subject,
            roles=principal.roles,
            action="secret-rotated",
            extra={"previous_secret_retires_at": retire_at.astimezone(VN_TZ).isoformat()},
        )
        out = await _out(tx, sub, now)
        return 200, _json({**out, "secret": secret})

    return await _write(request, principal, key, action)


@router.post("/subscriptions/{sid}/secrets/retire")
async def retire_previous_secrets(
    sid: str, request: Request, principal: Manager, body: RetireIn | None = None
) -> dict[str, Any]:
    """End a rotation's overlap early: every secret but the newest stops signing at ``at``
    (default now)."""
    rt = runtime_of(request)
    now = rt.now()
    at = max(body.at, now) if body and body.at else now
    async with rt.transaction() as tx:
        sub, _ = await _visible(tx, principal, sid)
        n = await subs.retire_previous(tx.conn, sid, at)
        if n:
            await subs.audit(
                tx.conn,
                before=sub,
                after=sub,
                actor=principal.subject,
                roles=principal.roles,
                action="secret-retired",
                extra={"retired_at": at.astimezone(VN_TZ).isoformat(), "secrets": n},
            )
        return await _out(tx, sub, now)
