"""Emulation movements and registrations for a title."""

from __future__ import annotations

import uuid
from typing import Any

from egov_contracts import nominations as c
from egov_runtime.auth import Principal
from egov_runtime.consumer import Tx
from egov_runtime.refusals import conflict, invalid

from egov_nominations.adapters import files
from egov_nominations.domain.register import AwardKind, NomineeKind
from egov_nominations.usecases.common import (
    Context,
    check_scope,
    emit,
    known_unit,
)
from egov_nominations.usecases.steps import nominee_of, rule_in_force


async def launch_movement(
    tx: Tx, ctx: Context, principal: Principal, body: dict[str, Any]
) -> dict[str, Any]:
    await known_unit(tx, body["unit_code"])
    await check_scope(tx, principal, body["unit_code"])
    movement_id = body.get("movement_id") or f"PT-{body['year']}-{uuid.uuid4().hex[:8]}"
    row = {
        **body,
        "movement_id": movement_id,
        "launched_by": principal.subject,
        "launched_at": ctx.now(),
    }
    if not await files.insert_movement(tx.conn, row):
        raise conflict("Movement exists", f"A movement {movement_id} already exists.")
    await emit(
        tx,
        ctx,
        c.MovementLaunched(
            movement_id=movement_id,
            title=body["title"],
            unit_code=body["unit_code"],
            year=body["year"],
            starts_on=body["starts_on"],
            ends_on=body.get("ends_on"),
            awards=[c.AwardKind(a) for a in body.get("awards", [])],
            launched_at=row["launched_at"],
        ),
        movement_id,
    )
    return movement_json(await files.get_movement(tx.conn, movement_id))


def movement_json(row: Any) -> dict[str, Any]:
    out = dict(row)
    for k in ("starts_on", "ends_on", "launched_at"):
        if out.get(k) is not None:
            out[k] = out[k].isoformat()
    return out


async def register_for_title(
    tx: Tx, ctx: Context, principal: Principal, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    kind = NomineeKind(body["nominee_kind"])
    _name, unit_code = await nominee_of(tx, kind, body["nominee_ref"])
    await check_scope(tx, principal, unit_code)
    if body.get("movement_id") and await files.get_movement(tx.conn, body["movement_id"]) is None:
        raise invalid(
            f"Unknown movement {body['movement_id']}.",
            [{"field": "movement_id", "message": "unknown movement"}],
        )
    rule_in_force(ctx, AwardKind(body["award"]), kind, body["year"])
    reg_id = f"DK-{uuid.uuid4().hex[:12]}"
    row = await files.insert_registration(
        tx.conn,
        {
            **body,
            "registration_id": reg_id,
            "unit_code": unit_code,
            "submitted_by": principal.subject,
            "submitted_at": ctx.now(),
        },
    )
    out = registration_json(row)
    if row["registration_id"] != reg_id:
        return 200, out  # already registered: nothing new, no event
    await emit(
        tx,
        ctx,
        c.RegistrationSubmitted(
            registration_id=reg_id,
            movement_id=row["movement_id"],
            year=row["year"],
            nominee=c.Nominee(
                kind=c.NomineeKind(kind.value), ref=row["nominee_ref"], unit_code=unit_code
            ),
            award=c.AwardKind(row["award"]),
            submitted_at=row["submitted_at"],
        ),
        reg_id,
    )
    return 201, out


def registration_json(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["submitted_at"] = out["submitted_at"].isoformat()
    return out
