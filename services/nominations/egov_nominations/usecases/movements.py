"""Emulation movements and registrations for a title: load, decide, save and emit through the
movements' repositories (:class:`~.common.Work`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from egov_contracts import nominations as c
from egov_runtime.auth import Principal
from egov_runtime.refusals import conflict, invalid

from egov_nominations.domain.movements import Movement, Registration
from egov_nominations.domain.register import AwardKind, NomineeKind
from egov_nominations.usecases.common import Context, Work, check_scope_in
from egov_nominations.usecases.steps import nominee_of, rule_in_force


@dataclass(frozen=True)
class LaunchMovement:
    """A unit launches an emulation movement for a year (phát động phong trào thi đua)."""

    title: str
    unit_code: str
    year: int
    starts_on: date
    ends_on: date | None = None
    awards: tuple[AwardKind, ...] = ()
    movement_id: str | None = None


@dataclass(frozen=True)
class RegisterForTitle:
    """A person or unit registers for a title at the start of the year (đăng ký thi đua)."""

    year: int
    nominee_kind: NomineeKind
    nominee_ref: str
    award: AwardKind
    movement_id: str | None = None


async def launch_movement(
    w: Work, ctx: Context, principal: Principal, command: LaunchMovement
) -> dict[str, Any]:
    if command.unit_code not in await w.units.hierarchy():
        raise invalid(
            f"Unknown unit {command.unit_code}.",
            [{"field": "unit_code", "message": "unknown unit"}],
        )
    await check_scope_in(w, ctx, principal, command.unit_code)
    movement_id = command.movement_id or f"PT-{command.year}-{uuid.uuid4().hex[:8]}"
    movement = Movement(
        movement_id,
        command.title,
        command.unit_code,
        command.year,
        command.starts_on,
        command.ends_on,
        command.awards,
        principal.subject,
        ctx.now(),
    )
    if not await w.movements.add(movement):
        raise conflict("Movement exists", f"A movement {movement_id} already exists.")
    await w.tx.publish(
        c.MovementLaunched(
            movement_id=movement_id,
            title=movement.title,
            unit_code=movement.unit_code,
            year=movement.year,
            starts_on=movement.starts_on,
            ends_on=movement.ends_on,
            awards=[c.AwardKind(a.value) for a in movement.awards],
            launched_at=movement.launched_at,
        ),
        subject=movement_id,
    )
    kept = await w.movements.get(movement_id)
    assert kept is not None
    return movement_json(kept)


def movement_json(m: Movement) -> dict[str, Any]:
    return {
        "movement_id": m.movement_id,
        "title": m.title,
        "unit_code": m.unit_code,
        "year": m.year,
        "starts_on": m.starts_on.isoformat(),
        "ends_on": m.ends_on.isoformat() if m.ends_on else None,
        "awards": [a.value for a in m.awards],
        "launched_by": m.launched_by,
        "launched_at": m.launched_at.isoformat(),
    }


async def register_for_title(
    w: Work, ctx: Context, principal: Principal, command: RegisterForTitle
) -> tuple[int, dict[str, Any]]:
    """Register a nominee for a title (201); the same nominee, award and year again answers
    with the registration kept (200) and publishes nothing."""
    kind = command.nominee_kind
    _name, unit_code = await nominee_of(w, kind, command.nominee_ref)
    await check_scope_in(w, ctx, principal, unit_code)
    if command.movement_id and await w.movements.get(command.movement_id) is None:
        raise invalid(
            f"Unknown movement {command.movement_id}.",
            [{"field": "movement_id", "message": "unknown movement"}],
        )
    rule_in_force(ctx, command.award, kind, command.year)
    reg_id = f"DK-{uuid.uuid4().hex[:12]}"
    kept = await w.movements.register(
        Registration(
            reg_id,
            command.movement_id,
            command.year,
            kind,
            command.nominee_ref,
            unit_code,
            command.award,
            principal.subject,
            ctx.now(),
        )
    )
    out = registration_json(kept)
    if kept.registration_id != reg_id:
        return 200, out  # already registered: nothing new, no event
    await w.tx.publish(
        c.RegistrationSubmitted(
            registration_id=reg_id,
            movement_id=kept.movement_id,
            year=kept.year,
            nominee=c.Nominee(
                kind=c.NomineeKind(kind.value), ref=kept.nominee_ref, unit_code=unit_code
            ),
            award=c.AwardKind(kept.award.value),
            submitted_at=kept.submitted_at,
        ),
        subject=reg_id,
    )
    return 201, out


def registration_json(r: Registration) -> dict[str, Any]:
    return {
        "registration_id": r.registration_id,
        "movement_id": r.movement_id,
        "year": r.year,
        "nominee_kind": r.nominee_kind.value,
        "nominee_ref": r.nominee_ref,
        "unit_code": r.unit_code,
        "award": r.award.value,
        "submitted_by": r.submitted_by,
        "submitted_at": r.submitted_at.isoformat(),
    }
