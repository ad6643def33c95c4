"""Emulation councils, their sessions (attendance, quorum) and secret-ballot tallies: load,
decide, save and emit through the councils' repositories (:class:`~.common.Work`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from egov_contracts import nominations as c
from egov_runtime.auth import Principal
from egov_runtime.refusals import Forbidden, conflict, invalid, not_found

from egov_nominations.domain.councils import Council, Member, Session, Tally
from egov_nominations.domain.voting import InvalidTally, tally_result
from egov_nominations.domain.workflow import (
    Status,
)
from egov_nominations.usecases.common import (
    Context,
    Work,
    check_scope_in,
    level_named,
)
from egov_nominations.usecases.steps import rule_in_force

DEFAULT_BALLOT_PCT = Decimal(50)


@dataclass(frozen=True)
class CreateCouncil:
    """An officer sets up (or renames, or changes the members of) a deciding unit's council."""

    unit_code: str
    name: str
    members: tuple[Member, ...]
    council_id: str | None = None


@dataclass(frozen=True)
class RecordSession:
    """A council meeting with the members present."""

    council_id: str
    held_on: date
    present: tuple[str, ...]
    session_id: str | None = None


@dataclass(frozen=True)
class RecordTally:
    """A member records the secret-ballot count for one nominee at a session."""

    session_id: str
    nomination_id: str
    votes_for: int


async def create_council(
    w: Work, ctx: Context, principal: Principal, command: CreateCouncil
) -> dict[str, Any]:
    unit = (await w.units.hierarchy()).get(command.unit_code)
    if unit is None:
        raise invalid(
            f"Unknown unit {command.unit_code}.",
            [{"field": "unit_code", "message": "unknown unit"}],
        )
    await check_scope_in(w, ctx, principal, command.unit_code)
    ids = [m.member_id for m in command.members]
    if len(ids) != len(set(ids)):
        raise invalid("A member is listed twice.", [{"field": "members", "message": "duplicate"}])
    council_id = command.council_id or f"HD-{command.unit_code}-{uuid.uuid4().hex[:6]}"
    council = Council(
        council_id,
        command.unit_code,
        command.name,
        level_named(unit.level).value,
        command.members,
        principal.subject,
    )
    await w.councils.put(council)
    kept = await w.councils.get(council_id)
    assert kept is not None
    return council_json(kept)


def council_json(council: Council) -> dict[str, Any]:
    return {
        "council_id": council.council_id,
        "unit_code": council.unit_code,
        "name": council.name,
        "level": council.level,
        "members": [
            {"member_id": m.member_id, "name": m.name, "role": m.role} for m in council.members
        ],
        "created_by": council.created_by,
        "created_at": council.created_at.isoformat() if council.created_at else None,
        "members_total": len(council.members),
    }


async def record_session(
    w: Work, ctx: Context, principal: Principal, command: RecordSession
) -> dict[str, Any]:
    """A council meeting with its attendance; below a 2/3 quorum it is recorded, but it can
    take no valid vote."""
    council_id = command.council_id
    council = await w.councils.get(council_id)
    if council is None:
        raise not_found("Council", council_id)
    await check_scope_in(
        w, ctx, principal, council.unit_code, hidden=not_found("Council", council_id)
    )
    members = council.member_ids
    present = tuple(dict.fromkeys(command.present))
    strangers = [p for p in present if p not in members]
    if strangers:
        raise invalid(
            f"Not members of the council: {', '.join(strangers)}.",
            [{"field": "present", "message": f"{p} is not a member"} for p in strangers],
        )
    total = len(members)
    quorum = tally_result(total, len(present), 0, 0).quorum_met
    session_id = command.session_id or f"PH-{uuid.uuid4().hex[:10]}"
    if await w.councils.session(session_id) is not None:
        raise conflict("Session exists", f"Session {session_id} is already recorded.")
    await w.councils.add_session(
        Session(session_id, council_id, command.held_on, total, present, quorum, principal.subject)
    )
    return await session_view(w, session_id)


