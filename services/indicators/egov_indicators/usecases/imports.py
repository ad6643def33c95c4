"""A spreadsheet upload: one submission per unit and period, with DHIS2's import summary."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from egov_contracts import indicators as c
from egov_contracts.envelope import CloudEvent

from egov_indicators.domain import (
    import_csv,
)
from egov_indicators.usecases.common import Context, Work, load_rulebook, parse_disagg
from egov_indicators.usecases.submissions import Incoming, handle_submissions


async def import_file(
    w: Work,
    ctx: Context,
    text: str,
    *,
    import_id: str,
    submitted_by: str,
    allowed_units: Container[str] | None,
    cause: CloudEvent,
) -> dict[str, Any]:
    """A spreadsheet upload: one submission per unit and period, each accepted or rejected
    whole; the summary counts as DHIS2's import summary does."""
    now = ctx.clock()
    book = await load_rulebook(w)
    parsed = import_csv(
        text,
        book.catalogue,
        submission_id=import_id,
        submitted_by=submitted_by,
        submitted_at=now,
        allowed_units=allowed_units,
    )
    rows_total = parsed.summary.imported + parsed.summary.updated + parsed.summary.ignored
    conflicts = [
        {"row": x.row, "reason": x.reason_vi, "reason_en": x.reason_en, "value": x.value}
        for x in parsed.summary.conflicts
    ]
    items = [
        Incoming(
            c.SubmissionReceived(
                submission_id=s.submission_id,
                unit_code=s.unit_code,
                period=str(s.period),
                values=[
                    c.ReportedValue(
                        indicator_code=v.indicator_code,
                        value=v.value,
                        disaggregation=dict(v.disaggregation) or None,
                    )
                    for v in s.values
                ],
                submitted_by=s.submitted_by,
                submitted_at=s.submitted_at,
            ),
            cause,
            "csv",
        )
        for s in parsed.submissions
    ]
    results = await handle_submissions(w, ctx, items, now) if items else []
    imported = sum(r.imported for r in results)
    updated = sum(r.updated for r in results)
    for sub, r in zip(parsed.submissions, results, strict=True):
        if r.outcome != "rejected":
            continue
        first_row = min(parsed.rows[(sub.unit_code, sub.period, v.key)] for v in sub.values)
        for v in r.violations:
            dis = parse_disagg(v.get("disaggregation") or "")
            cell = (sub.unit_code, sub.period, (v.get("indicator_code") or "", dis))
            conflicts.append(
                {
                    "row": parsed.rows.get(cell, first_row),
                    "reason": v["message"],
                    "reason_en": v["message_en"],
                    "value": v.get("value") or "",
                    "rule": v["rule"],
                    "submission_id": r.submission_id,
                }
            )
    conflicts.sort(key=lambda x: (x["row"], x.get("rule", "")))
    usable = imported + updated
    status = "SUCCESS" if not conflicts else ("WARNING" if usable else "ERROR")
    return {
        "status": status,
        "import_id": import_id,
        "imported": imported,
        "updated": updated,
        "ignored": rows_total - imported - updated,
        "conflicts": conflicts,
        "submissions": [
            {"submission_id": r.submission_id, "status": r.outcome, "warnings": r.warnings}
            for r in results
        ],
    }
