"""HTTP API of the notifier (``/v1``): templates, rules, recipients, deliveries with their
attempts, replay, and the in-app feed (webhook subscriptions: ``subscriptions.py``; the event
feed: ``feed.py``)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Any, Literal

from egov_contracts.types import VnDatetime
from egov_runtime.auth import ROLES, Principal, require
from egov_runtime.pagination import Page, PageQuery
from egov_runtime.problems import Problem
from egov_runtime.scope import at_root, check_root, check_scope
from egov_runtime.service import runtime_of
from egov_runtime.units import descendants
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from egov_notifier.adapters import inbox as inbox_items
from egov_notifier.adapters import store
from egov_notifier.domain.delivery import Status
from egov_notifier.domain.rules import Audience, Channel, Priority
from egov_notifier.usecases import Work, replay
from egov_notifier.usecases import configuration as config

router = APIRouter(prefix="/v1")
Operator = Annotated[Principal, Depends(require("admin", "operator"))]
# every signed-in person has an in-app feed (the head of a unit included)
Reader = Annotated[Principal, Depends(require(*ROLES))]


class TemplateIn(BaseModel):
    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=20_000, description="Plain text (e-mail, SMS, app)")
    html: str | None = Field(None, max_length=20_000, description="Optional e-mail HTML part")
    sample_types: list[str] = Field(
        default_factory=list, description="Event types the template must render"
    )


@router.put("/templates/{tid}", tags=["templates"])
async def put_template(
    tid: str, body: TemplateIn, request: Request, principal: Operator
) -> dict[str, Any]:
    """Save a template after checking it renders every listed event type, and the types of
    the rules that use it (422 with the line of each error otherwise)."""
    cmd = config.SaveTemplate(tid, body.subject, body.body, body.html, tuple(body.sample_types))
    rt = runtime_of(request)
    async with rt.transaction() as tx:
        province = rt.settings.province_code
        _, types = await config.save_template(Work.on(tx), principal, province, cmd)
    return {"id": tid, **body.model_dump(exclude={"sample_types"}), "checked_with": types}


@router.get("/templates", tags=["templates"])
async def get_templates(request: Request, principal: Operator, page: PageQuery) -> Page:
    async with runtime_of(request).pool.acquire() as conn:
        return page.slice([asdict(t) for t in await store.templates(conn)])


@router.post("/templates/{tid}/preview", tags=["templates"])
async def preview_template(
    tid: str, request: Request, principal: Operator, event_type: str = Query(...)
) -> dict[str, Any]:
    """The template filled in with the contract's example event of a type."""
    async with runtime_of(request).transaction() as tx:
        out = await config.preview_template(Work.on(tx), tid, event_type)
    return asdict(out)


class RuleIn(BaseModel):
    event_type: str = Field(min_length=3, description="Exact type, or a prefix ending in '*'")
    channels: list[Channel] = Field(min_length=1)
    audience: Audience = Audience.UNIT
    roles: list[str] = Field(default_factory=list, description="Roles at the event's unit(s)")
    ancestor_roles: list[str] = Field(default_factory=list, description="Roles at units above")
    nearest_only: bool = Field(False, description="Ancestor roles: the nearest unit that has any")
    unit_path: str = Field("unit_code", description="Where the event names its unit(s)")
    contact_path: str = Field("applicant_ref", description="Applicant audience: contact ref")
    requires: list[str] = Field(default_factory=list, description="Data paths that must be set")
    template_id: str
    priority: Priority = Field(Priority.NORMAL, description="low: into the daily digest")
    enabled: bool = True


@router.put("/rules/{rid}", tags=["rules"])
async def put_rule(rid: str, body: RuleIn, request: Request, principal: Operator) -> dict[str, Any]:
    """Save a rule; 422 when it cannot work (a channel its audience cannot be reached by, no
    roles, an unknown template, a template that does not render the event type)."""
    cmd = config.SaveRule(
        rid,
        body.event_type,
        tuple(body.channels),
        body.template_id,
        body.audience,
        tuple(body.roles),
        tuple(body.ancestor_roles),
        body.nearest_only,
        body.unit_path,
        body.contact_path,
        tuple(body.requires),
        body.priority,
        body.enabled,
    )
    rt = runtime_of(request)
    async with rt.transaction() as tx:
        await config.save_rule(Work.on(tx), principal, rt.settings.province_code, cmd)
    return {"id": rid, **body.model_dump(mode="json")}


@router.get("/rules", tags=["rules"])
async def get_rules(request: Request, principal: Operator, page: PageQuery) -> Page:
    async with runtime_of(request).pool.acquire() as conn:
        return page.slice([asdict(r) for r in await store.rules(conn)])


