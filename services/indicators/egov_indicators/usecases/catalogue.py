"""The indicator catalogue and its validation rules, changed as a whole that must still hold."""

from __future__ import annotations

from egov_indicators.domain import (
    IndicatorDefinition,
    Rule,
    catalogue_from_data,
    rules_from_data,
)
from egov_indicators.domain.records import RuleBook
from egov_indicators.usecases.common import Work, load_rulebook


async def put_definition(w: Work, definition: IndicatorDefinition, by: str) -> RuleBook:
    """Add or change a definition; the whole catalogue and every rule must still hold
    (``ValueError`` otherwise)."""
    book = await load_rulebook(w)
    defs = {d.code: d.model_dump(mode="json") for d in book.catalogue.definitions.values()}
    defs[definition.code] = definition.model_dump(mode="json")
    catalogue = catalogue_from_data({"indicators": list(defs.values())})
    rules_from_data({"rules": [r.model_dump(mode="json") for r in book.rules]}, catalogue)
    await w.rulebooks.put_definition(catalogue[definition.code], by)
    return await load_rulebook(w)


async def put_rule(w: Work, rule: Rule, by: str) -> Rule:
    """Add or change a validation rule; it must hold against the catalogue and beside the other
    rules (``ValueError`` otherwise)."""
    book = await load_rulebook(w)
    others = [r.model_dump(mode="json") for r in book.rules if r.id != rule.id]
    checked = rules_from_data({"rules": [*others, rule.model_dump(mode="json")]}, book.catalogue)[
        -1
    ]
    await w.rulebooks.put_rule(checked, by)
    return checked


async def delete_rule(w: Work, rule_id: str) -> bool:
    """Remove a validation rule (False: there was none)."""
    await load_rulebook(w)
    return await w.rulebooks.delete_rule(rule_id)
