"""The notifier's configuration: templates and rules (province-wide: a role scoped at the root
of the hierarchy changes them) and the people to notify (of the caller's unit or a unit below
it). Each is checked before it is kept: a template must render the event types it is for, a
rule must be able to reach its audience with a template that renders its event type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from egov_contracts.envelope import VN_TZ
from egov_runtime.auth import Principal
from egov_runtime.refusals import Forbidden, Invalid, NotFound
from egov_runtime.scope import check_within

from egov_notifier.domain.rules import (
    Audience,
    Channel,
    Person,
    Priority,
    Rule,
    RuleInvalid,
    validate_rule,
)
from egov_notifier.domain.templates import (
    Rendered,
    Template,
    TemplateInvalid,
    check_template,
    context_for,
    render_context,
)
from egov_notifier.usecases.common import Work


@dataclass(frozen=True)
class SaveTemplate:
    id: str
    subject: str
    body: str
    html: str | None = None
    sample_types: tuple[str, ...] = ()  # event types it must render (besides its rules')


@dataclass(frozen=True)
class SaveRule:
    id: str
    event_type: str  # exact, or a prefix ending in '*'
    channels: tuple[Channel, ...]
    template_id: str
    audience: Audience = Audience.UNIT
    roles: tuple[str, ...] = ()
    ancestor_roles: tuple[str, ...] = ()
    nearest_only: bool = False
    unit_path: str = "unit_code"
    contact_path: str = "applicant_ref"
    requires: tuple[str, ...] = ()
    priority: Priority = Priority.NORMAL
    enabled: bool = True

    def rule(self) -> Rule:
        return Rule(
            self.id,
            self.event_type,
            self.channels,
            self.roles,
            self.ancestor_roles,
            self.template_id,
            self.priority,
            self.enabled,
            self.audience,
            self.unit_path,
            self.contact_path,
            self.nearest_only,
            self.requires,
        )


@dataclass(frozen=True)
class SavePerson:
    id: str
    unit_code: str
    role: str
    name: str
    email: str | None = None
    phone: str | None = None


def _sample(event_type: str) -> dict[str, Any]:
    """A sample event of a type, for template checks and previews."""
    from egov_notifier.demo.samples import sample_event

    return context_for(sample_event(event_type))


def _invalid(title: str, exc: TemplateInvalid) -> Invalid:
    return Invalid(title, str(exc), errors=exc.errors)


async def check_province_wide(w: Work, principal: Principal, province: str, what: str) -> None:
    """403 unless the caller is scoped at a root of the hierarchy (``province`` while the
    hierarchy is still empty); ``what``: the configuration being changed, for the message."""
    roots = {u.code for u in await w.directory.hierarchy() if u.parent_code is None}
    if principal.unit_code not in (roots or {province}):
        raise Forbidden(
            "Province-wide configuration",
            f"{what} applies to the whole province; it needs a role scoped at the province"
            f" (your unit: {principal.unit_code}).",
        )


async def save_template(
    w: Work, principal: Principal, province: str, cmd: SaveTemplate
) -> tuple[Template, list[str]]:
    """Keep a template after checking it renders every listed event type and the types of the
    rules that use it (422 with the line of each error otherwise); the types it was checked
    with."""
    await check_province_wide(w, principal, province, "Templates")
    template = Template(cmd.id, cmd.subject, cmd.body, cmd.html)
    used_by = [r.event_type for r in await w.directory.rules() if r.template_id == cmd.id]
    types = [t for t in dict.fromkeys([*cmd.sample_types, *used_by]) if not t.endswith("*")]
    try:
        check_template(template, [_sample(t) for t in types] or [{}])
    except TemplateInvalid as exc:
        raise _invalid("Invalid template", exc) from exc
    await w.directory.save_template(template)
    return template, types


async def preview_template(w: Work, tid: str, event_type: str) -> Rendered:
    """The template filled in with the contract's example event of a type."""
    template = await w.directory.template(tid)
    if template is None:
        raise NotFound("No such template")
    try:
        return render_context(template, _sample(event_type))
    except TemplateInvalid as exc:
        raise _invalid("Template does not render this event", exc) from exc


async def save_rule(w: Work, principal: Principal, province: str, cmd: SaveRule) -> Rule:
    """Keep a rule; 422 when it cannot work (a channel its audience cannot be reached by, no
    roles, an unknown template, a template that does not render the event type)."""
    rule = cmd.rule()
    try:
        validate_rule(rule)
    except RuleInvalid as exc:
        raise Invalid("Invalid rule", str(exc)) from exc
    await check_province_wide(w, principal, province, "Notification rules")
    template = await w.directory.template(rule.template_id)
    if template is None:
        raise Invalid(
            "Unknown template",
            errors=[{"field": "template_id", "message": f"no template {rule.template_id}"}],
        )
    if not rule.event_type.endswith("*"):
        try:
            check_template(template, [_sample(rule.event_type)])
        except TemplateInvalid as exc:
            raise _invalid("The template does not render this event type", exc) from exc
    await w.directory.save_rule(rule)
    return rule


async def save_person(w: Work, principal: Principal, cmd: SavePerson, now: datetime) -> Person:
    """Add or change a person to notify, of the caller's unit or a unit below it (a person of
    another unit cannot be taken over)."""
    units = await w.directory.hierarchy()
    day = now.astimezone(VN_TZ).date()
    check_within(principal, cmd.unit_code, units.ancestry(cmd.unit_code, day))
    current = await w.directory.person(cmd.id)
    if current is not None:
        check_within(principal, current.unit_code, units.ancestry(current.unit_code, day))
    person = Person(cmd.id, cmd.unit_code, cmd.role, cmd.name, cmd.email, cmd.phone)
    await w.directory.save_person(person)
    return person
