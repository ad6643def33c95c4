"""Which events notify whom, through which channel (rules are data, edited through the API).

A rule names an event type (exact, or a prefix ending in ``*``), an audience and channels:

- ``unit``: people by role at the unit(s) the event names (``unit_path``, e.g. ``unit_code``
  or ``recipients[].unit_code``) and by role at the units above (hierarchy, not hard-coded);
- ``applicant``: the applicant's own channel (SMS gateway), only through a contact reference
  the event itself carries (``contact_path``); the notifier never looks personal data up;
- ``subscribers``: the systems subscribed to the event type by webhook.

``low`` priority rules go into the recipient's daily digest instead of one message each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from egov_notifier.domain.recipients import Person, Selector, resolve


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    IN_APP = "in-app"
    WEBHOOK = "webhook"


class Audience(StrEnum):
    UNIT = "unit"
    APPLICANT = "applicant"
    SUBSCRIBERS = "subscribers"


class Priority(StrEnum):
    NORMAL = "normal"
    LOW = "low"  # gathered into the daily digest


_CHANNELS_OF = {
    Audience.UNIT: frozenset({Channel.EMAIL, Channel.SMS, Channel.IN_APP}),
    Audience.APPLICANT: frozenset({Channel.SMS}),
    Audience.SUBSCRIBERS: frozenset({Channel.WEBHOOK}),
}


class RuleInvalid(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    id: str
    event_type: str  # exact type, or a prefix ending in "*"
    channels: tuple[Channel, ...]
    roles: tuple[str, ...] = ()  # recipients with these roles at the event's unit
    ancestor_roles: tuple[str, ...] = ()  # ... and with these roles at the units above it
    template_id: str | None = None
    priority: str = Priority.NORMAL
    enabled: bool = True
    audience: Audience = Audience.UNIT
    unit_path: str = "unit_code"
    contact_path: str = "applicant_ref"
    nearest_only: bool = False  # ancestor roles: only the nearest unit above that has someone
    requires: tuple[str, ...] = ()  # data paths that must be present

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "channels", tuple(Channel(c) for c in self.channels))
            object.__setattr__(self, "priority", Priority(self.priority))
            object.__setattr__(self, "audience", Audience(self.audience))
        except ValueError as exc:
            raise RuleInvalid(f"rule {self.id}: {exc}") from exc

    def problems(self) -> list[str]:
        """What makes this rule unable to work as meant (empty when it is sound)."""
        found = []
        if not self.channels:
            found.append("no channel")
        wrong = set(self.channels) - _CHANNELS_OF[self.audience]
        if wrong:
            found.append(f"{', '.join(sorted(wrong))} cannot reach the {self.audience} audience")
        if self.audience == Audience.UNIT and not (self.roles or self.ancestor_roles):
            found.append("a unit rule needs roles or ancestor roles")
        if "*" in self.event_type[:-1]:
            found.append("'*' only at the end of the event type")
        return found

    @property
    def selector(self) -> Selector:
        return Selector(self.roles, self.ancestor_roles, self.nearest_only)

    def matches(self, event_type: str) -> bool:
        if not self.enabled:
            return False
        if self.event_type.endswith("*"):
            return event_type.startswith(self.event_type[:-1])
        return event_type == self.event_type

    def applies(self, event_type: str, event_data: Mapping[str, Any]) -> bool:
        """The type matches and the event carries what this rule needs to reach anyone."""
        if not self.matches(event_type):
            return False
        if any(not pluck(event_data, p) for p in self.requires):
            return False
        if self.audience == Audience.UNIT:
            return bool(self.units(event_data))
        if self.audience == Audience.APPLICANT:
            return self.contact(event_data) is not None
        return True

    def units(self, event_data: Mapping[str, Any]) -> list[str]:
        """The unit codes the event names at ``unit_path`` (in order, without repeats)."""
        return list(dict.fromkeys(str(v) for v in pluck(event_data, self.unit_path) if v))

    def contact(self, event_data: Mapping[str, Any]) -> str | None:
        """The applicant's contact reference carried by the event, if any."""
        found = [str(v) for v in pluck(event_data, self.contact_path) if v]
        return found[0] if found else None


