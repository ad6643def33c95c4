"""Emulation councils, their sessions (attendance, quorum) and secret-ballot tallies."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from egov_contracts import nominations as c
from egov_runtime.auth import Principal
from egov_runtime.consumer import Tx
from egov_runtime.refusals import Forbidden, conflict, invalid, not_found

from egov_nominations.adapters import files
from egov_nominations.domain.register import AwardKind, NomineeKind
from egov_nominations.domain.voting import InvalidTally, tally_result
from egov_nominations.domain.workflow import (
    Status,
)
from egov_nominations.usecases.common import (
    Context,
    check_scope,
    emit,
    known_unit,
    level_of,
)
from egov_nominations.usecases.steps import event_base, rule_in_force

DEFAULT_BALLOT_PCT = Decimal(50)


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
    rule = rule_in_force(
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
            **event_base(row, ctx.now()),
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
