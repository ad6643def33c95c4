"""Reports as tables (headers and rows) for JSON, CSV and XLSX: awards by kind, level and
individual/collective; a council session's list of proposals; a decision's annex."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from egov_runtime.auth import Principal
from egov_runtime.consumer import Tx
from egov_runtime.refusals import not_found
from egov_runtime.units import descendants

from egov_nominations.adapters import files
from egov_nominations.adapters import reports as report_store
from egov_nominations.adapters.repositories import nomination_of
from egov_nominations.domain.engine import AWARD_NAMES_VI
from egov_nominations.domain.register import AwardKind, NomineeKind
from egov_nominations.domain.summary import CountRow, sentences
from egov_nominations.domain.workflow import Status
from egov_nominations.usecases.assessment import assess_file
from egov_nominations.usecases.common import Context, Work, check_scope
from egov_nominations.usecases.decisions import decision_view


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            **self.extra,
            "rows": [dict(zip(self.headers, r, strict=True)) for r in self.rows],
        }


def _name(award: str) -> str:
    return AWARD_NAMES_VI.get(AwardKind(award), award)


async def awards_summary(
    tx: Tx,
    principal: Principal,
    unit: str,
    *,
    year: int | None,
    movement_id: str | None,
) -> Table:
    """Awards conferred for a year or a movement in the unit's subtree, counted by kind,
    level and individual/collective, with the sentences a conference prints for them."""
    await check_scope(tx, principal, unit)
    units = await descendants(tx.conn, unit)
    rows = await report_store.award_counts(tx.conn, units, year=year, movement_id=movement_id)
    said = sentences(
        CountRow(AwardKind(r["award"]), r["level"], NomineeKind(r["nominee_kind"]), r["n"])
        for r in rows
    )
    of = {(s.award.value, s.level): s.text_vi for s in said}
    line = "; ".join(s.text_vi for s in said) if said else "Chưa có khen thưởng"
    return Table(
        "Tổng hợp khen thưởng",
        ["award", "award_name_vi", "level", "nominee_kind", "count", "sentence_vi"],
        [
            [
                r["award"],
                _name(r["award"]),
                r["level"],
                r["nominee_kind"],
                r["n"],
                of[(r["award"], r["level"])],
            ]
            for r in rows
        ],
        {
            "unit": unit,
            "year": year,
            "movement_id": movement_id,
            "summary_vi": line,
            "sentences": [
                {
                    "award": s.award.value,
                    "award_name_vi": _name(s.award.value),
                    "level": s.level,
                    "collectives": s.collectives,
                    "individuals": s.individuals,
                    "sentence_vi": s.text_vi,
                }
                for s in said
            ],
        },
    )


async def proposals(tx: Tx, ctx: Context, principal: Principal, session_id: str) -> Table:
    """Danh sách đề nghị: the files before a council session (under review at its unit, or
    voted in it), with eligibility and the tally."""
    s = await files.get_session(tx.conn, session_id)
    if s is None:
        raise not_found("Session", session_id)
    member = principal.subject in {m["member_id"] for m in s["members"]}
    if not member:
        await check_scope(tx, principal, s["unit_code"], hidden=not_found("Session", session_id))
    rows = await report_store.session_proposals(
        tx.conn, session_id, s["unit_code"], Status.UNDER_REVIEW.value
    )
    tallies = {t["nomination_id"]: t for t in await files.session_tallies(tx.conn, session_id)}
    out = []
    work = Work.on(tx)
    for i, r in enumerate(rows, start=1):
        a, _ = await assess_file(work, ctx, nomination_of(r))
        t = tallies.get(r["nomination_id"])
        out.append(
            [
                i,
                r["nomination_id"],
                r["nominee_name"],
                "tập thể" if r["nominee_kind"] == "collective" else "cá nhân",
                r["unit_code"],
                _name(r["award"]),
                r["achievement_year"],
                str(a.eligible),
                t["votes_for"] if t else None,
                format(t["share_pct"], "f") if t else None,
                t["passed"] if t else None,
                Status(r["status"]).label_vi,
            ]
        )
    return Table(
        "Danh sách đề nghị khen thưởng",
        [
            "stt",
            "nomination_id",
            "nominee",
            "kind",
            "unit_code",
            "award",
            "year",
            "eligible",
            "votes_for",
            "share_of_all_members_pct",
            "passed",
            "status",
        ],
        out,
        {
            "session_id": session_id,
            "council": s["council_name"],
            "held_on": s["held_on"].isoformat(),
        },
    )


async def decision_annex(tx: Tx, principal: Principal, decision_id: str) -> Table:
    """Phụ lục quyết định: who receives what under a decision."""
    d = await files.get_decision_by_id(tx.conn, decision_id)
    if d is None:
        raise not_found("Decision", decision_id)
    hidden = not_found("Decision", decision_id)
    await check_scope(tx, principal, d["deciding_unit_code"], hidden=hidden)
    view = await decision_view(tx, decision_id)
    rows = [
        [
            i,
            a["nominee_name"],
            "tập thể" if a["nominee_kind"] == "collective" else "cá nhân",
            a["unit_code"],
            a["award_name_vi"],
            a["achievement_year"],
        ]
        for i, a in enumerate(view["awards"], start=1)
    ]
    return Table(
        f"Phụ lục Quyết định số {d['number']}",
        ["stt", "nominee", "kind", "unit_code", "award", "year"],
        rows,
        {
            "number": d["number"],
            "decided_on": d["decided_on"].isoformat(),
            "signer": d["signer"],
            "deciding_unit_code": d["deciding_unit_code"],
        },
    )
