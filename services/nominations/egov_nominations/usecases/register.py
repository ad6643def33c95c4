"""The register: people and their yearly records, entered one by one or imported from the
spreadsheets agencies keep (ratings, earlier years' awards), with an import summary."""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from egov_runtime import scope
from egov_runtime.auth import Principal
from egov_runtime.consumer import Tx
from egov_runtime.refusals import Invalid, invalid, not_found
from egov_units import Hierarchy

from egov_nominations.adapters import register as store
from egov_nominations.domain.people import RatedYear
from egov_nominations.domain.register import (
    AwardKind,
    AwardRecord,
    DisciplineRecord,
    Initiative,
    Leave,
    LeaveKind,
    NomineeKind,
    PendingMatter,
    Person,
    TaskRating,
    WorkYear,
    YearRating,
)
from egov_nominations.usecases.common import (
    Context,
    Work,
    check_scope_in,
)

# -- one by one ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PutPerson:
    """Add or update a person of the register (personnel reference and name only)."""

    person_id: str
    name: str
    unit_code: str
    female: bool | None = None


@dataclass(frozen=True)
class RateYear:
    """A person's task rating and time worked for a year (in the person's unit unless
    ``unit_code`` names another)."""

    person_id: str
    year: int
    rating: TaskRating
    months_on_duty: Decimal
    leave: tuple[Leave, ...] = ()
    unit_code: str | None = None


async def put_person(
    w: Work, ctx: Context, principal: Principal, command: PutPerson
) -> dict[str, Any]:
    if command.unit_code not in await w.units.hierarchy():
        raise invalid(
            f"Unknown unit {command.unit_code}.",
            [{"field": "unit_code", "message": "unknown unit"}],
        )
    await check_scope_in(w, ctx, principal, command.unit_code)
    existing = await w.people.get(command.person_id)
    if existing is not None:
        await check_scope_in(w, ctx, principal, existing.unit_id)
    person = Person(
        id=command.person_id, name=command.name, unit_id=command.unit_code, female=command.female
    )
    created = await w.people.put(person)
    return {"person_id": command.person_id, "created": created}


async def person_in_scope(w: Work, ctx: Context, principal: Principal, person_id: str) -> Person:
    """The person, when in the caller's scope (404 otherwise, as if missing)."""
    person = await w.people.get(person_id)
    if person is None:
        raise not_found("Person", person_id)
    hidden = not_found("Person", person_id)
    await check_scope_in(w, ctx, principal, person.unit_id, hidden=hidden)
    return person


async def put_rating(
    w: Work, ctx: Context, principal: Principal, command: RateYear
) -> dict[str, Any]:
    person = await person_in_scope(w, ctx, principal, command.person_id)
    unit = command.unit_code or person.unit_id
    await check_scope_in(w, ctx, principal, unit)
    work = WorkYear(year=command.year, months_on_duty=command.months_on_duty, leave=command.leave)
    created = await w.people.rate(RatedYear(command.person_id, unit, command.rating, work, "api"))
    return {"person_id": command.person_id, "year": command.year, "created": created}


@dataclass(frozen=True)
class RecordDiscipline:
    """A disciplinary measure taken against a person (one per decision number)."""

    person_id: str
    discipline: DisciplineRecord


@dataclass(frozen=True)
class RecordInitiative:
    """A recognised initiative or piece of research of a person (by its id)."""

    person_id: str
    initiative: Initiative


@dataclass(frozen=True)
class RecordPending:
    """An open discipline, inspection or investigation of a nominee (puts files on hold)."""

    matter_id: str
    nominee_kind: NomineeKind
    nominee_ref: str
    matter: PendingMatter


@dataclass(frozen=True)
class RateUnit:
    """A collective's task rating for a year."""

    unit_code: str
    rating: YearRating


async def record_discipline(
    w: Work, ctx: Context, principal: Principal, command: RecordDiscipline
) -> None:
    await person_in_scope(w, ctx, principal, command.person_id)
    await w.records.keep_discipline(command.person_id, command.discipline)