async def session_view(w: Work, session_id: str) -> dict[str, Any]:
    s = await w.councils.session(session_id)
    if s is None:
        raise not_found("Session", session_id)
    council = await w.councils.get(s.council_id)
    assert council is not None
    tallies = await w.councils.tallies(session_id)
    return {
        "session_id": s.session_id,
        "council_id": s.council_id,
        "council_name": council.name,
        "unit_code": council.unit_code,
        "held_on": s.held_on.isoformat(),
        "members_total": s.members_total,
        "present": len(s.present),
        "present_members": list(s.present),
        "quorum_met": s.quorum_met,
        "quorum_message": tally_result(s.members_total, len(s.present), 0, 0).message_vi
        if not s.quorum_met
        else f"Đủ túc số: {len(s.present)}/{s.members_total} thành viên có mặt",
        "tallies": [tally_json(t) for t in tallies],
    }


def tally_json(t: Tally) -> dict[str, Any]:
    return {
        "nomination_id": t.nomination_id,
        "members_total": t.members_total,
        "present": t.present,
        "votes_for": t.votes_for,
        "share_of_all_members_pct": format(t.share_pct, "f"),
        "threshold_pct": format(t.threshold_pct, "f"),
        "quorum_met": t.quorum_met,
        "passed": t.passed,
        "recorded_at": t.recorded_at.isoformat() if t.recorded_at else None,
    }


async def record_tally(
    w: Work, ctx: Context, principal: Principal, command: RecordTally
) -> dict[str, Any]:
    """A secret-ballot tally for one nominee: counts only. No valid vote below quorum."""
    session_id, nomination_id, votes_for = (
        command.session_id,
        command.nomination_id,
        command.votes_for,
    )
    s = await w.councils.session(session_id)
    if s is None:
        raise not_found("Session", session_id)
    council = await w.councils.get(s.council_id)
    assert council is not None
    if principal.subject not in council.member_ids:
        raise Forbidden(
            "Not a member of this council",
            f"Only members of council {s.council_id} record its tallies.",
        )
    n = await w.nominations.get(nomination_id, lock=True)
    if n is None:
        raise not_found("Nomination", nomination_id)
    if n.deciding_unit_code != council.unit_code:
        raise conflict(
            "Not this council's file",
            f"Nomination {nomination_id} is decided by {n.deciding_unit_code},"
            f" not by the council of {council.unit_code}.",
        )
    if n.status != Status.UNDER_REVIEW:
        raise conflict(
            "Not under review",
            f"Nomination {nomination_id} is {n.status.value}; the council votes on files under"
            " review.",
        )
    if await w.councils.tally(session_id, nomination_id) is not None:
        raise conflict("Tally exists", "This session already recorded a tally for the file.")
    rule = rule_in_force(ctx, n.award, n.nominee_kind, n.file.achievement_year)
    threshold = rule.ballot_threshold_pct or DEFAULT_BALLOT_PCT
    present = len(s.present)
    try:
        result = tally_result(s.members_total, present, votes_for, threshold)
    except InvalidTally as exc:
        raise invalid(str(exc), [{"field": "votes_for", "message": str(exc)}]) from exc
    if not result.quorum_met:
        raise conflict("No quorum", result.message_en, quorum=result.message_vi)
    share = (Decimal(votes_for) * 100 / Decimal(s.members_total)).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )
    now = ctx.now()
    tally = Tally(
        session_id,
        nomination_id,
        s.members_total,
        present,
        votes_for,
        threshold,
        share,
        result.quorum_met,
        result.passed,
        principal.subject,
        now,
    )
    await w.councils.add_tally(tally)
    voted = replace(n, version=n.version + 1, session_id=session_id)
    await w.nominations.save(voted)
    await w.tx.publish(
        c.NominationVoted(
            nomination_id=nomination_id,
            nominee=c.Nominee(
                kind=c.NomineeKind(n.nominee_kind.value),
                ref=n.file.nominee_ref,
                unit_code=n.unit_code,
            ),
            award=c.AwardKind(n.award.value),
            achievement_year=n.file.achievement_year,
            occurred_at=now,
            members_total=s.members_total,
            members_present=present,
            votes_for=votes_for,
            quorum_met=result.quorum_met,
            approval_pct=share,
            threshold_pct=threshold,
            passed=result.passed,
        ),
        subject=nomination_id,
        sequence=voted.version,
    )
    kept = await w.councils.tally(session_id, nomination_id)
    assert kept is not None
    return {
        **tally_json(kept),
        "message_vi": result.message_vi,
        "message_en": result.message_en,
    }
