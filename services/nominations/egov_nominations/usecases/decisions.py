"""The deciding head approves, rejects or forwards a file, and records the decision that
confers the awards (``award.conferred.v1``)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from egov_contracts import nominations as c
from egov_runtime.auth import Principal
from egov_runtime.consumer import Tx
from egov_runtime.refusals import Conflict, conflict, not_found
from egov_runtime.units import get_unit

from egov_nominations.adapters import files
from egov_nominations.adapters import register as store
from egov_nominations.domain.councils import Nomination
from egov_nominations.domain.engine import AWARD_NAMES_VI, Outcome
from egov_nominations.domain.register import AwardKind, NomineeKind
from egov_nominations.domain.rules import (
    DecidingLevel,
)
from egov_nominations.domain.workflow import (
    Decision,
    Status,
)
from egov_nominations.usecases.assessment import assess_file
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
    advance_in,
    base_of,
    contract_nominee,
    deciding_officer,
    deciding_officer_in,
    event_base,
    is_decider,
    load,
    load_file,
    rule_in_force,
    step,
)


async def approve(
    tx: Tx, ctx: Context, principal: Principal, nomination_id: str, reason: str | None
) -> dict[str, Any]:
    is_decider(ctx, principal)
    row = await load_file(tx, principal, nomination_id)
    await deciding_officer(tx, principal, row)
    a, _ = await assess_file(tx, ctx, row)
    if a.eligible is not True:
        failing = [cr for cr in a.criteria if cr.outcome != Outcome.PASSED]
        raise Conflict(
            "Not eligible",
            f"The file is not eligible ({a.eligible}); it cannot be approved.",
            errors=[{"field": cr.id, "message": cr.message_en} for cr in failing],
        )
    at = ctx.now()
    file = step(lambda: files.file_of(row).approve(principal.subject, at, reason))
    deciding = await get_unit(tx.conn, row["deciding_unit_code"]) or {}
    return await advance(
        tx,
        ctx,
        row,
        file,
        c.NominationApproved(**event_base(row, at), deciding_level=level_of(deciding).published()),
    )


async def reject(
    w: Work, ctx: Context, principal: Principal, nomination_id: str, reason: str
) -> Nomination:
    """The deciding head rejects the file, with the reason (``nomination.rejected.v1``)."""
    is_decider(ctx, principal)
    n = await load(w, ctx, principal, nomination_id)
    await deciding_officer_in(w, ctx, principal, n)
    at = ctx.now()
    file = step(lambda: n.file.reject(principal.subject, at, reason))
    return await advance_in(
        w, n, file, c.NominationRejected(**base_of(n, at), reason=reason[:2000])
    )


@dataclass(frozen=True)
class Forward:
    """Send an approved file to the level that grants its award."""

    to_level: DecidingLevel
    to_unit_code: str | None = None
    reason: str | None = None


async def forward(
    w: Work, ctx: Context, principal: Principal, nomination_id: str, command: Forward
) -> Nomination:
    """The deciding head forwards an approved file up (``nomination.forwarded.v1``)."""
    is_decider(ctx, principal)
    n = await load(w, ctx, principal, nomination_id)
    await deciding_officer_in(w, ctx, principal, n)
    at = ctx.now()
    to = command.to_level
    file = step(lambda: n.file.forward(principal.subject, at, to.value, command.reason))
    return await advance_in(
        w,
        n,
        file,
        c.NominationForwarded(
            **base_of(n, at), to_level=to.published(), to_unit_code=command.to_unit_code
        ),
    )


async def decide(
    tx: Tx, ctx: Context, principal: Principal, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """Record a decision conferring awards on approved (or forwarded) files; one
    `award.conferred.v1` per award of the decision, once: the same decision again answers
    with what was recorded and publishes nothing."""
    is_decider(ctx, principal)
    deciding_unit = body["deciding_unit_code"]
    await known_unit(tx, deciding_unit)
    # a head decides in the name of its own unit (or one below it), never of another
    await check_scope(tx, principal, deciding_unit)
    ids = list(dict.fromkeys(body["nomination_ids"]))
    await files.lock_decision_number(tx.conn, deciding_unit, body["number"])
    existing = await files.get_decision(tx.conn, deciding_unit, body["number"])
    if existing is not None:
        same = (
            sorted(existing["nomination_ids"]) == sorted(ids)
            and existing["decided_on"] == body["decided_on"]
            and existing["signer"] == body["signer"]
        )
        if not same:
            raise conflict(
                "Decision number used",
                f"Decision {body['number']} of {deciding_unit} is already recorded with other"
                " content.",
            )
        return 200, await decision_view(tx, existing["decision_id"])
    rows = []
    for nid in ids:
        row = await load_file(tx, principal, nid)
        await deciding_officer(tx, principal, row)
        rows.append(row)
    at = ctx.now()
    decision = Decision(
        number=body["number"],
        decided_on=body["decided_on"],
        signer=body["signer"],
        deciding_unit=deciding_unit,
    )
    decision_id = f"QD-{uuid.uuid4().hex[:12]}"
    deciding_level = level_of(await get_unit(tx.conn, deciding_unit) or {})
    groups: dict[tuple[str, str, int], list[Any]] = defaultdict(list)
    for row in rows:
        if row["status"] == Status.APPROVED.value:
            rule = rule_in_force(
                ctx,
                AwardKind(row["award"]),
                NomineeKind(row["nominee_kind"]),
                row["achievement_year"],
            )
            own = level_of(await get_unit(tx.conn, row["deciding_unit_code"]) or {})
            if own not in rule.deciding_levels:
                raise conflict(
                    "Must be forwarded",
                    f"{AWARD_NAMES_VI[AwardKind(row['award'])]} is granted at"
                    f" {', '.join(lv.value for lv in rule.deciding_levels)} level; forward file"
                    f" {row['nomination_id']} there first.",
                )
        before = files.file_of(row)
        # a forwarded file was granted at the level it went to (the province, a ministry)
        granted_at = before.forwarded_to if row["status"] == Status.FORWARDED.value else None
        file = step(lambda before=before: before.decide(principal.subject, at, decision))
        version = row["version"] + 1
        await files.save_file(tx.conn, row["nomination_id"], file, version)
        await store.add_award(
            tx.conn,
            {
                "nominee_kind": row["nominee_kind"],
                "nominee_ref": row["nominee_ref"],
                "unit_code": row["unit_code"],
                "award": row["award"],
                "year": row["achievement_year"],
                "decision_number": body["number"],
                "level": granted_at or deciding_level.value,
                "decided_on": body["decided_on"],
                "nomination_id": row["nomination_id"],
                "source": "decision",
            },
        )
        groups[(row["award"], row["occasion"], row["achievement_year"])].append(row)
    # titles approved for the same decision (LĐTT under a CSTĐ, members' LĐTT under a
    # collective title) must be in it: once this decision's awards are recorded, every
    # approved file must stand on conferred awards alone
    for row in rows:
        if row["status"] != Status.APPROVED.value:
            continue
        a, _ = await assess_file(tx, ctx, row, awaiting=False)
        if a.eligible is not True:
            failing = [cr for cr in a.criteria if cr.outcome != Outcome.PASSED]
            raise conflict(
                "Prerequisite not in this decision",
                f"File {row['nomination_id']} ({AWARD_NAMES_VI[AwardKind(row['award'])]}) rests"
                " on titles approved for the same year that this decision does not confer; add"
                " their files to the decision or decide them first: "
                + "; ".join(cr.message_vi for cr in failing),
            )
    await files.insert_decision(
        tx.conn,
        {
            "decision_id": decision_id,
            "deciding_unit_code": deciding_unit,
            "number": body["number"],
            "decided_on": body["decided_on"],
            "signer": body["signer"],
            "nomination_ids": ids,
            "recorded_by": principal.subject,
        },
    )
    for (award, occasion, year), group in sorted(groups.items()):
        await emit(
            tx,
            ctx,
            c.AwardConferred(
                decision_number=body["number"],
                decision_date=body["decided_on"],
                deciding_unit_code=deciding_unit,
                award=c.AwardKind(award),
                occasion=c.AwardOccasion(occasion),
                achievement_year=year,
                recipients=[contract_nominee(r) for r in group],
                nomination_ids=[r["nomination_id"] for r in group],
            ),
            body["number"],
        )
    return 201, await decision_view(tx, decision_id)


async def decision_view(tx: Tx, decision_id: str) -> dict[str, Any]:
    d = await files.get_decision_by_id(tx.conn, decision_id)
    if d is None:
        raise not_found("Decision", decision_id)
    rows = await files.nominations_by_ids(tx.conn, d["nomination_ids"])
    return {
        "decision_id": d["decision_id"],
        "number": d["number"],
        "decided_on": d["decided_on"].isoformat(),
        "signer": d["signer"],
        "deciding_unit_code": d["deciding_unit_code"],
        "recorded_by": d["recorded_by"],
        "recorded_at": d["recorded_at"].isoformat(),
        "awards": [
            {
                "nomination_id": r["nomination_id"],
                "award": r["award"],
                "award_name_vi": AWARD_NAMES_VI[AwardKind(r["award"])],
                "nominee_kind": r["nominee_kind"],
                "nominee_ref": r["nominee_ref"],
                "nominee_name": r["nominee_name"],
                "unit_code": r["unit_code"],
                "achievement_year": r["achievement_year"],
            }
            for r in rows
        ],
    }