def validate_rule(rule: Rule) -> None:
    """Raise :class:`RuleInvalid` (for a 4xx on save) when the rule cannot work as meant."""
    problems = rule.problems()
    if problems:
        raise RuleInvalid(f"rule {rule.id}: " + "; ".join(problems))


def pluck(data: Any, path: str) -> list[Any]:
    """Values at a dotted path; ``name[]`` steps into every item of a list.

    ``pluck({"recipients": [{"unit_code": "38"}]}, "recipients[].unit_code") == ["38"]``
    """
    values = [data]
    for part in path.split("."):
        many = part.endswith("[]")
        key = part[:-2] if many else part
        step: list[Any] = []
        for v in values:
            if not isinstance(v, Mapping) or v.get(key) is None:
                continue
            item = v[key]
            if many:
                step.extend(item if isinstance(item, list) else [item])
            else:
                step.append(item)
        values = step
    return values


def match(rules: Iterable[Rule], event_type: str, event_data: Mapping[str, Any]) -> list[Rule]:
    """The enabled rules an event triggers (ordered by id, so decisions are reproducible)."""
    return sorted((r for r in rules if r.applies(event_type, event_data)), key=lambda r: r.id)


def recipients(rule: Rule, ancestry: list[str], people: Iterable[Person]) -> list[Person]:
    """People for a rule: ``roles`` at the unit itself (``ancestry[0]``), ``ancestor_roles`` at
    the units above it."""
    return resolve(ancestry, people, rule.selector)


def mask_address(address: str) -> str:
    """An address fit for logs and delivery lists."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = "".join(ch for ch in address if ch.isdigit())
    if len(digits) >= 5:
        return f"{digits[0]}***{digits[-4:]}"
    return address


PROC = "vn.egov.procedures"
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        "dossier-deadline-approaching",
        f"{PROC}.dossier.deadline-approaching.v1",
        (Channel.EMAIL, Channel.IN_APP),
        roles=("officer",),
        template_id="dossier-deadline-approaching",
    ),
    Rule(
        "dossier-overdue",
        f"{PROC}.dossier.overdue.v1",
        (Channel.EMAIL, Channel.IN_APP, Channel.SMS),
        roles=("head",),
        ancestor_roles=("operator",),
        template_id="dossier-overdue",
    ),
    Rule(
        "dossier-apology",
        f"{PROC}.dossier.apology-issued.v1",
        (Channel.IN_APP,),
        ancestor_roles=("operator",),
        template_id="dossier-apology",
    ),
    Rule(
        "dossier-resolved-applicant",
        f"{PROC}.dossier.resolved.v1",
        (Channel.SMS,),
        template_id="dossier-resolved-sms",
        audience=Audience.APPLICANT,
    ),
    Rule(
        "submission-rejected",
        "vn.egov.indicators.submission.rejected.v1",
        (Channel.EMAIL, Channel.IN_APP),
        roles=("officer", "head"),
        template_id="submission-rejected",
    ),
    Rule(
        "report-due-soon",
        "vn.egov.indicators.report.due-soon.v1",
        (Channel.EMAIL, Channel.IN_APP),
        roles=("officer", "head"),
        template_id="report-due-soon",
    ),
    Rule(
        "report-overdue",
        "vn.egov.indicators.report.overdue.v1",
        (Channel.EMAIL, Channel.IN_APP),
        roles=("officer", "head"),
        template_id="report-overdue",
    ),
    Rule(
        "award-conferred",
        "vn.egov.nominations.award.conferred.v1",
        (Channel.EMAIL, Channel.IN_APP),
        roles=("head",),
        template_id="award-conferred",
        unit_path="recipients[].unit_code",
    ),
    Rule(
        "on-time-rate-digest",
        f"{PROC}.on-time-rate.computed.v1",
        (Channel.EMAIL,),
        roles=("head",),
        template_id="on-time-rate-computed",
        priority=Priority.LOW,
    ),
)

__all__ = [
    "DEFAULT_RULES",
    "Audience",
    "Channel",
    "Person",
    "Priority",
    "Rule",
    "RuleInvalid",
    "mask_address",
    "match",
    "pluck",
    "recipients",
    "validate_rule",
]
