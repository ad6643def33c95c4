"""Which events notify whom, through which channel (rules are data, edited through the API)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    IN_APP = "in-app"
    WEBHOOK = "webhook"


@dataclass(frozen=True)
class Rule:
    id: str
    event_type: str  # exact type, or a prefix ending in "*"
    channels: tuple[Channel, ...]
    roles: tuple[str, ...] = ()  # recipients with these roles at the event's unit
    ancestor_roles: tuple[str, ...] = ()  # ... and with these roles at the units above it
    template_id: str | None = None
    priority: str = "normal"
    enabled: bool = True

    def matches(self, event_type: str) -> bool:
        if not self.enabled:
            return False
        if self.event_type.endswith("*"):
            return event_type.startswith(self.event_type[:-1])
        return event_type == self.event_type


def matching(rules: Iterable[Rule], event_type: str) -> list[Rule]:
    return [r for r in rules if r.matches(event_type)]


@dataclass(frozen=True)
class Person:
    id: str
    unit_code: str
    role: str
    name: str
    email: str | None = None
    phone: str | None = None


def recipients(rule: Rule, ancestry: list[str], people: Iterable[Person]) -> list[Person]:
    """People for a rule: ``roles`` at the unit itself (``ancestry[0]``), ``ancestor_roles`` at
    the units above it."""
    unit, above = (ancestry[0], set(ancestry[1:])) if ancestry else ("", set())
    out = []
    for p in people:
        if (p.unit_code == unit and p.role in rule.roles) or (
            p.unit_code in above and p.role in rule.ancestor_roles
        ):
            out.append(p)
    return sorted(out, key=lambda p: p.id)


def mask_address(address: str) -> str:
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = "".join(ch for ch in address if ch.isdigit())
    if len(digits) >= 5:
        return f"{digits[0]}***{digits[-4:]}"
    return address
