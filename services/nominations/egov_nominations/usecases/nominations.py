"""Movements, registrations and nomination files from proposal to decision.

Every status change goes through the pure workflow (`NominationFile`); an impossible step is
a 409 problem and the transaction stores nothing. Each step emits its event through the
outbox in the same transaction, with the file's version as the CloudEvents sequence.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from egov_contracts import nominations as c
from egov_runtime.auth import Principal
from egov_runtime.consumer import Tx
from egov_runtime.refusals import Conflict, Forbidden, conflict, invalid, not_found
from egov_runtime.units import ancestry, get_unit

from egov_nominations.adapters import files
from egov_nominations.adapters import register as store
from egov_nominations.domain.completeness import missing_documents
from egov_nominations.domain.engine import AWARD_NAMES_VI, Assessment, Outcome, assess
from egov_nominations.domain.register import AwardKind, AwardRecord, NomineeKind
from egov_nominations.domain.rules import (
    AwardRule,
    DecidingLevel,
    NoRuleSetInForce,
    UnknownAward,
)
from egov_nominations.domain.voting import InvalidTally, VoteResult, tally_result
from egov_nominations.domain.workflow import (
    Decision,
    InvalidTransition,
    NominationFile,
    Status,
    allowed_actions,
)
from egov_nominations.usecases.common import (
    Context,
    check_scope,
    emit,
    in_scope,
    known_unit,
    level_of,
)

DEFAULT_BALLOT_PCT = Decimal(50)


def _contract_level(level: DecidingLevel) -> c.DecidingLevel:
    # the contract knows no district level (abolished in 2025); a pre-reform district decided
    # as the department-level authority of its area
    if level == DecidingLevel.DISTRICT:
        return c.DecidingLevel.DEPARTMENT
    return c.DecidingLevel(level.value)


# -- movements and registrations ---------------------------------------------------------------


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


async def nominee_of(tx: Tx, kind: NomineeKind, ref: str) -> tuple[str, str]:
    """(name, unit code) of a nominee; 422 when unknown."""
    if kind == NomineeKind.INDIVIDUAL:
        person = await store.get_person(tx.conn, ref)
        if person is None:
            raise invalid(
                f"Unknown person {ref}: add them to the register first.",
                [{"field": "nominee.ref", "message": f"unknown person {ref}"}],
            )
        return person["name"], person["unit_code"]
    unit = await get_unit(tx.conn, ref)
    if unit is None:
        raise invalid(
            f"Unknown unit {ref}.", [{"field": "nominee.ref", "message": f"unknown unit {ref}"}]
        )
    return unit["name"], ref


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
    _rule(ctx, AwardKind(body["award"]), kind, body["year"])
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


# -- the rule in force ------------------------------------------------------------------------


_KIND_VI = {NomineeKind.INDIVIDUAL: "cá nhân", NomineeKind.COLLECTIVE: "tập thể"}


def _rule(ctx: Context, award: AwardKind, kind: NomineeKind, year: int) -> AwardRule:
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


# -- nominations -----------------------------------------------------------------------------


async def propose(
    tx: Tx, ctx: Context, principal: Principal, body: dict[str, Any]
) -> dict[str, Any]:
    """A unit's officer proposes a nominee from the year-end review (a draft file; submitted
    at once when `submit` is true)."""
    kind = NomineeKind(body["nominee"]["kind"])
    ref = body["nominee"]["ref"]
    award = AwardKind(body["award"])
    year = int(body["achievement_year"])
    name, unit_code = await nominee_of(tx, kind, ref)
    await check_scope(tx, principal, unit_code)
    _rule(ctx, award, kind, year)
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


async def _load(tx: Tx, principal: Principal, nomination_id: str, *, lock: bool = True) -> Any:
    row = await files.get_nomination(tx.conn, nomination_id, lock=lock)
    if row is None:
        raise not_found("Nomination", nomination_id)
    if not (
        await in_scope(tx, principal, row["unit_code"])
        or await in_scope(tx, principal, row["deciding_unit_code"])
    ):
        raise not_found("Nomination", nomination_id)  # as if missing: existence does not leak
    return row


def _nominee(row: Any) -> c.Nominee:
    return c.Nominee(
        kind=c.NomineeKind(row["nominee_kind"]), ref=row["nominee_ref"], unit_code=row["unit_code"]
    )


def _base(row: Any, at: datetime) -> dict[str, Any]:
    return {
        "nomination_id": row["nomination_id"],
        "nominee": _nominee(row),
        "award": c.AwardKind(row["award"]),
        "achievement_year": row["achievement_year"],
        "occurred_at": at,
    }


def _step(action: Any) -> Any:
    try:
        return action()
    except InvalidTransition as exc:
        raise Conflict(
            "Not possible in this status",
            str(exc),
            errors=[{"field": "status", "message": exc.status.value}],
        ) from exc


async def submit(
    tx: Tx, ctx: Context, principal: Principal, nomination_id: str, documents: list[str] | None
) -> dict[str, Any]:
    row = await _load(tx, principal, nomination_id)
    await check_scope(tx, principal, row["unit_code"])
    at = ctx.now()
    add_working_days = await ctx.working_days(tx)
    file = _step(lambda: files.file_of(row).submit(principal.subject, at, add_working_days))
    version = row["version"] + 1
    await files.save_file(tx.conn, nomination_id, file, version, documents=documents)
    deciding = await get_unit(tx.conn, row["deciding_unit_code"]) or {}
    await emit(
        tx,
        ctx,
        c.NominationSubmitted(
            **_base(row, at),
            occasion=c.AwardOccasion(row["occasion"]),
            deciding_level=_contract_level(level_of(deciding)),
            movement_id=row["movement_id"],
        ),
        nomination_id,
        version,
    )
    return await nomination_view(tx, ctx, nomination_id)


async def _advance(tx: Tx, ctx: Context, row: Any, file: Any, event: Any) -> dict[str, Any]:
    """Store the file's next version and announce the step (same version as the sequence)."""
    nomination_id = row["nomination_id"]
    version = row["version"] + 1
    await files.save_file(tx.conn, nomination_id, file, version)
    await emit(tx, ctx, event, nomination_id, version)
    return await nomination_view(tx, ctx, nomination_id)


