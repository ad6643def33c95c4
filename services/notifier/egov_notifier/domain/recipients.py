"""Recipients by unit and role along a unit's ancestry.

A rule names roles *at* the event's unit (e.g. the handling unit's officers) and roles *above*
it (e.g. the department's operators); this module turns that into people, given the ancestry of
the unit answering for the event's unit on the day (from the one date-aware hierarchy model,
:mod:`egov_units`: a unit merged away is answered for by its successor).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """An entry of the recipients directory: one person in one role at one unit."""

    id: str
    unit_code: str
    role: str
    name: str
    email: str | None = None
    phone: str | None = None


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