async def record_initiative(
    w: Work, ctx: Context, principal: Principal, command: RecordInitiative
) -> None:
    await person_in_scope(w, ctx, principal, command.person_id)
    await w.records.keep_initiative(command.person_id, command.initiative)


async def record_pending(
    w: Work, ctx: Context, principal: Principal, command: RecordPending
) -> None:
    """A person's matter: the person in the caller's scope (404 otherwise); a collective's:
    the unit in it (403 otherwise)."""
    if command.nominee_kind == NomineeKind.INDIVIDUAL:
        await person_in_scope(w, ctx, principal, command.nominee_ref)
    else:
        await check_scope_in(w, ctx, principal, command.nominee_ref)
    await w.records.keep_pending(
        command.matter_id, command.nominee_kind, command.nominee_ref, command.matter
    )


async def rate_unit(w: Work, ctx: Context, principal: Principal, command: RateUnit) -> None:
    await check_scope_in(w, ctx, principal, command.unit_code)
    await w.records.rate_unit(command.unit_code, command.rating)


async def record_profile(
    w: Work, ctx: Context, principal: Principal, person_id: str | None, unit_code: str | None
) -> Principal:
    """Scope check for a person's or unit's record (reading or writing it)."""
    if person_id is not None:
        await person_in_scope(w, ctx, principal, person_id)
    if unit_code is not None:
        await check_scope_in(w, ctx, principal, unit_code)
    return principal


async def person_profile(
    tx: Tx, ctx: Context, principal: Principal, person_id: str
) -> dict[str, Any]:
    await person_in_scope(Work.on(tx), ctx, principal, person_id)
    record = (await store.individual_records(tx.conn, [person_id]))[person_id]
    return record.model_dump(mode="json")


# -- imports ---------------------------------------------------------------------------------

_RATING_ALIASES = {
    "htxsnv": TaskRating.HOAN_THANH_XUAT_SAC,
    "hoan thanh xuat sac nhiem vu": TaskRating.HOAN_THANH_XUAT_SAC,
    "hoan thanh xuat sac": TaskRating.HOAN_THANH_XUAT_SAC,
    "httnv": TaskRating.HOAN_THANH_TOT,
    "hoan thanh tot nhiem vu": TaskRating.HOAN_THANH_TOT,
    "hoan thanh tot": TaskRating.HOAN_THANH_TOT,
    "htnv": TaskRating.HOAN_THANH,
    "hoan thanh nhiem vu": TaskRating.HOAN_THANH,
    "hoan thanh": TaskRating.HOAN_THANH,
    "khtnv": TaskRating.KHONG_HOAN_THANH,
    "khong hoan thanh nhiem vu": TaskRating.KHONG_HOAN_THANH,
    "khong hoan thanh": TaskRating.KHONG_HOAN_THANH,
}


def _plain(text: str) -> str:
    """Lower case without Vietnamese diacritics (đ → d), spaces for dashes."""
    t = text.strip().lower().replace("đ", "d").replace("-", " ").replace("_", " ")
    t = "".join(c for c in unicodedata.normalize("NFD", t) if unicodedata.category(c) != "Mn")
    return " ".join(t.split())


def parse_rating(text: str) -> TaskRating:
    try:
        return TaskRating(text.strip())
    except ValueError:
        pass
    found = _RATING_ALIASES.get(_plain(text))
    if found is None:
        raise ValueError(
            f"unknown rating {text!r}: use one of {', '.join(r.value for r in TaskRating)}"
        )
    return found


def _year(text: str) -> int:
    try:
        y = int(float(text))
    except ValueError as exc:
        raise ValueError(f"year {text!r} is not a number") from exc
    if not 1975 <= y <= 2100:
        raise ValueError(f"year {y} is out of range")
    return y