async def _deciding_officer(tx: Tx, principal: Principal, row: Any) -> None:
    await check_scope(tx, principal, row["deciding_unit_code"])


async def return_for_completion(
    tx: Tx, ctx: Context, principal: Principal, nomination_id: str, reasons: list[str]
) -> dict[str, Any]:
    row = await _load(tx, principal, nomination_id)
    await _deciding_officer(tx, principal, row)
    at = ctx.now()
    file = _step(lambda: files.file_of(row).return_for_completion(principal.subject, at, reasons))
    return await _advance(
        tx,
        ctx,
        row,
        file,
        c.NominationReturned(**_base(row, at), reason="; ".join(file.return_reasons)[:2000]),
    )


async def check_completeness(
    tx: Tx, ctx: Context, principal: Principal, nomination_id: str
) -> dict[str, Any]:
    """The deciding level checks the file: returned with the missing documents, or accepted
    for review (and assessed against the rule set in force)."""
    row = await _load(tx, principal, nomination_id)
    missing = missing_documents(
        AwardKind(row["award"]), NomineeKind(row["nominee_kind"]), row["documents"]
    )
    if missing:
        return await return_for_completion(tx, ctx, principal, nomination_id, missing)
    return await accept(tx, ctx, principal, nomination_id)


async def accept(tx: Tx, ctx: Context, principal: Principal, nomination_id: str) -> dict[str, Any]:
    row = await _load(tx, principal, nomination_id)
    await _deciding_officer(tx, principal, row)
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
    file = _step(
        lambda: files.file_of(row).accept_complete(principal.subject, at, add_working_days)
    )
    version = row["version"] + 1
    await files.save_file(tx.conn, nomination_id, file, version)
    assessment, _ = await assess_file(tx, ctx, row)
    await emit(tx, ctx, assessed_event(row, assessment, at), nomination_id, version)
    return await nomination_view(tx, ctx, nomination_id)


