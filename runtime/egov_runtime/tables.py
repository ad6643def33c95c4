"""A report table as a download: CSV (UTF-8 with BOM, so spreadsheet programs read Vietnamese
text right) or XLSX (openpyxl), with a title row above the table in XLSX, and optionally lines
above the table in both (a form's code, unit, period, the rules it applies) and numbers shown
the Vietnamese way in XLSX (dot between thousands, comma before decimals)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from egov_contracts.types import in_vn
from fastapi import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's number formats with the Vietnamese locale (LCID 0x042A): 1.234 and 99,98 where the
# reader's spreadsheet follows the locale; the cell keeps the number.
VN_INTEGER = "[$-42A]#,##0"
VN_DECIMAL = "[$-42A]#,##0.00"


def _cell(value: Any) -> Any:
    """A time as people read it: Vietnam time with its offset (XLSX has no time zones)."""
    return in_vn(value).isoformat() if isinstance(value, datetime) else value


def table_download(
    table: Sequence[Sequence[Any]],
    *,
    name: str,
    fmt: Literal["csv", "xlsx"] | str,
    title: str,
    sheet: str,
    preamble: Sequence[str] = (),
    vietnamese_numbers: bool = False,
) -> Response:
    """``table``: the header row, then the rows; ``name``: the file name without extension;
    ``preamble``: lines printed above the table (in CSV too, the title first, a blank line
    after); ``vietnamese_numbers``: XLSX number cells in the Vietnamese format."""
    lines: list[Sequence[Any]] = [*([p] for p in preamble), *([[]] if preamble else [])]
    if fmt == "csv":
        out = io.StringIO()
        head: list[Sequence[Any]] = [[title], *lines] if preamble else []
        csv.writer(out).writerows([_cell(v) for v in line] for line in [*head, *table])
        return Response(
            out.getvalue().encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet[:31]  # Excel's limit for a sheet name
    ws.append([title])
    for line in lines:
        ws.append(list(line))
    for line in table:
        ws.append([_cell(v) for v in line])
        if vietnamese_numbers:
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, Decimal | float):
                    cell.number_format = VN_DECIMAL
                elif isinstance(cell.value, int) and not isinstance(cell.value, bool):
                    cell.number_format = VN_INTEGER
    buf = io.BytesIO()
    wb.save(buf)
    return Response(
        buf.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )
