"""Webhook subscriptions as their owners manage them: unit scope, secret rotation, audit.

A subscription receives the events of one unit subtree (its ``unit_code`` and every unit below
it). An event names its unit(s) in its data; an event that names none (e.g. a delivery result)
reaches only subscriptions of the whole province. A secret rotation keeps the previous secrets
until the caller's chosen time (or a default overlap): until then every message carries one
signature per secret (Standard Webhooks allows several, space-separated).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from egov_contracts.envelope import all_event_types

# Where the public events name the unit(s) they concern. Procedures, rates, indicators and
# movements: ``unit_code``; nominations and registrations: the nominee's unit; an award: the
# deciding unit and every recipient's unit; a forwarded file also concerns the level it goes to.
UNIT_PATHS: tuple[tuple[str, ...], ...] = (
    ("unit_code",),
    ("nominee", "unit_code"),
    ("recipients", "unit_code"),
    ("deciding_unit_code",),
    ("to_unit_code",),
)


def event_units(data: Mapping[str, Any]) -> list[str]:
    """The units an event's data names (in the order of :data:`UNIT_PATHS`, no repeats)."""
    found: dict[str, None] = {}

    def walk(value: Any, path: tuple[str, ...]) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item, path)
        elif not path:
            if isinstance(value, str) and value:
                found.setdefault(value)
        elif isinstance(value, Mapping):
            walk(value.get(path[0]), path[1:])

    for path in UNIT_PATHS:
        walk(data, path)
    return list(found)


def reaches(scope: str | None, province: bool, ancestries: Sequence[Sequence[str]]) -> bool:
    """Does an event reach a subscription scoped to ``scope`` (``province``: the scope is the
    whole province, or ``None``, registered before scopes)? ``ancestries``: for each unit the
    event names, that unit then its parents up to the root."""
    if scope is None or province:
        return True
    return any(scope in chain for chain in ancestries)


@dataclass(frozen=True)
class Subscription:
    """A webhook endpoint a system (``owner``: its token's subject) registered for the events
    of some types (exact, or a prefix ending in ``*``) about one unit subtree."""

    id: str
    system: str
    url: str
    event_types: tuple[str, ...]
    unit_code: str | None  # None: registered before scopes (the whole province)
    owner: str | None
    enabled: bool = True
    disabled_reason: str | None = None
    failing_since: datetime | None = None
    created_at: datetime | None = None  # set when it is kept
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Endpoint:
    """A webhook subscription as the deciding and sending see it."""

    id: str
    system: str
    url: str
    unit_code: str | None
    enabled: bool = True
    failing_since: datetime | None = None
    disabled_reason: str | None = None


@dataclass(frozen=True)
class Scope:
    """What a caller may see of the subscriptions (and of their audit): one owner's (an
    integration token: its own), or those scoped within a unit subtree (staff: ``units``, and
    the unscoped ones too when ``province``: the caller's unit is the whole province)."""

    owner: str | None
    units: tuple[str, ...]
    province: bool

    def sees(self, sub: Subscription) -> bool:
        if self.owner is not None:
            return sub.owner == self.owner
        return sub.unit_code in self.units if sub.unit_code is not None else self.province


@dataclass(frozen=True)
class Secret:
    secret: str
    created_at: datetime
    expires_at: datetime | None = None  # None: current


def in_force(secrets: Iterable[Secret], now: datetime) -> list[str]:
    """The secrets a message is signed with now, newest first."""
    alive = [s for s in secrets if s.expires_at is None or s.expires_at > now]
    return [s.secret for s in sorted(alive, key=lambda s: s.created_at, reverse=True)]


class RotationInvalid(ValueError):
    pass


def retirement(
    now: datetime, retire_at: datetime | None, default: timedelta, longest: timedelta
) -> datetime:
    """When the previous secrets stop signing: the caller's time (now or later, at most
    ``longest`` ahead) or ``now + default``."""
    if retire_at is None:
        return now + default
    if retire_at.tzinfo is None:
        raise RotationInvalid("the retirement time needs a UTC offset, e.g. +07:00")
    if retire_at > now + longest:
        raise RotationInvalid(f"the previous secret may sign for at most {longest} more")
    return max(retire_at, now)


AUDITED = ("system", "url", "event_types", "unit_code", "enabled", "disabled_reason")


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{field: {"from": old, "to": new}}`` for the audited fields that differ (never a
    secret)."""
    out: dict[str, Any] = {}
    for name in AUDITED:
        old = _plain(before.get(name)) if before is not None else None
        new = _plain(after.get(name)) if after is not None else None
        if old != new:
            out[name] = {"from": old, "to": new}
    return out


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


def unknown_types(patterns: Iterable[str], topics: Iterable[str]) -> list[str]:
    """Why each pattern (an exact type, or a prefix ending in ``*``) matches no event type
    published on ``topics``; empty when all are fine."""
    on = set(topics)
    types = all_event_types()
    known = {t for t, m in types.items() if m.topic in on}
    out = []
    for t in patterns:
        if t.endswith("*"):
            if not any(k.startswith(t[:-1]) for k in known):
                out.append(f"{t} matches no event type served here")
        elif t in types and t not in known:
            out.append(f"{t} is not served here (its topic: {types[t].topic})")
        elif t not in known:
            out.append(f"unknown type {t}")
    return out
