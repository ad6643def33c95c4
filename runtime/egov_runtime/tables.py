"""A report table as a download: CSV (UTF-8 with BOM, so spreadsheet programs read Vietnamese
text right) or XLSX (openpyxl), with a title row above the table in XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from egov_contracts.types import in_vn
from fastapi import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
) -> Response:
    """``table``: the header row, then the rows; ``name``: the file name without extension."""
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows([_cell(v) for v in line] for line in table)
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
    for line in table:
        ws.append([_cell(v) for v in line])
    buf = io.BytesIO()
    wb.save(buf)
    return Response(
        buf.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )
