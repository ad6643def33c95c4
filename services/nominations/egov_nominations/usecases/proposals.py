"""A file from proposal to review: proposed, submitted, returned for completion, checked for
completeness and accepted (then assessed against the rule set in force)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date

from egov_contracts import nominations as c
from egov_runtime.auth import Principal
from egov_runtime.refusals import Conflict, conflict, invalid
from egov_units import Hierarchy

from egov_nominations.domain.completeness import missing_documents
from egov_nominations.domain.councils import Nomination
from egov_nominations.domain.register import AwardKind, NomineeKind
from egov_nominations.domain.workflow import (
    NominationFile,
)
from egov_nominations.usecases.assessment import assess_file, assessed_event
from egov_nominations.usecases.common import (
    Context,
    Work,
    check_scope_in,
    level_named,
    working_days_on,
)
from egov_nominations.usecases.steps import (
    advance_in,
    base_of,
    deciding_officer_in,
    load,
    nominee_of,
    rule_in_force,
    step,
)


def default_deciding_unit(units: Hierarchy, unit_code: str, day: date) -> str:
    """The level that reviews a unit's proposals: its commune, else the agency directly under
    the province (the department), else the province."""
    chain = units.ancestry(unit_code, day)
    found = [u for code in chain if (u := units.get(code)) is not None]
    for u in found:
        if u.level == "commune":
            return u.code
    for u in found:
        if u.level == "province":
            break
        parent = units.get(u.parent_code) if u.parent_code else None
        if parent is not None and parent.level == "province":
            return u.code
    return chain[-1]


@dataclass(frozen=True)
class Propose:
    """A nominee proposed for an award of a year (``submit``: submitted at once)."""

    kind: NomineeKind
    ref: str
    award: AwardKind
    achievement_year: int
    movement_id: str | None = None
    occasion: str = "yearly"
    deciding_unit_code: str | None = None
    documents: tuple[str, ...] = ()
    summary: str = ""
    submit: bool = False
    nomination_id: str | None = None


async def propose(w: Work, ctx: Context, principal: Principal, command: Propose) -> Nomination:
    """A unit's officer proposes a nominee from the year-end review (a draft file; submitted
    at once when `submit` is true)."""
    kind, ref, award, year = command.kind, command.ref, command.award, command.achievement_year
    name, unit_code = await nominee_of(w, kind, ref)
    await check_scope_in(w, ctx, principal, unit_code)
    rule_in_force(ctx, award, kind, year)
    movement_id = command.movement_id
    if movement_id and await w.movements.get(movement_id) is None:
        raise invalid(
            f"Unknown movement {movement_id}.", [{"field": "movement_id", "message": "unknown"}]
        )
    units = await w.units.hierarchy()
    today = ctx.now().date()
    deciding_unit = command.deciding_unit_code or default_deciding_unit(units, unit_code, today)
    deciding = units.get(deciding_unit)
    if deciding is None:
        raise invalid(
            f"Unknown unit {deciding_unit}.", [{"field": "unit_code", "message": "unknown unit"}]
        )
    if deciding_unit not in units.ancestry(unit_code, today):
        raise invalid(
            f"{deciding_unit} is not above the nominee's unit {unit_code}.",
            [{"field": "deciding_unit_code", "message": "not an ancestor of the nominee's unit"}],
        )
    occasion = command.occasion
    existing = await w.nominations.open_for(kind, ref, award, year, occasion)
    if existing is not None:
        raise conflict(
            "Already nominated",
            f"{ref} already has file {existing.nomination_id} for {award.value} {year}"
            f" ({existing.status.value}).",
        )
    nomination_id = command.nomination_id or f"HS-{year}-{uuid.uuid4().hex[:10]}"
    file = NominationFile(
        id=nomination_id, nominee_kind=kind, nominee_ref=ref, award=award, achievement_year=year
    )
    n = Nomination(
        nomination_id,
        unit_code,
        deciding_unit,
        file,
        nominee_name=name,
        occasion=occasion,
        movement_id=movement_id,
        deciding_level=level_named(deciding.level).value,
        documents=command.documents,
        summary=command.summary,
    )
    await w.nominations.add(n, principal.subject)
    if command.submit:
        return await submit(w, ctx, principal, nomination_id, None)
    return n


async def submit(
    w: Work,
    ctx: Context,
    principal: Principal,
    nomination_id: str,
    documents: tuple[str, ...] | None,
) -> Nomination:
    """The nominee's unit submits (or resubmits) the file, with its documents when given: the
    deciding level's 5-working-day completeness check starts (``nomination.submitted.v1``)."""
    n = await load(w, ctx, principal, nomination_id)
    await check_scope_in(w, ctx, principal, n.unit_code)
    at = ctx.now()
    add_working_days = working_days_on(await w.calendar.province())
    file = step(lambda: n.file.submit(principal.subject, at, add_working_days))
    deciding = (await w.units.hierarchy()).get(n.deciding_unit_code)
    event = c.NominationSubmitted(
        **base_of(n, at),
        occasion=c.AwardOccasion(n.occasion),
        deciding_level=level_named(deciding.level if deciding else None).published(),
        movement_id=n.movement_id,
    )
    if documents is not None:
        n = replace(n, documents=documents)
    return await advance_in(w, n, file, event)


async def return_for_completion(
    w: Work, ctx: Context, principal: Principal, nomination_id: str, reasons: list[str]
) -> Nomination:
    """The deciding level returns an incomplete file with what is missing
    (``nomination.returned.v1``)."""
    n = await load(w, ctx, principal, nomination_id)
    await deciding_officer_in(w, ctx, principal, n)
    at = ctx.now()
    file = step(lambda: n.file.return_for_completion(principal.subject, at, reasons))
    event = c.NominationReturned(**base_of(n, at), reason="; ".join(file.return_reasons)[:2000])
    return await advance_in(w, n, file, event)


def _missing(n: Nomination) -> list[str]:
    return missing_documents(n.award, n.nominee_kind, list(n.documents))


async def check_completeness(
    w: Work, ctx: Context, principal: Principal, nomination_id: str
) -> Nomination:
    """The deciding level checks the file: returned with the missing documents, or accepted
    for review (and assessed against the rule set in force)."""
    n = await load(w, ctx, principal, nomination_id)
    missing = _missing(n)
    if missing:
        return await return_for_completion(w, ctx, principal, nomination_id, missing)
    return await accept(w, ctx, principal, nomination_id)


async def accept(w: Work, ctx: Context, principal: Principal, nomination_id: str) -> Nomination:
    """The file is complete: review starts (20 working days to decide) and the engine's
    assessment is announced (``nomination.assessed.v1``)."""
    n = await load(w, ctx, principal, nomination_id)
    await deciding_officer_in(w, ctx, principal, n)
    missing = _missing(n)
    if missing:
        raise Conflict(
            "File incomplete",
            "The file lacks documents; return it for completion with these reasons.",
            errors=[{"field": "documents", "message": m} for m in missing],
        )
    at = ctx.now()
    add_working_days = working_days_on(await w.calendar.province())
    file = step(lambda: n.file.accept_complete(principal.subject, at, add_working_days))
    accepted = replace(n, file=file, version=n.version + 1)
    await w.nominations.save(accepted)
    assessment, _ = await assess_file(w, ctx, accepted)
    await w.tx.publish(
        assessed_event(accepted, assessment, at), subject=nomination_id, sequence=accepted.version
    )
    return accepted
