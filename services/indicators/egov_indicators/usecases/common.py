"""What the use cases of indicators share: their context, the rule book and the hierarchy in
force, and a unit's period as recorded."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from egov_contracts.envelope import VN_TZ
from egov_contracts.topics import INDICATOR_RESULTS
from egov_runtime import units
from egov_runtime.consumer import Tx
from egov_runtime.refusals import NotFound

from egov_indicators.adapters import store
from egov_indicators.domain import (
    Catalogue,
    DisaggKey,
    Hierarchy,
    Lock,
    Period,
    PeriodState,
    RecordedValue,
    Rule,
    SeasonalProfile,
    catalogue_from_data,
    load_seasonal_profiles,
    rules_from_data,
)
from egov_indicators.domain.definitions import CATALOGUE_DIR, IndicatorDefinition

RESULTS = INDICATOR_RESULTS.name


@dataclass
class Context:
    """What the use cases need besides the transaction."""

    source: str
    profiles: dict[str, SeasonalProfile] = field(default_factory=load_seasonal_profiles)


def today() -> date:
    return datetime.now(VN_TZ).date()


def indicator_name(book: Any, code: str | None) -> str | None:
    d = book.catalogue.get(code) if code else None
    return d.name_vi if d is not None else None


@dataclass(frozen=True)
class RuleBook:
    catalogue: Catalogue
    rules: list[Rule]


def bundled_catalogue() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    defs = json.loads((CATALOGUE_DIR / "indicators.json").read_text(encoding="utf-8"))
    rules = json.loads((CATALOGUE_DIR / "rules.json").read_text(encoding="utf-8"))
    return defs["indicators"], rules["rules"]


async def load_rulebook(tx: Tx) -> RuleBook:
    """The definitions and rules in force; the bundled demo catalogue fills an empty store."""
    defs = await store.definitions(tx.conn)
    if not defs:
        await store.install_catalogue(tx.conn, *bundled_catalogue())
        defs = await store.definitions(tx.conn)
    catalogue = catalogue_from_data({"indicators": [r["definition"] for r in defs]})
    rule_rows = await store.rules(tx.conn)
    rules = rules_from_data({"rules": [r["rule"] for r in rule_rows]}, catalogue)
    return RuleBook(catalogue, rules)


async def load_hierarchy(tx: Tx) -> Hierarchy:
    return await units.load_hierarchy(tx.conn)


def definition_of(book: RuleBook, indicator: str) -> IndicatorDefinition:
    """The indicator's definition in the rule book (404 "Indicator not found" otherwise)."""
    definition = book.catalogue.get(indicator)
    if definition is None:
        raise NotFound("Indicator not found", f"No indicator {indicator}.")
    return definition


def parse_disagg(text: str) -> DisaggKey:
    pairs = (part.split("=", 1) for part in text.split(";") if part)
    return tuple(sorted((k, v) for k, v in pairs))


async def period_state(tx: Tx, unit: str, period: Period) -> PeriodState:
    rows = await store.cell_values(tx.conn, unit, str(period))
    values = {}
    for r in rows:
        rv = RecordedValue(
            indicator_code=r["indicator_code"],
            value=r["value"],
            submission_id=r["submission_id"],
            recorded_by=r["recorded_by"],
            recorded_at=r["recorded_at"],
            disaggregation=parse_disagg(r["disaggregation"]),
            revision=r["revision"],
            warnings=tuple(r["warnings"]),
        )
        values[rv.key] = rv
    lock = await store.get_lock(tx.conn, unit, str(period))
    return PeriodState(
        unit_code=unit,
        period=period,
        values=values,
        submissions=tuple(await store.accepted_submissions(tx.conn, unit, str(period))),
        lock=Lock(lock["approved_by"], lock["approver_unit"], lock["locked_at"]) if lock else None,
    )
