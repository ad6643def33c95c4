"""XLSX uploads read through openpyxl into the CSV text the import parses, row for row, so a
conflict names the spreadsheet's own row number (the header is row 1)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UnreadableFile(ValueError):
    """The upload is not an XLSX file this service can read."""


def is_xlsx(content: bytes, content_type: str) -> bool:
    """By its type, or by its ZIP signature when sent as a generic binary."""
    return content_type.split(";")[0].strip() == XLSX or content[:4] == b"PK\x03\x04"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        # Excel turns a period typed as 2026-10 into the 1st of that month
        return f"{value:%Y-%m}" if value.day == 1 else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def xlsx_to_csv(content: bytes) -> str:
    """The first worksheet as CSV text; empty rows are kept so row numbers stay the sheet's."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a broken file
        raise UnreadableFile(f"not a readable XLSX file: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in sheet.iter_rows(values_only=True):
            writer.writerow([_text(v) for v in row])
        return out.getvalue()
    finally:
        book.close()
