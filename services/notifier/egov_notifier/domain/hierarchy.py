"""Recipients by unit and role, resolved through the admin-unit hierarchy.

The hierarchy is data (the ``unit.upserted.v1`` reference topic) and changes by law: units get
merged (a ``successor_code``) and re-parented. A rule names roles *at* the event's unit (e.g.
the handling unit's officers) and roles *above* it (e.g. the department's operators); this
module turns that into people, on a given date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

MAX_DEPTH = 20  # guards against a cycle in bad reference data


@dataclass(frozen=True)
class Unit:
    code: str
    parent_code: str | None = None
    level: str = "agency"
    valid_from: date | None = None
    valid_to: date | None = None
    successor_code: str | None = None

    def valid_on(self, day: date | None) -> bool:
        if day is None:
            return self.valid_to is None
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    @classmethod
    def from_record(cls, row: Mapping[str, object]) -> Unit:
        """From a ``unit.upserted.v1`` payload or a units table row."""

        def day(value: object) -> date | None:
            if value is None or isinstance(value, date):
                return value
            return date.fromisoformat(str(value))

        def text(value: object) -> str | None:
            return None if value is None else str(value)

        return cls(
            code=str(row.get("unit_code") or row.get("code")),
            parent_code=text(row.get("parent_code")),
            level=str(row.get("level") or "agency"),
            valid_from=day(row.get("valid_from")),
            valid_to=day(row.get("valid_to")),
            successor_code=text(row.get("successor_code")),
        )


@dataclass(frozen=True)
class Person:
    """An entry of the recipients directory: one person in one role at one unit."""

    id: str
    unit_code: str
    role: str
    name: str
    email: str | None = None
    phone: str | None = None


class UnitTree:
    def __init__(self, units: Iterable[Unit]) -> None:
        self.units = {u.code: u for u in units}

    def current(self, code: str, on: date | None = None) -> str:
        """The unit that answers for ``code`` on a day: itself, or its successor after a
        merger (followed through several mergers)."""
        seen = {code}
        unit = self.units.get(code)
        while unit is not None and not unit.valid_on(on) and unit.successor_code:
            if unit.successor_code in seen or len(seen) > MAX_DEPTH:
                break
            seen.add(unit.successor_code)
            code, unit = unit.successor_code, self.units.get(unit.successor_code)
        return code

    def ancestry(
        self, code: str, on: date | None = None, follow_successor: bool = True
    ) -> list[str]:
        """The unit (or its successor), then its parent, up to the root."""
        code = self.current(code, on) if follow_successor else code
        chain = [code]
        unit = self.units.get(code)
        while unit is not None and unit.parent_code and len(chain) <= MAX_DEPTH:
            if unit.parent_code in chain:
                break
            chain.append(unit.parent_code)
            unit = self.units.get(unit.parent_code)
        return chain


@dataclass(frozen=True)
class Selector:
    """Whom a rule reaches: ``roles`` at the unit itself, ``ancestor_roles`` at the units above
    it (nearest first; ``nearest_only`` stops at the first unit above that has someone)."""

    roles: tuple[str, ...] = ()
    ancestor_roles: tuple[str, ...] = ()
    nearest_only: bool = False


def resolve(chain: list[str], people: Iterable[Person], selector: Selector) -> list[Person]:
    """People for ``selector`` given a unit's ancestry ``chain`` (the unit first)."""
    if not chain:
        return []
    by_unit: dict[str, list[Person]] = {}
    for p in people:
        by_unit.setdefault(p.unit_code, []).append(p)
    found = [p for p in by_unit.get(chain[0], []) if p.role in selector.roles]
    for code in chain[1:]:
        above = [p for p in by_unit.get(code, []) if p.role in selector.ancestor_roles]
        found.extend(above)
        if above and selector.nearest_only:
            break
    unique = {p.id: p for p in found}
    return sorted(unique.values(), key=lambda p: p.id)


def recipients_for(
    tree: UnitTree,
    people: Iterable[Person],
    unit_codes: Iterable[str],
    selector: Selector,
    on: date | None = None,
) -> list[Person]:
    """People for ``selector`` at each of ``unit_codes`` (an award may reach several units)."""
    directory = list(people)
    unique: dict[str, Person] = {}
    for code in unit_codes:
        for p in resolve(tree.ancestry(code, on), directory, selector):
            unique.setdefault(p.id, p)
    return sorted(unique.values(), key=lambda p: p.id)
