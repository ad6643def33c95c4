"""The engine's answer for a file: eligibility against the rule set in force, with the titles
approved for the same decision and the council's vote."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from egov_contracts import nominations as c
from egov_runtime.auth import Principal
from egov_runtime.consumer import Tx

from egov_nominations.adapters import files
from egov_nominations.adapters import register as store
from egov_nominations.domain.engine import AWARD_NAMES_VI, Assessment, Outcome, assess
from egov_nominations.domain.register import AwardKind, AwardRecord, NomineeKind
from egov_nominations.domain.voting import VoteResult, tally_result
from egov_nominations.usecases.common import (
    Context,
)
from egov_nominations.usecases.steps import event_base, load_file


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
        **event_base(row, at),
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
    row = await load_file(tx, principal, nomination_id, lock=False)
    a, details = await assess_file(tx, ctx, row)
    out = a.model_dump(mode="json")
    out["nomination_id"] = nomination_id
    out["award_name_vi"] = AWARD_NAMES_VI[a.award]
    out["rule_set_title"] = ctx.rule_book.ruleset_for(a.year).title
    if details:
        out["unit_evidence"] = details
    return out