def _months(text: str, what: str) -> Decimal:
    try:
        m = Decimal(text.replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(f"{what} {text!r} is not a number") from exc
    if not Decimal(0) <= m <= Decimal(12):
        raise ValueError(f"{what} must be between 0 and 12")
    return m


def _bool(text: str) -> bool | None:
    t = _plain(text)
    if not t:
        return None
    if t in ("1", "true", "yes", "x", "nu", "co"):
        return True
    if t in ("0", "false", "no", "nam", "khong"):
        return False
    raise ValueError(f"{text!r} is not yes/no")


@dataclass
class ImportSummary:
    kind: str
    rows: int = 0
    imported: int = 0
    updated: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    stored: bool = False

    def reject(self, line: int, reason: str, row: dict[str, str]) -> None:
        self.rejected.append({"line": line, "reason": reason, "row": row})

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "imported": self.imported,
            "updated": self.updated,
            "rejected": self.rejected,
            "stored": self.stored,
        }


RowAction = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class ImportRows:
    """Rows of a spreadsheet of yearly ratings or of earlier years' awards, by line: stored all
    or none (default), only the valid ones (``partial``), or checked only (``dry_run``)."""

    kind: Literal["ratings", "awards"]
    rows: tuple[tuple[int, dict[str, str]], ...]
    partial: bool = False
    dry_run: bool = False


class _Scope:
    """Whether units lie in the caller's subtree today, on the Work's hierarchy (each unit
    asked once per file)."""

    def __init__(self, hierarchy: Hierarchy, principal: Principal, today: date) -> None:
        self.hierarchy, self.principal, self.today = hierarchy, principal, today
        self._seen: dict[str, bool] = {}

    def known(self, unit_code: str) -> bool:
        return unit_code in self.hierarchy

    def check(self, unit_code: str) -> None:
        if unit_code not in self._seen:
            ancestry = self.hierarchy.ancestry(unit_code, self.today)
            self._seen[unit_code] = scope.within(self.principal, unit_code, ancestry)
        if not self._seen[unit_code]:
            raise ValueError(f"unit {unit_code} is outside your unit {self.principal.unit_code}")


async def _prepare_rating_row(w: Work, units: _Scope, row: dict[str, str]) -> RowAction:
    person_id = row.get("person_id", "").strip()
    if not person_id or len(person_id) > 64:
        raise ValueError("person_id is required (at most 64 characters)")
    year = _year(row.get("year", ""))
    rating = parse_rating(row.get("rating", ""))
    months = _months(row.get("months_on_duty") or "12", "months_on_duty")
    leave: list[Leave] = []
    if row.get("leave_kind"):
        try:
            kind = LeaveKind(row["leave_kind"].strip())
        except ValueError as exc:
            raise ValueError(
                f"unknown leave_kind {row['leave_kind']!r}:"
                f" use one of {', '.join(k.value for k in LeaveKind)}"
            ) from exc
        leave.append(Leave(kind=kind, months=_months(row.get("leave_months", ""), "leave_months")))
    female = _bool(row.get("female", ""))
    person = await w.people.get(person_id)
    name = row.get("name", "").strip()
    unit_code = row.get("unit_code", "").strip() or (person.unit_id if person else "")
    if person is None and (not name or not unit_code):
        raise ValueError(f"unknown person {person_id}: give name and unit_code to add them")
    if len(name) > 200:
        raise ValueError("name is longer than 200 characters")
    if not units.known(unit_code):
        raise ValueError(f"unknown unit {unit_code}")
    units.check(unit_code)
    work = WorkYear(year=year, months_on_duty=months, leave=tuple(leave))

    async def apply() -> bool:
        if person is None or name:
            kept_name = name or (person.name if person else "")
            await w.people.put(
                Person(id=person_id, name=kept_name, unit_id=unit_code, female=female)
            )
        return await w.people.rate(RatedYear(person_id, unit_code, rating, work, "import"))

    return apply