def assessed_event(row: Any, a: Assessment, at: datetime) -> c.NominationAssessed:
    criteria = []
    for cr in a.criteria:
        facts = "; ".join(
            f"{f.key}{f'[{f.year}]' if f.year else ''}={f.value}"
            + (f" (QĐ {f.decision_number})" if f.decision_number else "")
            for f in cr.evidence
        )
        criteria.append(
            c.CriterionResult(
                rule_id=cr.id,
                article=cr.citation_text[:200],
                passed=None
                if cr.outcome in (Outcome.ON_HOLD, Outcome.AWAITING_VOTE)
                else cr.passed,
                evidence=(cr.message_vi + (f" — {facts}" if facts else ""))[:2000],
            )
        )
    return c.NominationAssessed(
        **_base(row, at),
        rule_set=a.rule_set_id,
        eligible=a.eligible is True,
        on_hold=a.on_hold,
        criteria=criteria,
    )


async def _vote_of(tx: Tx, nomination_id: str) -> VoteResult | None:
    t = await files.latest_tally(tx.conn, nomination_id)
    if t is None:
        return None
    return tally_result(t["members_total"], t["present"], t["votes_for"], t["threshold_pct"])


def _with_awaiting(record: Any, rows: list[Any], own: str) -> Any:
    """The record with the titles approved for the same decision (not the file's own)."""
    extra = tuple(
        AwardRecord(award=AwardKind(r["award"]), year=r["achievement_year"], awaiting_decision=nid)
        for r in rows
        if r["nominee_ref"] == record.ref and (nid := r["nomination_id"]) != own
    )
    return record.model_copy(update={"awards": record.awards + extra}) if extra else record


async def assess_file(
    tx: Tx, ctx: Context, row: Any, *, awaiting: bool = True
) -> tuple[Assessment, dict[str, Any]]:
    """The engine's answer for a file, with the unit evidence details for collectives.

    With `awaiting`, titles of the same nominee (or of a collective's members) approved for
    the same year by the same deciding unit count as held: one year-end decision confers
    LĐTT and CSTĐ cơ sở together, and the decision checks they really are in it."""
    kind = NomineeKind(row["nominee_kind"])
    year = row["achievement_year"]
    ruleset = ctx.rule_book.ruleset_for(year)
    details: dict[str, Any] = {}
    record: Any
    own, deciding_unit = row["nomination_id"], row["deciding_unit_code"]
    if kind == NomineeKind.INDIVIDUAL:
        found = await store.individual_records(tx.conn, [row["nominee_ref"]])
        record = found[row["nominee_ref"]]
        if awaiting:
            rows = await files.approved_awaiting_decision(
                tx.conn, kind.value, [record.ref], year, deciding_unit
            )
            record = _with_awaiting(record, rows, own)
    else:
        record, details = await store.unit_record(
            tx.conn, row["nominee_ref"], row["nominee_name"], year
        )
        if awaiting:
            refs = [m.ref for m in record.members]
            rows = await files.approved_awaiting_decision(
                tx.conn, NomineeKind.INDIVIDUAL.value, refs, year, deciding_unit
            )
            ours = await files.approved_awaiting_decision(
                tx.conn, kind.value, [record.ref], year, deciding_unit
            )
            members = tuple(_with_awaiting(m, rows, own) for m in record.members)
            record = _with_awaiting(record, ours, own).model_copy(update={"members": members})
    vote = await _vote_of(tx, row["nomination_id"])
    return assess(record, AwardKind(row["award"]), year, ruleset, vote), details


async def eligibility(
    tx: Tx, ctx: Context, principal: Principal, nomination_id: str
) -> dict[str, Any]:
    row = await _load(tx, principal, nomination_id, lock=False)
    a, details = await assess_file(tx, ctx, row)
    out = a.model_dump(mode="json")
    out["nomination_id"] = nomination_id
    out["award_name_vi"] = AWARD_NAMES_VI[a.award]
    out["rule_set_title"] = ctx.rule_book.ruleset_for(a.year).title
    if details:
        out["unit_evidence"] = details
    return out


# -- council sessions and tallies --------------------------------------------------------------


