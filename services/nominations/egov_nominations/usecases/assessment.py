"""The engine's answer for a file: eligibility against the rule set in force, with the titles
approved for the same decision and the council's vote."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from egov_contracts import nominations as c
from egov_runtime.auth import Principal

from egov_nominations.domain.councils import Nomination
from egov_nominations.domain.engine import AWARD_NAMES_VI, Assessment, Outcome, assess
from egov_nominations.domain.register import AwardRecord, NomineeKind
from egov_nominations.domain.voting import VoteResult, tally_result
from egov_nominations.usecases.common import Context, Work
from egov_nominations.usecases.steps import base_of, load


def assessed_event(n: Nomination, a: Assessment, at: datetime) -> c.NominationAssessed:
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
        **base_of(n, at),
        rule_set=a.rule_set_id,
        eligible=a.eligible is True,
        on_hold=a.on_hold,
        criteria=criteria,
    )


async def _vote_of(w: Work, nomination_id: str) -> VoteResult | None:
    t = await w.councils.latest_tally(nomination_id)
    if t is None:
        return None
    return tally_result(t.members_total, t.present, t.votes_for, t.threshold_pct)


def _with_awaiting(record: Any, files: list[Nomination], own: str) -> Any:
    """The record with the titles approved for the same decision (not the file's own)."""
    extra = tuple(
        AwardRecord(award=f.award, year=f.file.achievement_year, awaiting_decision=nid)
        for f in files
        if f.file.nominee_ref == record.ref and (nid := f.nomination_id) != own
    )
    return record.model_copy(update={"awards": record.awards + extra}) if extra else record


async def assess_file(
    w: Work, ctx: Context, n: Nomination, *, awaiting: bool = True
) -> tuple[Assessment, dict[str, Any]]:
    """The engine's answer for a file, with the unit evidence details for collectives.

    With `awaiting`, titles of the same nominee (or of a collective's members) approved for
    the same year by the same deciding unit count as held: one year-end decision confers
    LĐTT and CSTĐ cơ sở together, and the decision checks they really are in it."""
    kind, ref = n.nominee_kind, n.file.nominee_ref
    year = n.file.achievement_year
    ruleset = ctx.rule_book.ruleset_for(year)
    details: dict[str, Any] = {}
    record: Any
    own, deciding_unit = n.nomination_id, n.deciding_unit_code
    if kind == NomineeKind.INDIVIDUAL:
        record = await w.records.individual(ref)
        if record is None:
            raise KeyError(ref)  # a file names a person of the register (kept by its proposal)
        if awaiting:
            found = await w.nominations.approved_awaiting(kind, [ref], year, deciding_unit)
            record = _with_awaiting(record, found, own)
    else:
        record, details = await w.records.collective(ref, n.nominee_name, year)
        if awaiting:
            refs = [m.ref for m in record.members]
            found = await w.nominations.approved_awaiting(
                NomineeKind.INDIVIDUAL, refs, year, deciding_unit
            )
            ours = await w.nominations.approved_awaiting(kind, [ref], year, deciding_unit)
            members = tuple(_with_awaiting(m, found, own) for m in record.members)
            record = _with_awaiting(record, ours, own).model_copy(update={"members": members})
    vote = await _vote_of(w, n.nomination_id)
    return assess(record, n.award, year, ruleset, vote), details


async def eligibility(
    w: Work, ctx: Context, principal: Principal, nomination_id: str
) -> dict[str, Any]:
    """The engine's answer for a file the caller may see, as the API shows it."""
    n = await load(w, ctx, principal, nomination_id, lock=False)
    a, details = await assess_file(w, ctx, n)
    out = a.model_dump(mode="json")
    out["nomination_id"] = nomination_id
    out["award_name_vi"] = AWARD_NAMES_VI[a.award]
    out["rule_set_title"] = ctx.rule_book.ruleset_for(a.year).title
    if details:
        out["unit_evidence"] = details
    return out
