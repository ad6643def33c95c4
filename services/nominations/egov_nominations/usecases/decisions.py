"""The deciding head approves, rejects or forwards a file, and records the decision that
confers the awards (``award.conferred.v1``)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from egov_contracts import nominations as c
from egov_runtime.auth import Principal
from egov_runtime.consumer import Tx
from egov_runtime.refusals import Conflict, conflict, invalid, not_found

from egov_nominations.adapters import files
from egov_nominations.domain.councils import Nomination
from egov_nominations.domain.decisions import ConferredAward, RecordedDecision
from egov_nominations.domain.engine import AWARD_NAMES_VI, Outcome
from egov_nominations.domain.register import AwardKind
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
    check_scope_in,
    level_named,
)
from egov_nominations.usecases.steps import (
    advance_in,
    base_of,
    deciding_officer_in,
    is_decider,
    load,
    nominee,
    rule_in_force,
    step,
)


async def approve(
    w: Work, ctx: Context, principal: Principal, nomination_id: str, reason: str | None
) -> Nomination:
    """The deciding head approves an eligible file (``nomination.approved.v1``)."""
    is_decider(ctx, principal)
    n = await load(w, ctx, principal, nomination_id)
    await deciding_officer_in(w, ctx, principal, n)
    a, _ = await assess_file(w, ctx, n)
    if a.eligible is not True:
        failing = [cr for cr in a.criteria if cr.outcome != Outcome.PASSED]
        raise Conflict(
            "Not eligible",
            f"The file is not eligible ({a.eligible}); it cannot be approved.",
            errors=[{"field": cr.id, "message": cr.message_en} for cr in failing],
        )
    at = ctx.now()
    file = step(lambda: n.file.approve(principal.subject, at, reason))
    level = await _level_of(w, n.deciding_unit_code)
    event = c.NominationApproved(**base_of(n, at), deciding_level=level.published())
    return await advance_in(w, n, file, event)


async def _level_of(w: Work, unit_code: str) -> DecidingLevel:
    unit = (await w.units.hierarchy()).get(unit_code)
    return level_named(unit.level if unit else None)


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


@dataclass(frozen=True)
class Decide:
    """A decision of a deciding unit conferring the awards of approved (or forwarded) files."""

    number: str
    decided_on: date
    signer: str
    deciding_unit_code: str
    nomination_ids: tuple[str, ...]


async def decide(
    w: Work, ctx: Context, principal: Principal, command: Decide
) -> tuple[bool, RecordedDecision]:
    """Record a decision conferring awards on approved (or forwarded) files; one
    `award.conferred.v1` per award of the decision, once: the same decision again answers
    with what was recorded (False: not new) and publishes nothing."""
    is_decider(ctx, principal)
    deciding_unit = command.deciding_unit_code
    units = await w.units.hierarchy()
    if units.get(deciding_unit) is None:
        raise invalid(
            f"Unknown unit {deciding_unit}.", [{"field": "unit_code", "message": "unknown unit"}]
        )
    # a head decides in the name of its own unit (or one below it), never of another
    await check_scope_in(w, ctx, principal, deciding_unit)
    ids = tuple(dict.fromkeys(command.nomination_ids))
    await w.decisions.lock(deciding_unit, command.number)
    existing = await w.decisions.get(deciding_unit, command.number)
    if existing is not None:
        same = (
            sorted(existing.nomination_ids) == sorted(ids)
            and existing.decided_on == command.decided_on
            and existing.signer == command.signer
        )
        if not same:
            raise conflict(
                "Decision number used",
                f"Decision {command.number} of {deciding_unit} is already recorded with other"
                " content.",
            )
        return False, existing
    kept = []
    for nid in ids:
        n = await load(w, ctx, principal, nid)
        await deciding_officer_in(w, ctx, principal, n)
        kept.append(n)
    at = ctx.now()
    decision = Decision(
        number=command.number,
        decided_on=command.decided_on,
        signer=command.signer,
        deciding_unit=deciding_unit,
    )
    deciding_level = await _level_of(w, deciding_unit)
    groups: dict[tuple[str, str, int], list[Nomination]] = defaultdict(list)
    for n in kept:
        year = n.file.achievement_year
        if n.status == Status.APPROVED:
            rule = rule_in_force(ctx, n.award, n.nominee_kind, year)
            own = await _level_of(w, n.deciding_unit_code)
            if own not in rule.deciding_levels:
                raise conflict(
                    "Must be forwarded",
                    f"{AWARD_NAMES_VI[n.award]} is granted at"
                    f" {', '.join(lv.value for lv in rule.deciding_levels)} level; forward file"
                    f" {n.nomination_id} there first.",
                )
        # a forwarded file was granted at the level it went to (the province, a ministry)
        granted_at = n.file.forwarded_to if n.status == Status.FORWARDED else None
        file = step(lambda n=n: n.file.decide(principal.subject, at, decision))
        await w.nominations.save(replace(n, file=file, version=n.version + 1))
        await w.records.confer(
            ConferredAward(
                n.nominee_kind,
                n.file.nominee_ref,
                n.unit_code,
                n.award,
                year,
                command.number,
                granted_at or deciding_level.value,
                command.decided_on,
                n.nomination_id,
            )
        )
        groups[(n.award.value, n.occasion, year)].append(n)
    # titles approved for the same decision (LĐTT under a CSTĐ, members' LĐTT under a
    # collective title) must be in it: once this decision's awards are recorded, every
    # approved file must stand on conferred awards alone
    for n in kept:
        if n.status != Status.APPROVED:
            continue
        a, _ = await assess_file(w, ctx, n, awaiting=False)
        if a.eligible is not True:
            failing = [cr for cr in a.criteria if cr.outcome != Outcome.PASSED]
            raise conflict(
                "Prerequisite not in this decision",
                f"File {n.nomination_id} ({AWARD_NAMES_VI[n.award]}) rests"
                " on titles approved for the same year that this decision does not confer; add"
                " their files to the decision or decide them first: "
                + "; ".join(cr.message_vi for cr in failing),
            )
    recorded = RecordedDecision(
        f"QD-{uuid.uuid4().hex[:12]}",
        deciding_unit,
        command.number,
        command.decided_on,
        command.signer,
        ids,
        principal.subject,
    )
    await w.decisions.add(recorded)
    for (award, occasion, year), group in sorted(groups.items()):
        await w.tx.publish(
            c.AwardConferred(
                decision_number=command.number,
                decision_date=command.decided_on,
                deciding_unit_code=deciding_unit,
                award=c.AwardKind(award),
                occasion=c.AwardOccasion(occasion),
                achievement_year=year,
                recipients=[nominee(n) for n in group],
                nomination_ids=[n.nomination_id for n in group],
            ),
            subject=command.number,
        )
    return True, recorded


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