async def create_council(tx: Tx, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    unit = await known_unit(tx, body["unit_code"])
    await check_scope(tx, principal, body["unit_code"])
    ids = [m["member_id"] for m in body["members"]]
    if len(ids) != len(set(ids)):
        raise invalid("A member is listed twice.", [{"field": "members", "message": "duplicate"}])
    council_id = body.get("council_id") or f"HD-{body['unit_code']}-{uuid.uuid4().hex[:6]}"
    await files.upsert_council(
        tx.conn,
        {
            "council_id": council_id,
            "unit_code": body["unit_code"],
            "name": body["name"],
            "level": level_of(unit).value,
            "members": body["members"],
            "created_by": principal.subject,
        },
    )
    return council_json(await files.get_council(tx.conn, council_id))


def council_json(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["created_at"] = out["created_at"].isoformat()
    out["members_total"] = len(out["members"])
    return out


async def record_session(
    tx: Tx, principal: Principal, council_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A council meeting with its attendance; below a 2/3 quorum it is recorded, but it can
    take no valid vote."""
    council = await files.get_council(tx.conn, council_id)
    if council is None:
        raise not_found("Council", council_id)
    await check_scope(tx, principal, council["unit_code"], hidden=not_found("Council", council_id))
    members = {m["member_id"] for m in council["members"]}
    present = list(dict.fromkeys(body["present"]))
    strangers = [p for p in present if p not in members]
    if strangers:
        raise invalid(
            f"Not members of the council: {', '.join(strangers)}.",
            [{"field": "present", "message": f"{p} is not a member"} for p in strangers],
        )
    total = len(members)
    quorum = tally_result(total, len(present), 0, 0).quorum_met
    session_id = body.get("session_id") or f"PH-{uuid.uuid4().hex[:10]}"
    if await files.get_session(tx.conn, session_id) is not None:
        raise conflict("Session exists", f"Session {session_id} is already recorded.")
    await files.insert_session(
        tx.conn,
        {
            "session_id": session_id,
            "council_id": council_id,
            "held_on": body["held_on"],
            "members_total": total,
            "present": present,
            "quorum_met": quorum,
            "recorded_by": principal.subject,
        },
    )
    return await session_view(tx, session_id)


async def session_view(tx: Tx, session_id: str) -> dict[str, Any]:
    s = await files.get_session(tx.conn, session_id)
    if s is None:
        raise not_found("Session", session_id)
    tallies = await files.session_tallies(tx.conn, session_id)
    return {
        "session_id": s["session_id"],
        "council_id": s["council_id"],
        "council_name": s["council_name"],
        "unit_code": s["unit_code"],
        "held_on": s["held_on"].isoformat(),
        "members_total": s["members_total"],
        "present": len(s["present"]),
        "present_members": list(s["present"]),
        "quorum_met": s["quorum_met"],
        "quorum_message": tally_result(s["members_total"], len(s["present"]), 0, 0).message_vi
        if not s["quorum_met"]
        else f"Đủ túc số: {len(s['present'])}/{s['members_total']} thành viên có mặt",
        "tallies": [tally_json(t) for t in tallies],
    }


def tally_json(t: Any) -> dict[str, Any]:
    return {
        "nomination_id": t["nomination_id"],
        "members_total": t["members_total"],
        "present": t["present"],
        "votes_for": t["votes_for"],
        "share_of_all_members_pct": format(t["share_pct"], "f"),
        "threshold_pct": format(t["threshold_pct"], "f"),
        "quorum_met": t["quorum_met"],
        "passed": t["passed"],
        "recorded_at": t["recorded_at"].isoformat(),
    }


async def record_tally(
    tx: Tx,
    ctx: Context,
    principal: Principal,
    session_id: str,
    nomination_id: str,
    votes_for: int,
) -> dict[str, Any]:
    """A secret-ballot tally for one nominee: counts only. No valid vote below quorum."""
    s = await files.get_session(tx.conn, session_id)
    if s is None:
        raise not_found("Session", session_id)
    if principal.subject not in {m["member_id"] for m in s["members"]}:
        raise Forbidden(
            "Not a member of this council",
            f"Only members of council {s['council_id']} record its tallies.",
        )
    row = await files.get_nomination(tx.conn, nomination_id, lock=True)
    if row is None:
        raise not_found("Nomination", nomination_id)
    if row["deciding_unit_code"] != s["unit_code"]:
        raise conflict(
            "Not this council's file",
            f"Nomination {nomination_id} is decided by {row['deciding_unit_code']},"
            f" not by the council of {s['unit_code']}.",
        )
    if row["status"] != Status.UNDER_REVIEW.value:
        raise conflict(
            "Not under review",
            f"Nomination {nomination_id} is {row['status']}; the council votes on files under"
            " review.",
        )
    if await files.get_tally(tx.conn, session_id, nomination_id) is not None:
        raise conflict("Tally exists", "This session already recorded a tally for the file.")
    rule = _rule(
        ctx, AwardKind(row["award"]), NomineeKind(row["nominee_kind"]), row["achievement_year"]
    )
    threshold = rule.ballot_threshold_pct or DEFAULT_BALLOT_PCT
    present = len(s["present"])
    try:
        result = tally_result(s["members_total"], present, votes_for, threshold)
    except InvalidTally as exc:
        raise invalid(str(exc), [{"field": "votes_for", "message": str(exc)}]) from exc
    if not result.quorum_met:
        raise conflict("No quorum", result.message_en, quorum=result.message_vi)
    share = (Decimal(votes_for) * 100 / Decimal(s["members_total"])).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )
    await files.insert_tally(
        tx.conn,
        {
            "session_id": session_id,
            "nomination_id": nomination_id,
            "members_total": s["members_total"],
            "present": present,
            "votes_for": votes_for,
            "threshold_pct": threshold,
            "share_pct": share,
            "quorum_met": result.quorum_met,
            "passed": result.passed,
            "recorded_by": principal.subject,
        },
    )
    version = row["version"] + 1
    await files.save_file(
        tx.conn, nomination_id, files.file_of(row), version, session_id=session_id
    )
    await emit(
        tx,
        ctx,
        c.NominationVoted(
            **_base(row, ctx.now()),
            members_total=s["members_total"],
            members_present=present,
            votes_for=votes_for,
            quorum_met=result.quorum_met,
            approval_pct=share,
            threshold_pct=threshold,
            passed=result.passed,
        ),
        nomination_id,
        version,
    )
    return {
        **tally_json(await files.get_tally(tx.conn, session_id, nomination_id)),
        "message_vi": result.message_vi,
        "message_en": result.message_en,
    }


# -- approval, rejection, forwarding ---------------------------------------------------------


def _is_decider(ctx: Context, principal: Principal) -> None:
    if not principal.has_any(ctx.decider_roles):
        raise Forbidden(
            "Forbidden",
            f"Only the deciding head ({', '.join(ctx.decider_roles)}) may do this.",
        )


async def approve(
    tx: Tx, ctx: Context, principal: Principal, nomination_id: str, reason: str | None
) -> dict[str, Any]:
    _is_decider(ctx, principal)
    row = await _load(tx, principal, nomination_id)
    await _deciding_officer(tx, principal, row)
    a, _ = await assess_file(tx, ctx, row)
    if a.eligible is not True:
        failing = [cr for cr in a.criteria if cr.outcome != Outcome.PASSED]
        raise Conflict(
            "Not eligible",
            f"The file is not eligible ({a.eligible}); it cannot be approved.",
            errors=[{"field": cr.id, "message": cr.message_en} for cr in failing],
        )
    at = ctx.now()
    file = _step(lambda: files.file_of(row).approve(principal.subject, at, reason))
    deciding = await get_unit(tx.conn, row["deciding_unit_code"]) or {}
    return await _advance(
        tx,
        ctx,
        row,
        file,
        c.NominationApproved(**_base(row, at), deciding_level=_contract_level(level_of(deciding))),
    )


async def reject(
    tx: Tx, ctx: Context, principal: Principal, nomination_id: str, reason: str
) -> dict[str, Any]:
    _is_decider(ctx, principal)
    row = await _load(tx, principal, nomination_id)
    await _deciding_officer(tx, principal, row)
    at = ctx.now()
    file = _step(lambda: files.file_of(row).reject(principal.subject, at, reason))
    return await _advance(
        tx,
        ctx,
        row,
        file,
        c.NominationRejected(**_base(row, at), reason=reason[:2000]),
    )


async def forward(
    tx: Tx,
    ctx: Context,
    principal: Principal,
    nomination_id: str,
    to_level: DecidingLevel,
    to_unit_code: str | None,
    reason: str | None,
) -> dict[str, Any]:
    _is_decider(ctx, principal)
    row = await _load(tx, principal, nomination_id)
    await _deciding_officer(tx, principal, row)
    at = ctx.now()
    file = _step(lambda: files.file_of(row).forward(principal.subject, at, to_level.value, reason))
    return await _advance(
        tx,
        ctx,
        row,
        file,
        c.NominationForwarded(
            **_base(row, at), to_level=_contract_level(to_level), to_unit_code=to_unit_code
        ),
    )


# -- decisions -------------------------------------------------------------------------------


async def decide(
    tx: Tx, ctx: Context, principal: Principal, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """Record a decision conferring awards on approved (or forwarded) files; one
    `award.conferred.v1` per award of the decision, once: the same decision again answers
    with what was recorded and publishes nothing."""
    _is_decider(ctx, principal)
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
        row = await _load(tx, principal, nid)
        await _deciding_officer(tx, principal, row)
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
            rule = _rule(
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
        file = _step(lambda before=before: before.decide(principal.subject, at, decision))
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
                recipients=[_nominee(r) for r in group],
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


# -- views -----------------------------------------------------------------------------------


def _deadline(d: date | None) -> str | None:
    return d.isoformat() if d else None


async def nomination_view(tx: Tx, ctx: Context, nomination_id: str) -> dict[str, Any]:
    row = await files.get_nomination(tx.conn, nomination_id)
    if row is None:
        raise not_found("Nomination", nomination_id)
    file = files.file_of(row)
    today = ctx.now().date()
    out: dict[str, Any] = {
        "nomination_id": nomination_id,
        "movement_id": row["movement_id"],
        "nominee": {
            "kind": row["nominee_kind"],
            "ref": row["nominee_ref"],
            "name": row["nominee_name"],
            "unit_code": row["unit_code"],
        },
        "award": row["award"],
        "award_name_vi": AWARD_NAMES_VI[AwardKind(row["award"])],
        "achievement_year": row["achievement_year"],
        "occasion": row["occasion"],
        "deciding_level": row["deciding_level"],
        "deciding_unit_code": row["deciding_unit_code"],
        "status": file.status.value,
        "status_vi": file.status.label_vi,
        "allowed_actions": [a.value for a in allowed_actions(file.status)],
        "documents": list(row["documents"]),
        "missing_documents": missing_documents(
            AwardKind(row["award"]), NomineeKind(row["nominee_kind"]), row["documents"]
        ),
        "summary": row["summary"],
        "deadlines": {
            "received_on": _deadline(file.received_on),
            "return_by": _deadline(file.return_by),
            "complete_on": _deadline(file.complete_on),
            "decide_by": _deadline(file.decide_by),
            "overdue": file.is_overdue(today),
        },
        "return_reasons": list(file.return_reasons),
        "forwarded_to": file.forwarded_to,
        "decision": file.decision.model_dump(mode="json") if file.decision else None,
        "session_id": row["session_id"],
        "history": [t.model_dump(mode="json") for t in file.history],
        "version": row["version"],
    }
    if row["nominee_kind"] == NomineeKind.COLLECTIVE.value:
        year = row["achievement_year"]
        _ev, detail = await store.unit_evidence(tx.conn, row["nominee_ref"], year)
        out["unit_evidence"] = {str(year): detail}
    return out


async def view(tx: Tx, ctx: Context, principal: Principal, nomination_id: str) -> dict[str, Any]:
    await _load(tx, principal, nomination_id, lock=False)
    return await nomination_view(tx, ctx, nomination_id)


def summary_row(row: Any) -> dict[str, Any]:
    return {
        "nomination_id": row["nomination_id"],
        "nominee": {
            "kind": row["nominee_kind"],
            "ref": row["nominee_ref"],
            "name": row["nominee_name"],
            "unit_code": row["unit_code"],
        },
        "award": row["award"],
        "achievement_year": row["achievement_year"],
        "occasion": row["occasion"],
        "status": row["status"],
        "status_vi": Status(row["status"]).label_vi,
        "deciding_unit_code": row["deciding_unit_code"],
        "movement_id": row["movement_id"],
        "session_id": row["session_id"],
    }
