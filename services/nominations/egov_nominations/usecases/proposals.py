"""A file from proposal to review: proposed, submitted, returned for completion, checked for
completeness and accepted (then assessed against the rule set in force)."""

from __future__ import annotations

import uuid
from typing import Any

from egov_contracts import nominations as c
from egov_runtime.auth import Principal
from egov_runtime.consumer import Tx
from egov_runtime.refusals import Conflict, conflict, invalid
from egov_runtime.units import ancestry, get_unit

from egov_nominations.adapters import files
from egov_nominations.domain.completeness import missing_documents
from egov_nominations.domain.register import AwardKind, NomineeKind
from egov_nominations.domain.workflow import (
    NominationFile,
)
from egov_nominations.usecases.assessment import assess_file, assessed_event
from egov_nominations.usecases.common import (
    Context,
    Work,
    check_scope,
    emit,
    known_unit,
    level_of,
)
from egov_nominations.usecases.steps import (
    advance,
    deciding_officer,
    event_base,
    load_file,
    nominee_of,
    rule_in_force,
    step,
)
from egov_nominations.usecases.views import nomination_view


async def default_deciding_unit(tx: Tx, unit_code: str) -> str:
    """The level that reviews a unit's proposals: its commune, else the agency directly under
    the province (the department), else the province."""
    chain = await ancestry(tx.conn, unit_code)
    units = [await get_unit(tx.conn, u) for u in chain]
    for u in units:
        if u is not None and u["level"] == "commune":
            return str(u["unit_code"])
    for u in units:
        if u is not None and u["level"] == "province":
            break
        if (
            u is not None
            and u["parent_code"]
            and (
                (p := await get_unit(tx.conn, u["parent_code"])) is not None
                and p["level"] == "province"
            )
        ):
            return str(u["unit_code"])
    return chain[-1]


async def propose(
    tx: Tx, ctx: Context, principal: Principal, body: dict[str, Any]
) -> dict[str, Any]:
    """A unit's officer proposes a nominee from the year-end review (a draft file; submitted
    at once when `submit` is true)."""
    kind = NomineeKind(body["nominee"]["kind"])
    ref = body["nominee"]["ref"]
    award = AwardKind(body["award"])
    year = int(body["achievement_year"])
    name, unit_code = await nominee_of(Work.on(tx), kind, ref)
    await check_scope(tx, principal, unit_code)
    rule_in_force(ctx, award, kind, year)
    movement_id = body.get("movement_id")
    if movement_id and await files.get_movement(tx.conn, movement_id) is None:
        raise invalid(
            f"Unknown movement {movement_id}.", [{"field": "movement_id", "message": "unknown"}]
        )
    deciding_unit = body.get("deciding_unit_code") or await default_deciding_unit(tx, unit_code)
    deciding = await known_unit(tx, deciding_unit)
    if deciding_unit not in await ancestry(tx.conn, unit_code):
        raise invalid(
            f"{deciding_unit} is not above the nominee's unit {unit_code}.",
            [{"field": "deciding_unit_code", "message": "not an ancestor of the nominee's unit"}],
        )
    occasion = body.get("occasion", "yearly")
    existing = await files.open_nomination_for(
        tx.conn, kind.value, ref, award.value, year, occasion
    )
    if existing is not None:
        raise conflict(
            "Already nominated",
            f"{ref} already has file {existing['nomination_id']} for {award.value} {year}"
            f" ({existing['status']}).",
        )
    nomination_id = body.get("nomination_id") or f"HS-{year}-{uuid.uuid4().hex[:10]}"
    file = NominationFile(
        id=nomination_id, nominee_kind=kind, nominee_ref=ref, award=award, achievement_year=year
    )
    await files.insert_nomination(
        tx.conn,
        {
            "nomination_id": nomination_id,
            "movement_id": movement_id,
            "nominee_kind": kind.value,
            "nominee_ref": ref,
            "nominee_name": name,
            "unit_code": unit_code,
            "award": award.value,
            "achievement_year": year,
            "occasion": occasion,
            "deciding_level": level_of(deciding).value,
            "deciding_unit_code": deciding_unit,
            "status": file.status.value,
            "documents": body.get("documents", []),
            "summary": body.get("summary", ""),
            "file": file.model_dump(mode="json"),
            "version": 0,
            "created_by": principal.subject,
        },
    )
    if body.get("submit"):
        return await submit(tx, ctx, principal, nomination_id, None)
    return await nomination_view(tx, ctx, nomination_id)


async def submit(
    tx: Tx, ctx: Context, principal: Principal, nomination_id: str, documents: list[str] | None
) -> dict[str, Any]:
    row = await load_file(tx, principal, nomination_id)
    await check_scope(tx, principal, row["unit_code"])
    at = ctx.now()
    add_working_days = await ctx.working_days(tx)
    file = step(lambda: files.file_of(row).submit(principal.subject, at, add_working_days))
    version = row["version"] + 1
    await files.save_file(tx.conn, nomination_id, file, version, documents=documents)
    deciding = await get_unit(tx.conn, row["deciding_unit_code"]) or {}
    await emit(
        tx,
        ctx,
        c.NominationSubmitted(
            **event_base(row, at),
            occasion=c.AwardOccasion(row["occasion"]),
            deciding_level=level_of(deciding).published(),
            movement_id=row["movement_id"],
        ),
        nomination_id,
        version,
    )
    return await nomination_view(tx, ctx, nomination_id)


async def return_for_completion(
    tx: Tx, ctx: Context, principal: Principal, nomination_id: str, reasons: list[str]
) -> dict[str, Any]:
    row = await load_file(tx, principal, nomination_id)
    await deciding_officer(tx, principal, row)
    at = ctx.now()
    file = step(lambda: files.file_of(row).return_for_completion(principal.subject, at, reasons))
    return await advance(
        tx,
        ctx,
        row,
        file,
        c.NominationReturned(**event_base(row, at), reason="; ".join(file.return_reasons)[:2000]),
    )


async def check_completeness(
    tx: Tx, ctx: Context, principal: Principal, nomination_id: str
) -> dict[str, Any]:
    """The deciding level checks the file: returned with the missing documents, or accepted
    for review (and assessed against the rule set in force)."""
    row = await load_file(tx, principal, nomination_id)
    missing = missing_documents(
        AwardKind(row["award"]), NomineeKind(row["nominee_kind"]), row["documents"]
    )
    if missing:
        return await return_for_completion(tx, ctx, principal, nomination_id, missing)
    return await accept(tx, ctx, principal, nomination_id)


async def accept(tx: Tx, ctx: Context, principal: Principal, nomination_id: str) -> dict[str, Any]:
    row = await load_file(tx, principal, nomination_id)
    await deciding_officer(tx, principal, row)
    missing = missing_documents(
        AwardKind(row["award"]), NomineeKind(row["nominee_kind"]), row["documents"]
    )
    if missing:
        raise Conflict(
            "File incomplete",
            "The file lacks documents; return it for completion with these reasons.",
            errors=[{"field": "documents", "message": m} for m in missing],
        )
    at = ctx.now()
    add_working_days = await ctx.working_days(tx)
    file = step(lambda: files.file_of(row).accept_complete(principal.subject, at, add_working_days))
    version = row["version"] + 1
    await files.save_file(tx.conn, nomination_id, file, version)
    assessment, _ = await assess_file(tx, ctx, row)
    await emit(tx, ctx, assessed_event(row, assessment, at), nomination_id, version)
    return await nomination_view(tx, ctx, nomination_id)
