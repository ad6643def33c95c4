"""A nomination file as the API shows it: status, allowed actions, deadlines, history."""

from __future__ import annotations

from datetime import date
from typing import Any

from egov_runtime.consumer import Tx
from egov_runtime.refusals import not_found

from egov_nominations.adapters import files
from egov_nominations.adapters import register as store
from egov_nominations.domain.completeness import missing_documents
from egov_nominations.domain.engine import AWARD_NAMES_VI
from egov_nominations.domain.register import AwardKind, NomineeKind
from egov_nominations.domain.workflow import (
    Status,
    allowed_actions,
)
from egov_nominations.usecases.common import (
    Context,
)


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
        "nominee": _nominee_json(row),
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


def _nominee_json(row: Any) -> dict[str, Any]:
    return {
        "kind": row["nominee_kind"],
        "ref": row["nominee_ref"],
        "name": row["nominee_name"],
        "unit_code": row["unit_code"],
    }


def summary_row(row: Any) -> dict[str, Any]:
    return {
        "nomination_id": row["nomination_id"],
        "nominee": _nominee_json(row),
        "award": row["award"],
        "achievement_year": row["achievement_year"],
        "occasion": row["occasion"],
        "status": row["status"],
        "status_vi": Status(row["status"]).label_vi,
        "deciding_unit_code": row["deciding_unit_code"],
        "movement_id": row["movement_id"],
        "session_id": row["session_id"],
    }
