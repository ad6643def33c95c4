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
from egov_runtime.consumer import Tx
from egov_runtime.refusals import Conflict, Forbidden, invalid, not_found

from egov_nominations.adapters import files
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
    check_scope,
    check_scope_in,
    emit,
    in_scope,
)
from egov_nominations.usecases.views import nomination_view


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


async def load_file(tx: Tx, principal: Principal, nomination_id: str, *, lock: bool = True) -> Any:
    row = await files.get_nomination(tx.conn, nomination_id, lock=lock)
    if row is None:
        raise not_found("Nomination", nomination_id)
    if not (
        await in_scope(tx, principal, row["unit_code"])
        or await in_scope(tx, principal, row["deciding_unit_code"])
    ):
        raise not_found("Nomination", nomination_id)  # as if missing: existence does not leak
    return row


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


def contract_nominee(row: Any) -> c.Nominee:
    return c.Nominee(
        kind=c.NomineeKind(row["nominee_kind"]), ref=row["nominee_ref"], unit_code=row["unit_code"]
    )


def event_base(row: Any, at: datetime) -> dict[str, Any]:
    return {
        "nomination_id": row["nomination_id"],
        "nominee": contract_nominee(row),
        "award": c.AwardKind(row["award"]),
        "achievement_year": row["achievement_year"],
        "occurred_at": at,
    }


def step(action: Any) -> Any:
    try:
        return action()
    except InvalidTransition as exc:
        raise Conflict(
            "Not possible in this status",
            str(exc),
            errors=[{"field": "status", "message": exc.status.value}],
        ) from exc


async def advance(tx: Tx, ctx: Context, row: Any, file: Any, event: Any) -> dict[str, Any]:
    """Store the file's next version and announce the step (same version as the sequence)."""
    nomination_id = row["nomination_id"]
    version = row["version"] + 1
    await files.save_file(tx.conn, nomination_id, file, version)
    await emit(tx, ctx, event, nomination_id, version)
    return await nomination_view(tx, ctx, nomination_id)


async def deciding_officer(tx: Tx, principal: Principal, row: Any) -> None:
    await check_scope(tx, principal, row["deciding_unit_code"])


def is_decider(ctx: Context, principal: Principal) -> None:
    if not principal.has_any(ctx.decider_roles):
        raise Forbidden(
            "Forbidden",
            f"Only the deciding head ({', '.join(ctx.decider_roles)}) may do this.",
        )


async def view(tx: Tx, ctx: Context, principal: Principal, nomination_id: str) -> dict[str, Any]:
    await load_file(tx, principal, nomination_id, lock=False)
    return await nomination_view(tx, ctx, nomination_id)
