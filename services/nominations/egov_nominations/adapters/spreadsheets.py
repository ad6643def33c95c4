"""Reading and writing the spreadsheets agencies work with: CSV (UTF-8, with or without BOM,
comma or semicolon) and XLSX through openpyxl."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook, load_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UnreadableFile(ValueError):
    """The upload is not a CSV or XLSX file this service can read."""


def _header(cell: Any) -> str:
    return str(cell or "").strip().lower().replace(" ", "_")


def read_rows(content: bytes, content_type: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, {column: text}) for every non-empty row after the header row."""
    if not content:
        raise UnreadableFile("the file is empty")
    is_xlsx = content_type.startswith(XLSX) or content[:2] == b"PK"
    if is_xlsx:
        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several kinds for a broken file
            raise UnreadableFile(f"not a readable XLSX file: {exc}") from exc
        ws = wb.worksheets[0]
        raw = [list(r) for r in ws.iter_rows(values_only=True)]
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UnreadableFile("a CSV file must be UTF-8") from exc
        first = text.splitlines()[0] if text else ""
        delimiter = ";" if first.count(";") > first.count(",") else ","
        raw = [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    if not raw:
        raise UnreadableFile("the file has no header row")
    header = [_header(c) for c in raw[0]]
    out = []
    for n, values in enumerate(raw[1:], start=2):
        cells = ["" if v is None else str(v).strip() for v in values]
        if not any(cells):
            continue
        out.append(
            (n, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h})
        )
    return out


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly


def to_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet1"
    ws.append(list(headers))
    for r in rows:
        ws.append(["" if v is None else v for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