async def _prepare_award_row(w: Work, units: _Scope, row: dict[str, str]) -> RowAction:
    kind_text = (row.get("nominee_kind") or "individual").strip()
    try:
        kind = NomineeKind(kind_text)
    except ValueError as exc:
        raise ValueError(f"nominee_kind {kind_text!r} must be individual or collective") from exc
    ref = (row.get("nominee_ref") or row.get("person_id") or "").strip()
    if not ref or len(ref) > 64:
        raise ValueError("nominee_ref is required (at most 64 characters)")
    try:
        award = AwardKind(row.get("award", "").strip())
    except ValueError as exc:
        kinds = ", ".join(a.value for a in AwardKind)
        raise ValueError(f"unknown award {row.get('award')!r}: use one of {kinds}") from exc
    year = _year(row.get("year", ""))
    number = row.get("decision_number", "").strip()
    if not number or len(number) > 64:
        raise ValueError("decision_number is required (at most 64 characters)")
    decided_on = None
    if row.get("decided_on"):
        try:
            decided_on = date.fromisoformat(row["decided_on"].strip()[:10])
        except ValueError as exc:
            raise ValueError(f"decided_on {row['decided_on']!r} is not YYYY-MM-DD") from exc
    if kind == NomineeKind.INDIVIDUAL:
        person = await w.people.get(ref)
        if person is None:
            raise ValueError(f"unknown person {ref}: import their ratings first")
        unit_code = person.unit_id
    else:
        if not units.known(ref):
            raise ValueError(f"unknown unit {ref}")
        unit_code = ref
    units.check(unit_code)
    level = (row.get("level") or "").strip() or None
    if level is not None and len(level) > 100:
        raise ValueError("level is longer than 100 characters")
    kept = AwardRecord(
        award=award, year=year, decision_number=number, level=level, decided_on=decided_on
    )

    async def apply() -> bool:
        return await w.records.record_award(kind, ref, unit_code, kept)

    return apply


REQUIRED_COLUMNS = {
    "ratings": {"person_id", "year", "rating"},
    "awards": {"award", "year", "decision_number"},
}


async def import_rows(
    w: Work, ctx: Context, principal: Principal, command: ImportRows
) -> ImportSummary:
    """Check every row, then store: all rows or none (default; a file with a rejected row is
    refused, 422 with every rejected line), or only the valid ones (``partial``). Rejected
    rows carry their line and reason."""
    kind, rows = command.kind, command.rows
    summary = ImportSummary(kind=kind, rows=len(rows))
    columns = set().union(*(r.keys() for _, r in rows)) if rows else set()
    missing = REQUIRED_COLUMNS[kind] - columns
    if kind == "awards" and not ({"nominee_ref", "person_id"} & columns):
        missing.add("nominee_ref")
    if missing:
        raise invalid(
            f"The file lacks the columns {', '.join(sorted(missing))}.",
            [{"field": c, "message": "missing column"} for c in sorted(missing)],
        )
    prepare = _prepare_rating_row if kind == "ratings" else _prepare_award_row
    units = _Scope(await w.units.hierarchy(), principal, ctx.now().date())
    actions: list[RowAction] = []
    seen: set[tuple[str, ...]] = set()
    for line, row in rows:
        try:
            action = await prepare(w, units, row)
            key = (
                (row.get("person_id", "").strip(), str(_year(row["year"])))
                if kind == "ratings"
                else tuple(
                    row.get(k, "").strip()
                    for k in ("nominee_ref", "award", "year", "decision_number")
                )
            )
            if key in seen:
                raise ValueError("the same row appears twice in the file")
            seen.add(key)
            actions.append(action)
        except ValueError as exc:
            summary.reject(line, str(exc), row)
    if summary.rejected and not command.partial:
        raise Invalid(
            "Rows rejected",
            f"{len(summary.rejected)} of {summary.rows} rows are rejected; nothing was stored.",
            errors=[
                {"field": f"line {r['line']}", "message": r["reason"]} for r in summary.rejected
            ],
        )
    if command.dry_run:
        return summary
    for action in actions:
        if await action():
            summary.imported += 1
        else:
            summary.updated += 1
    summary.stored = True
    return summary
