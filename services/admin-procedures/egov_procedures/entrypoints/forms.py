"""The report form as a province files it (Biểu số 06/VPCP/KSTT, Thông tư 01/2020/TT-VPCP):
the JSON report's rows grouped by field (lĩnh vực) and procedure, and the printed table of the
CSV and XLSX downloads with the form's code, title, unit, period and rules above it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from egov_procedures.domain.report import (
    FORM_BASIS,
    FORM_CODE,
    FORM_COLUMNS,
    FORM_TITLE,
    NO_FIELD,
    POLICY_TEXT,
    RATE_TEXT,
    ReportForm,
    ReturnedWithdrawn,
    legal_basis_for,
)
from egov_procedures.usecases import form_json

CHANNEL_NAMES = {
    "counter": "Trực tiếp",
    "online": "Trực tuyến",
    "postal": "Dịch vụ bưu chính",
    "public-service-portal": "Cổng Dịch vụ công",
}
SCHEME_TEXT = {
    "cutoff": "kỳ chốt số liệu theo Nghị định 09/2019/NĐ-CP (từ ngày 15 tháng trước đến ngày 14)",
    "calendar": "kỳ theo tháng dương lịch",
    "explicit": "khoảng ngày do người lập báo cáo chọn",
}


def basis_json(day: date) -> dict[str, Any]:
    """The one-door decree in force at the end of the period, and what of it was checked."""
    b = legal_basis_for(day)
    return {
        "decree": b.decree,
        "applies_from": b.applies_from.isoformat(),
        "applies_to": b.applies_to.isoformat() if b.applies_to else None,
        "checked": b.checked,
    }


def report_json(form: ReportForm) -> dict[str, Any]:
    """The form's counts with its "Tổng số" subtotals (to handle, in progress)."""
    return {**form_json(form), "to_handle": form.to_handle, "in_progress": form.in_progress}


def field_groups(
    groups: list[tuple[str | None, ReportForm]],
    catalogue: dict[str, dict[str, Any]],
    policy: ReturnedWithdrawn,
) -> list[dict[str, Any]]:
    """The report's groups by procedure regrouped by the catalogue's field of each procedure:
    one group per field (its counts summed) with its procedures under it, fields by name."""
    by_field: dict[str, list[tuple[str | None, ReportForm]]] = defaultdict(list)
    for code, form in groups:
        by_field[(catalogue.get(code or "") or {}).get("field") or NO_FIELD].append((code, form))
    return [
        {
            "field": name,
            **report_json(ReportForm.total((f for _c, f in items), policy)),
            "procedures": [
                {
                    "procedure": code,
                    "name": (catalogue.get(code or "") or {}).get("name"),
                    **report_json(f),
                }
                for code, f in items
            ],
        }
        for name, items in sorted(by_field.items(), key=lambda kv: (kv[0] == NO_FIELD, kv[0]))
    ]


def _numbers(row: dict[str, Any]) -> list[Any]:
    """The row's counts in the form's order; the rate as a number (empty without a rate)."""
    out: list[Any] = []
    for key, _heading in FORM_COLUMNS:
        value = row.get(key)
        out.append(Decimal(value) if key == "on_time_rate" and value is not None else value)
    return out


def _label(group_by: str | None, row: dict[str, Any], names: dict[str, str]) -> str:
    if group_by == "procedure":
        name = row.get("name")
        return f"{row['procedure']} — {name}" if name else str(row["procedure"])
    if group_by == "unit":
        code = row["unit"]
        return f"{names[code]} ({code})" if code in names else str(code)
    if group_by == "channel":
        code = row["channel"]
        return f"{CHANNEL_NAMES.get(code, code)} ({code})"
    return str(row.get(group_by or "", ""))


def printed_form(
    body: dict[str, Any], group_by: str | None, unit_names: dict[str, str]
) -> tuple[list[str], list[list[Any]]]:
    """The lines above the table and the table (heading row, rows, "Tổng số") of the download.

    ``body``: the JSON report; grouped by field, each field's row is followed by its
    procedures' rows (STT 1, 1.1, 1.2, 2, …), as the form lists a field's procedures."""
    start = date.fromisoformat(body["from"])
    end = date.fromisoformat(body["to"])
    unit = body["unit_code"]
    period = f"{body['period']}, " if body.get("period") else ""
    preamble = [
        f"Biểu số {FORM_CODE} ({FORM_BASIS})",
        f"Đơn vị báo cáo: {body.get('unit_name') or unit} ({unit})"
        f" và {body['units_included'] - 1} đơn vị trực thuộc",
        f"Kỳ báo cáo: {period}từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"
        f" ({SCHEME_TEXT.get(body['period_scheme'], body['period_scheme'])})",
        f"Căn cứ cơ chế một cửa: {body['legal_basis']['decree']}",
        POLICY_TEXT[ReturnedWithdrawn(body["returned_withdrawn"])],
        RATE_TEXT,
    ]
    if body.get("procedure_code"):
        preamble.append(f"Thủ tục hành chính: {body['procedure_code']}")
    heading = ["STT", "Lĩnh vực, thủ tục hành chính", *(h for _k, h in FORM_COLUMNS)]
    table: list[list[Any]] = [heading]
    for i, group in enumerate(body["groups"], start=1):
        if group_by == "field":
            table.append([str(i), group["field"], *_numbers(group)])
            for j, proc in enumerate(group["procedures"], start=1):
                table.append([f"{i}.{j}", _label("procedure", proc, unit_names), *_numbers(proc)])
        else:
            table.append([str(i), _label(group_by, group, unit_names), *_numbers(group)])
    table.append(["", "Tổng số", *_numbers(body["total"])])
    return preamble, table


def form_title(unit: str, unit_name: str | None, start: date, end: date) -> str:
    return f"{FORM_TITLE} — {unit_name or unit} ({unit}) — từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}"
