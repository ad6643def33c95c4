"""The admin-unit hierarchy (đơn vị hành chính) as it stands on a given day.

The hierarchy changes by law (the 1 July 2025 reform: 63 → 34 provinces, the district level
abolished, communes merged; agencies merged earlier). Units carry ``valid_from``/``valid_to``,
a ``parent_code`` and, once ended, a ``successor_code``. On a day, a unit that had ended by
then is answered for by the unit that succeeded it (followed through several mergers), and a
unit's parent is its parent as resolved on that day. This is the one model every service uses:
the runtime kit's read model (scope checks, lists of a unit's subtree), the indicators' roll-up
and the notifier's recipients. Pure: no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

MAX_DEPTH = 20  # guards against a cycle in bad reference data


@dataclass(frozen=True)
class AdminUnit:
    code: str
    parent_code: str | None = None
    name: str = ""
    level: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    successor_code: str | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    @classmethod
    def from_record(cls, row: Mapping[str, object]) -> AdminUnit:
        """From a ``unit.upserted.v1`` payload, a units table row or a units CSV row."""

        def day(value: object) -> date | None:
            if value is None or value == "":
                return None
            return value if isinstance(value, date) else date.fromisoformat(str(value))

        def text(value: object) -> str | None:
            return None if value is None or value == "" else str(value)

        return cls(
            code=str(row.get("unit_code") or row.get("code")),
            parent_code=text(row.get("parent_code")),
            name=str(row.get("name") or ""),
            level=str(row.get("level") or ""),
            valid_from=day(row.get("valid_from")),
            valid_to=day(row.get("valid_to")),
            successor_code=text(row.get("successor_code")),
        )


class Hierarchy:
    def __init__(self, units: Iterable[AdminUnit]) -> None:
        self._units = {u.code: u for u in units}
        self._below: dict[date, dict[str, list[str]]] = {}  # per day: who steps up to whom

    def __contains__(self, code: object) -> bool:
        return code in self._units

    def __iter__(self) -> Iterator[AdminUnit]:
        return iter(self._units.values())

    def __len__(self) -> int:
        return len(self._units)

    def get(self, code: str) -> AdminUnit | None:
        return self._units.get(code)

    @property
    def codes(self) -> list[str]:
        return list(self._units)

    def resolve(self, code: str | None, day: date) -> str | None:
        """The unit valid on ``day`` that is ``code`` or succeeded it; None if there is none."""
        for _ in range(MAX_DEPTH):
            unit = self._units.get(code) if code else None
            if unit is None:
                return None
            if unit.valid_on(day):
                return unit.code
            if unit.valid_to is None or unit.valid_to >= day or unit.successor_code is None:
                return None  # not yet in existence, or ended without a successor
            code = unit.successor_code
        return None

    def answering(self, code: str, day: date) -> str:
        """The unit that answers for ``code`` on ``day``: its successor (valid then) once it
        was merged away, else the unit itself (also when unknown or ended without one)."""
        return self.resolve(code, day) or code

    def parent_at(self, code: str, day: date) -> str | None:
        unit = self._units.get(code)
        return self.resolve(unit.parent_code, day) if unit else None

    def ancestors_at(self, code: str, day: date) -> list[str]:
        """The parents of a unit valid on ``day``, nearest first."""
        out: list[str] = []
        current = self.parent_at(code, day)
        while current is not None and current not in out and len(out) < MAX_DEPTH:
            out.append(current)
            current = self.parent_at(current, day)
        return out

    def ancestry(self, code: str, day: date) -> list[str]:
        """The unit answering for ``code`` on ``day``, then its parents up to the root.

        A parent that has itself been merged away is replaced by its successor; a unit (or
        parent) that ended without a successor keeps the parents it had, so its history stays
        under them. An unknown unit is its own ancestry."""
        chain = [self.answering(code, day)]
        unit = self._units.get(chain[0])
        while unit is not None and unit.parent_code and len(chain) <= MAX_DEPTH:
            parent = self.answering(unit.parent_code, day)
            if parent in chain:
                break
            chain.append(parent)
            unit = self._units.get(parent)
        return chain

    def descendants(self, code: str, day: date) -> list[str]:
        """``code`` itself, then every unit whose ancestry on ``day`` passes through it —
        including the former units it answers for (their records belong to its subtree)."""
        below = self._below_on(day)
        found: set[str] = {code}
        frontier = [code]
        while frontier:
            frontier = [c for u in frontier for c in below.get(u, ()) if c not in found]
            found.update(frontier)
        return [code, *sorted(found - {code})]

    def _below_on(self, day: date) -> dict[str, list[str]]:
        """One step up of every unit on ``day``, reversed (kept for a few days: the units of a
        model never change, and lists ask for the same day again and again)."""
        below = self._below.get(day)
        if below is None:
            below = defaultdict(list)
            for c in self._units:
                up = self._step_up(c, day)
                if up is not None:
                    below[up].append(c)
            if len(self._below) >= 8:
                self._below.clear()
            self._below[day] = below
        return below

    def _step_up(self, code: str, day: date) -> str | None:
        """The next unit of ``code``'s ancestry on ``day``: the unit answering for it, else its
        parent (as answered for on the day)."""
        answering = self.answering(code, day)
        if answering != code:
            return answering
        unit = self._units.get(code)
        if unit is None or not unit.parent_code:
            return None
        parent = self.answering(unit.parent_code, day)
        return None if parent == code else parent

    def rolls_into(self, code: str, day: date) -> str | None:
        """Where a value of ``code`` goes on ``day``: the parent of a unit valid then, or the
        successor (valid then) of a unit that had ended."""
        unit = self._units.get(code)
        if unit is None:
            return None
        if unit.valid_on(day):
            return self.resolve(unit.parent_code, day)
        resolved = self.resolve(unit.code, day)
        return resolved if resolved != unit.code else None

    def contributors(self, day: date) -> dict[str, list[str]]:
        """For every unit, the units whose values roll into it on ``day``."""
        out: dict[str, list[str]] = defaultdict(list)
        for code in sorted(self._units):
            target = self.rolls_into(code, day)
            if target is not None:
                out[target].append(code)
        return out