class PersonIn(BaseModel):
    unit_code: str
    role: str = Field(pattern=r"^[a-z][a-z-]*$")
    name: str = Field(min_length=2, max_length=200)
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(None, pattern=r"^\+?[0-9]{8,15}$")


@router.put("/recipients/{pid}", tags=["recipients"])
async def put_recipient(
    pid: str, body: PersonIn, request: Request, principal: Operator
) -> dict[str, Any]:
    """Add or change a person to notify, of the caller's unit or a unit below it (a recipient
    of another unit cannot be taken over)."""
    cmd = config.SavePerson(pid, **body.model_dump())
    rt = runtime_of(request)
    async with rt.transaction() as tx:
        await config.save_person(Work.on(tx), principal, cmd, rt.now())
    return {"id": pid, **body.model_dump()}


@router.get("/deliveries", tags=["deliveries"])
async def get_deliveries(
    request: Request,
    principal: Operator,
    page: PageQuery,
    status: Status | Literal["digest", "digested"] | None = None,
    channel: Channel | None = None,
    since: VnDatetime | None = None,
    event_id: str | None = Query(None, description="Only those caused by this event"),
    about: str | None = Query(
        None, description="Only those caused by events about this subject (e.g. a dossier code)"
    ),
) -> Page:
    """Every notification with its attempts (time, outcome, HTTP status, error, duration), of
    the caller's unit and the units below it (everything at the province), newest first."""
    rt = runtime_of(request)
    async with rt.pool.acquire() as conn:
        province = await at_root(conn, principal, rt.settings.province_code)
        units = None if province else await descendants(conn, principal.unit_code)
        rows, total = await store.deliveries(
            conn,
            status=status,
            channel=channel,
            since=since,
            limit=page.limit,
            offset=page.offset,
            event_id=event_id,
            about=about,
            units=units,
        )
    return page.of(rows, total)


@router.post("/deliveries/{nid}/replay", tags=["deliveries"])
async def replay_one(nid: uuid.UUID, request: Request, principal: Operator) -> dict[str, Any]:
    rt = runtime_of(request)
    missing = Problem(404, "No such delivery (in-app items are not resent)")
    async with rt.transaction() as tx:
        found, unit = await store.delivery_unit(tx.conn, nid)
        if not found:
            raise missing
        if unit is None:  # about no unit (an applicant, a subscriber): the province's
            if not await at_root(tx.conn, principal, rt.settings.province_code):
                raise missing
        else:
            await check_scope(tx.conn, principal, unit, hidden=missing)
        n = await replay(Work.on(tx), ids=[nid])
    if not n:
        raise missing
    return {"replayed": n}


class RecoverIn(BaseModel):
    since: VnDatetime


@router.post("/deliveries/recover", tags=["deliveries"])
async def recover(body: RecoverIn, request: Request, principal: Operator) -> dict[str, Any]:
    """Send again every delivery that failed since a time (e.g. after an endpoint's outage);
    every unit's, so it needs a role scoped at the province."""
    rt = runtime_of(request)
    async with rt.transaction() as tx:
        await check_root(tx.conn, principal, rt.settings.province_code, "Recovering every unit")
        return {"replayed": await replay(Work.on(tx), failed_since=body.since)}


@router.get("/inbox", tags=["in-app"])
async def inbox(
    request: Request,
    principal: Reader,
    page: PageQuery,
    role: str | None = Query(None, description="Only the items for this one of your roles"),
    unread: bool = Query(False, description="Only the items not read yet"),
) -> Page:
    """The caller's in-app feed, newest first: the items for them (the recipient's id is the
    token's subject) and for a role they hold at their own unit. Nobody reads another
    person's items, nor a unit's items for a role they do not hold."""
    async with runtime_of(request).pool.acquire() as conn:
        return await inbox_items.page_for(
            conn,
            page,
            subject=principal.subject,
            unit_code=principal.unit_code,
            roles=sorted(principal.roles),
            role=role,
            unread=unread,
        )


@router.post("/inbox/{item_id}/read", tags=["in-app"])
async def mark_read(item_id: int, request: Request, principal: Reader) -> dict[str, Any]:
    """Mark one of the caller's items read (again: no change); 404 for an item that is not
    theirs."""
    async with runtime_of(request).transaction() as tx:
        row = await inbox_items.mark_read(
            tx.conn,
            item_id,
            subject=principal.subject,
            unit_code=principal.unit_code,
            roles=sorted(principal.roles),
        )
    if row is None:
        raise Problem(404, "Not in your inbox", f"No item {item_id} for you.")
    return row
