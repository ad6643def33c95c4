"""What every step on a nomination file shares: the file loaded in the caller's scope, the
workflow step (409 when impossible), the next version stored and announced, the rule in
force, the deciding roles, and the contract's view of the nominee."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from egov_contracts import nominations as c
from egov_runtime import scope
from egov_runtime.auth import Principal
from egov_runtime.refusals import Conflict, Forbidden, invalid, not_found

from egov_nominations.domain.councils import Nomination
from egov_nominations.domain.engine import AWARD_NAMES_VI
from egov_nominations.domain.register import AwardKind, NomineeKind
from egov_nominations.domain.rules import (
    AwardRule,
    NoRuleSetInForce,
    UnknownAward,
)
from egov_nominations.domain.workflow import (
    InvalidTransition,
    NominationFile,
)
from egov_nominations.usecases.common import (
    Context,
    Work,
    check_scope_in,
)


async def nominee_of(w: Work, kind: NomineeKind, ref: str) -> tuple[str, str]:
    """(name, unit code) of a nominee: a person of the register or a unit; 422 when unknown."""
    if kind == NomineeKind.INDIVIDUAL:
        person = await w.people.get(ref)
        if person is None:
            raise invalid(
                f"Unknown person {ref}: add them to the register first.",
                [{"field": "nominee.ref", "message": f"unknown person {ref}"}],
            )
        return person.name, person.unit_id
    unit = (await w.units.hierarchy()).get(ref)
    if unit is None:
        raise invalid(
            f"Unknown unit {ref}.", [{"field": "nominee.ref", "message": f"unknown unit {ref}"}]
        )
    return unit.name, ref


_KIND_VI = {NomineeKind.INDIVIDUAL: "cá nhân", NomineeKind.COLLECTIVE: "tập thể"}


def rule_in_force(ctx: Context, award: AwardKind, kind: NomineeKind, year: int) -> AwardRule:
    try:
        ruleset = ctx.rule_book.ruleset_for(year)
        return ruleset.rule_for(award, kind)
    except NoRuleSetInForce as exc:
        raise invalid(str(exc), [{"field": "award", "message": str(exc)}]) from exc
    except UnknownAward as exc:
        other = [
            _KIND_VI[r.nominee] for r in ruleset.rules if r.award == award and r.nominee != kind
        ]
        vi = f"«{AWARD_NAMES_VI[award]}» ({award.value}) không xét tặng cho {_KIND_VI[kind]}"
        vi += f", chỉ cho {other[0]}" if other else f" theo bộ tiêu chuẩn {ruleset.id}"
        raise invalid(
            f"{vi}: {exc}", [{"field": "nominee.kind", "message": f"{vi}: {exc}"}]
        ) from exc


async def load(
    w: Work, ctx: Context, principal: Principal, nomination_id: str, *, lock: bool = True
) -> Nomination:
    """The file, for a caller whose subtree holds the nominee's unit or the deciding unit;
    404 otherwise, as if missing (its existence does not leak)."""
    n = await w.nominations.get(nomination_id, lock=lock)
    if n is None:
        raise not_found("Nomination", nomination_id)
    units = await w.units.hierarchy()
    today = ctx.now().date()
    if not any(
        scope.within(principal, code, units.ancestry(code, today))
        for code in (n.unit_code, n.deciding_unit_code)
    ):
        raise not_found("Nomination", nomination_id)
    return n


async def deciding_officer_in(w: Work, ctx: Context, principal: Principal, n: Nomination) -> None:
    """403 unless the caller acts for the file's deciding unit (or above it)."""
    await check_scope_in(w, ctx, principal, n.deciding_unit_code)


def nominee(n: Nomination) -> c.Nominee:
    """The contract's view of a kept file's nominee."""
    return c.Nominee(
        kind=c.NomineeKind(n.nominee_kind.value), ref=n.file.nominee_ref, unit_code=n.unit_code
    )


def base_of(n: Nomination, at: datetime) -> dict[str, Any]:
    """What every event on a kept file says: the file, nominee, award, year and when."""
    return {
        "nomination_id": n.nomination_id,
        "nominee": nominee(n),
        "award": c.AwardKind(n.award.value),
        "achievement_year": n.file.achievement_year,
        "occurred_at": at,
    }


async def advance_in(w: Work, n: Nomination, file: NominationFile, event: Any) -> Nomination:
    """Keep the file's next version and announce the step (the version as the sequence)."""
    moved = replace(n, file=file, version=n.version + 1)
    await w.nominations.save(moved)
    await w.tx.publish(event, subject=n.nomination_id, sequence=moved.version)
    return moved


def step(action: Any) -> Any:
    try:
        return action()
    except InvalidTransition as exc:
        raise Conflict(
            "Not possible in this status",
            str(exc),
            errors=[{"field": "status", "message": exc.status.value}],
        ) from exc


def is_decider(ctx: Context, principal: Principal) -> None:
    if not principal.has_any(ctx.decider_roles):
        raise Forbidden(
            "Forbidden",
            f"Only the deciding head ({', '.join(ctx.decider_roles)}) may do this.",
        )


async def view(w: Work, ctx: Context, principal: Principal, nomination_id: str) -> Nomination:
    """A file the caller may see (the route renders it)."""
    return await load(w, ctx, principal, nomination_id, lock=False)
