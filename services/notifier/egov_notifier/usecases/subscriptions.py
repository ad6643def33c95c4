"""Webhook subscriptions, self-service: register, change, remove, enable or disable, rotate and
retire secrets, each audited (who, when, what).

Who sees and changes what: an ``integration`` token (another system) manages the subscriptions
it registered (owner = the token's subject) and nothing else: another system's subscription is
missing, as if it did not exist. ``operator`` and ``admin`` manage every subscription scoped
within their unit's subtree. A subscription receives the events of one unit subtree: the
registering token's unit or a narrower one it names, never a wider one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from egov_contracts.envelope import VN_TZ
from egov_runtime.auth import Principal
from egov_runtime.refusals import Forbidden, NotFound

from egov_notifier.domain.subscriptions import Scope, Subscription
from egov_notifier.usecases.common import Work

STAFF = ("admin", "operator")


@dataclass(frozen=True)
class RegisterSubscription:
    url: str
    event_types: tuple[str, ...]
    system: str | None = None  # default: the caller
    unit_code: str | None = None  # default: the caller's unit
    owner: str | None = None  # operators registering for a system: its token's subject


@dataclass(frozen=True)
class ChangeSubscription:
    """The fields to change (None: unchanged)."""

    system: str | None = None
    url: str | None = None
    event_types: tuple[str, ...] | None = None
    unit_code: str | None = None


async def scope_of(w: Work, principal: Principal, now: datetime) -> Scope:
    """What the caller sees: its own subscriptions (an integration token), or those within its
    unit's subtree (staff); every subscription use case reads and changes through it."""
    units = await w.directory.hierarchy()
    day = now.astimezone(VN_TZ).date()
    own = units.get(principal.unit_code)
    owner = None if principal.has_any(STAFF) else principal.subject
    subtree = tuple(units.descendants(principal.unit_code, day))
    return Scope(owner, subtree, own is not None and own.parent_code is None)


async def visible(
    w: Work, principal: Principal, sid: str, now: datetime
) -> tuple[Subscription, Scope]:
    """The subscription, locked for a change, if the caller may see it (else missing)."""
    scope = await scope_of(w, principal, now)
    sub = await w.subscriptions.get(sid, lock=True)
    if sub is None or not scope.sees(sub):
        raise NotFound("No such subscription", f"No subscription {sid} of yours.")
    return sub, scope


def _check_unit(scope: Scope, principal: Principal, unit: str) -> None:
    if unit not in scope.units:
        raise Forbidden(
            "Outside your unit",
            f"A subscription of {principal.unit_code} may cover that unit or units below it.",
            errors=[{"field": "unit_code", "message": f"{unit} is not within your unit"}],
        )


async def register_subscription(
    w: Work, principal: Principal, cmd: RegisterSubscription, secret: str, now: datetime
) -> Subscription:
    """Register an endpoint with its first signing ``secret``."""
    if cmd.owner not in (None, principal.subject) and not principal.has_any(STAFF):
        raise Forbidden(
            "Only operators register for another system",
            errors=[{"field": "owner", "message": "must be your own token subject"}],
        )
    scope = await scope_of(w, principal, now)
    unit = cmd.unit_code or principal.unit_code
    _check_unit(scope, principal, unit)
    sub = await w.subscriptions.add(
        Subscription(
            f"sub_{uuid.uuid4().hex[:12]}",
            cmd.system or principal.subject,
            cmd.url,
            cmd.event_types,
            unit,
            cmd.owner or principal.subject,
        ),
        secret,
    )
    await _audit(w, principal, None, sub, "created")
    return sub


async def change_subscription(
    w: Work, principal: Principal, sid: str, cmd: ChangeSubscription, now: datetime
) -> Subscription:
    """Change the URL, the event types, the system's name or the unit (within the caller's)."""
    before, scope = await visible(w, principal, sid, now)
    if cmd.unit_code is not None:
        _check_unit(scope, principal, cmd.unit_code)
    changes = {k: v for k, v in vars(cmd).items() if v is not None}
    if not changes:
        return before
    after = await w.subscriptions.save(replace(before, **changes))
    await _audit(w, principal, before, after, "updated")
    return after


async def remove_subscription(w: Work, principal: Principal, sid: str, now: datetime) -> None:
    """Remove the endpoint and its secrets (its history stays)."""
    before, _ = await visible(w, principal, sid, now)
    await w.subscriptions.delete(sid)
    await _audit(w, principal, before, None, "deleted")


async def set_subscription_enabled(
    w: Work, principal: Principal, sid: str, enabled: bool, reason: str | None, now: datetime
) -> Subscription:
    """Send to the endpoint again (its failure streak starts afresh), or stop sending."""
    before, _ = await visible(w, principal, sid, now)
    if enabled:
        changed = replace(before, enabled=True, disabled_reason=None, failing_since=None)
    else:
        why = f"disabled by {principal.subject}" + (f": {reason}" if reason else "")
        changed = replace(before, enabled=False, disabled_reason=why)
    after = await w.subscriptions.save(changed)
    await _audit(w, principal, before, after, "enabled" if enabled else "disabled")
    return after


async def rotate_subscription_secret(
    w: Work, principal: Principal, sid: str, secret: str, retire_at: datetime, now: datetime
) -> Subscription:
    """A new signing ``secret``; the previous ones sign until ``retire_at``."""
    sub, _ = await visible(w, principal, sid, now)
    await w.subscriptions.rotate(sid, secret, retire_at)
    retires = retire_at.astimezone(VN_TZ).isoformat()
    await _audit(w, principal, sub, sub, "secret-rotated", {"previous_secret_retires_at": retires})
    return sub


async def retire_subscription_secrets(
    w: Work, principal: Principal, sid: str, at: datetime, now: datetime
) -> Subscription:
    """End a rotation's overlap: every secret but the newest stops signing at ``at``."""
    sub, _ = await visible(w, principal, sid, now)
    n = await w.subscriptions.retire_previous(sid, at)
    if n:
        retired = {"retired_at": at.astimezone(VN_TZ).isoformat(), "secrets": n}
        await _audit(w, principal, sub, sub, "secret-retired", retired)
    return sub


async def _audit(
    w: Work,
    principal: Principal,
    before: Subscription | None,
    after: Subscription | None,
    action: str,
    extra: dict[str, object] | None = None,
) -> None:
    await w.subscriptions.audit(
        before=before,
        after=after,
        actor=principal.subject,
        roles=tuple(principal.roles),
        action=action,
        extra=extra,
    )
