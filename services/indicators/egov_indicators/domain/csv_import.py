"""CSV upload for districts that still report in spreadsheets, with an import summary as DHIS2
gives one: imported (new values), updated (changed values), ignored (unchanged values and rows
with conflicts) and the conflicts with their row numbers (the header is row 1) and reasons.

Columns: ``unit_code, period, indicator_code, value`` and optionally ``disaggregation`` written
``sex=female;area=rural``. Comma, semicolon or tab separated (the separator is read from the
header), UTF-8 with or without a byte-order mark. Numbers use a decimal point and no thousands
separators, so ``16,856`` is refused rather than guessed. A cell reported twice with different
values is a conflict on both rows. Rows become one submission per unit and period; the value
rules (type, range, cross-indicator) are then applied to each submission by ``validate``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from egov_indicators.domain.definitions import Catalogue
from egov_indicators.domain.periods import Period, PeriodError
from egov_indicators.domain.values import (
    DisaggKey,
    ReportedValue,
    Submission,
    ValueKey,
)

REQUIRED_COLUMNS = ("unit_code", "period", "indicator_code", "value")
OPTIONAL_COLUMNS = ("disaggregation",)
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


@dataclass(frozen=True)
class ImportConflict:
    row: int
    reason_vi: str
    reason_en: str
    value: str = ""


@dataclass(frozen=True)
class ImportSummary:
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    conflicts: tuple[ImportConflict, ...] = ()

    @property
    def status(self) -> str:
        """``SUCCESS``, ``WARNING`` (some rows had conflicts) or ``ERROR`` (nothing usable)."""
        if not self.conflicts:
            return "SUCCESS"
        usable = self.imported + self.updated + self.ignored - len(self.conflicts)
        return "WARNING" if usable > 0 else "ERROR"


@dataclass(frozen=True)
class CsvImport:
    submissions: tuple[Submission, ...]
    summary: ImportSummary
    rows: Mapping[tuple[str, Period, ValueKey], int] = field(default_factory=dict)
    """The row of each kept cell, so a rule broken later can be reported against its row."""


@dataclass(frozen=True)
class _Row:
    row: int
    unit_code: str
    period: Period
    key: ValueKey
    value: Decimal


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _disaggregation(text: str) -> DisaggKey | None:
    if not text.strip():
        return ()
    pairs: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, option = part.partition("=")
        if not sep or not name.strip() or not option.strip() or name.strip() in pairs:
            return None
        pairs[name.strip()] = option.strip()
    return tuple(sorted(pairs.items()))


def import_csv(
    text: str,
    definitions: Catalogue,
    *,
    submission_id: str,
    submitted_by: str,
    submitted_at: datetime,
    existing: Mapping[tuple[str, Period], Mapping[ValueKey, Decimal]] | None = None,
    allowed_units: Container[str] | None = None,
) -> CsvImport:
    """Parse the file into submissions (``<submission_id>/<unit>/<period>``) and a summary
    against the values already recorded (``existing`` by unit and period)."""
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        conflict = ImportConflict(
            1,
            f"Thiếu cột {', '.join(missing)}",
            f"Missing column(s) {', '.join(missing)}",
            ",".join(header),
        )
        return CsvImport((), ImportSummary(conflicts=(conflict,)))
    index = {
        name: header.index(name)
        for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
        if name in header
    }

    conflicts: dict[int, ImportConflict] = {}
    rows: list[_Row] = []
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):
            cells = cells + [""] * (len(header) - len(cells))
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            conflicts[line_no] = ImportConflict(
                line_no, "Thừa cột so với dòng tiêu đề", "More cells than header columns"
            )
            continue
        cell = {name: cells[i].strip() for name, i in index.items()}
        parsed = _parse_row(line_no, cell, definitions, allowed_units)
        if isinstance(parsed, ImportConflict):
            conflicts[line_no] = parsed
        else:
            rows.append(parsed)

    first_seen: dict[tuple[str, Period, ValueKey], _Row] = {}
    kept: dict[tuple[str, Period, ValueKey], _Row] = {}
    clashing: set[tuple[str, Period, ValueKey]] = set()
    duplicates = 0
    for r in rows:
        cell_id = (r.unit_code, r.period, r.key)
        earlier = first_seen.get(cell_id)
        if earlier is None:
            first_seen[cell_id] = kept[cell_id] = r
        elif earlier.value == r.value:
            duplicates += 1  # the same value twice: nothing to do for the second row
        else:
            clashing.add(cell_id)
            conflicts[r.row] = ImportConflict(
                r.row,
                f"Mâu thuẫn với dòng {earlier.row} ({earlier.value} ≠ {r.value})",
                f"Conflicts with row {earlier.row} ({earlier.value} ≠ {r.value})",
                str(r.value),
            )
    for cell_id in clashing:
        earlier = kept.pop(cell_id)
        conflicts.setdefault(
            earlier.row,
            ImportConflict(
                earlier.row,
                "Ô dữ liệu được báo cáo nhiều lần với giá trị khác nhau",
                "The same cell is reported again with a different value",
                str(earlier.value),
            ),
        )

    imported = updated = unchanged = 0
    grouped: dict[tuple[str, Period], list[ReportedValue]] = {}
    for (unit, period, key), r in sorted(kept.items(), key=lambda item: item[1].row):
        before = (existing or {}).get((unit, period), {}).get(key)
        if before is None:
            imported += 1
        elif before != r.value:
            updated += 1
        else:
            unchanged += 1
        grouped.setdefault((unit, period), []).append(ReportedValue(key[0], r.value, key[1]))
    submissions = tuple(
        Submission(
            submission_id=f"{submission_id}/{unit}/{period}",
            unit_code=unit,
            period=period,
            values=tuple(values),
            submitted_by=submitted_by,
            submitted_at=submitted_at,
        )
        for (unit, period), values in grouped.items()
    )
    summary = ImportSummary(
        imported=imported,
        updated=updated,
        ignored=unchanged + duplicates + len(conflicts),
        conflicts=tuple(sorted(conflicts.values(), key=lambda c: c.row)),
    )
    return CsvImport(submissions, summary, {cell: r.row for cell, r in kept.items()})


def _parse_row(
    line_no: int,
    cell: Mapping[str, str],
    definitions: Catalogue,
    allowed_units: Container[str] | None,
) -> _Row | ImportConflict:
    unit = cell["unit_code"]
    if not unit:
        return ImportConflict(line_no, "Thiếu mã đơn vị", "Missing unit_code")
    if allowed_units is not None and unit not in allowed_units:
        return ImportConflict(
            line_no,
            f"Đơn vị {unit} không thuộc phạm vi được báo cáo",
            f"Unit {unit} is outside the reporting scope",
            unit,
        )
    try:
        period = Period.parse(cell["period"])
    except PeriodError:
        return ImportConflict(
            line_no,
            f"Kỳ báo cáo không hợp lệ: {cell['period']!r}",
            f"Invalid period: {cell['period']!r}",
            cell["period"],
        )
    code = cell["indicator_code"]
    definition = definitions.get(code)
    if definition is None:
        return ImportConflict(
            line_no,
            f"Chỉ tiêu {code!r} không có trong danh mục",
            f"Unknown indicator {code!r}",
            code,
        )
    raw = re.sub(r"[\s\u00a0]", "", cell["value"])
    if not _NUMBER.match(raw):
        return ImportConflict(
            line_no,
            f"Giá trị không phải là số (dùng dấu chấm thập phân, không dùng dấu phân cách hàng"
            f" nghìn): {cell['value']!r}",
            f"Not a number (use a decimal point, no thousands separators): {cell['value']!r}",
            cell["value"],
        )
    dis = _disaggregation(cell.get("disaggregation", ""))
    if dis is None or any(
        option not in definition.disaggregations.get(name, ()) for name, option in dis
    ):
        text = cell.get("disaggregation", "")
        return ImportConflict(
            line_no,
            f"Phân tổ không hợp lệ cho {code}: {text!r}",
            f"Invalid disaggregation for {code}: {text!r}",
            text,
        )
    return _Row(line_no, unit, period, (code, dis), Decimal(raw))


__all__ = ["CsvImport", "ImportConflict", "ImportSummary", "import_csv"]
