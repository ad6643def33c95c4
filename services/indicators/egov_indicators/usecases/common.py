"""What the use cases of indicators share: their context, the unit of work (the transaction and
the repositories on it), the rule book and the hierarchy in force."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from egov_contracts.envelope import VN_TZ
from egov_contracts.topics import INDICATOR_RESULTS
from egov_runtime.consumer import Tx
from egov_runtime.refusals import NotFound

from egov_indicators.adapters.repositories import (
    PgPeriods,
    PgReporting,
    PgRuleBooks,
    PgSubmissions,
    PgTargets,
    PgUnitTree,
)
from egov_indicators.domain import (
    Hierarchy,
    SeasonalProfile,
    catalogue_from_data,
    load_seasonal_profiles,
    parse_disagg,
    rules_from_data,
)
from egov_indicators.domain.definitions import CATALOGUE_DIR, IndicatorDefinition
from egov_indicators.domain.records import RuleBook
from egov_indicators.domain.repositories import (
    Periods,
    Reporting,
    RuleBooks,
    Submissions,
    Targets,
    UnitTree,
)

RESULTS = INDICATOR_RESULTS.name

__all__ = [
    "RESULTS",
    "Context",
    "RuleBook",
    "Work",
    "definition_of",
    "indicator_name",
    "load_hierarchy",
    "load_rulebook",
    "parse_disagg",
]


def _now() -> datetime:
    return datetime.now(VN_TZ)


@dataclass
class Context:
    """What the use cases need besides the unit of work: the service's CloudEvents source, the
    seasonal profiles of the expected values to date, and the clock."""

    source: str
    profiles: dict[str, SeasonalProfile] = field(default_factory=load_seasonal_profiles)
    clock: Callable[[], datetime] = _now


@dataclass
class Work:
    """What a write use case runs in: the transaction (``emit``, ``publish``) and the
    repositories on it. :meth:`on` builds it on PostgreSQL; tests build it of fakes."""

    tx: Tx
    rulebooks: RuleBooks
    submissions: Submissions
    periods: Periods
    targets: Targets
    reporting: Reporting
    units: UnitTree

    @classmethod
    def on(cls, tx: Tx) -> Work:
        return cls(
            tx,
            PgRuleBooks(tx.conn),
            PgSubmissions(tx.conn),
            PgPeriods(tx.conn),
            PgTargets(tx.conn),
            PgReporting(tx.conn),
            PgUnitTree(tx.conn),
        )


def indicator_name(book: Any, code: str | None) -> str | None:
    d = book.catalogue.get(code) if code else None
    return d.name_vi if d is not None else None


def bundled_catalogue() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    defs = json.loads((CATALOGUE_DIR / "indicators.json").read_text(encoding="utf-8"))
    rules = json.loads((CATALOGUE_DIR / "rules.json").read_text(encoding="utf-8"))
    return defs["indicators"], rules["rules"]


def bundled_rulebook() -> RuleBook:
    defs, rules = bundled_catalogue()
    catalogue = catalogue_from_data({"indicators": defs})
    return RuleBook(catalogue, rules_from_data({"rules": rules}, catalogue))


async def load_rulebook(w: Work) -> RuleBook:
    """The definitions and rules in force; the bundled demo catalogue fills an empty store."""
    book = await w.rulebooks.load()
    if book is None:
        await w.rulebooks.install(bundled_rulebook())
        book = await w.rulebooks.load()
        assert book is not None
    return book


async def load_hierarchy(w: Work) -> Hierarchy:
    return await w.units.hierarchy()


def definition_of(book: RuleBook, indicator: str) -> IndicatorDefinition:
    """The indicator's definition in the rule book (404 "Indicator not found" otherwise)."""
    definition = book.catalogue.get(indicator)
    if definition is None:
        raise NotFound("Indicator not found", f"No indicator {indicator}.")
    return definition
